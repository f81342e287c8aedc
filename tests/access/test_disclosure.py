import pytest

from watchhouse.access.disclosure import disclosure_rule, may_disclose


def test_p_permits_and_c_needs_conditions():
    assert may_disclose("1AP", to_partner=True, conditions_attached=False)
    assert not may_disclose("2BC", to_partner=True, conditions_attached=False)
    assert may_disclose("2BC", to_partner=True, conditions_attached=True)
    assert "conditions" in disclosure_rule("2BC").instruction


@pytest.mark.parametrize("code, law_enforcement, partner", [("B21", True, False), ("B22", True, True),
                                                            ("B24", False, False), ("B25", False, False)])
def test_historic_handling_codes_stay_enforceable(code, law_enforcement, partner):
    assert may_disclose(code, to_partner=False, conditions_attached=True) is law_enforcement
    assert may_disclose(code, to_partner=True, conditions_attached=True) is partner


def test_unreadable_grading_discloses_nothing():
    assert not may_disclose("??", to_partner=False, conditions_attached=True)
    assert may_disclose(None, to_partner=True, conditions_attached=False)
