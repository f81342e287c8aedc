import itertools

import pytest

from watchhouse.access import AccessDenied, Viewer, can_see, redact, visible_records
from watchhouse.domain import SENSITIVE, Classification, Marking, Role

CLEARANCES = list(Classification)
MARKINGS = [
    Marking(Classification.OFFICIAL),
    Marking(Classification.OFFICIAL, frozenset({SENSITIVE})),
    Marking(Classification.SECRET),
    Marking(Classification.SECRET, frozenset({SENSITIVE})),
    Marking(Classification.TOP_SECRET),
    Marking(Classification.OFFICIAL, frozenset({"case:CR-1"})),
    Marking(Classification.SECRET, frozenset({"role:intelligence-analyst"})),
]
VIEWER_CAVEATS = [frozenset(), frozenset({SENSITIVE}), frozenset({SENSITIVE, "case:CR-1"})]


@pytest.mark.parametrize(
    ("clearance", "marking", "caveats", "role"),
    list(itertools.product(CLEARANCES, MARKINGS, VIEWER_CAVEATS, [Role.INVESTIGATOR, Role.INTELLIGENCE_ANALYST])),
)
def test_every_clearance_against_every_marking(clearance, marking, caveats, role):
    viewer = Viewer("u", role, clearance, caveats)
    holds_all = all(c in caveats or c == f"role:{role.value}" for c in marking.caveats)
    expected = clearance >= marking.classification and holds_all
    assert can_see(viewer, marking) is expected
    # The text form of a marking means the same thing as the marking itself.
    assert can_see(viewer, str(marking)) is expected


@pytest.mark.parametrize("clearance", CLEARANCES)
@pytest.mark.parametrize("field_marking", ["OFFICIAL", "SECRET", "TOP SECRET", "OFFICIAL-SENSITIVE"])
def test_redact_withholds_fields_above_clearance_and_names_them(clearance, field_marking):
    viewer = Viewer("u", Role.INVESTIGATOR, clearance)
    record = {
        "marking": "OFFICIAL",
        "field_markings": {"phone": field_marking, "raw.TEL": field_marking},
        "family_name": "SMITH",
        "phone": "07700900123",
        "raw": {"SURNAME": "SMITH", "TEL": "07700 900123"},
    }
    visible, withheld = redact(viewer, record)
    allowed = can_see(viewer, field_marking)
    assert visible["family_name"] == "SMITH"
    assert ("phone" in visible) is allowed
    assert ("TEL" in visible["raw"]) is allowed
    assert withheld == ([] if allowed else ["phone", "raw.TEL"])
    assert "field_markings" not in visible
    if not allowed:
        # Withheld means absent and reported, never an empty value pretending to be data.
        assert "phone" not in visible and "phone" in withheld


def test_redact_refuses_a_record_above_clearance():
    viewer = Viewer("u", "response-officer", "OFFICIAL")
    with pytest.raises(AccessDenied):
        redact(viewer, {"marking": "SECRET", "family_name": "X"})


def test_visible_records_leaves_out_what_cannot_be_seen():
    viewer = Viewer("u", "response-officer", "SECRET")
    records = [{"marking": m, "id": i} for i, m in enumerate(["OFFICIAL", "TOP SECRET", "SECRET", "OFFICIAL-SENSITIVE"])]
    assert [r["id"] for r, _ in visible_records(viewer, records)] == [0, 2]


def test_historic_markings_are_read_conservatively():
    officer = Viewer("u", "response-officer", "OFFICIAL")
    assert can_see(officer, "PROTECT")
    assert not can_see(officer, "RESTRICTED")  # becomes OFFICIAL-SENSITIVE
    assert not can_see(Viewer("u", "investigator", "OFFICIAL", frozenset({SENSITIVE})), "CONFIDENTIAL")
    assert can_see(Viewer("u", "investigator", "SECRET"), "CONFIDENTIAL")


def test_viewer_rejects_unknown_role_and_clearance():
    with pytest.raises(ValueError, match="unknown role"):
        Viewer("u", "sheriff", "OFFICIAL")
    with pytest.raises(ValueError, match="unknown marking"):
        Viewer("u", "investigator", "ULTRA")


def test_system_viewer_sees_everything_but_says_why():
    system = Viewer.system("record linkage")
    assert can_see(system, "TOP SECRET [case:anything, OFFICIAL-SENSITIVE]")
    assert system.purpose == "record linkage"


@pytest.mark.parametrize(
    ("marking", "needed"),
    [("OFFICIAL", False), ("OFFICIAL-SENSITIVE", True), ("SECRET", True), ("TOP SECRET", True), ("OFFICIAL [case:1]", True)],
)
def test_purpose_is_needed_above_official_or_under_a_caveat(marking, needed):
    from watchhouse.access import PurposeRequired, check_purpose, needs_purpose

    assert needs_purpose(marking) is needed
    silent = Viewer("u", "investigator", "TOP SECRET", frozenset({SENSITIVE, "case:1"}))
    if needed:
        with pytest.raises(PurposeRequired, match="state the purpose"):
            check_purpose(silent, marking)
    else:
        check_purpose(silent, marking)
    check_purpose(Viewer("u", "investigator", "TOP SECRET", purpose="CR-2018-0042"), marking)


def test_every_person_lookup_needs_a_purpose():
    from watchhouse.access import PurposeRequired, check_purpose

    with pytest.raises(PurposeRequired):
        check_purpose(Viewer("u", "call-handler", "OFFICIAL", purpose="  "), person_lookup=True)
    check_purpose(Viewer("u", "call-handler", "OFFICIAL", purpose="incident 20180701-0001"), person_lookup=True)
