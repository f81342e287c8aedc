"""Ingest of data.police.uk archive CSVs: street crimes, outcomes and stop and search.

Paths may be CSV files, month folders, directories of those, or .zip archives. Each CSV's kind
is recognised by its header, never by its name. Every row is checked; a bad row is quarantined
with file, line, field and reason, while a file that cannot be read as its kind (unknown or
missing columns, broken CSV, not UTF-8) is refused whole. Each file loads in one transaction
together with its ``ingest_runs`` row and its quarantined rows, so a failure leaves nothing of
it behind. Loading the same file again changes no crime, outcome or stop.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import operator
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from watchhouse.crimes import load
from watchhouse.crimes.categories import category_slug, slugify
from watchhouse.ingest.tables import ingest_runs, quarantine

SOURCE = "police-uk"

STREET_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)  # fmt: skip
OUTCOME_COLUMNS = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Outcome type",
)  # fmt: skip
STOP_COLUMNS = (
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude",
    "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
    "Object of search", "Outcome", "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)  # fmt: skip
# The column that only that kind of file has; outcomes must load after the crimes they update.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "street": ("Crime type", STREET_COLUMNS),
    "outcomes": ("Outcome type", OUTCOME_COLUMNS),
    "stop-and-search": ("Object of search", STOP_COLUMNS),
}
_KIND_ORDER = {kind: rank for rank, kind in enumerate(KINDS)}

# Forces whose police.uk id is not their name less " Police"/" Constabulary".
_FORCE_IDS = {
    "metropolitan police service": "metropolitan",
    "city of london police": "city-of-london",
    "british transport police": "btp",
    "police service of northern ireland": "northern-ireland",
}
# Every police.uk map point is in England, Wales or Northern Ireland; this box holds them all.
UK_LATITUDE = (49.0, 61.0)
UK_LONGITUDE = (-8.7, 2.1)

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_CRIME_ID = re.compile(r"[0-9a-fA-F]{64}")
_FILE_NAME = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<force>.+?)-(?P<kind>street|outcomes|stop-and-search)\.csv", re.I)
_FOLDER_MONTH = re.compile(r"\d{4}-\d{2}")


@lru_cache(maxsize=256)
def force_id(falls_within: str) -> str:
    """The police.uk force id for a force name: "West Yorkshire Police" -> "west-yorkshire"."""
    name = falls_within.strip().lower()
    if name in _FORCE_IDS:
        return _FORCE_IDS[name]
    for suffix in (" police", " constabulary"):
        name = name.removesuffix(suffix)
    return slugify(name.replace("&", " and "))


# ---------------------------------------------------------------------------------------- reports


@dataclass
class FileReport:
    file: str
    kind: str
    read: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0


@dataclass
class FileError:
    """Why a whole file was refused; nothing from it was written."""

    file: str
    reason: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "") + (f", field {self.field!r}" if self.field else "")
        return f"{where}: {self.reason}"


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> FileReport:
        total = FileReport(file="total", kind="")
        for report in self.files:
            for name in ("read", "loaded", "updated", "unchanged", "quarantined"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        return total


class IngestError(Exception):
    """One or more files were refused; ``report`` says what did load."""

    def __init__(self, report: IngestReport):
        self.report = report
        super().__init__("; ".join(str(error) for error in report.errors))


class _Refused(Exception):
    def __init__(self, reason: str, line: int | None = None, field: str | None = None):
        super().__init__(reason)
        self.reason, self.line, self.field = reason, line, field


# ---------------------------------------------------------------------------------------- sources


@dataclass
class _Source:
    name: str  # as shown to people: the path, or "archive.zip:member"
    read: Callable[[], bytes]
    head: Callable[[], bytes]  # enough of the start to hold the header line
    size: int
    kind: str = ""
    columns: tuple[str, ...] = ()

    @property
    def base_name(self) -> str:
        return self.name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]

    @property
    def folder_name(self) -> str:
        parts = self.name.replace("\\", "/").replace(":", "/").split("/")
        return parts[-2] if len(parts) > 1 else ""


def _expand(paths: Iterable[Path], errors: list[FileError]) -> list[_Source]:
    sources: list[_Source] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in {".csv", ".zip"})
            if not found:
                errors.append(FileError(str(path), "no .csv or .zip files in this directory"))
            for child in found:
                sources.extend(_file_sources(child, errors))
        elif path.is_file():
            sources.extend(_file_sources(path, errors))
        else:
            errors.append(FileError(str(path), "no such file or directory"))
    return sources


def _file_sources(path: Path, errors: list[FileError]) -> list[_Source]:
    if path.suffix.lower() != ".zip":
        return [_Source(str(path), path.read_bytes, lambda: _file_head(path), path.stat().st_size)]
    try:
        archive = zipfile.ZipFile(path)
        members = sorted(
            (
                info
                for info in archive.infolist()
                if not info.is_dir() and info.filename.lower().endswith(".csv") and "__MACOSX" not in info.filename
            ),
            key=lambda info: info.filename,
        )
    except (zipfile.BadZipFile, OSError) as error:
        errors.append(FileError(str(path), f"not a readable zip archive ({error})"))
        return []
    if not members:
        errors.append(FileError(str(path), "the zip archive holds no .csv files"))
    return [
        _Source(
            f"{path}:{info.filename}",
            lambda name=info.filename: archive.read(name),
            lambda name=info.filename: _member_head(archive, name),
            info.file_size,
        )
        for info in members
    ]


def _header(data: bytes) -> tuple[str, tuple[str, ...]]:
    """The kind of file and its columns, from the header line; refuses unknown or missing columns."""
    first_line = data.split(b"\n", 1)[0]
    try:
        text = first_line.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError as error:
        raise _Refused(f"the header is not UTF-8 text ({error.reason} at byte {error.start})", line=1) from None
    columns = tuple(next(csv.reader([text]), []))
    for kind, (marker, expected) in KINDS.items():
        if marker in columns:
            break
    else:
        raise _Refused(
            "not a data.police.uk street, outcomes or stop-and-search file: the header has none of "
            + ", ".join(repr(marker) for marker, _ in KINDS.values()),
            line=1,
        )
    for column in columns:
        if column not in expected:
            raise _Refused(f"unknown column {column!r} in a {kind} file", line=1, field=column)
        if columns.count(column) > 1:
            raise _Refused(f"column {column!r} appears twice", line=1, field=column)
    for column in expected:
        if column not in columns:
            raise _Refused(f"missing column {column!r} for a {kind} file", line=1, field=column)
    return kind, columns


# ---------------------------------------------------------------------------------------- rows


@dataclass
class _Bad:
    line: int
    field: str | None
    reason: str
    raw: list[str]


@dataclass
class _Parsed:
    rows: list[dict]
    bad: list[_Bad]
    read: int


class _RowError(Exception):
    def __init__(self, field: str | None, reason: str):
        self.field, self.reason = field, reason


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) of each data record; blank lines are not records."""
    reader = csv.reader(io.StringIO(text), strict=True)
    line = 1
    try:
        next(reader, None)
        line = reader.line_num + 1
        for record in reader:
            if record:
                yield line, record
            line = reader.line_num + 1
    except csv.Error as error:
        raise _Refused(f"malformed CSV ({error})", line=line) from None


def _coordinates(latitude_text: str, longitude_text: str) -> tuple[float | None, float | None]:
    if not latitude_text and not longitude_text:
        return None, None
    try:
        latitude, longitude = float(latitude_text), float(longitude_text)
    except ValueError:
        latitude = longitude = math.nan
    # NaN fails every comparison, so anything odd falls through to the explanation.
    if UK_LATITUDE[0] <= latitude <= UK_LATITUDE[1] and UK_LONGITUDE[0] <= longitude <= UK_LONGITUDE[1]:
        return latitude, longitude
    raise _coordinates_error(latitude_text, longitude_text)


def _coordinates_error(latitude_text: str, longitude_text: str) -> _RowError:
    if not latitude_text:
        return _RowError("Latitude", "Latitude is blank but Longitude is not; give both or neither")
    if not longitude_text:
        return _RowError("Longitude", "Longitude is blank but Latitude is not; give both or neither")
    for name, text, limit, (low, high) in (
        ("Latitude", latitude_text, 90.0, UK_LATITUDE),
        ("Longitude", longitude_text, 180.0, UK_LONGITUDE),
    ):
        try:
            value = float(text)
        except ValueError:
            return _RowError(name, f"{name} {text!r} is not a number")
        if not math.isfinite(value) or abs(value) > limit:
            return _RowError(name, f"{name} {text!r} is impossible (must be within ±{limit:g})")
        if not low <= value <= high:
            return _RowError(name, f"{name} {text!r} is outside the UK")
    raise AssertionError("coordinates were valid")


def _check_month(month: str, file_month: str | None, field_name: str = "Month") -> None:
    if month == file_month:
        return
    if not _MONTH.fullmatch(month):
        raise _RowError(field_name, f"{field_name} {month!r} is not a month in YYYY-MM form")
    if file_month is not None:
        raise _RowError(field_name, f"{field_name} {month!r} is not this file's month {file_month}")


def _force(falls_within: str, file_force: str | None) -> str:
    if falls_within:
        return force_id(falls_within)
    if file_force:
        return file_force
    raise _RowError("Falls within", "Falls within is blank and the file name does not name the force")


def _street_row(values: tuple[str, ...], context: _FileContext) -> dict:
    (
        crime_id, month, reported_by, falls_within, longitude_text, latitude_text, location,
        lsoa_code, lsoa_name, crime_type, last_outcome, crime_context,
    ) = values  # fmt: skip
    if crime_id and not _CRIME_ID.fullmatch(crime_id):
        raise _RowError("Crime ID", f"Crime ID {crime_id!r} is not 64 hexadecimal digits")
    if month != context.month:
        _check_month(month, context.month)
    if crime_type not in context.known_crime_types:
        if not crime_type:
            raise _RowError("Crime type", "Crime type is blank")
        if category_slug(crime_type) is None:
            raise _RowError("Crime type", f"unknown crime type {crime_type!r}")
        context.known_crime_types.add(crime_type)
    latitude, longitude = _coordinates(latitude_text, longitude_text)
    if latitude is not None and not location:
        raise _RowError("Location", "Location is blank although the crime has coordinates")
    return {
        "crime_id": crime_id,
        "month": month,
        "reported_by": reported_by,
        "falls_within": falls_within,
        "force_code": force_id(falls_within) if falls_within else _force(falls_within, context.force),
        "latitude": latitude,
        "longitude": longitude,
        "location": location,
        "lsoa_code": lsoa_code,
        "lsoa_name": lsoa_name,
        "crime_type": crime_type,
        "last_outcome_category": last_outcome,
        "context": crime_context,
    }


def _outcome_row(values: tuple[str, ...], context: _FileContext) -> dict:
    crime_id, month, reported_by, falls_within, longitude_text, latitude_text, _, _, _, outcome_type = values
    if not crime_id:
        raise _RowError("Crime ID", "Crime ID is blank; an outcome must name its crime")
    if not _CRIME_ID.fullmatch(crime_id):
        raise _RowError("Crime ID", f"Crime ID {crime_id!r} is not 64 hexadecimal digits")
    _check_month(month, context.month)
    if not outcome_type:
        raise _RowError("Outcome type", "Outcome type is blank")
    _coordinates(latitude_text, longitude_text)
    return {
        "crime_id": crime_id,
        "month": month,
        "reported_by": reported_by,
        "falls_within": falls_within,
        "force_code": _force(falls_within, context.force),
        "outcome_type": outcome_type,
    }


_OPERATION = {"true": "true", "false": "false", "": ""}


def _stop_row(values: tuple[str, ...], context: _FileContext) -> dict:
    (
        stop_type, when, part_of_operation, operation_name, latitude_text, longitude_text, gender, age_range,
        self_defined_ethnicity, officer_defined_ethnicity, legislation, object_of_search, outcome,
        outcome_linked, removal_of_clothing,
    ) = values  # fmt: skip
    if not context.force:
        raise _RowError(None, "stop-and-search rows do not name their force; name the file YYYY-MM-<force>-stop-and-search.csv")
    if not when:
        raise _RowError("Date", "Date is blank")
    try:
        datetime.fromisoformat(when)
    except ValueError:
        raise _RowError("Date", f"Date {when!r} is not an ISO 8601 date and time") from None
    _check_month(when[:7], context.month, "Date")
    if not stop_type:
        raise _RowError("Type", "Type is blank")
    operation = _OPERATION.get(part_of_operation.lower())
    if operation is None:
        raise _RowError("Part of a policing operation", "Part of a policing operation must be True, False or blank")
    latitude, longitude = _coordinates(latitude_text, longitude_text)
    return {
        "force_code": context.force,
        "month": when[:7],
        "datetime": when,
        "type": stop_type,
        "operation": operation,
        "operation_name": operation_name,
        "latitude": latitude,
        "longitude": longitude,
        "gender": gender,
        "age_range": age_range,
        "self_defined_ethnicity": self_defined_ethnicity,
        "officer_defined_ethnicity": officer_defined_ethnicity,
        "legislation": legislation,
        "object_of_search": object_of_search,
        "outcome": outcome,
        "outcome_linked_to_object_of_search": outcome_linked,
        "removal_of_more_than_outer_clothing": removal_of_clothing,
    }


_ROW_BUILDERS = {"street": _street_row, "outcomes": _outcome_row, "stop-and-search": _stop_row}


@dataclass
class _FileContext:
    month: str | None
    force: str | None
    known_crime_types: set[str] = field(default_factory=set)


def _file_context(source: _Source) -> _FileContext:
    named = _FILE_NAME.fullmatch(source.base_name)
    if named:
        return _FileContext(month=named["month"], force=named["force"].lower())
    folder = source.folder_name
    return _FileContext(month=folder if _FOLDER_MONTH.fullmatch(folder) else None, force=None)


def _parse(source: _Source, text: str) -> _Parsed:
    context = _file_context(source)
    if context.month is not None and not _MONTH.fullmatch(context.month):
        raise _Refused(f"the file name's month {context.month!r} is not a month in YYYY-MM form")
    build = _ROW_BUILDERS[source.kind]
    width = len(source.columns)
    # Fields in the order the builder expects, whatever order the file has them in.
    in_canonical_order = operator.itemgetter(*(source.columns.index(name) for name in KINDS[source.kind][1]))
    rows: list[dict] = []
    bad: list[_Bad] = []
    read = 0
    # A street file lists each crime once; a repeated Crime ID would silently replace the first.
    crime_id_lines: dict[str, int] | None = {} if source.kind == "street" else None
    for line, record in _records(text):
        read += 1
        if len(record) != width:
            bad.append(_Bad(line, None, f"expected {width} fields, found {len(record)}", record))
            continue
        try:
            row = build(in_canonical_order(record), context)
        except _RowError as error:
            bad.append(_Bad(line, error.field, error.reason, record))
            continue
        if crime_id_lines is not None and row["crime_id"]:
            first_line = crime_id_lines.setdefault(row["crime_id"].lower(), line)
            if first_line != line:
                bad.append(_Bad(line, "Crime ID", f"Crime ID already given on line {first_line} of this file", record))
                continue
        row["source_file"] = source.name
        row["source_line"] = line
        rows.append(row)
    return _Parsed(rows, bad, read)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise _Refused(f"not UTF-8 text ({error.reason} at byte {error.start})", line=line) from None


# ---------------------------------------------------------------------------------------- loading

_LOADERS = {"street": load.upsert_street_crimes, "outcomes": load.apply_outcomes, "stop-and-search": load.upsert_stops}


def _raw_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def _load_file(connection: Connection, source: _Source, digest: str, parsed: _Parsed) -> FileReport:
    now = datetime.now(timezone.utc)
    # Quarantine holds each file's latest verdict once, however often the file is loaded.
    earlier_runs = sa.select(ingest_runs.c.id).where(ingest_runs.c.file_sha256 == digest, ingest_runs.c.source == SOURCE)
    connection.execute(quarantine.delete().where(quarantine.c.run_id.in_(earlier_runs)))
    run_id = connection.execute(
        ingest_runs.insert()
        .values(source=SOURCE, file_name=source.name, file_sha256=digest, kind=source.kind, started_at=now)
        .returning(ingest_runs.c.id)
    ).scalar_one()
    counts = _LOADERS[source.kind](connection, parsed.rows)
    if parsed.bad:
        connection.execute(
            quarantine.insert(),
            [
                {
                    "run_id": run_id,
                    "source": SOURCE,
                    "file_name": source.name,
                    "line": bad.line,
                    "field": bad.field,
                    "reason": bad.reason,
                    "raw": _raw_line(bad.raw),
                    "created_at": now,
                }
                for bad in parsed.bad
            ],
        )
    report = FileReport(
        file=source.name,
        kind=source.kind,
        read=parsed.read,
        loaded=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        quarantined=len(parsed.bad),
    )
    connection.execute(
        ingest_runs.update()
        .where(ingest_runs.c.id == run_id)
        .values(
            rows_read=report.read,
            rows_loaded=report.loaded,
            rows_updated=report.updated,
            rows_unchanged=report.unchanged,
            rows_quarantined=report.quarantined,
            finished_at=datetime.now(timezone.utc),
        )
    )
    return report


@dataclass
class _Prepared:
    data_sha256: str
    parsed: _Parsed


def _prepare(source: _Source) -> _Prepared:
    """Read, decode, validate and parse one file: everything before the database."""
    try:
        data = source.read()
    except (OSError, zipfile.BadZipFile, RuntimeError) as error:
        raise _Refused(f"cannot be read ({error})") from None
    return _Prepared(hashlib.sha256(data).hexdigest(), _parse(source, _decode(data)))


def _store(engine: Engine, source: _Source, prepared: _Prepared) -> FileReport:
    # Bulk writes go straight to the driver (COPY), so its own errors can arrive unwrapped.
    database_errors = (sa.exc.SQLAlchemyError, engine.dialect.loaded_dbapi.Error)
    try:
        with engine.begin() as connection:
            return _load_file(connection, source, prepared.data_sha256, prepared.parsed)
    except database_errors as error:
        cause = getattr(error, "orig", None) or error
        raise _Refused(f"the database refused the file, nothing was written ({cause.__class__.__name__}: {cause})") from None


def _prepared_ahead(sources: list[_Source]) -> Iterator[tuple[_Source, Callable[[], _Prepared]]]:
    """Each source with a call giving its prepared rows, the next file being prepared meanwhile.

    Parsing is Python work that holds the GIL; the database driver releases it while SQLite
    or PostgreSQL write, so one file is parsed while the one before it is being stored.
    At most two files are held in memory. A refusal surfaces when its file's turn comes.
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="police-uk-parse") as parser:
        upcoming = parser.submit(_prepare, sources[0]) if sources else None
        for index, source in enumerate(sources):
            current = upcoming
            upcoming = parser.submit(_prepare, sources[index + 1]) if index + 1 < len(sources) else None
            yield source, current.result


def _ordered(sources: list[_Source], errors: list[FileError]) -> list[_Source]:
    """Sources with a recognised header, crimes before the outcomes that update them."""
    usable = []
    for source in sources:
        try:
            source.kind, source.columns = _header(source.head())
        except _Refused as refused:
            errors.append(FileError(source.name, refused.reason, refused.line, refused.field))
            continue
        except (OSError, zipfile.BadZipFile, RuntimeError) as error:
            errors.append(FileError(source.name, f"cannot be read ({error})"))
            continue
        usable.append(source)
    return sorted(usable, key=lambda source: (_KIND_ORDER[source.kind], source.base_name, source.name))


_HEAD_BYTES = 65536


def _file_head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(_HEAD_BYTES)


def _member_head(archive: zipfile.ZipFile, name: str) -> bytes:
    with archive.open(name) as handle:
        return handle.read(_HEAD_BYTES)


def ingest_paths(
    engine: Engine, paths: list[Path], *, progress: bool = False, raise_on_error: bool = True
) -> IngestReport:
    """Load data.police.uk CSVs (files, month folders, directories or .zip archives).

    Every file that can be loaded is, each in its own transaction. When some file was refused,
    ``IngestError`` is raised after the others have loaded (its ``report`` says what did), unless
    ``raise_on_error`` is False, in which case the refusals are in ``report.errors``.
    """
    report = IngestReport()
    sources = _ordered(_expand(paths, report.errors), report.errors)
    with _progress_bar(progress, sum(source.size for source in sources)) as advance:
        for source, prepared in _prepared_ahead(sources):
            try:
                report.files.append(_store(engine, source, prepared()))
            except _Refused as refused:
                report.errors.append(FileError(source.name, refused.reason, refused.line, refused.field))
            advance(source)
    if report.errors and raise_on_error:
        raise IngestError(report)
    return report


class _progress_bar:
    """A Rich progress bar over bytes of input, or nothing."""

    def __init__(self, enabled: bool, total: int):
        self.enabled, self.total = enabled, total

    def __enter__(self) -> Callable[[_Source], None]:
        if not self.enabled:
            return lambda source: None
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("[bold]ingest[/] {task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()
        )
        self.progress.__enter__()
        task = self.progress.add_task("police.uk", total=self.total)

        def advance(source: _Source) -> None:
            self.progress.update(task, advance=source.size, description=source.base_name)

        return advance

    def __exit__(self, *exc_info) -> None:
        if self.enabled:
            self.progress.__exit__(*exc_info)


# ---------------------------------------------------------------------------------------- quarantine


@dataclass(frozen=True)
class QuarantinedRow:
    file_name: str
    line: int | None
    field: str | None
    reason: str
    raw: str | None
    created_at: datetime


def quarantined_rows(engine: Engine, *, limit: int | None = 100, file_name: str | None = None) -> list[QuarantinedRow]:
    """Rows refused by police.uk ingests, newest file first, in line order."""
    statement = (
        sa.select(quarantine.c.file_name, quarantine.c.line, quarantine.c.field, quarantine.c.reason, quarantine.c.raw, quarantine.c.created_at)
        .where(quarantine.c.source == SOURCE)
        .order_by(quarantine.c.run_id.desc(), quarantine.c.line)
    )
    if file_name is not None:
        statement = statement.where(quarantine.c.file_name == file_name)
    if limit is not None:
        statement = statement.limit(limit)
    with engine.connect() as connection:
        return [QuarantinedRow(*row) for row in connection.execute(statement)]


def quarantine_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(quarantine).where(quarantine.c.source == SOURCE)).scalar_one()
