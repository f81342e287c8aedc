import numpy as np
import pytest

from watchhouse.predict.harm import HarmTableError, harm_weight, harm_weights, is_proactive, load_harm_table


def test_police_uk_categories_by_slug_and_archive_name():
    assert harm_weight("robbery") == 365
    assert harm_weight("Violence and sexual offences") == harm_weight("violent-crime") == 90
    assert harm_weight("Criminal damage and arson") == harm_weight("criminal-damage-arson")
    assert harm_weight("Anti-social behaviour") < harm_weight("Burglary") < harm_weight("Robbery")


def test_free_text_categories_from_other_cities():
    assert harm_weight("HOMICIDE") == 5475
    assert harm_weight("Break and Enter") == harm_weight("burglary")
    assert harm_weight("Auto Theft") == 20
    assert harm_weight("Theft Over") == 20
    assert harm_weight("AGGRAVATED ASSAULT") > harm_weight("Assault") > harm_weight("theft")


def test_unknown_categories_get_the_default():
    table = load_harm_table()
    assert harm_weight("zorbing without a licence") == table.default_weight
    assert harm_weight(None) == table.default_weight
    weights = harm_weights(np.array(["robbery", "robbery", "mystery"], dtype=object))
    assert weights.tolist() == [365, 365, table.default_weight]


def test_default_table_states_its_source():
    assert "Cambridge Crime Harm Index" in load_harm_table().source


def test_table_can_be_overridden_by_path_and_environment(tmp_path, monkeypatch):
    path = tmp_path / "harm.yaml"
    path.write_text("source: force table\ndefault_weight: 2\ncategories:\n  burglary: 99\nkeywords:\n  - [heist, 500]\n")
    table = load_harm_table(path)
    assert harm_weight("Burglary", table) == 99
    assert harm_weight("Great heist", table) == 500
    assert harm_weight("robbery", table) == 2
    monkeypatch.setenv("WATCHHOUSE_HARM_TABLE", str(path))
    assert harm_weight("burglary") == 99


def test_bad_tables_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("categories:\n  burglary: lots\n")
    with pytest.raises(HarmTableError, match="must be a number"):
        load_harm_table(bad)
    with pytest.raises(HarmTableError, match="not found"):
        load_harm_table(tmp_path / "absent.yaml")


def test_proactive_offences_are_recognised():
    assert is_proactive("drugs") and is_proactive("NARCOTICS") and is_proactive("Possession of weapons")
    assert not is_proactive("burglary")


def test_one_proactive_list_for_forecasts_fairness_and_simulation(tmp_path):
    from watchhouse.predict import feedback, harm

    names = ["drugs", "Drugs", "Possession of weapons", "stop-and-search", "Stop and search", "NARCOTICS",
             "WEAPONS VIOLATION", "CONCEALED CARRY LICENSE VIOLATION", "burglary", "Public disorder and weapons",
             "Violence and sexual offences", "THEFT", None, float("nan")]
    assert [harm.is_proactive(n) for n in names] == [feedback.is_proactive(n) for n in names]
    assert harm.reported_mask(names).tolist() == feedback.reported_mask(names).tolist() == [
        False, False, False, False, False, False, False, False, True, True, True, True, True, True]
    assert feedback.PROACTIVE_CATEGORIES == load_harm_table().proactive_categories
    # A force's own weights table keeps the shipped lists unless it states its own.
    own = tmp_path / "own.yaml"
    own.write_text("categories:\n  burglary: 99\n")
    assert load_harm_table(own).is_proactive("drugs")
    stated = tmp_path / "stated.yaml"
    stated.write_text("categories:\n  burglary: 99\nproactive_categories: []\nproactive_keywords: [shoplifting]\n")
    table = load_harm_table(stated)
    assert not table.is_proactive("drugs") and table.is_proactive("Shoplifting")
