"""A source system described as configuration: the YAML mapping and its validation.

A mapping says how one row of a CSV or JSON-lines export becomes POLE records::

    system: command-and-control          # lineage: the source system's slug
    format: csv                          # csv | jsonl
    csv: {delimiter: ",", encoding: utf-8-sig}
    marking: {column: MARKING, default: OFFICIAL}   # record-level marking per row
    code_tables:
      sex: {M: male, F: female}
    records:
      call:                              # a name for the record within the row
        kind: event                      # person | object | location | event | case
        id: "{CALL_REF}"                 # source record id: a template over columns
        fields:
          event_kind: {constant: call}
          reference: CALL_REF            # a bare column name
          reported_at: {column: CALL_TIME, transforms: [trim, {datetime: "%d/%m/%Y %H:%M"}]}
      caller:
        kind: person
        id: "{CALL_REF}-caller"
        when: CALLER_NAME                # produce only when this column is not blank
        fields:
          name: {column: CALLER_NAME, split_name: "SURNAME, Given"}
          address_lines: {columns: [ADDR1, ADDR2], transforms: [trim]}
          phone: {column: CALLER_TEL, transforms: [phone]}
        field_markings: {phone: OFFICIAL-SENSITIVE}
    links:
      - {from: caller, to: call, role: caller}
      - {from: call, to: {kind: event, system: crime-recording, id: "{CRIME_REF}"}, role: led-to, when: CRIME_REF}
    markers:
      - {person: caller, column: WARNINGS, split: ";"}

Everything is checked by :func:`load_mapping` before any file is opened; every problem found
is reported together, each naming where it is in the mapping.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

import yaml

from watchhouse.connectors.transforms import (
    NAME_STYLES,
    Transform,
    TransformSpecError,
    build_transform,
)
from watchhouse.domain import (
    RECORD_TYPES,
    DomainError,
    EntityKind,
    EventKind,
    LinkRole,
    Marking,
    MarkingError,
    ObjectKind,
    check_link,
    parse_marking,
)
from watchhouse.domain.pole import SourceRecord

FORMATS = ("csv", "jsonl")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")
_LINEAGE = {f.name for f in fields(SourceRecord)}


class MappingError(ValueError):
    """A mapping that cannot be used; ``problems`` lists every one found."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Template:
    """'{CALL_REF}-caller': literal text with column values substituted."""

    text: str

    @property
    def columns(self) -> list[str]:
        return _TEMPLATE_FIELD.findall(self.text)


@dataclass
class FieldSpec:
    target: str
    columns: list[str] = field(default_factory=list)
    constant: Any = None
    template: Template | None = None
    transforms: list[Transform] = field(default_factory=list)
    name_style: str | None = None  # target "name": split into given/middle/family names
    join: str | None = None  # several columns into one text value


@dataclass
class MarkingSpec:
    column: str | None = None
    default: Marking | None = None


@dataclass
class RecordSpec:
    name: str
    kind: EntityKind
    id: Template
    when: list[str]
    fields: list[FieldSpec]
    marking: MarkingSpec | None
    field_markings: dict[str, Marking]


@dataclass
class ExternalRef:
    """A record loaded from another file or system, named by a template over this row."""

    kind: EntityKind
    system: str
    id: Template


@dataclass
class LinkSpec:
    source: str | ExternalRef
    target: str | ExternalRef
    role: LinkRole | None  # a fixed role, or None when each row names its own
    when: list[str]
    role_column: str | None = None  # e.g. an involvement-type column, mapped by role_transforms
    role_transforms: list[Transform] = field(default_factory=list)


@dataclass
class MarkerSpec:
    person: str
    column: str
    split: str | None
    transforms: list[Transform]


@dataclass
class SourceMapping:
    system: str
    format: str
    delimiter: str
    encoding: str
    marking: MarkingSpec
    records: dict[str, RecordSpec]
    links: list[LinkSpec]
    markers: list[MarkerSpec]
    description: str = ""
    origin: str = ""

    def columns(self) -> set[str]:
        """Every column the mapping reads: each must exist in a file before it is loaded."""
        used: set[str] = set()
        if self.marking.column:
            used.add(self.marking.column)
        for record in self.records.values():
            used.update(record.id.columns, record.when)
            if record.marking and record.marking.column:
                used.add(record.marking.column)
            for spec in record.fields:
                used.update(spec.columns)
                if spec.template:
                    used.update(spec.template.columns)
        for link in self.links:
            used.update(link.when)
        if link.role_column:
            used.add(link.role_column)
            for end in (link.source, link.target):
                if isinstance(end, ExternalRef):
                    used.update(end.id.columns)
        used.update(m.column for m in self.markers)
        return used


def _field_kinds(record_type: type) -> dict[str, str]:
    """Field name -> 'date' | 'datetime' | 'float' | 'lines' | 'grading' | 'enum' | 'text'."""
    hints = typing.get_type_hints(record_type)
    kinds = {}
    for f in fields(record_type):
        if f.name in _LINEAGE or not f.init:
            continue
        hint = hints[f.name]
        args = set(typing.get_args(hint)) or {hint}
        if datetime in args:
            kinds[f.name] = "datetime"
        elif date in args:
            kinds[f.name] = "date"
        elif float in args:
            kinds[f.name] = "float"
        elif f.name == "address_lines":
            kinds[f.name] = "lines"
        elif f.name == "grading":
            kinds[f.name] = "grading"
        elif any(isinstance(a, type) and issubclass(a, Enum) for a in args):
            kinds[f.name] = "enum"
        else:
            kinds[f.name] = "text"
    return kinds


FIELD_KINDS: dict[EntityKind, dict[str, str]] = {kind: _field_kinds(t) for kind, t in RECORD_TYPES.items()}
REQUIRED_FIELDS = {EntityKind.EVENT: "event_kind", EntityKind.OBJECT: "object_kind"}
_ENUMS = {"event_kind": EventKind, "object_kind": ObjectKind}


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _transforms(raw: Any, where: str, code_tables: dict, problems: _Problems) -> list[Transform]:
    built = []
    for index, spec in enumerate(_as_list(raw)):
        try:
            built.append(build_transform(spec, code_tables))
        except TransformSpecError as error:
            problems.add(f"{where} transform {index + 1}", str(error))
    return built


def _marking_spec(raw: Any, where: str, problems: _Problems) -> MarkingSpec | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"constant": raw}
    if not isinstance(raw, dict) or not set(raw) <= {"column", "default", "constant"}:
        problems.add(where, "marking is a marking text or {column: COLUMN, default: MARKING}")
        return None
    spec = MarkingSpec(column=raw.get("column"))
    default = raw.get("constant", raw.get("default"))
    if default is not None:
        try:
            spec.default = parse_marking(default)
        except MarkingError as error:
            problems.add(where, str(error))
    return spec


def _field_spec(target: str, raw: Any, kind: EntityKind, where: str, code_tables: dict, problems: _Problems) -> FieldSpec | None:
    known = FIELD_KINDS[kind]
    if target not in known and not (target == "name" and kind is EntityKind.PERSON):
        extra = " (or 'name' with split_name)" if kind is EntityKind.PERSON else ""
        problems.add(where, f"unknown {kind.value} field {target!r} (known: {', '.join(known)}{extra})")
        return None
    if isinstance(raw, str):
        raw = {"column": raw}
    if not isinstance(raw, dict):
        problems.add(where, "a field is a column name or a mapping with column/columns/constant/template")
        return None
    allowed = {"column", "columns", "constant", "template", "transforms", "split_name", "join"}
    if unknown := set(raw) - allowed:
        problems.add(where, f"unknown keys {sorted(unknown)} (allowed: {', '.join(sorted(allowed))})")
    sources = [k for k in ("column", "columns", "constant", "template") if k in raw]
    if len(sources) != 1:
        problems.add(where, "give exactly one of column, columns, constant or template")
        return None
    spec = FieldSpec(target=target)
    if "column" in raw:
        spec.columns = [str(raw["column"])]
    elif "columns" in raw:
        spec.columns = [str(c) for c in _as_list(raw["columns"])]
        if not spec.columns:
            problems.add(where, "columns is empty")
        if known.get(target) != "lines":
            spec.join = str(raw.get("join", " "))
    elif "template" in raw:
        spec.template = Template(str(raw["template"]))
    else:
        spec.constant = raw["constant"]
    spec.transforms = _transforms(raw.get("transforms"), where, code_tables, problems)
    if target == "name":
        style = raw.get("split_name")
        if style not in NAME_STYLES:
            problems.add(where, f"'name' needs split_name, one of {', '.join(map(repr, NAME_STYLES))}; got {style!r}")
        spec.name_style = style
    elif "split_name" in raw:
        problems.add(where, "split_name only applies to the 'name' field")
    field_kind = known.get(target)
    names = {t.name for t in spec.transforms}
    if field_kind in ("date", "datetime") and spec.constant is None and not names & {"date", "datetime"}:
        problems.add(where, f"{target} is a {field_kind}: add a transform like {{{field_kind}: '%d/%m/%Y'}}")
    if target in _ENUMS and spec.constant is not None:
        try:
            _ENUMS[target](spec.constant)
        except ValueError:
            choices = ", ".join(e.value for e in _ENUMS[target])
            problems.add(where, f"{target} {spec.constant!r} is not one of {choices}")
    return spec


def _record_spec(name: str, raw: Any, code_tables: dict, problems: _Problems) -> RecordSpec | None:
    where = f"records.{name}"
    if not isinstance(raw, dict):
        problems.add(where, "a record is a mapping with kind, id and fields")
        return None
    try:
        kind = EntityKind(raw.get("kind"))
    except ValueError:
        problems.add(where, f"kind {raw.get('kind')!r} is not one of {', '.join(k.value for k in EntityKind)}")
        return None
    if not raw.get("id"):
        problems.add(where, "no id template (e.g. id: '{CALL_REF}')")
        return None
    raw_fields = raw.get("fields") or {}
    if not isinstance(raw_fields, dict) or not raw_fields:
        problems.add(where, "fields must map field names to columns")
        return None
    specs = [
        spec
        for target, value in raw_fields.items()
        if (spec := _field_spec(str(target), value, kind, f"{where}.fields.{target}", code_tables, problems))
    ]
    required = REQUIRED_FIELDS.get(kind)
    if required and required not in raw_fields:
        problems.add(where, f"a {kind.value} needs {required} (e.g. {required}: {{constant: ...}})")
    field_markings = {}
    for target, text in (raw.get("field_markings") or {}).items():
        if target not in FIELD_KINDS[kind] and target != "name":
            problems.add(f"{where}.field_markings.{target}", f"unknown {kind.value} field {target!r}")
            continue
        try:
            field_markings[str(target)] = parse_marking(text)
        except MarkingError as error:
            problems.add(f"{where}.field_markings.{target}", str(error))
    return RecordSpec(
        name=name,
        kind=kind,
        id=Template(str(raw["id"])),
        when=[str(c) for c in _as_list(raw.get("when"))],
        fields=specs,
        marking=_marking_spec(raw.get("marking"), f"{where}.marking", problems),
        field_markings=field_markings,
    )


def _link_end(raw: Any, records: dict[str, RecordSpec], where: str, problems: _Problems) -> str | ExternalRef | None:
    if isinstance(raw, str):
        if raw not in records:
            problems.add(where, f"no record named {raw!r} in this mapping (records: {', '.join(records)})")
            return None
        return raw
    if isinstance(raw, dict) and {"kind", "system", "id"} <= set(raw):
        try:
            return ExternalRef(EntityKind(raw["kind"]), str(raw["system"]), Template(str(raw["id"])))
        except ValueError:
            problems.add(where, f"kind {raw['kind']!r} is not a record kind")
            return None
    problems.add(where, "a link end is a record name, or {kind, system, id} for a record from another source")
    return None


def _kind_of(end: str | ExternalRef, records: dict[str, RecordSpec]) -> EntityKind:
    return end.kind if isinstance(end, ExternalRef) else records[end].kind


def parse_mapping(document: Any, origin: str = "mapping") -> SourceMapping:
    """Check a mapping document and build it; MappingError lists every problem found."""
    problems = _Problems()
    if not isinstance(document, dict):
        raise MappingError(origin, ["the mapping must be a YAML mapping with system, format and records"])
    allowed = {"system", "format", "csv", "marking", "code_tables", "records", "links", "markers", "description"}
    if unknown := set(document) - allowed:
        problems.add("top level", f"unknown keys {sorted(unknown)} (allowed: {', '.join(sorted(allowed))})")
    system = str(document.get("system") or "")
    if not re.fullmatch(r"[a-z0-9][a-z0-9\-_.]{0,99}", system):
        problems.add("system", f"{system!r} must be a lower-case slug like 'command-and-control'")
    fmt = document.get("format", "csv")
    if fmt not in FORMATS:
        problems.add("format", f"{fmt!r} is not one of {', '.join(FORMATS)}")
    csv_options = document.get("csv") or {}
    delimiter = str(csv_options.get("delimiter", ","))
    if len(delimiter) != 1:
        problems.add("csv.delimiter", f"{delimiter!r} must be one character")
    encoding = str(csv_options.get("encoding", "utf-8-sig"))
    try:
        "".encode(encoding)
    except LookupError:
        problems.add("csv.encoding", f"unknown encoding {encoding!r}")
    code_tables = document.get("code_tables") or {}
    if not isinstance(code_tables, dict) or not all(isinstance(t, dict) for t in code_tables.values()):
        problems.add("code_tables", "each code table maps source codes to values")
        code_tables = {}
    marking = _marking_spec(document.get("marking"), "marking", problems) or MarkingSpec()
    raw_records = document.get("records")
    if not isinstance(raw_records, dict) or not raw_records:
        problems.add("records", "no records: say which records a row produces")
        raw_records = {}
    records = {
        str(name): spec
        for name, raw in raw_records.items()
        if (spec := _record_spec(str(name), raw, code_tables, problems))
    }
    links = []
    for index, raw in enumerate(_as_list(document.get("links"))):
        where = f"links[{index}]"
        if not isinstance(raw, dict) or not {"from", "to", "role"} <= set(raw):
            problems.add(where, "a link needs from, to and role")
            continue
        source = _link_end(raw["from"], records, f"{where}.from", problems)
        target = _link_end(raw["to"], records, f"{where}.to", problems)
        if source is None or target is None:
            continue
        if isinstance(source, ExternalRef) and isinstance(target, ExternalRef):
            problems.add(where, "at least one end must be a record this row produces")
            continue
        when = [str(c) for c in _as_list(raw.get("when"))]
        if isinstance(raw["role"], dict):
            # The row says the role (an involvement-type column): checked row by row.
            if "column" not in raw["role"] or set(raw["role"]) - {"column", "transforms"}:
                problems.add(f"{where}.role", "a role from the data is {column: COLUMN, transforms: [...]}")
                continue
            transforms = _transforms(raw["role"].get("transforms"), f"{where}.role", code_tables, problems)
            links.append(LinkSpec(source, target, None, when, str(raw["role"]["column"]), transforms))
            continue
        try:
            role = check_link(_kind_of(source, records), _kind_of(target, records), raw["role"])
        except DomainError as error:
            problems.add(where, str(error))
            continue
        links.append(LinkSpec(source, target, role, when))
    markers = []
    for index, raw in enumerate(_as_list(document.get("markers"))):
        where = f"markers[{index}]"
        if not isinstance(raw, dict) or not {"person", "column"} <= set(raw):
            problems.add(where, "a marker needs person (a record name) and column")
            continue
        if raw["person"] not in records or records[raw["person"]].kind is not EntityKind.PERSON:
            problems.add(where, f"{raw['person']!r} is not a person record of this mapping")
            continue
        markers.append(
            MarkerSpec(str(raw["person"]), str(raw["column"]), raw.get("split"),
                       _transforms(raw.get("transforms"), where, code_tables, problems))
        )
    if problems.items:
        raise MappingError(origin, problems.items)
    return SourceMapping(
        system=system,
        format=fmt,
        delimiter=delimiter,
        encoding=encoding,
        marking=marking,
        records=records,
        links=links,
        markers=markers,
        description=str(document.get("description") or ""),
        origin=origin,
    )


def load_mapping(path: str | Path) -> SourceMapping:
    """Read and check a YAML mapping file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MappingError(str(path), [f"cannot read the mapping: {error.strerror or error}"]) from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MappingError(str(path), [f"not valid YAML: {error}"]) from None
    return parse_mapping(document, str(path))


MAPPINGS_DIR = Path(__file__).parent / "mappings"


def shipped_mappings() -> dict[str, Path]:
    """The mappings that ship with Watchhouse, by system name."""
    return {path.stem: path for path in sorted(MAPPINGS_DIR.glob("*.yaml"))}
