"""Reading records for a viewer: the single view of a person and what hangs off it.

Every function takes a :class:`watchhouse.access.Viewer`; records above the viewer are left
out without trace (no counts, no placeholders), fields above the viewer inside a visible record
are withheld and named. A master person none of whose records the viewer may see is "not
found" (None), exactly like one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from watchhouse.access import Viewer, can_see, redact
from watchhouse.domain import Marking
from watchhouse.records.convert import from_store_time, marking_from_columns
from watchhouse.records.store import within_transaction
from watchhouse.records.tables import (
    SOURCE_TABLES,
    master_person_members,
    record_links,
    record_people,
    record_warning_markers,
)

PERSON_FIELDS = (
    "given_name",
    "middle_names",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "locality",
    "postcode",
    "phone",
    "email",
    "pnc_id",
    "ni_number",
    "driving_licence",
)
_BOOKKEEPING = {"id", "source_system", "source_record_id", "loaded_at", "updated_at", "raw", "marking",
                "caveats", "field_markings", "content_hash"}
_TIME_COLUMNS = {"loaded_at", "updated_at", "recorded_at", "occurred_at", "occurred_to", "reported_at",
                 "opened_at", "closed_at"}


@dataclass(frozen=True)
class Citation:
    """Where a value came from."""

    record_id: int
    source_system: str
    source_record_id: str


@dataclass
class SourceRecordView:
    id: int
    kind: str
    source_system: str
    source_record_id: str
    loaded_at: datetime
    updated_at: datetime
    marking: str
    values: dict[str, Any]
    raw: dict[str, Any]
    withheld: list[str]

    @property
    def citation(self) -> Citation:
        return Citation(self.id, self.source_system, self.source_record_id)


@dataclass
class SourcedValue:
    """One distinct value of a field across a master person's records, and who holds it."""

    value: Any
    sources: list[Citation]


@dataclass
class WarningMarkerView:
    marker: str
    details: str | None
    valid_from: date | None
    source: Citation


@dataclass
class PersonView:
    master_id: int
    records: list[SourceRecordView]
    fields: dict[str, list[SourcedValue]]  # most widely held value first
    conflicts: list[str]  # fields where the sources disagree: shown side by side, not resolved
    withheld: dict[str, list[Citation]]  # field -> records in which it was withheld from this viewer
    warning_markers: list[WarningMarkerView]

    def best(self, field_name: str) -> Any:
        values = self.fields.get(field_name) or []
        return values[0].value if values else None

    @property
    def display_name(self) -> str:
        return " ".join(str(v) for v in (self.best("given_name"), self.best("family_name")) if v) or "(no name)"


@dataclass
class RoleVia:
    role: str
    person_record: Citation


@dataclass
class PersonEvent:
    event: SourceRecordView
    roles: list[RoleVia]


@dataclass
class PersonCase:
    case: SourceRecordView
    roles: list[RoleVia]  # direct roles in the case
    via_events: list[int]  # event record ids linking the person to the case


@dataclass
class PersonConnection:
    """How another master person is connected: both in one event, or linked directly."""

    kind: str  # "shared-event" | "direct"
    their_role: str
    my_role: str | None
    event_id: int | None = None
    event_reference: str | None = None
    event_kind: str | None = None


@dataclass
class LinkedPerson:
    master_id: int
    display_name: str
    connections: list[PersonConnection]


@dataclass
class AddressSpell:
    address: str | None
    postcode: str | None
    first_seen: datetime | None
    last_seen: datetime | None
    sources: list[Citation] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _stored_marking(classification: str, caveats: str | None) -> tuple[Marking, str]:
    # A few distinct markings cover millions of rows: each is parsed once, not once per row.
    marking = marking_from_columns(classification, caveats)
    return marking, str(marking)


def _marking_text(row: dict[str, Any]) -> str:
    return _stored_marking(row["marking"], row.get("caveats"))[1]


def _normalise_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for name in _TIME_COLUMNS & out.keys():
        out[name] = from_store_time(out[name])
    out["marking"] = _marking_text(row)
    return out


def source_record_view(viewer: Viewer, kind: str, row: Any) -> SourceRecordView | None:
    """A stored row as the viewer may see it, or None when the whole record is above them."""
    return view_of_columns(viewer, kind, dict(row._mapping))


def view_of_columns(viewer: Viewer, kind: str, data: dict[str, Any]) -> SourceRecordView | None:
    """``source_record_view`` of a row already read into a dict of its columns (which it uses up)."""
    marking, marking_text = _stored_marking(data["marking"], data.get("caveats"))
    if not can_see(viewer, marking):
        return None
    for name in _TIME_COLUMNS & data.keys():
        data[name] = from_store_time(data[name])
    data["marking"] = marking  # parsed already: redact need not read the text again
    visible, withheld = redact(viewer, data)
    return SourceRecordView(
        id=data["id"],
        kind=kind,
        source_system=data["source_system"],
        source_record_id=data["source_record_id"],
        loaded_at=data["loaded_at"],
        updated_at=data["updated_at"],
        marking=marking_text,
        values={k: v for k, v in visible.items() if k not in _BOOKKEEPING},
        raw=visible.get("raw") or {},
        withheld=withheld,
    )


def _member_ids(connection: Connection, master_id: int) -> list[int]:
    return list(
        connection.execute(
            sa.select(master_person_members.c.person_id).where(master_person_members.c.master_id == master_id)
        ).scalars()
    )


def _visible_people(connection: Connection, viewer: Viewer, person_ids: Iterable[int]) -> list[SourceRecordView]:
    ids = list(person_ids)
    if not ids:
        return []
    rows = connection.execute(sa.select(record_people).where(record_people.c.id.in_(ids)).order_by(record_people.c.id))
    return [view for row in rows if (view := source_record_view(viewer, "person", row)) is not None]


def _comparable(value: Any) -> Any:
    return " ".join(value.split()).casefold() if isinstance(value, str) else value


def _collect_fields(records: list[SourceRecordView]) -> tuple[dict[str, list[SourcedValue]], list[str], dict[str, list[Citation]]]:
    fields: dict[str, list[SourcedValue]] = {}
    withheld: dict[str, list[Citation]] = defaultdict(list)
    for name in PERSON_FIELDS:
        groups: dict[Any, SourcedValue] = {}
        for record in records:
            if name in record.withheld:
                withheld[name].append(record.citation)
                continue
            value = record.values.get(name)
            if value in (None, ""):
                continue
            key = _comparable(value)
            groups.setdefault(key, SourcedValue(value, [])).sources.append(record.citation)
        if groups:
            fields[name] = sorted(groups.values(), key=lambda v: (-len(v.sources), str(v.value)))
    conflicts = [name for name, values in fields.items() if len(values) > 1]
    return fields, conflicts, dict(withheld)


def _markers(connection: Connection, viewer: Viewer, records: list[SourceRecordView]) -> list[WarningMarkerView]:
    by_id = {r.id: r for r in records}
    if not by_id:
        return []
    rows = connection.execute(
        sa.select(record_warning_markers).where(record_warning_markers.c.person_id.in_(list(by_id)))
        .order_by(record_warning_markers.c.marker)
    )
    return [
        WarningMarkerView(row.marker, row.details, row.valid_from, by_id[row.person_id].citation)
        for row in rows
        if can_see(viewer, _marking_text(dict(row._mapping)))
    ]


class _Scope:
    """One master person's visible records and the visible links from them, read once and shared
    by every part of a person page (view, events, cases, linked people, addresses, objects)."""

    def __init__(self, connection: Connection, viewer: Viewer, master_id: int) -> None:
        self.connection, self.viewer, self.master_id = connection, viewer, master_id
        self.people = _visible_people(connection, viewer, _member_ids(connection, master_id))
        self.by_id = {p.id: p for p in self.people}
        self.links = _visible_links(
            connection, viewer, (record_links.c.from_kind == "person") & record_links.c.from_id.in_(list(self.by_id))
        ) if self.people else []
        self._records: dict[str, dict[int, SourceRecordView | None]] = defaultdict(dict)

    def records(self, kind: str, ids: Iterable[int]) -> dict[int, SourceRecordView]:
        """Visible records of ``kind`` among ``ids``, each read at most once per page."""
        cache = self._records[kind]
        missing = [i for i in set(ids) if i not in cache]
        if missing:
            found = _records_by_id(self.connection, self.viewer, kind, missing)
            cache.update({i: found.get(i) for i in missing})
        return {i: cache[i] for i in set(ids) if cache[i] is not None}

    def links_to(self, kind: str) -> list[Any]:
        return [link for link in self.links if link.to_kind == kind]


def _person_view(scope: _Scope) -> PersonView | None:
    if not scope.people:
        return None
    fields, conflicts, withheld = _collect_fields(scope.people)
    return PersonView(scope.master_id, scope.people, fields, conflicts, withheld,
                      _markers(scope.connection, scope.viewer, scope.people))


def person_view(bind: Engine | Connection, viewer: Viewer, master_id: int) -> PersonView | None:
    """The master person with every source record the viewer may see, where each value came
    from, and conflicting values side by side. None when there is nothing the viewer may see."""
    with within_transaction(bind) as connection:
        return _person_view(_Scope(connection, viewer, master_id))


def master_id_for(bind: Engine | Connection, viewer: Viewer, source_system: str, source_record_id: str) -> int | None:
    """The master person holding a source person record, if the viewer may see that record."""
    with within_transaction(bind) as connection:
        row = connection.execute(
            sa.select(record_people, master_person_members.c.master_id)
            .join(master_person_members, master_person_members.c.person_id == record_people.c.id)
            .where(record_people.c.source_system == source_system, record_people.c.source_record_id == source_record_id)
        ).first()
        if row is None or not can_see(viewer, _marking_text(dict(row._mapping))):
            return None
        return row.master_id


def _visible_links(connection: Connection, viewer: Viewer, where) -> list[Any]:
    rows = connection.execute(sa.select(record_links).where(where))
    return [row for row in rows if can_see(viewer, _marking_text(dict(row._mapping)))]


def _records_by_id(connection: Connection, viewer: Viewer, kind: str, ids: Iterable[int], *,
                   with_raw: bool = True) -> dict[int, SourceRecordView]:
    """``with_raw=False`` leaves out the source's own values (``raw`` is then empty): a search
    ranks hundreds of records on their fields and never shows their raw values."""
    ids = sorted(set(ids))
    table = SOURCE_TABLES[kind]
    columns = [table] if with_raw else [c for c in table.c if c.name != "raw"]
    out: dict[int, SourceRecordView] = {}
    for start in range(0, len(ids), 500):
        for row in connection.execute(sa.select(*columns).where(table.c.id.in_(ids[start : start + 500]))):
            view = source_record_view(viewer, kind, row)
            if view is not None:
                out[view.id] = view
    return out


def _time_key(view: SourceRecordView) -> tuple:
    when = view.values.get("occurred_at") or view.values.get("reported_at") or view.values.get("opened_at")
    return (when is None, when or view.loaded_at, view.id)


def _linked_from_person(scope: _Scope, kind: str) -> tuple[dict[int, SourceRecordView], dict[int, list[RoleVia]]]:
    """Visible records of ``kind`` the person's visible records link to, with the roles, by id."""
    links = scope.links_to(kind)
    found = scope.records(kind, [l.to_id for l in links])
    roles: dict[int, list[RoleVia]] = defaultdict(list)
    for link in links:
        if link.to_id in found:
            roles[link.to_id].append(RoleVia(link.role, scope.by_id[link.from_id].citation))
    return found, roles


def _person_events(scope: _Scope) -> list[PersonEvent]:
    events, roles = _linked_from_person(scope, "event")
    ordered = sorted(events.values(), key=_time_key, reverse=True)
    return [PersonEvent(event, roles[event.id]) for event in ordered]


def person_events(bind: Engine | Connection, viewer: Viewer, master_id: int) -> list[PersonEvent]:
    """Events the person is linked to, with the person's role(s), newest first."""
    with within_transaction(bind) as connection:
        return _person_events(_Scope(connection, viewer, master_id))


def _person_cases(scope: _Scope) -> list[PersonCase]:
    if not scope.people:
        return []
    visible_events = scope.records("event", [l.to_id for l in scope.links_to("event")])
    case_links = _visible_links(
        scope.connection, scope.viewer,
        (record_links.c.from_kind == "event") & record_links.c.from_id.in_(list(visible_events) or [-1])
        & (record_links.c.to_kind == "case"),
    ) if visible_events else []
    direct = scope.links_to("case")
    cases = scope.records("case", [l.to_id for l in direct] + [l.to_id for l in case_links])
    result = []
    for case in sorted(cases.values(), key=_time_key, reverse=True):
        result.append(
            PersonCase(
                case,
                [RoleVia(l.role, scope.by_id[l.from_id].citation) for l in direct if l.to_id == case.id],
                sorted({l.from_id for l in case_links if l.to_id == case.id}),
            )
        )
    return result


def person_cases(bind: Engine | Connection, viewer: Viewer, master_id: int) -> list[PersonCase]:
    """Cases the person is in, directly or through an event that is part of the case."""
    with within_transaction(bind) as connection:
        return _person_cases(_Scope(connection, viewer, master_id))


def _masters_of(connection: Connection, person_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(person_ids))
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        rows = connection.execute(
            sa.select(master_person_members.c.person_id, master_person_members.c.master_id).where(
                master_person_members.c.person_id.in_(ids[start : start + 500])
            )
        )
        out.update({row.person_id: row.master_id for row in rows})
    return out


def _linked_people(scope: _Scope) -> list[LinkedPerson]:
    connection, viewer, master_id, mine = scope.connection, scope.viewer, scope.master_id, scope.by_id
    if not mine:
        return []
    my_role_in_event = {l.to_id: l.role for l in scope.links_to("event")}
    events = scope.records("event", my_role_in_event)
    connections: dict[int, list[tuple[int, PersonConnection]]] = defaultdict(list)  # other person record -> ...
    if events:
        others = _visible_links(
            connection, viewer,
            (record_links.c.to_kind == "event") & record_links.c.to_id.in_(list(events))
            & (record_links.c.from_kind == "person") & record_links.c.from_id.notin_(list(mine)),
        )
        for link in others:
            event = events[link.to_id]
            connections[link.from_id].append(
                (link.from_id, PersonConnection("shared-event", link.role, my_role_in_event[link.to_id], event.id,
                                           event.values.get("reference"), event.values.get("event_kind")))
            )
    direct = scope.links_to("person") + _visible_links(
        connection, viewer,
        (record_links.c.from_kind == "person") & (record_links.c.to_kind == "person")
        & record_links.c.to_id.in_(list(mine)) & record_links.c.from_id.notin_(list(mine)),
    )
    for link in direct:
        other = link.to_id if link.from_id in mine else link.from_id
        if other not in mine:
            connections[other].append((other, PersonConnection("direct", link.role, None)))
    other_records = scope.records("person", connections)
    masters = _masters_of(connection, other_records)
    grouped: dict[int, list[PersonConnection]] = defaultdict(list)
    names: dict[int, list[SourceRecordView]] = defaultdict(list)
    for person_id, found in connections.items():
        if person_id not in other_records or masters.get(person_id) in (None, master_id):
            continue
        grouped[masters[person_id]].extend(c for _, c in found)
        names[masters[person_id]].append(other_records[person_id])
    result = []
    for other_master, found in grouped.items():
        fields, _, _ = _collect_fields(names[other_master])
        name = " ".join(str(v[0].value) for v in (fields.get("given_name"), fields.get("family_name")) if v)
        result.append(LinkedPerson(other_master, name or "(no name)", found))
    return sorted(result, key=lambda p: (-len(p.connections), p.display_name, p.master_id))


def linked_people(bind: Engine | Connection, viewer: Viewer, master_id: int) -> list[LinkedPerson]:
    """Other master people sharing an event with this person, or linked to them directly."""
    with within_transaction(bind) as connection:
        return _linked_people(_Scope(connection, viewer, master_id))


def _first_event_times(scope: _Scope, person_ids: list[int]) -> dict[int, datetime]:
    wanted = set(person_ids)
    links = [l for l in scope.links_to("event") if l.from_id in wanted]
    events = scope.records("event", [l.to_id for l in links])
    times: dict[int, datetime] = {}
    for link in links:
        event = events.get(link.to_id)
        when = event and (event.values.get("occurred_at") or event.values.get("reported_at"))
        if when and (link.from_id not in times or when < times[link.from_id]):
            times[link.from_id] = when
    return times


def _addresses_over_time(scope: _Scope) -> list[AddressSpell]:
    people = scope.people
    spells: dict[tuple, AddressSpell] = {}

    def note(address, postcode, when, citation):
        if not (address or postcode):
            return
        key = (_comparable(address or ""), (postcode or "").replace(" ", "").upper())
        spell = spells.setdefault(key, AddressSpell(address, postcode, when, when))
        if when is not None:
            spell.first_seen = min(filter(None, (spell.first_seen, when)))
            spell.last_seen = max(filter(None, (spell.last_seen, when)))
        if citation not in spell.sources:
            spell.sources.append(citation)

    undated = [p.id for p in people if not p.values.get("recorded_at")]
    event_times = _first_event_times(scope, undated) if undated else {}
    for person in people:
        # When the source recorded the address: its own date, else the event it was taken for.
        when = person.values.get("recorded_at") or event_times.get(person.id) or person.loaded_at
        note(person.values.get("address"), person.values.get("postcode"), when, person.citation)
    residences = [l for l in scope.links_to("location") if l.role == "resident"]
    locations = scope.records("location", [l.to_id for l in residences])
    for location in locations.values():
        note(location.values.get("address"), location.values.get("postcode"), location.loaded_at, location.citation)
    return sorted(spells.values(), key=lambda s: (s.last_seen is None, s.last_seen), reverse=True)


def addresses_over_time(bind: Engine | Connection, viewer: Viewer, master_id: int) -> list[AddressSpell]:
    """Addresses the sources hold for the person, each with when it was first and last recorded."""
    with within_transaction(bind) as connection:
        return _addresses_over_time(_Scope(connection, viewer, master_id))


def _person_objects(scope: _Scope) -> list[tuple[SourceRecordView, list[RoleVia]]]:
    objects, roles = _linked_from_person(scope, "object")
    return [(obj, roles[obj.id]) for obj in sorted(objects.values(), key=lambda o: o.id)]


def person_objects(bind: Engine | Connection, viewer: Viewer, master_id: int) -> list[tuple[SourceRecordView, list[RoleVia]]]:
    """Vehicles, phones, weapons and property the person owns, keeps or uses."""
    with within_transaction(bind) as connection:
        return _person_objects(_Scope(connection, viewer, master_id))


@dataclass
class PersonParts:
    """Everything a person page shows, read together (each record and link read once)."""

    view: PersonView
    events: list[PersonEvent]
    cases: list[PersonCase]
    linked_people: list[LinkedPerson]
    addresses: list[AddressSpell]
    objects: list[tuple[SourceRecordView, list[RoleVia]]]


def person_parts(bind: Engine | Connection, viewer: Viewer, master_id: int) -> PersonParts | None:
    """``person_view``, ``person_events``, ``person_cases``, ``linked_people``,
    ``addresses_over_time`` and ``person_objects`` at once; None as ``person_view``."""
    with within_transaction(bind) as connection:
        scope = _Scope(connection, viewer, master_id)
        view = _person_view(scope)
        if view is None:
            return None
        return PersonParts(view, _person_events(scope), _person_cases(scope), _linked_people(scope),
                           _addresses_over_time(scope), _person_objects(scope))


def get_record(bind: Engine | Connection, viewer: Viewer, kind: str, record_id: int) -> SourceRecordView | None:
    """One source record of any kind, or None when it does not exist or is above the viewer."""
    if kind not in SOURCE_TABLES:
        raise ValueError(f"unknown record kind {kind!r} (known: {', '.join(SOURCE_TABLES)})")
    with within_transaction(bind) as connection:
        return _records_by_id(connection, viewer, kind, [record_id]).get(record_id)


def person_row_batches(bind: Engine | Connection, columns: list, *, batch_size: int = 10_000,
                       after_id: int = 0) -> Iterator[list[Any]]:
    """Person rows joined to their master, in id order and in batches, each batch read in its
    own short transaction (with an engine) so a long walk never holds the database."""
    last_id = after_id
    engine = bind if isinstance(bind, Engine) else None
    while True:
        with (engine.connect() if engine is not None else _borrow(bind)) as connection:
            rows = connection.execute(
                sa.select(*columns)
                .join(master_person_members, master_person_members.c.person_id == record_people.c.id, isouter=True)
                .where(record_people.c.id > last_id)
                .order_by(record_people.c.id)
                .limit(batch_size)
            ).all()
        if not rows:
            return
        last_id = rows[-1].id
        yield rows


def iter_people(bind: Engine | Connection, viewer: Viewer, *, batch_size: int = 10_000,
                after_id: int = 0) -> Iterator[list[dict[str, Any]]]:
    """Every source person record the viewer may see, in id order and in batches, as flat dicts
    (id, master_id, source_system, source_record_id and the person fields): the linkage
    engine's input. Withheld fields are absent from each dict. ``after_id`` starts after that
    record id, so a reader can pick up only the records added since it last looked."""
    columns = [record_people, master_person_members.c.master_id]
    for rows in person_row_batches(bind, columns, batch_size=batch_size, after_id=after_id):
        batch = []
        for row in rows:
            view = source_record_view(viewer, "person", row)
            if view is None:
                continue
            flat = {"id": view.id, "source_system": view.source_system, "source_record_id": view.source_record_id}
            flat.update({k: v for k, v in view.values.items() if k in PERSON_FIELDS or k in ("recorded_at", "master_id")})
            batch.append(flat)
        if batch:
            yield batch


class _borrow:
    """Use a caller's connection as a context manager without closing it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def __enter__(self) -> Connection:
        return self.connection

    def __exit__(self, *exc) -> None:
        return None



@dataclass
class LinkedRecord:
    """A record linked to another, with the link's role and direction (for case pages and link charts)."""

    direction: str  # "out": this record --role--> linked; "in": linked --role--> this record
    role: str
    record: SourceRecordView
    master_id: int | None = None  # for people: the master person the record belongs to


def linked_records(bind: Engine | Connection, viewer: Viewer, kind: str, record_id: int) -> list[LinkedRecord] | None:
    """Every record the viewer may see that is linked to one source record, either way.
    None when the record itself does not exist or is above the viewer."""
    if kind not in SOURCE_TABLES:
        raise ValueError(f"unknown record kind {kind!r} (known: {', '.join(SOURCE_TABLES)})")
    with within_transaction(bind) as connection:
        if not _records_by_id(connection, viewer, kind, [record_id]):
            return None
        outgoing = _visible_links(connection, viewer, (record_links.c.from_kind == kind) & (record_links.c.from_id == record_id))
        incoming = _visible_links(connection, viewer, (record_links.c.to_kind == kind) & (record_links.c.to_id == record_id))
        ends = [("out", l.role, l.to_kind, l.to_id) for l in outgoing] + [("in", l.role, l.from_kind, l.from_id) for l in incoming]
        by_kind: dict[str, list[int]] = defaultdict(list)
        for _, _, other_kind, other_id in ends:
            by_kind[other_kind].append(other_id)
        found = {k: _records_by_id(connection, viewer, k, ids) for k, ids in by_kind.items()}
        masters = _masters_of(connection, found.get("person", {}))
        result = [
            LinkedRecord(direction, role, found[other_kind][other_id], masters.get(other_id) if other_kind == "person" else None)
            for direction, role, other_kind, other_id in ends
            if other_id in found.get(other_kind, {})
        ]
        return sorted(result, key=lambda r: (r.record.kind, r.role, r.record.id))
