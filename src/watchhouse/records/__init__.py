"""Joined-up records: source POLE records with lineage and markings, and master people.

Other capabilities call these functions; none reads the tables directly. Every read takes a
:class:`watchhouse.access.Viewer` and shows only what that viewer may see.
"""

from watchhouse.records.lookup import get_records, iter_people_for_index, masters_of, members_of
from watchhouse.records.store import (
    RecordsError,
    UpsertResult,
    assign_to_master,
    replace_memberships,
    resolve_refs,
    upsert_records,
)
from watchhouse.records.views import (
    PERSON_FIELDS,
    AddressSpell,
    Citation,
    LinkedPerson,
    LinkedRecord,
    PersonCase,
    PersonConnection,
    PersonEvent,
    PersonView,
    RoleVia,
    SourcedValue,
    SourceRecordView,
    WarningMarkerView,
    addresses_over_time,
    get_record,
    iter_people,
    linked_people,
    linked_records,
    master_id_for,
    person_cases,
    person_events,
    person_objects,
    person_view,
)

__all__ = [
    "AddressSpell", "Citation", "LinkedPerson", "LinkedRecord", "PERSON_FIELDS", "PersonCase",
    "PersonConnection", "PersonEvent", "PersonView", "RecordsError", "RoleVia", "SourceRecordView",
    "SourcedValue", "UpsertResult", "WarningMarkerView", "addresses_over_time", "assign_to_master",
    "get_record", "get_records", "iter_people", "iter_people_for_index", "linked_people", "linked_records",
    "master_id_for", "masters_of", "members_of", "person_cases", "person_events", "person_objects",
    "person_view", "replace_memberships", "resolve_refs", "upsert_records",
]
