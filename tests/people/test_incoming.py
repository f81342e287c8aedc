"""A single person record arriving through the API path: stored, linked without retraining, searchable."""

from __future__ import annotations

import pytest

from watchhouse.access import Viewer
from watchhouse.audit import entries, verify
from watchhouse.domain import PersonRecord
from watchhouse.people.incoming import MIN_TRAINING_RECORDS, receive_person
from watchhouse.records import masters_of, members_of, upsert_records
from watchhouse.search import parse_query, rebuild_index, search_people_for
from watchhouse.synth.people import generate_population, make_source_records

ANALYST = Viewer("a1", "intelligence-analyst", "SECRET", purpose="test")


def as_record(system: str, record_id: str, source, **changes) -> PersonRecord:
    values = dict(given_name=source.given_name, family_name=source.family_name, date_of_birth=source.date_of_birth,
                  sex=source.sex, address_lines=(source.address,) if source.address else (),
                  locality=source.locality, postcode=source.postcode, pnc_id=source.pnc_id,
                  ni_number=source.ni_number)
    values.update(changes)
    return PersonRecord(system, record_id, raw={"id": record_id}, **values)


@pytest.fixture
def known(engine):
    """About 140 synthetic custody records of 60 people (with their truth), each its own master."""
    synthetic = make_source_records(generate_population(60, seed=4), seed=4)
    result = upsert_records(engine, [as_record("custody", r.record_id, r) for r in synthetic])
    rebuild_index(engine)
    assert len(synthetic) >= MIN_TRAINING_RECORDS
    ids = {ref.source_record_id: row_id for ref, row_id in result.ids.items()}
    return synthetic, ids


def _clean_record_of_a_repeated_person(synthetic):
    counts = {}
    for r in synthetic:
        counts[r.person_id] = counts.get(r.person_id, 0) + 1
    return next(r for r in synthetic if not r.corruptions and r.date_of_birth and r.postcode and r.given_name
                and counts[r.person_id] >= 2)


def test_a_new_duplicate_joins_the_right_person(engine, known):
    synthetic, ids = known
    source = _clean_record_of_a_repeated_person(synthetic)
    truth = {ids[r.record_id]: r.person_id for r in synthetic}
    arrival = receive_person(engine, as_record("cad", "CAD-NEW-1", source, given_name=source.given_name.upper()),
                             actor="feed", client="test")
    assert arrival.outcome == "inserted"
    assert arrival.linked_record_id is not None and truth[arrival.linked_record_id] == source.person_id
    assert arrival.match_probability >= 0.5
    masters = masters_of(engine, [arrival.record_id, arrival.linked_record_id])
    assert masters[arrival.record_id] == masters[arrival.linked_record_id] == arrival.master_id
    members = members_of(engine, ANALYST, [arrival.master_id])[arrival.master_id]
    person_of = {r.record_id: r.person_id for r in synthetic}
    assert "CAD-NEW-1" in {m.source_record_id for m in members}
    assert {person_of[m.source_record_id] for m in members if m.source_record_id != "CAD-NEW-1"} == {source.person_id}
    combined = entries(engine, actions=["combination"])
    assert combined and f"person-record:{arrival.record_id}" in combined[0].record_ids
    assert verify(engine).ok


def test_a_new_person_gets_a_master_of_their_own(engine, known):
    stranger = PersonRecord("cad", "CAD-NEW-2", raw={"id": "CAD-NEW-2"}, given_name="Xanthippe",
                            family_name="Quibbleworth", postcode="ZE2 9QQ")
    existing = set(masters_of(engine, known[1].values()).values())
    arrival = receive_person(engine, stranger, actor="feed", client="test")
    assert arrival.outcome == "inserted" and arrival.linked_record_id is None
    assert arrival.master_id not in existing
    assert [m.source_record_id for m in members_of(engine, ANALYST, [arrival.master_id])[arrival.master_id]] \
        == ["CAD-NEW-2"]


def test_the_same_record_again_changes_nothing(engine, known):
    source = _clean_record_of_a_repeated_person(known[0])
    record = as_record("cad", "CAD-NEW-3", source)
    first = receive_person(engine, record, actor="feed", client="test")
    members_before = members_of(engine, ANALYST, [first.master_id])[first.master_id]
    again = receive_person(engine, as_record("cad", "CAD-NEW-3", source), actor="feed", client="test")
    assert again.outcome == "unchanged"
    assert (again.record_id, again.master_id) == (first.record_id, first.master_id)
    assert members_of(engine, ANALYST, [first.master_id])[first.master_id] == members_before
    outcomes = [e.detail["outcome"] for e in entries(engine, actions=["collection"]) if e.actor == "feed"]
    assert sorted(outcomes) == ["inserted", "unchanged"]
    assert len(entries(engine, actions=["combination"])) == 1  # the repeat did not link again


def test_an_arrival_is_searchable_at_once_and_later_arrivals_match_it(engine, known):
    newcomer = PersonRecord("cad", "CAD-NEW-4", raw={"id": "CAD-NEW-4"}, given_name="Peregrine",
                            family_name="Oddbody", postcode="LS6 2AB", address_lines=("4 Moor Road",))
    arrival = receive_person(engine, newcomer, actor="feed", client="test")
    hits = search_people_for(engine, ANALYST, parse_query("peregrine oddbody"))
    assert hits and hits[0].master_id == arrival.master_id
    # The model's records grow as they arrive: a second record of the newcomer finds the first.
    again = PersonRecord("custody", "CU-NEW-4", raw={"id": "CU-NEW-4"}, given_name="PEREGRINE",
                         family_name="Oddbody", postcode="LS6 2AB", address_lines=("4 Moor Rd",))
    second = receive_person(engine, again, actor="feed", client="test")
    assert second.linked_record_id == arrival.record_id and second.master_id == arrival.master_id


def test_arrivals_use_the_model_the_latest_linkage_run_saved(engine, known, monkeypatch):
    """After ``watchhouse link`` no web process trains a model of its own or reads every record:
    arrivals are scored with the weights and term frequencies that run estimated over every
    record, against the records the search index finds, and a later run's model replaces it."""
    import sqlalchemy as sa

    import watchhouse.records
    import watchhouse.resolve
    from watchhouse.people.incoming import _linker_for
    from watchhouse.people.linking import latest_model_id, link_people, saved_model

    synthetic, ids = known
    link_people(engine, threshold=0.6)
    first = latest_model_id(engine)
    assert first is not None
    stored = saved_model(engine, first)
    assert stored.threshold == 0.6 and stored.settings["comparisons"] and stored.households is not None
    families = stored.term_frequencies["family_name"]
    assert set(families["value"]) >= {r.family_name.lower() for r in synthetic if r.family_name and not r.corruptions}
    assert abs(families["frequency"].sum() - 1) < 1e-6

    def no_training(*args, **kwargs):
        raise AssertionError("an arrival trained a model although a linkage run had saved one")

    def no_full_read(*args, **kwargs):
        raise AssertionError("an arrival read every person record although a linkage run had saved a model")

    monkeypatch.setattr(watchhouse.resolve, "train_model", no_training)
    monkeypatch.setattr(watchhouse.records, "iter_people", no_full_read)
    source = _clean_record_of_a_repeated_person(synthetic)
    truth = {ids[r.record_id]: r.person_id for r in synthetic}
    arrival = receive_person(engine, as_record("cad", "CAD-SAVED-1", source), actor="feed", client="test")
    linker = _linker_for(engine)
    assert linker.saved_model_id == first and linker.model.threshold == 0.6 and linker.by_index
    assert arrival.linked_record_id is not None and truth[arrival.linked_record_id] == source.person_id
    # A second record of someone new finds the first through the index, stored a moment ago.
    newcomer = PersonRecord("cad", "CAD-SAVED-NEW", raw={"id": "n"}, given_name="Peregrine", family_name="Oddbody",
                            postcode="LS6 2AB", address_lines=("4 Moor Road",))
    alone = receive_person(engine, newcomer, actor="feed", client="test")
    again = receive_person(engine, PersonRecord("custody", "CU-SAVED-NEW", raw={"id": "n"}, given_name="PEREGRINE",
                                                family_name="Oddbody", postcode="LS6 2AB",
                                                address_lines=("4 Moor Rd",)), actor="feed", client="test")
    assert alone.linked_record_id is None and again.linked_record_id == alone.record_id
    # A long-running process keeps none of the queries Splink ran for them.
    assert not linker.model.linker._db_api._intermediate_table_cache.executed_queries

    monkeypatch.undo()  # the linkage run itself trains
    link_people(engine)  # a later run: its model replaces the first at the next arrival
    second = latest_model_id(engine)
    assert second > first
    receive_person(engine, as_record("cad", "CAD-SAVED-2", source, given_name=source.given_name.upper()),
                   actor="feed", client="test")
    assert linker.saved_model_id == second and linker.model.threshold == 0.5 and linker.by_index
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM people_link_models")).scalar() == 2


def test_a_saved_model_that_will_not_load_falls_back_to_training_here(engine, known, monkeypatch):
    import watchhouse.resolve
    from watchhouse.people.incoming import _linker_for
    from watchhouse.people.linking import latest_model_id, link_people

    synthetic, _ = known
    link_people(engine)

    def broken(*args, **kwargs):
        raise ValueError("settings from another version")

    monkeypatch.setattr(watchhouse.resolve, "model_from_settings", broken)
    arrival = receive_person(engine, as_record("cad", "CAD-BROKEN-1", synthetic[0]), actor="feed", client="test")
    linker = _linker_for(engine)
    assert arrival.outcome == "inserted"
    assert linker.saved_model_id is None and linker.refused_model_id == latest_model_id(engine)
    assert "would not load" in linker.training_error and linker.model is not None  # trained here instead


def test_a_model_saved_without_term_frequencies_is_not_used(engine, known):
    """A model saved by an earlier version has no term frequencies to weigh names by: arrivals
    train their own until the next linkage run."""
    import sqlalchemy as sa

    from watchhouse.people.incoming import _linker_for
    from watchhouse.people.linking import latest_model_id, link_people

    synthetic, _ = known
    link_people(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE people_link_models SET households = NULL"))
        connection.execute(sa.text("DELETE FROM people_link_term_frequencies"))
    arrival = receive_person(engine, as_record("cad", "CAD-OLD-1", synthetic[0]), actor="feed", client="test")
    linker = _linker_for(engine)
    assert arrival.outcome == "inserted"
    assert linker.refused_model_id == latest_model_id(engine) and not linker.by_index
    assert "term frequencies" in linker.training_error and linker.model is not None
