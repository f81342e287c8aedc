"""One source row through a mapping: the POLE records, links and warning markers it produces,
or every problem that stops it (the loader quarantines the row with them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from watchhouse.connectors.mapping import (
    FIELD_KINDS,
    ExternalRef,
    FieldSpec,
    RecordSpec,
    SourceMapping,
    Template,
)
from watchhouse.connectors.transforms import ValueProblem, split_name
from watchhouse.domain import (
    OFFICIAL,
    RECORD_TYPES,
    AnyRecord,
    DomainError,
    EventKind,
    GradingError,
    Link,
    Marking,
    MarkingError,
    ObjectKind,
    RecordRef,
    WarningMarker,
    check_link,
    parse_grading,
    parse_marking,
)

_NAME_PARTS = ("given_name", "middle_names", "family_name")


@dataclass
class RowProblem:
    field: str | None
    reason: str


@dataclass
class MappedRow:
    records: list[AnyRecord] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    markers: list[WarningMarker] = field(default_factory=list)
    external: set[RecordRef] = field(default_factory=set)  # must already be loaded


class RowRejected(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(p.reason for p in problems))
        self.problems = problems


def column_value(row: dict[str, Any], column: str) -> Any:
    """A column's value; 'a.b' reaches into nested JSON objects. Missing is None."""
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _fill(template: Template, row: dict[str, Any]) -> str:
    text = template.text
    for column in template.columns:
        value = column_value(row, column)
        text = text.replace("{" + column + "}", "" if _blank(value) else str(value).strip())
    return text.strip()


def _transformed(spec: FieldSpec, value: Any) -> Any:
    for transform in spec.transforms:
        value = transform(value)
    return value


def _typed(kind: str, value: Any) -> Any:
    if _blank(value):
        return None
    if kind == "datetime":
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day)
        raise ValueProblem(f"{value!r} is not a date and time (add a datetime transform)")
    if kind == "date":
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        raise ValueProblem(f"{value!r} is not a date (add a date transform)")
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueProblem(f"{value!r} is not a number") from None
    if kind == "grading":
        try:
            return parse_grading(str(value))
        except GradingError as error:
            raise ValueProblem(str(error)) from None
    if kind == "lines":
        return tuple(str(v).strip() for v in (value if isinstance(value, list | tuple) else [value]) if not _blank(v))
    if kind == "enum":
        return str(value).strip().lower()
    return str(value).strip()


def _field_values(spec: FieldSpec, record: RecordSpec, row: dict[str, Any]) -> dict[str, Any]:
    if spec.constant is not None:
        value = spec.constant
    elif spec.template is not None:
        value = _transformed(spec, _fill(spec.template, row)) or None
    elif len(spec.columns) == 1:
        value = _transformed(spec, column_value(row, spec.columns[0]))
    else:
        parts = [_transformed(spec, column_value(row, c)) for c in spec.columns]
        parts = [p for p in parts if not _blank(p)]
        value = parts if spec.join is None else (spec.join.join(str(p) for p in parts) or None)
    if spec.target == "name":
        if _blank(value):
            return {}
        return {k: v for k, v in split_name(value, spec.name_style).items() if v is not None}
    kind = FIELD_KINDS[record.kind][spec.target]
    typed = _typed(kind, value)
    if spec.target == "event_kind" and typed is not None and typed not in {e.value for e in EventKind}:
        raise ValueProblem(f"{typed!r} is not an event kind ({', '.join(e.value for e in EventKind)})")
    if spec.target == "object_kind" and typed is not None and typed not in {o.value for o in ObjectKind}:
        raise ValueProblem(f"{typed!r} is not an object kind ({', '.join(o.value for o in ObjectKind)})")
    return {spec.target: typed}


def _marking(mapping: SourceMapping, record: RecordSpec, row: dict[str, Any]) -> Marking:
    spec = record.marking or mapping.marking
    if spec.column:
        text = column_value(row, spec.column)
        if not _blank(text):
            return parse_marking(str(text))
        if spec.default is None:
            raise MarkingError(f"no marking in column {spec.column!r} and the mapping gives no default")
    return spec.default or OFFICIAL


def _columns_of(spec: FieldSpec) -> list[str]:
    return spec.columns + (spec.template.columns if spec.template else [])


def _record(mapping: SourceMapping, record: RecordSpec, row: dict[str, Any], problems: list[RowProblem]) -> AnyRecord | None:
    source_id = _fill(record.id, row)
    if not source_id:
        problems.append(RowProblem(f"{record.name}.id", f"the id template {record.id.text!r} gives nothing for this row"))
        return None
    values: dict[str, Any] = {}
    used_columns = set(record.id.columns) | set(record.when)
    field_markings: dict[str, Marking] = {}
    for spec in record.fields:
        columns = _columns_of(spec)
        used_columns.update(columns)
        try:
            values.update(_field_values(spec, record, row))
        except ValueProblem as error:
            where = f"{record.name}.{spec.target}" + (f" ({', '.join(columns)})" if columns else "")
            problems.append(RowProblem(where, str(error)))
        marking = record.field_markings.get(spec.target)
        if marking is not None:
            for name in _NAME_PARTS if spec.target == "name" else (spec.target,):
                field_markings[name] = marking
            for column in columns:
                field_markings[f"raw.{column}"] = marking
    try:
        marking = _marking(mapping, record, row)
    except MarkingError as error:
        problems.append(RowProblem(f"{record.name}.marking", str(error)))
        return None
    marking_column = (record.marking or mapping.marking).column
    if marking_column:
        used_columns.add(marking_column)
    raw = {c: column_value(row, c) for c in sorted(used_columns)}
    if problems:
        return None
    try:
        return RECORD_TYPES[record.kind](
            mapping.system, source_id, raw=raw, marking=marking, field_markings=field_markings, **values
        )
    except (DomainError, ValueError) as error:
        problems.append(RowProblem(record.name, str(error)))
        return None


def map_row(mapping: SourceMapping, row: dict[str, Any]) -> MappedRow:
    """The records, links and markers one row produces; RowRejected lists every problem."""
    problems: list[RowProblem] = []
    produced: dict[str, AnyRecord] = {}
    for name, spec in mapping.records.items():
        if any(_blank(column_value(row, c)) for c in spec.when):
            continue
        record_problems: list[RowProblem] = []
        record = _record(mapping, spec, row, record_problems)
        problems.extend(record_problems)
        if record is not None:
            produced[name] = record
    if problems:
        raise RowRejected(problems)
    if not produced:
        raise RowRejected([RowProblem(None, "the row produces no records (every record's 'when' column is blank)")])
    result = MappedRow(records=list(produced.values()))
    for link in mapping.links:
        if any(_blank(column_value(row, c)) for c in link.when):
            continue
        ends = []
        for end in (link.source, link.target):
            if isinstance(end, ExternalRef):
                source_id = _fill(end.id, row)
                ref = RecordRef(end.kind, end.system, source_id) if source_id else None
                if ref is not None:
                    result.external.add(ref)
            else:
                ref = produced[end].ref if end in produced else None
            ends.append(ref)
        if None in ends:
            continue
        role = link.role
        if role is None:
            value = column_value(row, link.role_column)
            try:
                for transform in link.role_transforms:
                    value = transform(value)
                if _blank(value):
                    raise ValueProblem("no role given")
                role = check_link(ends[0].kind, ends[1].kind, str(value).strip())
            except (ValueProblem, DomainError) as error:
                raise RowRejected([RowProblem(f"links.role ({link.role_column})", str(error))]) from None
        # A link is as sensitive as the more sensitive of the records it joins.
        marking = OFFICIAL
        for end in (link.source, link.target):
            if isinstance(end, str):
                marking = marking.at_least(produced[end].marking)
        result.links.append(Link(ends[0], ends[1], role, marking=marking))
    for spec in mapping.markers:
        person = produced.get(spec.person)
        value = column_value(row, spec.column)
        if person is None or _blank(value):
            continue
        if isinstance(value, list):  # a JSON array of markers
            values = [str(v) for v in value if not _blank(v)]
        else:
            values = str(value).split(spec.split) if spec.split else [str(value)]
        for code in values:
            try:
                for transform in spec.transforms:
                    code = transform(code)
            except ValueProblem as error:
                raise RowRejected([RowProblem(f"markers.{spec.column}", str(error))]) from None
            if not _blank(code):
                result.markers.append(WarningMarker(person.ref, str(code).strip(), marking=person.marking))
    return result
