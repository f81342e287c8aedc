"""Linking one new record against existing people without retraining; saved models reuse."""

from pathlib import Path

from watchhouse.resolve import link_new_record, load_model


def existing(police_table, n=1):
    counts = police_table["person_id"].value_counts()
    person = counts.index[counts >= 2][n]
    return police_table[police_table["person_id"] == person]


def test_a_new_record_finds_its_person(police_resolution, police_table, police_mapping):
    rows = existing(police_table, 3)
    new = rows.iloc[0].drop("person_id").to_dict()
    new["record_id"] = "NEW-1"
    new["forename"] = new["forename"].upper()
    candidates = link_new_record(police_resolution.model, new, police_mapping, resolution=police_resolution)
    assert candidates, "an exact repeat of an existing record must find it"
    assert candidates[0].rec_id in set(rows["record_id"])
    assert candidates[0].match_probability >= 0.5
    assert candidates[0].cluster_id is not None
    assert [c.match_weight for c in candidates] == sorted((c.match_weight for c in candidates), reverse=True)


def test_a_stranger_finds_nobody(police_resolution, police_mapping):
    stranger = {"record_id": "NEW-2", "forename": "Xanthippe", "surname": "Quibbleworth", "dob": "01/01/1931",
                "address": "1 Nowhere Lane", "town": "Atlantis", "postcode": "ZE9 9ZZ", "sex": "F",
                "ni_number": "", "pnc_id": ""}
    assert link_new_record(police_resolution.model, stranger, police_mapping) == []


def test_saved_model_reloads_and_scores_the_same(police_resolution, tmp_path: Path):
    path = tmp_path / "model.json"
    police_resolution.model.save(path)
    reloaded = load_model(path, police_resolution.records)
    assert reloaded.households == police_resolution.model.households
    original = police_resolution.scores.set_index(["uid_l", "uid_r"])["match_probability"]
    again = reloaded.predict().set_index(["uid_l", "uid_r"])["match_probability"]
    common = original.index.intersection(again.index)
    assert len(common) > 0.99 * len(original)
    assert (original[common] - again[common]).abs().max() < 1e-9
