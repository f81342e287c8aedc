"""A small joined-up world and users of different clearances, for the people service and pages."""

from datetime import date, datetime

import pytest

from watchhouse.domain import CaseRecord, EventRecord, Link, ObjectRecord, PersonRecord, WarningMarker, parse_grading, parse_marking
from watchhouse.records import replace_memberships, upsert_records
from watchhouse.search import rebuild_index
from watchhouse.users import add_user

PASSWORD = "correct horse battery"


def person(system, rid, **values):
    return PersonRecord(system, rid, raw={"id": rid}, **values)


@pytest.fixture
def world(engine):
    return build_world(engine)


def build_world(engine):
    people = [
        person("cad", "P1", given_name="William", family_name="Smith", date_of_birth=date(1980, 5, 4),
               postcode="LS1 4AP", phone="07700900001", field_markings={"phone": parse_marking("SECRET")}),
        person("crime", "V9", given_name="Bill", family_name="Smith", date_of_birth=date(1980, 4, 5), postcode="LS2 7HY",
               address_lines=("9 Low Rd",)),
        person("crime", "S1", given_name="Kevin", family_name="Jones", date_of_birth=date(1990, 1, 1)),
        person("intel", "X1", given_name="Covert", family_name="Subject", marking=parse_marking("SECRET")),
    ]
    crime = EventRecord("crime", "CR1", event_kind="crime", reference="13/123/18", category="burglary",
                        occurred_at=datetime(2018, 7, 3, 2, 0))
    intel = EventRecord("intel", "I1", event_kind="intelligence", grading=parse_grading("2BC"),
                        marking=parse_marking("SECRET"), description="seen with Covert Subject")
    case = CaseRecord("crime", "CASE1", reference="OP-BADGER", title="Burglary series")
    car = ObjectRecord("crime", "VEH1", object_kind="vehicle", identifier="AB12CDE", make="Ford")
    links = [
        Link(people[1].ref, crime.ref, "victim"),
        Link(people[2].ref, crime.ref, "suspect"),
        Link(people[0].ref, intel.ref, "subject", marking=parse_marking("SECRET")),
        Link(people[3].ref, intel.ref, "subject", marking=parse_marking("SECRET")),
        Link(crime.ref, case.ref, "part-of"),
        Link(people[1].ref, car.ref, "owner"),
    ]
    markers = [WarningMarker(people[2].ref, "weapons", "carries a knife", date(2018, 1, 1))]
    result = upsert_records(engine, [*people, crime, intel, case, car], links, markers)
    ids = {ref.source_record_id: row_id for ref, row_id in result.ids.items()}
    replace_memberships(engine, {ids["P1"]: "william-smith", ids["V9"]: "william-smith"})
    rebuild_index(engine)
    with engine.begin() as connection:
        for name, role, clearance in [("olive", "response-officer", "OFFICIAL"), ("ana", "intelligence-analyst", "SECRET"),
                                      ("sue", "supervisor", "OFFICIAL"), ("audrey", "auditor", "TOP-SECRET")]:
            add_user(connection, name, role=role, clearance=clearance, password=PASSWORD)
    return ids
