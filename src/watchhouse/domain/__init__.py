"""The domain model: POLE records with lineage, protective markings, intelligence grading, roles.

Plain values only; storage is ``watchhouse.records``, access rules are ``watchhouse.access``.
"""

from watchhouse.domain.grading import (
    AnyGrading,
    Grading,
    GradingError,
    HistoricGrading,
    parse_grading,
)
from watchhouse.domain.markings import (
    OFFICIAL,
    SENSITIVE,
    Classification,
    Marking,
    MarkingError,
    parse_marking,
)
from watchhouse.domain.pole import (
    RECORD_TYPES,
    ROLE_ENDPOINTS,
    AnyRecord,
    CaseRecord,
    DomainError,
    EntityKind,
    EventKind,
    EventRecord,
    Link,
    LinkRole,
    LocationRecord,
    ObjectKind,
    ObjectRecord,
    PersonRecord,
    RecordRef,
    SourceRecord,
    WarningMarker,
    check_link,
)
from watchhouse.domain.roles import Role

__all__ = [
    "OFFICIAL", "SENSITIVE", "RECORD_TYPES", "ROLE_ENDPOINTS", "AnyGrading", "AnyRecord", "CaseRecord",
    "Classification", "DomainError", "EntityKind", "EventKind", "EventRecord", "Grading", "GradingError",
    "HistoricGrading", "Link", "LinkRole", "LocationRecord", "Marking", "MarkingError", "ObjectKind",
    "ObjectRecord", "PersonRecord", "RecordRef", "Role", "SourceRecord", "WarningMarker", "check_link",
    "parse_grading", "parse_marking",
]
