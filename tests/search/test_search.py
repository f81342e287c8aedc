from datetime import date

import pytest

from watchhouse.access import Viewer
from watchhouse.domain import PersonRecord, parse_marking
from watchhouse.records import replace_memberships, upsert_records
from watchhouse.records.lookup import masters_of
from watchhouse.search import parse_query, rebuild_index, search_people_for

ANALYST = Viewer("a1", "intelligence-analyst", "TOP SECRET", frozenset({"OFFICIAL-SENSITIVE"}))
OFFICER = Viewer("o1", "response-officer", "OFFICIAL")


def person(system, rid, **values):
    return PersonRecord(system, rid, raw={"id": rid}, **values)


@pytest.fixture
def world(engine):
    people = [
        person("cad", "P1", given_name="William", family_name="Smith", date_of_birth=date(1980, 5, 4),
               postcode="LS1 4AP", phone="07700900001",
               field_markings={"phone": parse_marking("SECRET")}),
        person("crime", "V9", given_name="Bill", family_name="Smyth", date_of_birth=date(1980, 4, 5),
               postcode="LS1 4AP"),
        person("crime", "S1", given_name="Kevin", family_name="Jones", date_of_birth=date(1990, 1, 1),
               postcode="BD1 1AA", pnc_id="12/345678X"),
        person("intel", "X1", given_name="Hidden", family_name="Smith", date_of_birth=date(1970, 1, 1),
               marking=parse_marking("SECRET")),
        person("cad", "P2", given_name="Mary", family_name="Smith", date_of_birth=date(2001, 2, 2)),
    ]
    result = upsert_records(engine, people)
    ids = {ref.source_record_id: row_id for ref, row_id in result.ids.items()}
    replace_memberships(engine, {ids["P1"]: "william", ids["V9"]: "william"})
    assert rebuild_index(engine) == 5
    return ids


def test_nickname_and_spelling_variants_collapse_to_one_master(engine, world):
    hits = search_people_for(engine, OFFICER, parse_query("bill smith"))
    masters = masters_of(engine, [world["P1"]])
    assert hits[0].master_id == masters[world["P1"]]
    assert hits[0].records == 2 and hits[0].source_systems == ["cad", "crime"]
    assert len({h.master_id for h in hits}) == len(hits)


def test_day_month_swap_still_finds_the_person(engine, world):
    hits = search_people_for(engine, OFFICER, parse_query("smith 05/04/1980"))
    assert hits[0].master_id == masters_of(engine, [world["P1"]])[world["P1"]]
    assert any(m.startswith("date of birth") for m in hits[0].matched)


def test_identifier_search(engine, world):
    hits = search_people_for(engine, OFFICER, parse_query("12/345678X"))
    assert [h.names for h in hits] == [["Kevin Jones"]]


def test_records_above_clearance_never_appear(engine, world):
    officer_hits = search_people_for(engine, OFFICER, parse_query("hidden smith"))
    assert all("Hidden Smith" not in h.names for h in officer_hits)
    analyst_hits = search_people_for(engine, ANALYST, parse_query("hidden smith"))
    assert analyst_hits[0].names == ["Hidden Smith"]


def test_withheld_field_cannot_find_or_rank_a_person(engine, world):
    # The phone on P1 is SECRET: an OFFICIAL officer searching by it must find nobody.
    assert search_people_for(engine, OFFICER, parse_query(phone="07700 900001")) == []
    hits = search_people_for(engine, ANALYST, parse_query(phone="07700 900001"))
    assert hits and "phone" in hits[0].matched


def test_age_range_filter(engine, world):
    hits = search_people_for(engine, OFFICER, parse_query("smith", age_min=18, age_max=30))
    assert [h.names for h in hits] == [["Mary Smith"]]
    assert search_people_for(engine, OFFICER, parse_query(age_min=120)) == []
