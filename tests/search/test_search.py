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


QUERIES = ["bill smith", "smith 05/04/1980", "kevin jones", "smith ls1 4ap", "mary", "12/345678X", "smyth"]


@pytest.mark.parametrize("text", QUERIES)
def test_rare_keys_find_the_same_people_as_every_key(engine, world, monkeypatch, text):
    # At scale, common keys (a surname held by thousands) only score what the rare keys find;
    # on an index this small every key finds, exactly as if there were no limit.
    from watchhouse.search import service

    default = search_people_for(engine, ANALYST, parse_query(text))
    monkeypatch.setattr(service, "FINDING", 10**9)
    unlimited = search_people_for(engine, ANALYST, parse_query(text))
    assert [(h.master_id, h.score) for h in default] == [(h.master_id, h.score) for h in unlimited]
    assert default


def test_key_counts_follow_incremental_indexing(engine, world):
    import sqlalchemy as sa

    from watchhouse.search import index_people
    from watchhouse.search.tables import search_key_counts

    def count(key):  # over every marking
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.sum(search_key_counts.c.records))
                                      .where(search_key_counts.c.key == key)).scalar() or 0

    assert count("f:smith") == 3 and count("n:smith|william") == 1 and count("n:smyth|william") == 1
    with engine.begin() as connection:  # Mary Smith marries: re-indexed under her new name
        index_people(connection, [{"id": world["P2"], "master_id": None, "marking": "OFFICIAL",
                                   "given_name": "Mary", "family_name": "Brown"}])
    assert count("f:smith") == 2 and count("f:brown") == 1 and count("n:brown|mary") == 1
    assert count("n:smith|mary") == 0


def test_the_rarest_key_alone_still_finds_the_person(engine, world, monkeypatch):
    from watchhouse.search import service

    monkeypatch.setattr(service, "FINDING", 0)  # only the rarest key finds; every key still scores
    hits = search_people_for(engine, ANALYST, parse_query("william smith ls1 4ap"))
    assert hits[0].master_id == masters_of(engine, [world["P1"]])[world["P1"]]


def test_postings_carry_the_marking_of_the_field_they_came_from(engine):
    # A date of birth under a need-to-know caveat finds the person only for those who hold it,
    # and the age filter does not read it for anyone else either.
    result = upsert_records(engine, [
        person("intel", "C1", given_name="Carol", family_name="Quist", date_of_birth=date(1966, 6, 16),
               field_markings={"date_of_birth": parse_marking("OFFICIAL-SENSITIVE [op:heron]")}),
    ])
    rebuild_index(engine)
    record_id = next(iter(result.ids.values()))
    holder = Viewer("h1", "investigator", "OFFICIAL", frozenset({"OFFICIAL-SENSITIVE", "op:heron"}))
    import sqlalchemy as sa

    from watchhouse.search.tables import search_caveat_sets, search_keys

    with engine.connect() as connection:
        marked = dict(connection.execute(sa.select(search_keys.c.key, search_keys.c.caveats)
                                         .where(search_keys.c.person_id == record_id)).all())
        sets = set(connection.execute(sa.select(search_caveat_sets.c.caveats)).scalars())
    assert marked["d:1966-06-16"] == "OFFICIAL-SENSITIVE|op:heron" and marked["f:quist"] == ""
    assert "OFFICIAL-SENSITIVE|op:heron" in sets
    assert search_people_for(engine, OFFICER, parse_query("16/06/1966")) == []
    assert search_people_for(engine, OFFICER, parse_query("quist", age_min=50, age_max=70)) == []
    assert search_people_for(engine, OFFICER, parse_query("carol quist"))  # the name is not withheld
    assert [h.names for h in search_people_for(engine, holder, parse_query("16/06/1966"))] == [["Carol Quist"]]
    assert search_people_for(engine, holder, parse_query("quist", age_min=50, age_max=70))


def test_reindexing_reads_field_markings_from_the_records(engine, world):
    import sqlalchemy as sa

    from watchhouse.search import reindex_people
    from watchhouse.search.tables import search_keys

    with engine.begin() as connection:
        assert reindex_people(connection, [world["P1"]]) == 1
        clearance = connection.execute(sa.select(search_keys.c.clearance).where(
            search_keys.c.person_id == world["P1"], search_keys.c.key == "t:7700900001")).scalar()
    assert clearance == 2  # the phone is SECRET on an OFFICIAL record


@pytest.mark.parametrize("text", ["keith carke", "keith clarkke", "keith calrke", "keith clarje", "carke keith"])
def test_a_surname_one_typing_slip_away_still_finds_the_person(engine, text):
    # A letter dropped, added, changed or two swapped: no shared token and no shared sound,
    # yet the given name with the surname within one slip is as rare a key as the name itself.
    upsert_records(engine, [person("cad", "K1", given_name="Keith", family_name="Clarke"),
                            person("cad", "K2", given_name="Keith", family_name="Craig"),
                            person("cad", "K3", given_name="Kevin", family_name="Clarke")])
    rebuild_index(engine)
    hits = search_people_for(engine, OFFICER, parse_query(text))
    assert hits and hits[0].names == ["Keith Clarke"]


def test_one_slip_forms():
    from watchhouse.search.keys import one_slip_forms

    assert one_slip_forms("smith") & one_slip_forms("smtih")  # swapped
    assert one_slip_forms("smith") & one_slip_forms("smyth")  # changed
    assert one_slip_forms("harrison") & one_slip_forms("harrson")  # dropped
    assert not one_slip_forms("smith") & one_slip_forms("jones")
    assert one_slip_forms("lee") == frozenset()  # too short to tell apart


def test_an_index_of_an_older_format_is_rebuilt_before_use(engine, world):
    from watchhouse.search import ensure_index_current, index_is_current
    from watchhouse.search.tables import search_keys, search_meta

    assert index_is_current(engine) and not ensure_index_current(engine)
    with engine.begin() as connection:  # as an upgraded database holds it
        connection.execute(search_meta.delete())
        connection.execute(search_keys.update().values(clearance=1, caveats=""))
    assert not index_is_current(engine)
    assert ensure_index_current(engine)
    assert index_is_current(engine)
    assert search_people_for(engine, OFFICER, parse_query(phone="07700 900001")) == []  # SECRET again


def test_records_hidden_from_the_searcher_do_not_change_which_keys_find(engine, monkeypatch):
    # With only the rarest key finding, a key shared by many SECRET records must not look common
    # to an OFFICIAL searcher: what they find may not depend on records they cannot see.
    from watchhouse.search import service

    monkeypatch.setattr(service, "FINDING", 1)
    upsert_records(engine, [person("cad", "V1", given_name="Ann", family_name="Quorn"),
                            person("cad", "V2", given_name="Bob", family_name="Hart", postcode="LS1 4AP"),
                            person("cad", "V3", given_name="Cat", family_name="Hale", postcode="LS1 4AP")])
    rebuild_index(engine)
    before = [h.names for h in search_people_for(engine, OFFICER, parse_query("quorn ls1 4ap"))]
    assert ["Ann Quorn"] in before
    upsert_records(engine, [person("intel", f"H{i}", given_name="Hidden", family_name="Quorn",
                                   marking=parse_marking("SECRET")) for i in range(5)])
    rebuild_index(engine)
    assert [h.names for h in search_people_for(engine, OFFICER, parse_query("quorn ls1 4ap"))] == before


def test_records_sharing_keys_finds_what_linkage_should_compare_and_skips_common_keys(engine, world):
    from watchhouse.search import records_sharing_keys

    # Linkage sees every record: the SECRET one shares the surname and is found through it.
    arriving = {"given_name": "Willy", "family_name": "Smith", "date_of_birth": date(1980, 5, 4), "postcode": "LS1 4AP"}
    assert set(records_sharing_keys(engine, arriving)) == {world["P1"], world["V9"], world["X1"], world["P2"]}
    # With room for only the rarest postings, the three Smiths' surname is left out: the date of
    # birth and postcode still find William (and Bill, at the same postcode).
    assert set(records_sharing_keys(engine, arriving, postings=5)) == {world["P1"], world["V9"]}
    assert records_sharing_keys(engine, {"pnc_id": "12/345678X"}) == [world["S1"]]
    assert records_sharing_keys(engine, {"given_name": "Zebedee"}) == []
    assert records_sharing_keys(engine, {}) == []
