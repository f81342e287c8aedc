from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from watchhouse.access import Viewer
from watchhouse.domain import (
    CaseRecord,
    EntityKind,
    EventRecord,
    Link,
    LocationRecord,
    ObjectRecord,
    PersonRecord,
    RecordRef,
    WarningMarker,
    parse_grading,
    parse_marking,
)
from watchhouse.records import (
    RecordsError,
    addresses_over_time,
    assign_to_master,
    get_record,
    iter_people,
    linked_people,
    linked_records,
    master_id_for,
    members_of,
    people_and_masters,
    person_cases,
    person_events,
    person_objects,
    person_view,
    replace_memberships,
    upsert_records,
)

ANALYST = Viewer("a1", "intelligence-analyst", "TOP SECRET", frozenset({"OFFICIAL-SENSITIVE"}))
OFFICER = Viewer("o1", "response-officer", "OFFICIAL")


def person(system, rid, **values):
    values.setdefault("given_name", "John")
    values.setdefault("family_name", "Smith")
    return PersonRecord(system, rid, raw={"id": rid, **{k: str(v) for k, v in values.items()}}, **values)


def load_world(engine):
    people = [
        person("cad", "P1", date_of_birth=date(1980, 5, 4), postcode="LS1 4AP", address_lines=("1 High St",),
               phone="07700900001", recorded_at=datetime(2017, 7, 1, 12, 0),
               field_markings={"phone": parse_marking("SECRET"), "raw.phone": parse_marking("SECRET")}),
        person("crime", "V9", given_name="Jon", date_of_birth=date(1980, 4, 5), postcode="LS2 7HY",
               address_lines=("9 Low Rd",), recorded_at=datetime(2018, 7, 3, 9, 0)),
        person("crime", "S1", given_name="Kevin", family_name="Jones", date_of_birth=date(1990, 1, 1), postcode="BD1 1AA"),
        person("intel", "X1", given_name="Secret", family_name="Subject", marking=parse_marking("SECRET")),
    ]
    crime = EventRecord("crime", "CR1", event_kind="crime", reference="13/123/18", category="burglary",
                        occurred_at=datetime(2018, 7, 3, 2, 0), latitude=53.8, longitude=-1.55)
    call = EventRecord("cad", "C1", event_kind="call", reference="CAD-1", call_grade="G1",
                       reported_at=datetime(2017, 7, 1, 11, 55))
    intel = EventRecord("intel", "I1", event_kind="intelligence", grading=parse_grading("2BC"),
                        marking=parse_marking("SECRET"), description="seen with Kevin")
    case = CaseRecord("crime", "CASE1", reference="OP-BADGER", title="Burglary series")
    car = ObjectRecord("crime", "VEH1", object_kind="vehicle", identifier="AB12CDE", make="Ford")
    home = LocationRecord("crime", "L1", address_lines=("9 Low Rd",), postcode="LS2 7HY")
    ref = lambda r: r.ref  # noqa: E731
    links = [
        Link(ref(people[0]), ref(call), "caller"),
        Link(ref(people[1]), ref(crime), "victim"),
        Link(ref(people[2]), ref(crime), "suspect"),
        Link(ref(people[3]), ref(crime), "witness", marking=parse_marking("SECRET")),
        Link(ref(people[2]), ref(intel), "subject", marking=parse_marking("SECRET")),
        Link(ref(crime), ref(case), "part-of"),
        Link(ref(people[1]), ref(car), "owner"),
        Link(ref(people[1]), ref(home), "resident"),
    ]
    markers = [WarningMarker(ref(people[2]), "weapons", "carries a knife", date(2018, 1, 1))]
    result = upsert_records(engine, [*people, crime, call, intel, case, car, home], links, markers)
    return result, people


def test_upsert_is_idempotent_and_detects_changes(engine):
    first, people = load_world(engine)
    assert first.inserted == 10 and first.links_added == 8 and first.markers_written == 1
    again, _ = load_world(engine)
    assert (again.inserted, again.updated, again.unchanged, again.links_added, again.markers_written) == (0, 0, 10, 0, 0)
    changed = person("cad", "P1", family_name="Smyth")
    result = upsert_records(engine, [changed])
    assert (result.inserted, result.updated) == (0, 1)
    view = get_record(engine, ANALYST, "person", result.ids[changed.ref])
    assert view.values["family_name"] == "Smyth"
    with engine.connect() as c:
        assert c.execute(sa.text("select count(*) from record_people")).scalar() == 4


def test_person_view_merges_sources_and_shows_conflicts(engine):
    result, people = load_world(engine)
    ids = {p.source_record_id: result.ids[p.ref] for p in people}
    master = assign_to_master(engine, [ids["P1"], ids["V9"]], "cluster-john")
    view = person_view(engine, ANALYST, master)
    assert {r.source_record_id for r in view.records} == {"P1", "V9"}
    assert "given_name" in view.conflicts and "date_of_birth" in view.conflicts
    assert "family_name" not in view.conflicts
    family = view.fields["family_name"][0]
    assert family.value == "Smith" and {c.source_system for c in family.sources} == {"cad", "crime"}
    given = {v.value: [c.source_record_id for c in v.sources] for v in view.fields["given_name"]}
    assert given == {"John": ["P1"], "Jon": ["V9"]}
    assert master_id_for(engine, ANALYST, "crime", "V9") == master


def test_fields_above_clearance_are_withheld_and_named(engine):
    result, people = load_world(engine)
    master = master_id_for(engine, ANALYST, "cad", "P1")
    seen_by_analyst = person_view(engine, ANALYST, master)
    assert seen_by_analyst.best("phone") == "07700900001"
    seen_by_officer = person_view(engine, OFFICER, master)
    record = seen_by_officer.records[0]
    assert "phone" not in record.values and "phone" in record.withheld
    assert "phone" not in record.raw and "raw.phone" in record.withheld
    assert "phone" not in seen_by_officer.fields
    assert [c.source_record_id for c in seen_by_officer.withheld["phone"]] == ["P1"]


def test_records_above_clearance_are_not_found(engine):
    load_world(engine)
    secret_master = master_id_for(engine, ANALYST, "intel", "X1")
    assert secret_master is not None
    assert person_view(engine, OFFICER, secret_master) is None
    assert master_id_for(engine, OFFICER, "intel", "X1") is None
    assert person_view(engine, ANALYST, 999_999) is None


def test_events_cases_objects_and_roles(engine):
    load_world(engine)
    kevin = master_id_for(engine, ANALYST, "crime", "S1")
    events = person_events(engine, ANALYST, kevin)
    assert sorted((e.event.values["event_kind"], [r.role for r in e.roles]) for e in events) == [
        ("crime", ["suspect"]),
        ("intelligence", ["subject"]),
    ]
    intel = next(e for e in events if e.event.values["event_kind"] == "intelligence")
    assert intel.event.values["grading"] == "2BC"
    # The officer cannot see the SECRET intelligence report or the SECRET link to it.
    assert [e.event.values["event_kind"] for e in person_events(engine, OFFICER, kevin)] == ["crime"]
    cases = person_cases(engine, OFFICER, kevin)
    assert [c.case.values["reference"] for c in cases] == ["OP-BADGER"]
    assert cases[0].via_events and not cases[0].roles
    jon = master_id_for(engine, ANALYST, "crime", "V9")
    objects = person_objects(engine, OFFICER, jon)
    assert [(o.values["identifier"], [r.role for r in roles]) for o, roles in objects] == [("AB12CDE", ["owner"])]


def test_linked_people_respect_markings(engine):
    load_world(engine)
    jon = master_id_for(engine, ANALYST, "crime", "V9")
    for_analyst = {p.display_name: p for p in linked_people(engine, ANALYST, jon)}
    assert set(for_analyst) == {"Kevin Jones", "Secret Subject"}
    kevin = for_analyst["Kevin Jones"].connections[0]
    assert (kevin.kind, kevin.their_role, kevin.my_role, kevin.event_reference) == ("shared-event", "suspect", "victim", "13/123/18")
    assert {p.display_name for p in linked_people(engine, OFFICER, jon)} == {"Kevin Jones"}


def test_addresses_over_time(engine):
    result, people = load_world(engine)
    ids = {p.source_record_id: result.ids[p.ref] for p in people}
    master = assign_to_master(engine, [ids["P1"], ids["V9"]], "cluster-john")
    spells = addresses_over_time(engine, ANALYST, master)
    assert [s.postcode for s in spells] == ["LS2 7HY", "LS1 4AP"]
    latest = spells[0]
    assert {c.source_system for c in latest.sources} == {"crime"}
    assert len(latest.sources) == 2  # the person record and the location they are resident at
    assert spells[1].first_seen == datetime(2017, 7, 1, 11, 0, tzinfo=UTC)  # 12:00 BST


def test_replace_memberships_is_atomic_and_keeps_stable_ids(engine):
    result, people = load_world(engine)
    ids = [result.ids[p.ref] for p in people]
    masters = replace_memberships(engine, {ids[0]: "k1", ids[1]: "k1", ids[2]: "k2"})
    assert masters == 3  # k1, k2 and the unnamed record on its own
    k1 = master_id_for(engine, ANALYST, "cad", "P1")
    assert master_id_for(engine, ANALYST, "crime", "V9") == k1
    replace_memberships(engine, {ids[0]: "k1", ids[1]: "k3", ids[2]: "k2"})
    assert master_id_for(engine, ANALYST, "cad", "P1") == k1
    assert master_id_for(engine, ANALYST, "crime", "V9") != k1
    with pytest.raises(RecordsError, match="do not exist"):
        replace_memberships(engine, {ids[0]: "k1", 987654: "k1"})
    assert master_id_for(engine, ANALYST, "crime", "V9") != k1  # the failed replacement changed nothing


def test_links_to_unknown_records_are_refused_with_nothing_written(engine):
    p = person("cad", "P1")
    ghost = RecordRef(EntityKind.EVENT, "cad", "NOPE")
    with pytest.raises(RecordsError, match="cad/NOPE"):
        upsert_records(engine, [p], [Link(p.ref, ghost, "caller")])
    with engine.connect() as c:
        assert c.execute(sa.text("select count(*) from record_people")).scalar() == 0


def test_iter_people_gives_batches_without_withheld_fields(engine):
    load_world(engine)
    batches = list(iter_people(engine, OFFICER, batch_size=2))
    flat = [row for batch in batches for row in batch]
    assert {r["source_record_id"] for r in flat} == {"P1", "V9", "S1"}  # X1 is SECRET
    p1 = next(r for r in flat if r["source_record_id"] == "P1")
    assert "phone" not in p1 and p1["master_id"] and p1["date_of_birth"] == date(1980, 5, 4)


def test_an_undated_address_takes_the_time_of_the_event_it_was_recorded_for(engine):
    load_world(engine)
    kevin = master_id_for(engine, ANALYST, "crime", "S1")
    (spell,) = addresses_over_time(engine, OFFICER, kevin)
    assert spell.postcode == "BD1 1AA"
    assert spell.first_seen == datetime(2018, 7, 3, 1, 0, tzinfo=UTC)  # the crime, 02:00 BST


def test_linked_records_of_a_crime_for_a_case_page(engine):
    result, people = load_world(engine)
    crime = get_record(engine, ANALYST, "event", result.ids[RecordRef(EntityKind.EVENT, "crime", "CR1")])
    for_analyst = linked_records(engine, ANALYST, "event", crime.id)
    summary = [(l.direction, l.role, l.record.kind, l.record.source_record_id) for l in for_analyst]
    assert summary == [
        ("out", "part-of", "case", "CASE1"),
        ("in", "suspect", "person", "S1"),
        ("in", "victim", "person", "V9"),
        ("in", "witness", "person", "X1"),
    ]
    assert all(l.master_id for l in for_analyst if l.record.kind == "person")
    assert [l.record.source_record_id for l in linked_records(engine, OFFICER, "event", crime.id)] == ["CASE1", "S1", "V9"]
    intel_id = result.ids[RecordRef(EntityKind.EVENT, "intel", "I1")]
    assert linked_records(engine, OFFICER, "event", intel_id) is None  # SECRET: not found


def test_assign_to_an_existing_master_for_incremental_linking(engine):
    result, people = load_world(engine)
    ids = {p.source_record_id: result.ids[p.ref] for p in people}
    john = master_id_for(engine, ANALYST, "cad", "P1")
    assert assign_to_master(engine, [ids["V9"]], master_id=john) == john
    assert {r.source_record_id for r in person_view(engine, ANALYST, john).records} == {"P1", "V9"}
    with pytest.raises(RecordsError, match="either"):
        assign_to_master(engine, [ids["V9"]], "k", master_id=john)
    with pytest.raises(RecordsError, match="do not exist"):
        assign_to_master(engine, [424242], master_id=john)
    with pytest.raises(RecordsError, match="master person 99999 does not exist"):
        assign_to_master(engine, [ids["V9"]], master_id=99999)


def test_members_read_in_batches_agree_with_views_the_caller_already_holds(engine):
    """A search holds some members' views already; reading the rest must give the same people."""
    result, people = load_world(engine)
    ids = {p.source_record_id: result.ids[p.ref] for p in people}
    john = assign_to_master(engine, [ids["P1"], ids["V9"]], "cluster-john")
    kevin = master_id_for(engine, ANALYST, "crime", "S1")
    for viewer in (ANALYST, OFFICER):
        fresh = members_of(engine, viewer, [john, kevin])
        held, masters = people_and_masters(engine, viewer, [ids["P1"]])
        assert masters == {ids["P1"]: john}
        reused = members_of(engine, viewer, [john, kevin], known=held)
        assert reused == fresh
        assert reused[john][0] is held[ids["P1"]]  # taken as held, not read again
        assert [v.source_record_id for v in reused[john]] == ["P1", "V9"]
        assert "phone" in reused[john][0].withheld if viewer is OFFICER else "phone" in reused[john][0].values
    assert members_of(engine, ANALYST, [], known={}) == {}
