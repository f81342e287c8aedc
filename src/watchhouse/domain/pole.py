"""The POLE model: People, Objects, Locations and Events, plus cases, joined by typed links.

These are the records as one source system holds them (a "source record"): every one keeps its
lineage (which system, its id there, the source's own values) and its protective marking.
Master people (clusters of source person records that are the same human) live in
``watchhouse.records``; the types here are plain values with no storage behind them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from watchhouse.domain.grading import AnyGrading
from watchhouse.domain.markings import OFFICIAL, Marking


class EntityKind(StrEnum):
    PERSON = "person"
    OBJECT = "object"
    LOCATION = "location"
    EVENT = "event"
    CASE = "case"


class ObjectKind(StrEnum):
    VEHICLE = "vehicle"
    PHONE = "phone"
    WEAPON = "weapon"
    PROPERTY = "property"


class EventKind(StrEnum):
    CALL = "call"
    INCIDENT = "incident"
    CRIME = "crime"
    ARREST = "arrest"  # an arrest and the custody record that follows it
    INTELLIGENCE = "intelligence"
    ASB_CASE = "asb-case"  # a local authority's anti-social behaviour case


class LinkRole(StrEnum):
    # person -> event / case
    VICTIM = "victim"
    SUSPECT = "suspect"
    WITNESS = "witness"
    CALLER = "caller"
    ARRESTED_PERSON = "arrested-person"
    SUBJECT = "subject"  # the person an intelligence report is about
    COMPLAINANT = "complainant"
    ALLEGED_PERPETRATOR = "alleged-perpetrator"
    INVOLVED = "involved"
    # person -> object
    OWNER = "owner"
    KEEPER = "keeper"
    USER = "user"
    # person -> location
    RESIDENT = "resident"
    FREQUENTS = "frequents"
    # person -> person
    ASSOCIATE = "associate"
    FAMILY = "family"
    # object -> event
    USED_IN = "used-in"
    STOLEN_IN = "stolen-in"
    SEIZED_IN = "seized-in"
    # event -> location
    OCCURRED_AT = "occurred-at"
    # event -> event, event -> case
    LED_TO = "led-to"
    PART_OF = "part-of"


P, O, L, E, C = EntityKind.PERSON, EntityKind.OBJECT, EntityKind.LOCATION, EntityKind.EVENT, EntityKind.CASE
_PERSON_TO_EVENT = {(P, E), (P, C)}

# Which kinds of record each role may join, as (from kind, to kind).
ROLE_ENDPOINTS: dict[LinkRole, set[tuple[EntityKind, EntityKind]]] = {
    LinkRole.VICTIM: _PERSON_TO_EVENT,
    LinkRole.SUSPECT: _PERSON_TO_EVENT,
    LinkRole.WITNESS: _PERSON_TO_EVENT,
    LinkRole.CALLER: {(P, E)},
    LinkRole.ARRESTED_PERSON: {(P, E)},
    LinkRole.SUBJECT: _PERSON_TO_EVENT | {(O, E), (L, E)},
    LinkRole.COMPLAINANT: _PERSON_TO_EVENT,
    LinkRole.ALLEGED_PERPETRATOR: _PERSON_TO_EVENT,
    LinkRole.INVOLVED: _PERSON_TO_EVENT | {(O, E)},
    LinkRole.OWNER: {(P, O)},
    LinkRole.KEEPER: {(P, O)},
    LinkRole.USER: {(P, O)},
    LinkRole.RESIDENT: {(P, L)},
    LinkRole.FREQUENTS: {(P, L)},
    LinkRole.ASSOCIATE: {(P, P)},
    LinkRole.FAMILY: {(P, P)},
    LinkRole.USED_IN: {(O, E)},
    LinkRole.STOLEN_IN: {(O, E)},
    LinkRole.SEIZED_IN: {(O, E)},
    LinkRole.OCCURRED_AT: {(E, L)},
    LinkRole.LED_TO: {(E, E)},
    LinkRole.PART_OF: {(E, C)},
}


EARLIEST_BIRTH = date(1900, 1, 1)


class DomainError(ValueError):
    """A record or link that breaks the model, with the reason."""


def check_link(from_kind: EntityKind | str, to_kind: EntityKind | str, role: LinkRole | str) -> LinkRole:
    """The role, if it may join these kinds of record; DomainError naming the problem otherwise."""
    try:
        role = LinkRole(role)
    except ValueError:
        raise DomainError(f"unknown link role {role!r} (known: {', '.join(r.value for r in LinkRole)})") from None
    pair = (EntityKind(from_kind), EntityKind(to_kind))
    if pair not in ROLE_ENDPOINTS[role]:
        allowed = ", ".join(f"{a}->{b}" for a, b in sorted(ROLE_ENDPOINTS[role]))
        raise DomainError(f"role {role.value!r} cannot link {pair[0].value}->{pair[1].value} (allowed: {allowed})")
    return role


@dataclass(frozen=True)
class RecordRef:
    """Names a source record without knowing its database id: (kind, system, id in that system)."""

    kind: EntityKind
    source_system: str
    source_record_id: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", EntityKind(self.kind))


_SYSTEM_NAME = re.compile(r"[a-z0-9][a-z0-9\-_.]{0,99}")


@dataclass
class SourceRecord:
    """What every POLE record carries: lineage and protective marking."""

    source_system: str
    source_record_id: str
    raw: dict[str, Any] = field(default_factory=dict)
    marking: Marking = OFFICIAL
    # Marking of individual sensitive fields, by field name; "raw.<column>" marks a source value.
    field_markings: dict[str, Marking] = field(default_factory=dict)

    kind_of_entity: EntityKind = field(init=False, repr=False, default=EntityKind.PERSON)

    def __post_init__(self) -> None:
        if not _SYSTEM_NAME.fullmatch(self.source_system or ""):
            raise DomainError(f"source system {self.source_system!r} must be a lower-case slug")
        self.source_record_id = str(self.source_record_id or "").strip()
        if not self.source_record_id:
            raise DomainError(f"a {self.kind_of_entity.value} record from {self.source_system} has no source record id")
        if len(self.source_record_id) > 200:
            raise DomainError(f"source record id {self.source_record_id[:40]!r}... is longer than 200 characters")

    @property
    def ref(self) -> RecordRef:
        return RecordRef(self.kind_of_entity, self.source_system, self.source_record_id)


@dataclass
class PersonRecord(SourceRecord):
    given_name: str | None = None
    middle_names: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    sex: str | None = None
    address_lines: tuple[str, ...] = ()
    locality: str | None = None
    postcode: str | None = None
    phone: str | None = None
    email: str | None = None
    pnc_id: str | None = None
    ni_number: str | None = None
    driving_licence: str | None = None
    # When the source recorded these details: dates the address for "addresses over time".
    recorded_at: datetime | None = None

    def __post_init__(self) -> None:
        self.kind_of_entity = EntityKind.PERSON
        super().__post_init__()
        self.address_lines = tuple(line for line in (self.address_lines or ()) if line)
        if not any((self.given_name, self.family_name, self.pnc_id, self.ni_number, self.driving_licence)):
            raise DomainError("a person needs a name or an identifier (PNC, NI number, driving licence)")
        if self.date_of_birth is not None and not (EARLIEST_BIRTH <= self.date_of_birth <= date.today()):
            raise DomainError(f"date of birth {self.date_of_birth.isoformat()} is in the future or before 1900")


@dataclass
class ObjectRecord(SourceRecord):
    object_kind: ObjectKind = ObjectKind.PROPERTY
    identifier: str | None = None  # VRM, IMEI or number, serial
    description: str | None = None
    make: str | None = None
    model: str | None = None
    colour: str | None = None

    def __post_init__(self) -> None:
        self.kind_of_entity = EntityKind.OBJECT
        super().__post_init__()
        self.object_kind = ObjectKind(self.object_kind)
        if not (self.identifier or self.description):
            raise DomainError(f"a {self.object_kind.value} needs an identifier or a description")


@dataclass
class LocationRecord(SourceRecord):
    address_lines: tuple[str, ...] = ()
    locality: str | None = None
    postcode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        self.kind_of_entity = EntityKind.LOCATION
        super().__post_init__()
        self.address_lines = tuple(line for line in (self.address_lines or ()) if line)
        if (self.latitude is None) != (self.longitude is None):
            raise DomainError("a location needs both latitude and longitude, or neither")
        if self.latitude is not None and not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise DomainError(f"latitude/longitude {self.latitude},{self.longitude} is off the globe")
        if not (self.address_lines or self.postcode or self.latitude is not None or self.description):
            raise DomainError("a location needs an address, a postcode, a position or a description")


@dataclass
class EventRecord(SourceRecord):
    event_kind: EventKind = EventKind.INCIDENT
    reference: str | None = None
    occurred_at: datetime | None = None
    occurred_to: datetime | None = None
    reported_at: datetime | None = None
    category: str | None = None
    description: str | None = None
    status: str | None = None
    call_grade: str | None = None  # force's own grade, e.g. G1..G5; grades are configuration
    grading: AnyGrading | None = None  # intelligence reports only
    latitude: float | None = None
    longitude: float | None = None
    location_text: str | None = None

    def __post_init__(self) -> None:
        self.kind_of_entity = EntityKind.EVENT
        super().__post_init__()
        self.event_kind = EventKind(self.event_kind)
        if self.grading is not None and self.event_kind is not EventKind.INTELLIGENCE:
            raise DomainError(f"only intelligence reports carry a grading, not a {self.event_kind.value}")
        if self.occurred_at and self.occurred_to and self.occurred_to < self.occurred_at:
            raise DomainError("an event cannot end before it starts")
        if (self.latitude is None) != (self.longitude is None):
            raise DomainError("an event needs both latitude and longitude, or neither")


@dataclass
class CaseRecord(SourceRecord):
    reference: str | None = None
    title: str | None = None
    status: str | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        self.kind_of_entity = EntityKind.CASE
        super().__post_init__()


@dataclass(frozen=True)
class Link:
    """A typed link between two source records, e.g. person --victim--> crime."""

    source: RecordRef
    target: RecordRef
    role: LinkRole
    marking: Marking = OFFICIAL

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", check_link(self.source.kind, self.target.kind, self.role))


@dataclass(frozen=True)
class WarningMarker:
    """A safety warning on a person record (e.g. 'weapons', 'violent', 'self-harm')."""

    person: RecordRef
    marker: str
    details: str | None = None
    valid_from: date | None = None
    marking: Marking = OFFICIAL

    def __post_init__(self) -> None:
        if self.person.kind is not EntityKind.PERSON:
            raise DomainError("warning markers attach to people")
        if not (self.marker or "").strip():
            raise DomainError("a warning marker needs a marker code")


AnyRecord = PersonRecord | ObjectRecord | LocationRecord | EventRecord | CaseRecord
RECORD_TYPES: dict[EntityKind, type[SourceRecord]] = {
    EntityKind.PERSON: PersonRecord,
    EntityKind.OBJECT: ObjectRecord,
    EntityKind.LOCATION: LocationRecord,
    EntityKind.EVENT: EventRecord,
    EntityKind.CASE: CaseRecord,
}
