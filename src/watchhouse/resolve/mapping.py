"""The person mapping: which columns of a file hold which person fields, and how to read them.

A mapping is checked in full — its own shape, then every file's header — before a single
row is read, so a wrong column name or date format fails in a second, naming the problem.

```yaml
id: rec_id
fields:
  given_name: given_name
  family_name: surname
  date_of_birth: {column: date_of_birth, format: "%Y%m%d"}
  address: [street_number, address_1, address_2]
  locality: suburb
  postcode: postcode
  region: state
  identifiers: {national_id: soc_sec_id}
```

Extensions: ``full_name`` (split into given and family names when those are not mapped),
``sex``, a ``transform`` on any single-column field (see ``TRANSFORMS``) and a top-level
``missing_values`` list of strings that mean "not known" (e.g. ``["N/K", "UNKNOWN"]``).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

# Value transforms as DuckDB SQL over the column ("{}"): preparation is one SQL query.
STRIP_SQL = r"regexp_replace({}, '^[\s\x0b\x{{a0}}]+|[\s\x0b\x{{a0}}]+$', '', 'g')"
TRANSFORMS = {
    "strip": STRIP_SQL,
    "upper": "upper({})",
    "lower": "lower({})",
    "digits": r"regexp_replace({}, '\D+', '', 'g')",
    "alphanumeric": "regexp_replace({}, '[^0-9A-Za-z]+', '', 'g')",
}
SINGLE_COLUMN_FIELDS = ("given_name", "family_name", "full_name", "locality", "postcode", "region", "sex")
KNOWN_FIELDS = (*SINGLE_COLUMN_FIELDS, "date_of_birth", "address", "identifiers")
NAME_FIELDS = ("given_name", "family_name", "full_name")
DATE_DIRECTIVES = set("dmyYbBjHMSfpaAIzZ%")
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
DEFAULT_MISSING_VALUES = ("", "null", "none", "n/a", "na", "n/k", "nk", "unknown", "not known", "-")


class MappingError(ValueError):
    """A mapping that cannot be used, with where and why."""


@dataclass(frozen=True)
class ColumnSpec:
    column: str
    transform: str | None = None


@dataclass(frozen=True)
class PersonMapping:
    id_column: str
    given_name: ColumnSpec | None = None
    family_name: ColumnSpec | None = None
    full_name: ColumnSpec | None = None
    date_of_birth: ColumnSpec | None = None
    date_format: str = DEFAULT_DATE_FORMAT
    address: tuple[str, ...] = ()
    locality: ColumnSpec | None = None
    postcode: ColumnSpec | None = None
    region: ColumnSpec | None = None
    sex: ColumnSpec | None = None
    identifiers: dict[str, ColumnSpec] = field(default_factory=dict)
    missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES
    source: str = "<mapping>"

    def columns(self) -> list[str]:
        """Every source column the mapping reads, id first."""
        specs = [
            self.given_name, self.family_name, self.full_name, self.date_of_birth,
            self.locality, self.postcode, self.region, self.sex, *self.identifiers.values(),
        ]
        names = [self.id_column, *(spec.column for spec in specs if spec), *self.address]
        return list(dict.fromkeys(names))

    @property
    def has_name(self) -> bool:
        return any(getattr(self, name) is not None for name in NAME_FIELDS)

    def check_columns(self, path: Path) -> None:
        """Fail, naming the columns, if the file at ``path`` lacks any mapped column."""
        header = read_header(path)
        missing = [column for column in self.columns() if column not in header]
        if missing:
            raise MappingError(
                f"{self.source}: {path} has no column(s) {', '.join(map(repr, missing))} "
                f"named in the mapping; its columns are {', '.join(header)}"
            )


def read_header(path: Path) -> list[str]:
    if not path.is_file():
        raise MappingError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        try:
            header = next(csv.reader(handle))
        except StopIteration:
            raise MappingError(f"{path}: the file is empty (no header row)") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise MappingError(f"{path}: cannot read the header row as CSV: {error}") from None
    return [column.strip() for column in header]


def check_date_format(date_format: Any, where: str) -> str:
    """A strptime format that round-trips a real date, or a MappingError."""
    if not isinstance(date_format, str) or not date_format.strip():
        raise MappingError(f"{where}: the date format must be a non-empty string, got {date_format!r}")
    directives = re.findall(r"%(.)", date_format)
    unknown = [d for d in directives if d not in DATE_DIRECTIVES]
    if unknown:
        raise MappingError(
            f"{where}: {date_format!r} uses unknown date directive(s) "
            f"{', '.join('%' + d for d in unknown)}; use strptime codes such as %Y %m %d %b"
        )
    if not {"Y", "y"} & set(directives) or not {"m", "b", "B", "j"} & set(directives):
        raise MappingError(f"{where}: {date_format!r} must contain a year (%Y or %y) and a month (%m, %b or %B)")
    sample = datetime(1987, 11, 23)
    try:
        parsed = datetime.strptime(sample.strftime(date_format), date_format)
    except ValueError as error:
        raise MappingError(f"{where}: {date_format!r} cannot read back a date it writes: {error}") from None
    if parsed.date() != sample.date() and "y" not in directives:
        raise MappingError(f"{where}: {date_format!r} does not identify a single calendar day")
    return date_format


def _column_spec(value: Any, where: str) -> ColumnSpec:
    if isinstance(value, str) and value.strip():
        return ColumnSpec(value.strip())
    if isinstance(value, dict):
        unknown = set(value) - {"column", "transform", "format"}
        if unknown:
            raise MappingError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; expected column, transform")
        column = value.get("column")
        if not isinstance(column, str) or not column.strip():
            raise MappingError(f"{where}: 'column' must name a column, got {column!r}")
        transform = value.get("transform")
        if transform is not None and transform not in TRANSFORMS:
            raise MappingError(
                f"{where}: unknown transform {transform!r}; known transforms are {', '.join(TRANSFORMS)}"
            )
        return ColumnSpec(column.strip(), transform)
    raise MappingError(f"{where}: expected a column name or {{column: ..., transform: ...}}, got {value!r}")


def parse_mapping(document: Any, source: str = "<mapping>") -> PersonMapping:
    if not isinstance(document, dict):
        raise MappingError(f"{source}: a mapping must be a YAML dictionary with 'id' and 'fields'")
    unknown_top = set(document) - {"id", "fields", "missing_values"}
    if unknown_top:
        raise MappingError(f"{source}: unknown top-level key(s) {', '.join(sorted(map(str, unknown_top)))}")
    id_column = document.get("id")
    if not isinstance(id_column, str) or not id_column.strip():
        raise MappingError(f"{source}: 'id' must name the record id column, got {id_column!r}")
    fields = document.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise MappingError(f"{source}: 'fields' must map person fields to columns")
    unknown = set(fields) - set(KNOWN_FIELDS)
    if unknown:
        raise MappingError(
            f"{source}: fields.{sorted(map(str, unknown))[0]} is not a person field; "
            f"known fields are {', '.join(KNOWN_FIELDS)}"
        )
    specs: dict[str, Any] = {}
    for name in SINGLE_COLUMN_FIELDS:
        if fields.get(name) is not None:
            specs[name] = _column_spec(fields[name], f"{source}: fields.{name}")

    date_format = DEFAULT_DATE_FORMAT
    dob = fields.get("date_of_birth")
    if dob is not None:
        specs["date_of_birth"] = _column_spec(
            {k: v for k, v in dob.items() if k != "format"} if isinstance(dob, dict) else dob,
            f"{source}: fields.date_of_birth",
        )
        if isinstance(dob, dict) and "format" in dob:
            date_format = check_date_format(dob["format"], f"{source}: fields.date_of_birth.format")

    address = fields.get("address")
    address_columns: tuple[str, ...] = ()
    if address is not None:
        items = [address] if isinstance(address, str) else address
        if not isinstance(items, list) or not items or not all(isinstance(c, str) and c.strip() for c in items):
            raise MappingError(f"{source}: fields.address must be a column name or a list of column names")
        address_columns = tuple(c.strip() for c in items)

    identifiers: dict[str, ColumnSpec] = {}
    raw_identifiers = fields.get("identifiers")
    if raw_identifiers is not None:
        if not isinstance(raw_identifiers, dict) or not raw_identifiers:
            raise MappingError(f"{source}: fields.identifiers must map identifier names to columns")
        for name, value in raw_identifiers.items():
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", str(name)):
                raise MappingError(f"{source}: fields.identifiers.{name}: names must be letters, digits and _")
            identifiers[str(name).lower()] = _column_spec(value, f"{source}: fields.identifiers.{name}")

    missing_values = document.get("missing_values", [])
    if not isinstance(missing_values, list) or not all(isinstance(v, str) for v in missing_values):
        raise MappingError(f"{source}: missing_values must be a list of strings")

    mapping = PersonMapping(
        id_column=id_column.strip(),
        date_format=date_format,
        address=address_columns,
        identifiers=identifiers,
        missing_values=tuple(dict.fromkeys([*DEFAULT_MISSING_VALUES, *(v.strip().lower() for v in missing_values)])),
        source=source,
        **specs,
    )
    if not mapping.has_name and not mapping.identifiers:
        raise MappingError(
            f"{source}: the mapping gives no identifying field — map given_name/family_name "
            "(or full_name) or an identifier; addresses alone cannot tell people apart"
        )
    return mapping


def load_mapping(path: str | Path) -> PersonMapping:
    path = Path(path)
    if not path.is_file():
        raise MappingError(f"{path}: no such mapping file")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise MappingError(f"{path}: not valid YAML: {error}") from None
    return parse_mapping(document, str(path))
