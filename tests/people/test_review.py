"""The link review queue and analysts' decisions, in the people capability.

One test drives real linkage (Splink) twice over synthetic systems: decisions taken between
the runs must steer the second. The others put items in the queue directly, so they test the
rules (roles, clearance, reasons, audit) without training a model.
"""

import threading
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from watchhouse.access import Viewer
from watchhouse.audit import entries, verify
from watchhouse.domain import PersonRecord, parse_marking
from watchhouse.people import evidence, review
from watchhouse.people.linking import link_people
from watchhouse.people.service import person_profile
from watchhouse.records import iter_people, replace_memberships, upsert_records
from watchhouse.records.lookup import masters_of
from watchhouse.search import parse_query, rebuild_index, search_people_for
from watchhouse.synth.systems import load_systems, write_systems

ANALYST = Viewer("ana", "intelligence-analyst", "SECRET")
# Cleared for everything the synthetic systems hold, so the whole queue is visible.
CLEARED_ANALYST = Viewer("ana", "intelligence-analyst", "TOP-SECRET", frozenset({"OFFICIAL-SENSITIVE"}))
OFFICIAL_SUPERVISOR = Viewer("sue", "supervisor", "OFFICIAL")
OFFICER = Viewer("olive", "response-officer", "OFFICIAL")
REASONS = [["given_name", "given name", "given name exact", 5.1], ["dob", "date of birth", "day and month transposed", 4.2],
           ["postcode", "postcode", "postcodes differ", -3.0], ["id_pnc", "pnc", "not recorded in both", 0.0]]


def _pending(engine):
    with engine.connect() as connection:
        return connection.execute(
            sa.select(review.review_items).where(review.review_items.c.status == "pending")
            .order_by(review.review_items.c.id)).all()


def test_decisions_steer_the_next_linkage_run_and_leave_the_queue(engine, tmp_path):
    write_systems(150, tmp_path, seed=3)
    load_systems(engine, tmp_path)
    first = link_people(engine)
    items = review.review_queue(engine, CLEARED_ANALYST, client="test", limit=200)
    assert first.review_items == len(items) > 0
    assert all(abs(item.match_probability - 0.5) <= 0.2 for item in items)
    assert all(item.reasons and item.reasons[0].level for item in items)
    linked = next(item for item in items if item.linked)
    # A pair of records that are each a person of their own: once confirmed, their person holds
    # just the two, so its evidence must be the confirmed link itself.
    everyone = masters_of(engine, [r.id for item in items for r in (item.left, item.right)])
    sizes = Counter(row["master_id"] for batch in iter_people(engine, Viewer.system("test")) for row in batch)
    apart = next(item for item in items if not item.linked and sizes[everyone[item.left.id]] == 1
                 and sizes[everyone[item.right.id]] == 1)
    masters = masters_of(engine, [linked.left.id, linked.right.id, apart.left.id, apart.right.id])
    assert masters[linked.left.id] == masters[linked.right.id]
    assert masters[apart.left.id] != masters[apart.right.id]

    review.decide(engine, CLEARED_ANALYST, linked.id, "split", "different dates of birth and NI numbers", client="test")
    review.decide(engine, CLEARED_ANALYST, apart.id, "confirm", "same PNC number in the custody record", client="test")
    now = masters_of(engine, [linked.left.id, linked.right.id, apart.left.id, apart.right.id])
    assert now[linked.left.id] != now[linked.right.id] and now[apart.left.id] == now[apart.right.id]  # at once
    # ... and the next run keeps it so:
    assert {i.id for i in review.review_queue(engine, CLEARED_ANALYST, client="test", limit=200)} == {
        i.id for i in items} - {linked.id, apart.id}

    again = link_people(engine)
    assert again.decisions_applied == 2
    masters = masters_of(engine, [linked.left.id, linked.right.id, apart.left.id, apart.right.id])
    assert masters[linked.left.id] != masters[linked.right.id]  # split: two people
    assert masters[apart.left.id] == masters[apart.right.id]  # confirmed: one person
    remaining = review.review_queue(engine, CLEARED_ANALYST, client="test", limit=200)
    assert not {linked.id, apart.id} & {i.id for i in remaining}
    decided = {(linked.left.id, linked.right.id), (apart.left.id, apart.right.id)}
    assert not decided & {(i.left.id, i.right.id) for i in remaining}  # decided pairs never requeued

    # The confirmed pair's evidence says an analyst confirmed it, and the person page shows it.
    profile = person_profile(engine, Viewer("ana", "intelligence-analyst", "TOP-SECRET", frozenset({"OFFICIAL-SENSITIVE"}),
                                            purpose="test"),
                             masters[apart.left.id], client="test")
    shown = {(e.record.record_id, e.linked_to.record_id): e for e in profile.link_evidence}
    visible = {r.id for r in profile.view.records}
    assert profile.link_evidence and all(a in visible and b in visible for a, b in shown)
    # An analyst's confirmation is why the records are one person, so it is the link each shows.
    assert shown[(apart.left.id, apart.right.id)].confirmed_by_analyst
    assert shown[(apart.right.id, apart.left.id)].confirmed_by_analyst
    assert all(e.reasons and 0 <= e.match_probability <= 1 for e in profile.link_evidence)
    assert verify(engine).ok


@pytest.fixture
def pair_world(engine):
    """Two pairs in the queue: one of OFFICIAL records (date of birth SECRET on one), one with a SECRET record."""
    people = [
        PersonRecord("cad", "A1", raw={}, given_name="Jon", family_name="Doe", date_of_birth=date(1980, 4, 5),
                     field_markings={"date_of_birth": parse_marking("SECRET")}),
        PersonRecord("crime", "B1", raw={}, given_name="John", family_name="Doe", date_of_birth=date(1980, 5, 4)),
        PersonRecord("intel", "C1", raw={}, given_name="John", family_name="Doe", marking=parse_marking("SECRET")),
    ]
    result = upsert_records(engine, people)
    ids = {ref.source_record_id: row_id for ref, row_id in result.ids.items()}
    row = {"match_probability": 0.48, "match_weight": -0.1, "reasons": REASONS, "household_discounted": False,
           "linked": False, "threshold": 0.5}
    with engine.begin() as connection:
        review.replace_pending(connection, [{**row, "person_id_l": ids["A1"], "person_id_r": ids["B1"]},
                                            {**row, "person_id_l": ids["C1"], "person_id_r": ids["B1"]}],
                               now=datetime.now(UTC))
    items = {(r.person_id_l, r.person_id_r): r.id for r in _pending(engine)}
    ids["official"] = items[tuple(sorted((ids["A1"], ids["B1"])))]
    ids["secret"] = items[tuple(sorted((ids["C1"], ids["B1"])))]
    return ids


def test_roles_without_the_permission_are_refused(engine, pair_world):
    with pytest.raises(review.ReviewDenied):
        review.review_queue(engine, OFFICER, client="test")
    with pytest.raises(review.ReviewDenied):
        review.decide(engine, OFFICER, pair_world["official"], "confirm", "looks the same", client="test")
    assert len(_pending(engine)) == 2 and not entries(engine, actor="olive")


def test_a_reviewer_sees_only_pairs_within_their_clearance_and_no_withheld_reasons(engine, pair_world):
    mine = review.review_queue(engine, OFFICIAL_SUPERVISOR, client="test")
    assert [item.id for item in mine] == [pair_world["official"]]
    item = mine[0]
    assert "date_of_birth" in item.left.withheld and "date_of_birth" not in item.left.values
    by_field = {r.comparison: r for r in item.reasons}
    assert by_field["date of birth"].withheld and by_field["date of birth"].level is None
    assert by_field["date of birth"].match_weight is None
    assert by_field["given name"].level == "exact" and by_field["given name"].match_weight == 5.1
    # The total is the prior plus the reasons' weights: shown next to the rest it would give the
    # withheld reason away, so it is withheld too.
    assert item.score_withheld and item.match_probability is None and item.match_weight is None
    assert item.household_discounted is None and item.score_band == "near the threshold"
    read = entries(engine, actor="sue", actions=["consultation"])[0]
    assert sorted(read.record_ids) == sorted([f"person-record:{pair_world['A1']}", f"person-record:{pair_world['B1']}"])
    # A pair holding a record above the reviewer is not theirs to decide, nor to learn of.
    with pytest.raises(review.ReviewNotFound):
        review.decide(engine, OFFICIAL_SUPERVISOR, pair_world["secret"], "split", "different people", client="test")
    analyst_sees = review.review_queue(engine, ANALYST, client="test")
    assert {i.id for i in analyst_sees} == {pair_world["official"], pair_world["secret"]}
    cleared = next(i for i in analyst_sees if i.id == pair_world["official"])
    assert not cleared.reasons[0].withheld and not cleared.score_withheld
    assert (cleared.match_probability, cleared.match_weight) == (0.48, -0.1)


@pytest.mark.parametrize("decision, reason, message", [
    ("merge", "same person", "decision must be one of"),
    ("confirm", "   ", "give a reason"),
    ("split", "x" * 501, "longer than"),
    ("split", "line\x00break", "control characters"),
])
def test_bad_decisions_are_refused_and_nothing_is_written(engine, pair_world, decision, reason, message):
    with pytest.raises(review.ReviewError, match=message):
        review.decide(engine, ANALYST, pair_world["official"], decision, reason, client="test")
    assert review.decided_pairs(engine) == ([], []) and len(_pending(engine)) == 2


def test_a_decision_is_kept_with_who_when_why_and_audited(engine, pair_world):
    taken = review.decide(engine, ANALYST, pair_world["official"], "Split", "  born on different days  ", client="10.0.0.9")
    assert taken.decision == "split" and taken.reason == "born on different days" and taken.decided_by == "ana"
    assert review.decided_pairs(engine) == ([], [tuple(sorted((pair_world["A1"], pair_world["B1"])))])
    entry = entries(engine, actor="ana", actions=["alteration"])[0]
    assert entry.detail["link_decision"] == "split" and entry.detail["reason"] == "born on different days"
    assert entry.client == "10.0.0.9" and f"person-record:{pair_world['A1']}" in entry.record_ids
    with pytest.raises(review.ReviewError, match="already been decided"):
        review.decide(engine, ANALYST, pair_world["official"], "confirm", "changed my mind", client="test")
    # A later run that scores the pair near the threshold again does not requeue it.
    row = {"match_probability": 0.55, "match_weight": 0.2, "reasons": REASONS, "household_discounted": False,
           "linked": True, "threshold": 0.5}
    with engine.begin() as connection:
        queued = review.replace_pending(connection, [
            {**row, "person_id_l": pair_world["B1"], "person_id_r": pair_world["A1"]},
            {**row, "person_id_l": pair_world["C1"], "person_id_r": pair_world["B1"]}], now=datetime.now(UTC))
    assert queued == 1
    pending = _pending(engine)
    assert [r.id for r in pending] == [pair_world["secret"]] and pending[0].match_probability == 0.55  # same id, new score
    assert verify(engine).ok


def test_person_evidence_uses_only_visible_records_and_hides_withheld_fields(engine, pair_world):
    a, b, c = pair_world["A1"], pair_world["B1"], pair_world["C1"]
    replace_memberships(engine, {a: "doe", b: "doe", c: "doe"})
    now = datetime.now(UTC)
    with engine.begin() as connection:
        evidence.replace_evidence(connection, [
            {"person_id_l": min(a, b), "person_id_r": max(a, b), "match_probability": 0.9, "match_weight": 3.2,
             "reasons": REASONS, "household_discounted": False, "decision": None, "linked_at": now},
            {"person_id_l": min(b, c), "person_id_r": max(b, c), "match_probability": 0.99, "match_weight": 6.6,
             "reasons": REASONS, "household_discounted": False, "decision": "confirm", "linked_at": now},
        ])
    master = masters_of(engine, [a])[a]
    official = person_profile(engine, Viewer("sue", "supervisor", "OFFICIAL", purpose="INC-1"), master, client="t")
    # B1's strongest link is to the SECRET record C1, which Sue may not see: her page uses A1-B1.
    assert {(e.record.record_id, e.linked_to.record_id) for e in official.link_evidence} == {(a, b), (b, a)}
    for item in official.link_evidence:
        dob = next(r for r in item.reasons if r.comparison == "date of birth")
        assert dob.withheld and dob.level is None and not item.confirmed_by_analyst
        assert item.score_withheld and item.match_probability is None and item.match_weight is None
    secret = person_profile(engine, Viewer("ana", "intelligence-analyst", "SECRET", purpose="INC-1"), master, client="t")
    strongest = {e.record.record_id: e for e in secret.link_evidence}
    assert strongest[b].linked_to.record_id == c and strongest[b].confirmed_by_analyst
    dob = next(r for r in strongest[b].reasons if r.comparison == "date of birth")
    assert dob.level == "day and month transposed" and not dob.withheld
    assert (strongest[b].match_probability, strongest[b].match_weight) == (0.99, 6.6)
    assert not strongest[b].score_withheld


def _hits(engine, query):
    viewer = Viewer("ana", "intelligence-analyst", "SECRET", purpose="test")
    return {hit.master_id: hit.records for hit in search_people_for(engine, viewer, parse_query(query))}


def test_a_confirmation_makes_the_two_people_one_at_once_and_search_follows(engine, pair_world):
    a, b, c = pair_world["A1"], pair_world["B1"], pair_world["C1"]
    rebuild_index(engine)
    before = masters_of(engine, [a, b, c])
    assert len(set(before.values())) == 3
    review.decide(engine, ANALYST, pair_world["official"], "confirm", "same custody photograph", client="test")
    after = masters_of(engine, [a, b, c])
    assert after[a] == after[b] != after[c]
    assert _hits(engine, "Doe")[after[a]] == 2  # the index moved the record with its master
    entry = entries(engine, actor="ana", actions=["alteration"])[0]
    assert entry.detail["takes_effect"] == "now" and len(entry.detail["moved_records"]) == 1
    # The person page explains the join by the analyst's confirmation.
    profile = person_profile(engine, Viewer("ana", "intelligence-analyst", "SECRET", purpose="t"), after[a], client="t")
    assert {(e.record.record_id, e.linked_to.record_id) for e in profile.link_evidence} == {(a, b), (b, a)}
    assert all(e.confirmed_by_analyst for e in profile.link_evidence)
    assert verify(engine).ok


def test_a_split_moves_the_less_tied_record_to_a_person_of_its_own_at_once(engine, pair_world):
    a, b, c = pair_world["A1"], pair_world["B1"], pair_world["C1"]
    replace_memberships(engine, {a: "doe", b: "doe", c: "doe"})
    rebuild_index(engine)
    review.decide(engine, ANALYST, pair_world["secret"], "confirm", "same PNC number", client="test")
    assert len(set(masters_of(engine, [a, b, c]).values())) == 1  # already one person: nothing moves
    # B1 is tied to C1 by a confirmation and A1 to nothing: A1 leaves, B1 and C1 stay together.
    review.decide(engine, ANALYST, pair_world["official"], "split", "born on different days", client="test")
    after = masters_of(engine, [a, b, c])
    assert after[b] == after[c] != after[a]
    assert _hits(engine, "Doe") == {after[a]: 1, after[b]: 2}
    entry = entries(engine, actor="ana", actions=["alteration"])[0]
    assert entry.detail["link_decision"] == "split" and entry.detail["moved_records"] == {str(a): after[a]}
    assert verify(engine).ok


def test_a_split_with_no_confirmations_moves_the_newer_record(engine, pair_world):
    a, b, c = pair_world["A1"], pair_world["B1"], pair_world["C1"]
    replace_memberships(engine, {a: "doe", b: "doe", c: "doe"})
    review.decide(engine, ANALYST, pair_world["official"], "split", "born on different days", client="test")
    after = masters_of(engine, [a, b, c])
    newer, older = max(a, b), min(a, b)
    assert after[older] == after[c] != after[newer]


def _queue_all_pairs(engine, ids):
    """Queue A1-B1, B1-C1 and A1-C1; returns the item id of each pair by record names."""
    row = {"match_probability": 0.5, "match_weight": 0.0, "reasons": REASONS, "household_discounted": False,
           "linked": False, "threshold": 0.5}
    names = [("A1", "B1"), ("B1", "C1"), ("A1", "C1")]
    with engine.begin() as connection:
        review.replace_pending(connection, [{**row, "person_id_l": ids[x], "person_id_r": ids[y]} for x, y in names],
                               now=datetime.now(UTC))
    items = {(r.person_id_l, r.person_id_r): r.id for r in _pending(engine)}
    return {x + y: items[tuple(sorted((ids[x], ids[y])))] for x, y in names}


def test_a_split_contradicting_confirmations_through_a_third_record_is_refused(engine, pair_world):
    items = _queue_all_pairs(engine, pair_world)
    first = review.decide(engine, ANALYST, items["A1B1"], "confirm", "same NI number", client="test")
    second = review.decide(engine, ANALYST, items["B1C1"], "confirm", "same PNC number", client="test")
    with pytest.raises(review.ReviewError, match=rf"decision {first.id}, a confirmation.*decision {second.id}, a confirmation"):
        review.decide(engine, ANALYST, items["A1C1"], "split", "different people", client="test")
    assert [r.id for r in _pending(engine)] == [items["A1C1"]]  # nothing written
    assert len(review.decided_pairs(engine)[0]) == 2 and not review.decided_pairs(engine)[1]


def test_a_confirmation_contradicting_a_split_through_a_third_record_is_refused(engine, pair_world):
    items = _queue_all_pairs(engine, pair_world)
    split = review.decide(engine, ANALYST, items["A1B1"], "split", "born on different days", client="test")
    confirm = review.decide(engine, ANALYST, items["B1C1"], "confirm", "same PNC number", client="test")
    with pytest.raises(review.ReviewError, match=rf"decision {split.id}, a split.*decision {confirm.id}, a confirmation"):
        review.decide(engine, ANALYST, items["A1C1"], "confirm", "same address", client="test")
    masters = masters_of(engine, [pair_world["A1"], pair_world["B1"], pair_world["C1"]])
    assert masters[pair_world["A1"]] != masters[pair_world["B1"]] == masters[pair_world["C1"]]
    assert [r.id for r in _pending(engine)] == [items["A1C1"]]


def test_a_confirmation_that_would_rejoin_records_split_apart_is_refused(engine, pair_world):
    a, b, c = pair_world["A1"], pair_world["B1"], pair_world["C1"]
    items = _queue_all_pairs(engine, pair_world)
    replace_memberships(engine, {a: "doe", b: "doe", c: "doe"})
    split = review.decide(engine, ANALYST, items["A1B1"], "split", "born on different days", client="test")
    moved = masters_of(engine, [a, b, c])
    assert moved[a] == moved[c] != moved[b]  # the newer record left; the model still links A1 with C1
    with pytest.raises(review.ReviewError, match=rf"split apart before \(decision {split.id}, a split"):
        review.decide(engine, ANALYST, items["B1C1"], "confirm", "same PNC number", client="test")
    assert masters_of(engine, [a, b, c]) == moved


def test_a_pair_decided_meanwhile_is_refused_not_an_integrity_error(engine, pair_world, monkeypatch):
    # What a second analyst's transaction meets when the first committed between its read and write.
    with engine.begin() as connection:
        connection.execute(review.link_decisions.insert().values(
            person_id_l=min(pair_world["A1"], pair_world["B1"]), person_id_r=max(pair_world["A1"], pair_world["B1"]),
            decision="split", reason="first analyst", decided_by="bea", decided_at=datetime.now(UTC)))
    with pytest.raises(review.ReviewError, match=r"already been decided \(decision \d+, a split by bea\)"):
        review.decide(engine, ANALYST, pair_world["official"], "confirm", "same person", client="test")
    # Should the checks have read before the other decision was committed, the unique pair
    # constraint still refuses it as a decision, not as a database error.
    monkeypatch.setattr(review, "_refuse_contradiction", lambda *args: None)
    with pytest.raises(review.ReviewError, match="already been decided"):
        review.decide(engine, ANALYST, pair_world["official"], "confirm", "same person", client="test")
    assert pair_world["official"] in {r.id for r in _pending(engine)}  # rolled back whole
    assert not entries(engine, actor="ana", actions=["alteration"])


def test_two_analysts_deciding_one_pair_at_once_get_one_decision_and_one_refusal(engine, pair_world):
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(decision):
        barrier.wait()
        try:
            outcomes.append(review.decide(engine, ANALYST, pair_world["official"], decision, "seen", client="test"))
        except review.ReviewError as error:
            outcomes.append(error)

    threads = [threading.Thread(target=decide, args=(d,)) for d in ("confirm", "split")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(type(o).__name__ for o in outcomes) == ["Decision", "ReviewError"]
    assert "already been decided" in str(next(o for o in outcomes if isinstance(o, review.ReviewError)))
    assert len(entries(engine, actor="ana", actions=["alteration"])) == 1
