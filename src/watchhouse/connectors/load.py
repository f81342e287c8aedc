"""Loading source files through a mapping, with the foundation's guarantees.

* The mapping is checked before any file is opened (``load_mapping``), and each file's columns
  before any of its rows is read: a missing column refuses the file, naming the column.
* Every row is validated; a bad row goes to quarantine with file, line, field and reason and
  the rest of the file loads.
* A file loads atomically: its records, links, markers, quarantined rows and run log are
  written in one transaction, so a failure part-way leaves nothing of it.
* Loading is idempotent: records are keyed on (source system, source record id) and links on
  their ends and role, so re-running a file creates no duplicates; re-running an identical
  file replaces its quarantine entries rather than adding to them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from watchhouse.connectors.mapping import SourceMapping
from watchhouse.connectors.rows import MappedRow, RowProblem, RowRejected, column_value, map_row
from watchhouse.connectors.tables import connector_quarantine, connector_runs
from watchhouse.records import UpsertResult, resolve_refs, upsert_records
from watchhouse import audit
from watchhouse.domain import EntityKind
from watchhouse.records.store import within_transaction

BATCH_ROWS = 1000
RAW_LIMIT = 2000


class FileRefused(Exception):
    """A whole file cannot be loaded (missing columns, unreadable, wrong format); nothing was written."""

    def __init__(self, file_name: str, reason: str) -> None:
        super().__init__(f"{file_name}: {reason}")
        self.file_name = file_name
        self.reason = reason


@dataclass
class FileLoadReport:
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    links_added: int = 0
    run_id: int | None = None


@dataclass
class LoadReport:
    files: list[FileLoadReport] = field(default_factory=list)
    errors: list[FileRefused] = field(default_factory=list)

    @property
    def total(self) -> FileLoadReport:
        total = FileLoadReport("total")
        for report in self.files:
            for name in ("rows_read", "rows_loaded", "rows_quarantined", "inserted", "updated", "unchanged", "links_added"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        return total


@dataclass
class _SourceRow:
    line: int
    values: dict[str, Any] | None  # None when the row could not even be read
    raw: str
    problem: str | None = None


# ------------------------------------------------------------------------------------ reading


def _csv_rows(mapping: SourceMapping, path: Path) -> tuple[list[str], Iterator[_SourceRow]]:
    handle = path.open(newline="", encoding=mapping.encoding)
    reader = csv.reader(handle, delimiter=mapping.delimiter)
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        raise FileRefused(str(path), "the file is empty (no header row)") from None
    header = [h.strip() for h in header]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        handle.close()
        raise FileRefused(str(path), f"the header repeats column(s) {', '.join(duplicates)}")

    def rows() -> Iterator[_SourceRow]:
        with handle:
            line = reader.line_num + 1
            for fields in reader:
                start, line = line, reader.line_num + 1
                if not fields or not any(f.strip() for f in fields):
                    continue
                buffer = io.StringIO()
                csv.writer(buffer, delimiter=mapping.delimiter, lineterminator="").writerow(fields)
                if len(fields) != len(header):
                    yield _SourceRow(start, None, buffer.getvalue(),
                                     f"the row has {len(fields)} fields but the header has {len(header)}")
                    continue
                yield _SourceRow(start, dict(zip(header, fields, strict=True)), buffer.getvalue())

    return header, rows()


def _json_keys(value: dict[str, Any], prefix: str = "") -> Iterator[str]:
    for key, inner in value.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(inner, dict):
            yield from _json_keys(inner, path + ".")


def _jsonl_rows(mapping: SourceMapping, path: Path) -> tuple[list[str], Iterator[_SourceRow]]:
    keys: set[str] = set()
    with path.open(encoding=mapping.encoding) as handle:
        for text in handle:
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                keys.update(_json_keys(value))

    def rows() -> Iterator[_SourceRow]:
        with path.open(encoding=mapping.encoding) as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as error:
                    yield _SourceRow(number, None, text.rstrip("\n"), f"not valid JSON: {error.msg} at column {error.colno}")
                    continue
                if not isinstance(value, dict):
                    yield _SourceRow(number, None, text.rstrip("\n"), "a line must hold one JSON object")
                    continue
                yield _SourceRow(number, value, text.rstrip("\n"))

    return sorted(keys), rows()


def open_rows(mapping: SourceMapping, path: Path) -> Iterator[_SourceRow]:
    """The rows of a file, after checking it has every column the mapping reads."""
    if not path.is_file():
        raise FileRefused(str(path), "no such file")
    try:
        columns, rows = (_csv_rows if mapping.format == "csv" else _jsonl_rows)(mapping, path)
    except UnicodeDecodeError as error:
        raise FileRefused(str(path), f"not readable as {mapping.encoding}: {error.reason}") from None
    missing = sorted(mapping.columns() - set(columns))
    if missing:
        raise FileRefused(
            str(path),
            f"missing column(s) {', '.join(missing)} that mapping {mapping.system!r} reads"
            + (f" (the file has: {', '.join(columns[:30])})" if columns else " (the file has no columns)"),
        )
    return rows


def _count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ------------------------------------------------------------------------------------ loading


def _index_people(connection: Connection, result: UpsertResult) -> None:
    """The person records just written are searchable, and found by arriving records, in the
    same transaction, not after the next ``watchhouse link``."""
    from watchhouse.search import reindex_people

    if result.inserted or result.updated:  # a batch loaded before, unchanged, is indexed already
        people = [row_id for ref, row_id in result.ids.items() if ref.kind is EntityKind.PERSON]
        if people:
            reindex_people(connection, people)


@dataclass
class _Quarantined:
    line: int
    field: str | None
    reason: str
    raw: str


def _flush(connection: Connection, batch: list[tuple[_SourceRow, MappedRow]], report: FileLoadReport,
           quarantined: list[_Quarantined]) -> None:
    produced = {record.ref for _, mapped in batch for record in mapped.records}
    external = {ref for _, mapped in batch for ref in mapped.external} - produced
    found = resolve_refs(connection, external, {}) if external else {}
    records, links, markers = [], [], []
    for row, mapped in batch:
        missing = sorted((ref for ref in mapped.external if ref not in found and ref not in produced), key=str)
        if missing:
            ref = missing[0]
            quarantined.append(_Quarantined(row.line, "links", f"links to {ref.kind.value} "
                                            f"{ref.source_system}/{ref.source_record_id}, which is not loaded", row.raw))
            continue
        records.extend(mapped.records)
        links.extend(mapped.links)
        markers.extend(mapped.markers)
        report.rows_loaded += 1
    result = upsert_records(connection, records, links, markers)
    _index_people(connection, result)
    report.inserted += result.inserted
    report.updated += result.updated
    report.unchanged += result.unchanged
    report.links_added += result.links_added


def _load(connection: Connection, mapping: SourceMapping, path: Path, rows: Iterable[_SourceRow],
          advance: Callable[[int], None]) -> FileLoadReport:
    now = datetime.now(UTC)
    digest = _sha256(path)
    report = FileLoadReport(str(path))
    report.run_id = connection.execute(
        connector_runs.insert().values(system=mapping.system, mapping=mapping.origin, file_name=str(path),
                                       file_sha256=digest, started_at=now)
    ).inserted_primary_key[0]
    earlier = sa.select(connector_runs.c.id).where(
        connector_runs.c.system == mapping.system, connector_runs.c.file_sha256 == digest,
        connector_runs.c.id != report.run_id,
    )
    connection.execute(connector_quarantine.delete().where(connector_quarantine.c.run_id.in_(earlier)))
    quarantined: list[_Quarantined] = []
    batch: list[tuple[_SourceRow, MappedRow]] = []
    for row in rows:
        report.rows_read += 1
        if row.values is None:
            quarantined.append(_Quarantined(row.line, None, row.problem or "unreadable row", row.raw))
        else:
            try:
                batch.append((row, map_row(mapping, row.values)))
            except RowRejected as rejected:
                quarantined.extend(_Quarantined(row.line, p.field, p.reason, row.raw) for p in rejected.problems)
        if len(batch) >= BATCH_ROWS:
            _flush(connection, batch, report, quarantined)
            advance(len(batch))
            batch = []
    if batch:
        _flush(connection, batch, report, quarantined)
        advance(len(batch))
    report.rows_quarantined = len({q.line for q in quarantined})
    for start in range(0, len(quarantined), 1000):
        connection.execute(
            connector_quarantine.insert(),
            [
                {"run_id": report.run_id, "system": mapping.system, "file_name": str(path), "line": q.line,
                 "field": q.field, "reason": q.reason, "raw": q.raw[:RAW_LIMIT], "created_at": now}
                for q in quarantined[start : start + 1000]
            ],
        )
    connection.execute(
        connector_runs.update().where(connector_runs.c.id == report.run_id).values(
            rows_read=report.rows_read, rows_loaded=report.rows_loaded, rows_quarantined=report.rows_quarantined,
            records_inserted=report.inserted, records_updated=report.updated, records_unchanged=report.unchanged,
            links_added=report.links_added, finished_at=datetime.now(UTC),
        )
    )
    # Collection and alteration of personal data are logged (DPA 2018 s.62), in the load's transaction.
    audit.record(connection, actor="loader", action="collection", client="cli",
                 purpose=f"load {mapping.system} export",
                 detail={"system": mapping.system, "file": path.name, "inserted": report.inserted,
                         "updated": report.updated, "quarantined": report.rows_quarantined})
    return report


def load_file(engine: Engine, mapping: SourceMapping, path: str | Path,
              advance: Callable[[int], None] = lambda n: None) -> FileLoadReport:
    """Load one file in one transaction; FileRefused (nothing written) when it cannot be loaded."""
    path = Path(path)
    rows = open_rows(mapping, path)
    try:
        with engine.begin() as connection:
            return _load(connection, mapping, path, rows, advance)
    except UnicodeDecodeError as error:
        raise FileRefused(str(path), f"not readable as {mapping.encoding}: {error.reason}") from None


def load_row(bind: Engine | Connection, mapping: SourceMapping, row: dict[str, Any]) -> UpsertResult:
    """One record arriving on its own (e.g. through the API), mapped exactly as a file row is.
    RowRejected lists every problem; nothing is written then. Returns the upsert result, whose
    ``ids`` name the records written."""
    if not isinstance(row, dict) or all(column_value(row, c) is None for c in mapping.columns()):
        raise RowRejected([RowProblem(None, f"the row has none of the columns mapping {mapping.system!r} reads")])
    mapped = map_row(mapping, row)
    with within_transaction(bind) as connection:
        produced = {record.ref for record in mapped.records}
        external = mapped.external - produced
        found = resolve_refs(connection, external, {}) if external else {}
        if unknown := sorted((ref for ref in external if ref not in found), key=str):
            ref = unknown[0]
            raise RowRejected([RowProblem("links", f"links to {ref.kind.value} {ref.source_system}/"
                                                   f"{ref.source_record_id}, which is not loaded")])
        result = upsert_records(connection, mapped.records, mapped.links, mapped.markers)
        _index_people(connection, result)
        audit.record(connection, actor="loader", action="collection", client="api",
                     purpose=f"one {mapping.system} record",
                     record_ids=[f"{ref.kind.value}-record:{row_id}" for ref, row_id in result.ids.items()],
                     detail={"system": mapping.system, "inserted": result.inserted, "updated": result.updated})
        return result


def load_files(engine: Engine, mapping: SourceMapping, paths: Sequence[str | Path], *, progress: bool = True) -> LoadReport:
    """Load several files, each atomically; a refused file is reported and the others still load."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    report = LoadReport()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  disable=not progress, transient=False) as bar:
        for path in map(Path, paths):
            header_lines = 1 if mapping.format == "csv" else 0
            total = max(_count_rows(path) - header_lines, 1) if path.is_file() else 1
            task = bar.add_task(f"{mapping.system}: {path.name}", total=total)
            try:
                report.files.append(load_file(engine, mapping, path, lambda n, t=task: bar.advance(t, n)))
            except FileRefused as refused:
                report.errors.append(refused)
            bar.update(task, completed=bar.tasks[task].total)
    return report


@dataclass
class QuarantinedRow:
    system: str
    file_name: str
    line: int | None
    field: str | None
    reason: str
    raw: str | None


def quarantined_rows(engine: Engine, *, system: str | None = None, file_name: str | None = None,
                     limit: int | None = 100) -> list[QuarantinedRow]:
    """Rows connectors refused, newest run first, in file order."""
    q = connector_quarantine
    statement = sa.select(q.c.system, q.c.file_name, q.c.line, q.c.field, q.c.reason, q.c.raw).order_by(
        q.c.run_id.desc(), q.c.line, q.c.id
    )
    if system:
        statement = statement.where(q.c.system == system)
    if file_name:
        statement = statement.where(q.c.file_name == file_name)
    if limit:
        statement = statement.limit(limit)
    with engine.connect() as connection:
        return [QuarantinedRow(*row) for row in connection.execute(statement)]


def quarantine_counts(engine: Engine) -> dict[str, int]:
    """Quarantined rows per source system (distinct lines of each system's latest file runs)."""
    q = connector_quarantine
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(q.c.system, sa.func.count(sa.distinct(q.c.file_name + ":" + sa.cast(q.c.line, sa.String))))
            .group_by(q.c.system)
        )
        return {system: count for system, count in rows}

