"""Read person files through a mapping into one standardised table the model compares.

Every row that cannot be used is reported with its reason (``Issue``), never silently dropped:
rows without an id, with a repeated id, or with nothing that identifies a person are set
aside; unreadable values (a date of birth that is not a date) are cleared and reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from watchhouse.resolve.mapping import TRANSFORMS, STRIP_SQL, ColumnSpec, MappingError, PersonMapping
from watchhouse.resolve.names import connection, given_keys_join, name_stages, split_full_name_sql, words_sql

UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
STREET_WORDS = {
    "st": "street", "rd": "road", "ave": "avenue", "av": "avenue", "ln": "lane", "dr": "drive",
    "cres": "crescent", "cl": "close", "ct": "court", "pl": "place", "sq": "square", "gdns": "gardens",
    "tce": "terrace", "terr": "terrace", "gr": "grove", "pk": "park", "hwy": "highway", "mt": "mount",
}
OLDEST_PLAUSIBLE_BIRTH = pd.Timestamp("1880-01-01")
# Text fields blocking rules join on also get an integer key ``k_<field>``: a million records
# make tens of millions of joined rows, and comparing integers there is far cheaper than text.
# (``k_dob`` is the date as yyyymmdd.)
KEYED_COLUMNS = ("given_name", "given_key", "family_name", "given_initial", "family_initial", "postcode",
                 "postcode_area", "address", "locality")


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


def _apply(expr: str, spec: ColumnSpec | None) -> str:
    if spec is None or spec.transform is None:
        return expr
    return TRANSFORMS[spec.transform].format(expr)


def _street_words_sql(expr: str) -> str:
    cases = " ".join(f"WHEN '{short}' THEN '{full}'" for short, full in STREET_WORDS.items())
    return (f"nullif(array_to_string(list_transform(string_split({expr}, ' '), "
            f"lambda t: CASE t {cases} ELSE t END), ' '), '')")


def _postcode_sql(expr: str) -> list[str]:
    """UK postcodes become 'LS1 4AP' with sector/district/area; others stay as upper-case text."""
    compact = f"nullif(regexp_replace(upper({expr}), '[^A-Z0-9]', '', 'g'), '')"
    outward = f"regexp_extract({compact}, '{UK_POSTCODE.pattern}', 1)"
    inward = f"regexp_extract({compact}, '{UK_POSTCODE.pattern}', 2)"
    return [f"{compact} AS wh_pc", f"{outward} AS wh_out", f"{inward} AS wh_in"]


POSTCODE_COLUMNS = [
    "CASE WHEN wh_out <> '' THEN wh_out || ' ' || wh_in ELSE wh_pc END AS postcode",
    "CASE WHEN wh_out <> '' THEN wh_out || ' ' || left(wh_in, 1) END AS postcode_sector",
    "CASE WHEN wh_out <> '' THEN wh_out END AS postcode_district",
    "CASE WHEN wh_out <> '' THEN regexp_extract(wh_out, '^([A-Z]{1,2})', 1) END AS postcode_area",
]


def _run(query: str, frame: pd.DataFrame, parameters: dict | None = None) -> pd.DataFrame:
    con = connection()
    con.register("wh_input", frame)
    try:
        return con.execute(query, parameters or {}).df()
    finally:
        con.unregister("wh_input")


def standard_postcode(values: pd.Series) -> pd.DataFrame:
    """UK postcodes become 'LS1 4AP' with sector/district/area; others stay as upper-case text."""
    frame = pd.DataFrame({"wh_row": range(len(values)),
                          "pc": values.astype("string").to_numpy(dtype=object, na_value=None)})
    query = (f"SELECT {', '.join(POSTCODE_COLUMNS)} FROM (SELECT wh_row, {', '.join(_postcode_sql('pc'))} "
             "FROM wh_input) ORDER BY wh_row")
    out = _run(query, frame).astype("string")
    out.index = values.index
    return out


def _parse_dates(values: pd.Series, date_format: str) -> pd.Series:
    # A million records hold a few tens of thousands of distinct dates: parse each once.
    codes, uniques = pd.factorize(values)
    parsed_uniques = pd.to_datetime(pd.Series(uniques, dtype=object), format=date_format, errors="coerce")
    # Code -1 (no value) takes the NaT appended last.
    table = np.append(parsed_uniques.to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))
    parsed = pd.Series(table.take(codes), index=values.index)
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


def _standardise_sql(mapping: PersonMapping, column: dict[str, str]) -> str:
    """One query from the raw mapped columns (c0, c1, ...) to the person features, in input order.

    Each stage selects from the one before, so no expression is computed twice.
    """
    def spec_sql(spec: ColumnSpec | None) -> str | None:
        return None if spec is None else _apply(column[spec.column], spec)

    raw = sorted(set(column.values()))
    stripped = ", ".join(f"{STRIP_SQL.format(c)} AS {c}" for c in raw)
    blanked = ", ".join(f"CASE WHEN list_contains($missing, lower({c})) THEN NULL ELSE {c} END AS {c}" for c in raw)
    given, family = spec_sql(mapping.given_name), spec_sql(mapping.family_name)
    if mapping.full_name is not None:
        full_given, full_family = split_full_name_sql(spec_sql(mapping.full_name))
        given = full_given if given is None else f"coalesce({given}, {full_given})"
        family = full_family if family is None else f"coalesce({family}, {full_family})"

    fields = [f"{column[mapping.id_column]} AS rec_id",
              f"{given or 'NULL::VARCHAR'} AS wh_given", f"{family or 'NULL::VARCHAR'} AS wh_family",
              f"{spec_sql(mapping.date_of_birth) or 'NULL::VARCHAR'} AS wh_dob_raw"]
    if mapping.address:
        joined = "concat_ws(' ', " + ", ".join(f"coalesce({column[c]}, '')" for c in mapping.address) + ")"
        fields.append(f"{_street_words_sql(words_sql(joined))} AS address")
    else:
        fields.append("NULL::VARCHAR AS address")
    for name in ("locality", "region", "sex"):
        value = spec_sql(getattr(mapping, name))
        fields.append(f"{words_sql(value) if value else 'NULL::VARCHAR'} AS {name}")
    postcode = spec_sql(mapping.postcode)
    fields += _postcode_sql(postcode) if postcode else ["NULL::VARCHAR AS wh_pc", "'' AS wh_out", "'' AS wh_in"]
    for name, spec in mapping.identifiers.items():
        fields.append(f"nullif(regexp_replace(upper({spec_sql(spec)}), '[^0-9A-Z]', '', 'g'), '') AS id_{name}")

    query = f"SELECT wh_row, {stripped} FROM wh_input"
    query = f"SELECT wh_row, {blanked} FROM ({query})"
    query = f"SELECT wh_row, {', '.join(fields)} FROM ({query})"
    for stage in name_stages("wh_given", "wh_family"):
        query = f"SELECT *, {stage} FROM ({query})"
    keys_select, keys_join = given_keys_join("nick")
    identifiers = "".join(f", id_{name}" for name in mapping.identifiers)
    query = (
        f"SELECT wh_row, rec_id, given_name, {keys_select}, given_middle, given_initial, family_name, family_initial, "
        "family_first, family_last, coalesce(name_suffix_given, name_suffix_family) AS name_suffix, wh_dob_raw, "
        f"address, locality, region, left(sex, 1) AS sex, {', '.join(POSTCODE_COLUMNS)}{identifiers} "
        f"FROM ({query}) AS q {keys_join}"
    )
    keyed = [*KEYED_COLUMNS, *(f"id_{name}" for name in mapping.identifiers)]
    # 63 bits of DuckDB's hash as BIGINT (NULL stays NULL: a missing value never blocks two records together).
    keys = ", ".join(f"CASE WHEN {c} IS NOT NULL THEN (hash({c}) >> 1)::BIGINT END AS k_{c}" for c in keyed)
    return f"SELECT * EXCLUDE (wh_row), {keys} FROM ({query}) ORDER BY wh_row"


def standardise(raw: pd.DataFrame, mapping: PersonMapping, *, file: str, source: int,
                issues: list[Issue]) -> pd.DataFrame:
    """Turn one file's mapped columns into the model's person features."""
    raw.columns = [c.strip() for c in raw.columns]
    names = mapping.columns()
    column = {name: f"c{index}" for index, name in enumerate(names)}
    data = pd.DataFrame({"wh_row": np.arange(len(raw), dtype=np.int64)})
    for name in names:
        values = raw[name]
        if values.dtype != object or values.isna().any():  # DuckDB reads plain str objects fastest
            values = values.astype("string").to_numpy(dtype=object, na_value=None)
        data[column[name]] = np.asarray(values, dtype=object)
    std = _run(_standardise_sql(mapping, column), data, {"missing": list(mapping.missing_values)})

    row_numbers = np.arange(2, len(std) + 2)  # header is line 1
    text_columns = [c for c in std.columns if c != "wh_dob_raw" and not c.startswith("k_")]
    std[text_columns] = std[text_columns].astype("string")
    raw_dob = std.pop("wh_dob_raw")
    dob = pd.Series(pd.NA, index=std.index, dtype="string")
    parts = {part: pd.Series(pd.NA, index=std.index, dtype="Int64") for part in ("dob_year", "dob_month", "dob_day")}
    if mapping.date_of_birth is not None:
        parsed = _parse_dates(raw_dob, mapping.date_format)
        implausible = parsed.notna() & ((parsed > pd.Timestamp.now()) | (parsed < OLDEST_PLAUSIBLE_BIRTH))
        unreadable = raw_dob.notna() & parsed.isna()
        for index in np.flatnonzero((unreadable | implausible).to_numpy()):
            reason = (
                f"not a date in format {mapping.date_format}" if unreadable.iat[index]
                else "date of birth in the future or before 1880"
            )
            issues.append(Issue(file, int(row_numbers[index]), str(std["rec_id"].iat[index]), "date_of_birth",
                                str(raw_dob.iat[index]), reason, "value cleared"))
        parsed = parsed.mask(implausible)
        known = parsed.notna().to_numpy()
        days = parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
        dob = pd.Series(pd.array(np.where(known, days.astype(str), None), dtype="string"), index=std.index)
        parts = {"dob_year": parsed.dt.year.astype("Int64"), "dob_month": parsed.dt.month.astype("Int64"),
                 "dob_day": parsed.dt.day.astype("Int64")}

    std["k_dob"] = parts["dob_year"] * 10000 + parts["dob_month"] * 100 + parts["dob_day"]
    keys = [c for c in std.columns if c.startswith("k_")]
    std[keys] = std[keys].astype("Int64")
    at = std.columns.get_loc("name_suffix") + 1
    out = pd.concat([std.iloc[:, :at], pd.DataFrame({"dob": dob, **parts}), std.iloc[:, at:]], axis=1)
    out.insert(0, "source", np.int64(source))
    return _set_aside_unusable_rows(out, mapping, file=file, rows=pd.Series(row_numbers, index=out.index),
                                    issues=issues)


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
