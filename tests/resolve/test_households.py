"""People who live together are not one person: twins, partners, fathers and sons."""

import pytest

from watchhouse.resolve import cluster_quality, explain_link, largest_group

HOME = {"address": "12 Carter Street", "town": "Leeds", "postcode": "LS6 2AB", "ni_number": "", "pnc_id": ""}


def person(record_id, forename, surname, dob, sex, **extra):
    return {"record_id": record_id, "forename": forename, "surname": surname, "dob": dob, "sex": sex,
            **HOME, **extra}


@pytest.fixture(scope="module")
def model(police_resolution):
    assert police_resolution.model.households, "the police-like files should be recognised as holding families"
    return police_resolution.model


def test_twins_at_one_address_do_not_link(model, police_mapping):
    twin_a = person("t1", "Oliver", "Hughes", "14/03/1996", "M")
    twin_b = person("t2", "Harriet", "Hughes", "14/03/1996", "F")
    explanation = explain_link(model, twin_a, twin_b, police_mapping)
    assert explanation.match_probability < 0.5, explanation.summary()
    assert explanation.household_discounted


def test_same_name_father_and_son_do_not_link(model, police_mapping):
    father = person("f", "Gary", "Walsh", "02/07/1961", "M")
    son = person("s", "Gary", "Walsh", "19/11/1989", "M")
    explanation = explain_link(model, father, son, police_mapping)
    assert explanation.match_probability < 0.5, explanation.summary()
    reasons = {reason.comparison: reason.level for reason in explanation.reasons}
    assert reasons["date of birth"] == "born more than 12 years apart"


def test_partners_do_not_link(model, police_mapping):
    explanation = explain_link(model, person("p1", "Mark", "Dixon", "05/01/1970", "M"),
                               person("p2", "Susan", "Dixon", "22/09/1972", "F"), police_mapping)
    assert explanation.match_probability < 0.5, explanation.summary()


def test_a_nickname_with_swapped_day_and_month_still_links(model, police_mapping):
    explanation = explain_link(model, person("a", "William", "Hughes", "04/03/1980", "M"),
                               person("b", "Bill", "Hughes", "03/04/1980", ""), police_mapping)
    assert explanation.match_probability > 0.5, explanation.summary()
    reasons = {reason.comparison: reason.level for reason in explanation.reasons}
    assert reasons["given name"] == "nickname or diminutive"
    assert reasons["date of birth"] == "day and month transposed"
    assert explanation.match_weight > 0


def test_synthetic_twins_and_jr_sr_end_in_different_clusters(police_resolution, police_table, police_population):
    cluster_of = dict(zip(police_resolution.clusters()["rec_id"], police_resolution.clusters()["cluster_id"]))
    records_of = police_table.groupby("person_id")["record_id"].apply(list).to_dict()
    pairs = [(p.person_id, other) for p in police_population for kind, other in p.relations
             if kind in ("twin", "parent")]
    assert len(pairs) > 100
    merged = sum(
        1 for a, b in pairs
        if {cluster_of[r] for r in records_of.get(a, [])} & {cluster_of[r] for r in records_of.get(b, [])}
    )
    assert merged / len(pairs) < 0.02, f"{merged} of {len(pairs)} twin or parent pairs share a cluster"


def test_cluster_quality_and_no_giant_clusters(police_resolution, police_table):
    truth = dict(zip(police_table["record_id"], police_table["person_id"]))
    clusters = police_resolution.clusters()
    assignment = dict(zip(clusters["rec_id"], clusters["cluster_id"]))
    quality = cluster_quality(assignment, truth)
    assert quality.precision > 0.97 and quality.recall > 0.85, quality
    assert largest_group(assignment) <= largest_group(truth)
