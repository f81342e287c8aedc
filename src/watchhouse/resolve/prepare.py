"""Read person files through a mapping into one standardised table the model compares.

Every row that cannot be used is reported with its reason (``Issue``), never silently dropped:
rows without an id, with a repeated id, or with nothing that identifies a person are set
aside; unreadable values (a date of birth that is not a date) are cleared and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from watchhouse.resolve.mapping import TRANSFORMS, ColumnSpec, MappingError, PersonMapping
from watchhouse.resolve.names import family_name_columns, given_name_columns, split_full_name

UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
STREET_WORDS = {
    "st": "street", "rd": "road", "ave": "avenue", "av": "avenue", "ln": "lane", "dr": "drive",
    "cres": "crescent", "cl": "close", "ct": "court", "pl": "place", "sq": "square", "gdns": "gardens",
    "tce": "terrace", "terr": "terrace", "gr": "grove", "pk": "park", "hwy": "highway", "mt": "mount",
}
OLDEST_PLAUSIBLE_BIRTH = pd.Timestamp("1880-01-01")
class UnusableFileError(ValueError):
    """A file whose rows cannot be linked: linking it would pair people at random."""


@dataclass
class Issue:
    file: str
    row: int
    rec_id: str
    field: str
    value: str
    reason: str
    action: str  # "row set aside" or "value cleared"


@dataclass
class PreparedRecords:
    """The standardised records of one or more files and what was wrong with the input."""

    frame: pd.DataFrame
    identifiers: list[str]
    issues: list[Issue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def available(self) -> set[str]:
        """The person features with at least one value, which decide the model's comparisons."""
        present = {column for column in self.frame.columns if self.frame[column].notna().any()}
        return present


def _apply(values: pd.Series, spec: ColumnSpec | None) -> pd.Series:
    if spec is None or spec.transform is None:
        return values
    return TRANSFORMS[spec.transform](values.astype("string"))


def _blank_missing(frame: pd.DataFrame, missing: tuple[str, ...]) -> pd.DataFrame:
    missing_set = set(missing)
    out = {}
    for column in frame.columns:
        text = frame[column].astype("string").str.strip()
        out[column] = text.mask(text.str.lower().isin(missing_set) | text.isna(), pd.NA)
    return pd.DataFrame(out, index=frame.index)


def standard_postcode(values: pd.Series) -> pd.DataFrame:
    """UK postcodes become 'LS1 4AP' with sector/district/area; others stay as upper-case text."""
    compact = values.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    compact = compact.mask(compact == "", pd.NA)
    parts = compact.str.extract(UK_POSTCODE)
    is_uk = parts[0].notna()
    postcode = compact.copy()
    postcode[is_uk] = parts[0][is_uk] + " " + parts[1][is_uk]
    sector = (parts[0] + " " + parts[1].str.slice(0, 1)).where(is_uk)
    return pd.DataFrame(
        {
            "postcode": postcode,
            "postcode_sector": sector.astype("string"),
            "postcode_district": parts[0].where(is_uk).astype("string"),
            "postcode_area": parts[0].str.extract(r"^([A-Z]{1,2})")[0].where(is_uk).astype("string"),
        },
        index=values.index,
    )


def standard_address(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    joined = frame[list(columns)].fillna("").astype(str).agg(" ".join, axis=1)
    text = joined.str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    for short, full in STREET_WORDS.items():
        text = text.str.replace(rf"\b{short}\b", full, regex=True)
    address = text.mask(text == "", pd.NA).astype("string")
    return pd.DataFrame({"address": address}, index=frame.index)


def _parse_dates(values: pd.Series, date_format: str) -> pd.Series:
    parsed = pd.to_datetime(values, format=date_format, errors="coerce")
    # Two-digit years in the future belong to the previous century (a 2031 birth is 1931).
    if "%y" in date_format:
        future = parsed > pd.Timestamp.now()
        parsed = parsed.mask(future, parsed - pd.DateOffset(years=100))
    return parsed


def read_person_file(path: Path, mapping: PersonMapping) -> pd.DataFrame:
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, usecols=mapping.columns(), encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise MappingError(f"{path}: cannot be read as CSV: {error}") from None


def standardise(raw: pd.DataFrame, mapping: PersonMapping, *, file: str, source: int,
                issues: list[Issue]) -> pd.DataFrame:
    """Turn one file's mapped columns into the model's person features."""
    raw.columns = [c.strip() for c in raw.columns]
    values = _blank_missing(raw[mapping.columns()], mapping.missing_values)
    row_numbers = pd.Series(range(2, len(values) + 2), index=values.index)  # header is line 1
    rec_id = values[mapping.id_column]
    out = pd.DataFrame({"source": source, "rec_id": rec_id}, index=values.index)

    given = _apply(values[mapping.given_name.column], mapping.given_name) if mapping.given_name else None
    family = _apply(values[mapping.family_name.column], mapping.family_name) if mapping.family_name else None
    if mapping.full_name is not None:
        full_given, full_family = split_full_name(_apply(values[mapping.full_name.column], mapping.full_name))
        given = full_given if given is None else given.fillna(full_given)
        family = full_family if family is None else family.fillna(full_family)
    empty = pd.Series(pd.NA, index=values.index, dtype="string")
    given_cols = given_name_columns(given if given is not None else empty)
    family_cols = family_name_columns(family if family is not None else empty)
    out = out.join(given_cols.drop(columns="name_suffix_given")).join(family_cols.drop(columns="name_suffix_family"))
    out["name_suffix"] = given_cols["name_suffix_given"].fillna(family_cols["name_suffix_family"])

    out["dob"] = pd.Series(pd.NA, index=values.index, dtype="string")
    for part in ("dob_year", "dob_month", "dob_day"):
        out[part] = pd.Series(pd.NA, index=values.index, dtype="Int64")
    if mapping.date_of_birth is not None:
        raw_dob = _apply(values[mapping.date_of_birth.column], mapping.date_of_birth)
        parsed = _parse_dates(raw_dob, mapping.date_format)
        implausible = parsed.notna() & ((parsed > pd.Timestamp.now()) | (parsed < OLDEST_PLAUSIBLE_BIRTH))
        unreadable = raw_dob.notna() & parsed.isna()
        for index in raw_dob.index[unreadable | implausible]:
            reason = (
                f"not a date in format {mapping.date_format}" if unreadable[index]
                else "date of birth in the future or before 1880"
            )
            issues.append(Issue(file, int(row_numbers[index]), str(rec_id[index]), "date_of_birth",
                                str(raw_dob[index]), reason, "value cleared"))
        parsed = parsed.mask(implausible)
        out["dob"] = parsed.dt.strftime("%Y-%m-%d").astype("string")
        out["dob_year"] = parsed.dt.year.astype("Int64")
        out["dob_month"] = parsed.dt.month.astype("Int64")
        out["dob_day"] = parsed.dt.day.astype("Int64")

    if mapping.address:
        out = out.join(standard_address(values, mapping.address))
    else:
        out["address"] = pd.Series(pd.NA, index=values.index, dtype="string")
    for name in ("locality", "region", "sex"):
        spec = getattr(mapping, name)
        if spec is None:
            out[name] = pd.Series(pd.NA, index=values.index, dtype="string")
        else:
            text = _apply(values[spec.column], spec).str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
            out[name] = text.mask(text == "", pd.NA)
    if mapping.sex is not None:
        out["sex"] = out["sex"].str.slice(0, 1)
    if mapping.postcode is not None:
        out = out.join(standard_postcode(_apply(values[mapping.postcode.column], mapping.postcode)))
    else:
        for column in ("postcode", "postcode_sector", "postcode_district", "postcode_area"):
            out[column] = pd.Series(pd.NA, index=values.index, dtype="string")
    for name, spec in mapping.identifiers.items():
        cleaned = _apply(values[spec.column], spec).str.upper().str.replace(r"[^0-9A-Z]", "", regex=True)
        out[f"id_{name}"] = cleaned.mask(cleaned == "", pd.NA)

    return _set_aside_unusable_rows(out, mapping, file=file, rows=row_numbers, issues=issues)


def _set_aside_unusable_rows(out: pd.DataFrame, mapping: PersonMapping, *, file: str, rows: pd.Series,
                             issues: list[Issue]) -> pd.DataFrame:
    id_columns = [f"id_{name}" for name in mapping.identifiers]
    has_identifier = out[id_columns].notna().any(axis=1) if id_columns else pd.Series(False, index=out.index)
    has_name = out["given_name"].notna() | out["family_name"].notna()
    has_more = out[["dob", "address", "postcode"]].notna().any(axis=1)
    unidentifiable = ~(has_identifier | (has_name & has_more))
    repeated = out["rec_id"].duplicated(keep="first") & out["rec_id"].notna()
    no_id = out["rec_id"].isna()
    # Later checks win, so each row is reported under its most basic fault.
    checks = [
        (unidentifiable, "*", "nothing identifies the person: needs a name with a date of birth, "
                              "address or postcode, or an identifier"),
        (repeated, mapping.id_column, "repeats the id of an earlier row"),
        (no_id, mapping.id_column, "no record id"),
    ]
    fault: dict[int, tuple[str, str]] = {}
    for mask, field_name, reason in checks:
        for index in out.index[mask]:
            fault[index] = (field_name, reason)
    for index, (field_name, reason) in sorted(fault.items()):
        rec_id = out.at[index, "rec_id"]
        issues.append(Issue(file, int(rows[index]), "" if pd.isna(rec_id) else str(rec_id), field_name, "",
                            reason, "row set aside"))
    rejected = out.index.isin(list(fault))
    kept = out[~rejected]
    if len(out) and len(kept) < 0.5 * len(out):
        raise UnusableFileError(
            f"{file}: {len(out) - len(kept)} of {len(out)} rows have nothing that identifies a person "
            "(or no usable id); refusing to link it — check the mapping"
        )
    return kept


def prepare_records(paths: list[Path], mapping: PersonMapping) -> PreparedRecords:
    """Check every file's columns first, then read and standardise them all."""
    for path in paths:
        mapping.check_columns(path)
    issues: list[Issue] = []
    frames = [
        standardise(read_person_file(path, mapping), mapping, file=str(path), source=index, issues=issues)
        for index, path in enumerate(paths)
    ]
    return prepared_from_frames(frames, list(mapping.identifiers), issues, [str(p) for p in paths])


def prepared_from_frames(frames: list[pd.DataFrame], identifiers: list[str], issues: list[Issue],
                         files: list[str]) -> PreparedRecords:
    frame = pd.concat(frames, ignore_index=True)
    if frame.empty:
        raise UnusableFileError(f"{', '.join(files)}: no usable rows to link")
    frame.insert(0, "uid", pd.RangeIndex(len(frame), dtype="int64"))
    return PreparedRecords(frame=frame, identifiers=identifiers, issues=issues, files=files)


def prepare_frame(raw: pd.DataFrame, mapping: PersonMapping, *, name: str = "<records>") -> PreparedRecords:
    """The same standardisation for records already in memory (the Python API)."""
    missing = [column for column in mapping.columns() if column not in raw.columns]
    if missing:
        raise MappingError(f"{mapping.source}: {name} has no column(s) {', '.join(map(repr, missing))}")
    issues: list[Issue] = []
    raw = raw.astype(str).where(raw.notna(), "")
    frame = standardise(raw.reset_index(drop=True), mapping, file=name, source=0, issues=issues)
    return prepared_from_frames([frame], list(mapping.identifiers), issues, [name])
