"""Joined-up records: source POLE records with lineage and markings, and master people.

Other capabilities call these functions; none reads the tables directly. Every read takes a
:class:`watchhouse.access.Viewer` and shows only what that viewer may see.
"""

from watchhouse.exports import lazy_exports

__getattr__, __all__ = lazy_exports(
    __name__,
    {
        "get_records": "lookup",
        "iter_people_for_index": "lookup",
        "people_for_index": "lookup",
        "people_and_masters": "lookup",
        "masters_of": "lookup",
        "members_of": "lookup",
        "RecordsError": "store",
        "UpsertResult": "store",
        "assign_to_master": "store",
        "replace_memberships": "store",
        "resolve_refs": "store",
        "upsert_records": "store",
        "PERSON_FIELDS": "views",
        "AddressSpell": "views",
        "Citation": "views",
        "LinkedPerson": "views",
        "LinkedRecord": "views",
        "PersonCase": "views",
        "PersonConnection": "views",
        "PersonEvent": "views",
        "PersonParts": "views",
        "PersonView": "views",
        "RoleVia": "views",
        "SourcedValue": "views",
        "SourceRecordView": "views",
        "WarningMarkerView": "views",
        "addresses_over_time": "views",
        "get_record": "views",
        "iter_people": "views",
        "linked_people": "views",
        "linked_records": "views",
        "master_id_for": "views",
        "person_cases": "views",
        "person_events": "views",
        "person_objects": "views",
        "person_parts": "views",
        "person_view": "views",
    },
)
