from collections import Counter

import pytest

from watchhouse.synth.people import (
    CORRUPTIONS,
    generate_population,
    make_source_records,
    records_table,
)


@pytest.fixture(scope="module")
def population():
    return generate_population(3000, seed=3)


@pytest.fixture(scope="module")
def records(population):
    return make_source_records(population, seed=3, profile="police")


def test_deterministic_for_a_seed(population, records):
    assert generate_population(3000, seed=3) == population
    assert make_source_records(population, seed=3) == records
    assert generate_population(300, seed=4)[:50] != population[:50]


def test_population_has_the_hard_negatives(population):
    by_id = {p.person_id: p for p in population}
    assert len(by_id) == len(population) == 3000
    kinds = Counter(kind for p in population for kind, _ in p.relations)
    assert kinds["twin"] > 20 and kinds["partner"] > 200 and kinds["parent"] > 300
    for p in population:
        for kind, other_id in p.relations:
            other = by_id[other_id]
            assert p.address == other.address or kind == "partner" and p.addresses[-1] == other.addresses[-1]
            if kind == "twin":
                assert p.date_of_birth == other.date_of_birth and p.given_name != other.given_name
                assert p.family_name == other.family_name
    juniors = [p for p in population if p.name_suffix == "Jr"]
    assert len(juniors) > 20
    for junior in juniors:
        father = by_id[dict(junior.relations)["parent"]]
        assert (father.given_name, father.family_name, father.name_suffix) == (junior.given_name, junior.family_name, "Sr")
        assert (junior.date_of_birth - father.date_of_birth).days > 19 * 365
    names = Counter((p.given_name, p.family_name) for p in population)
    assert names.most_common(1)[0][1] >= 10  # common-name collisions
    assert sum(p.birth_family_name != p.family_name for p in population) > 100  # married names


def test_records_keep_the_truth(population, records):
    people = {p.person_id for p in population}
    assert {r.person_id for r in records} == people  # everyone appears at least once
    assert len(records) > 1.8 * len(population)
    assert len({r.record_id for r in records}) == len(records)
    table = records_table(records)
    assert list(table.columns)[:3] == ["record_id", "forename", "surname"]
    assert table["person_id"].tolist() == [r.person_id for r in records]


def test_every_kind_of_corruption_occurs(population, records):
    seen = Counter(kind for r in records for kind in r.corruptions)
    missing = set(CORRUPTIONS) - set(seen)
    assert not missing, missing
    by_id = {p.person_id: p for p in population}
    for record in records:
        truth = by_id[record.person_id]
        if "married_name" in record.corruptions and not {"name_swap", "typo_family"} & set(record.corruptions):
            assert record.family_name.lower().split()[0] == truth.birth_family_name.lower()
        if "dob_missing" in record.corruptions:
            assert record.date_of_birth is None
        if "dob_swap" in record.corruptions:
            assert (record.date_of_birth.day, record.date_of_birth.month) == (truth.date_of_birth.month,
                                                                             truth.date_of_birth.day)
        if "moved" in record.corruptions:
            assert record.address in (truth.addresses[0].line, None)


def test_unknown_profile_is_refused(population):
    with pytest.raises(ValueError, match="unknown profile"):
        make_source_records(population[:5], seed=1, profile="chaotic")
