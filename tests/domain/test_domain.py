from datetime import date, datetime

import pytest

from watchhouse.domain import (
    SENSITIVE,
    Classification,
    DomainError,
    EntityKind,
    EventRecord,
    Grading,
    GradingError,
    HistoricGrading,
    Link,
    LinkRole,
    LocationRecord,
    Marking,
    MarkingError,
    PersonRecord,
    RecordRef,
    Role,
    check_link,
    parse_grading,
    parse_marking,
)


def test_classifications_are_ordered_and_sensitive_is_a_caveat_not_a_tier():
    assert Classification.OFFICIAL < Classification.SECRET < Classification.TOP_SECRET
    sensitive = parse_marking("OFFICIAL-SENSITIVE")
    assert sensitive.classification is Classification.OFFICIAL
    assert sensitive.caveats == {SENSITIVE}
    assert len(Classification) == 3


@pytest.mark.parametrize(
    ("text", "classification", "caveats"),
    [
        ("OFFICIAL", Classification.OFFICIAL, set()),
        ("official sensitive", Classification.OFFICIAL, {SENSITIVE}),
        ("TOP-SECRET", Classification.TOP_SECRET, set()),
        ("top_secret", Classification.TOP_SECRET, set()),
        ("SECRET [case:CR-1, role:investigator]", Classification.SECRET, {"case:CR-1", "role:investigator"}),
        ("PROTECT", Classification.OFFICIAL, set()),
        ("RESTRICTED", Classification.OFFICIAL, {SENSITIVE}),
        ("CONFIDENTIAL", Classification.SECRET, set()),
        ("NOT PROTECTIVELY MARKED", Classification.OFFICIAL, set()),
    ],
)
def test_parse_marking(text, classification, caveats):
    marking = parse_marking(text)
    assert marking.classification is classification
    assert marking.caveats == caveats
    assert parse_marking(str(marking)) == marking


@pytest.mark.parametrize("text", ["", "ULTRA", "SECRET [bad caveat!]", "SECRET [a] [b]"])
def test_unreadable_markings_are_refused(text):
    with pytest.raises(MarkingError):
        parse_marking(text)


def test_stricter_marking_combines_tier_and_caveats():
    a = Marking(Classification.SECRET)
    b = parse_marking("OFFICIAL-SENSITIVE [case:1]")
    combined = a.at_least(b)
    assert combined.classification is Classification.SECRET
    assert combined.caveats == {SENSITIVE, "case:1"}
    assert str(combined) == "SECRET [OFFICIAL-SENSITIVE, case:1]"


@pytest.mark.parametrize("text", ["1AP", "1/A/P", "1-a-p", "1 A P"])
def test_3x5x2_grading(text):
    grading = parse_grading(text)
    assert grading == Grading("1", "A", "P")
    assert grading.code == "1AP"
    assert "reliable" in grading.describe()


def test_handling_code_c_restricts_sharing():
    assert parse_grading("3EC").sharing_restricted
    assert not parse_grading("2CP").sharing_restricted


def test_historic_5x5x5_stays_readable():
    grading = parse_grading("B/2/4")
    assert isinstance(grading, HistoricGrading)
    assert grading.code == "B24"
    assert "mostly reliable" in grading.describe()
    assert grading.sharing_restricted


@pytest.mark.parametrize("text", ["4AP", "1FP", "1AX", "1A", "F11", "A61", ""])
def test_bad_gradings_name_the_part(text):
    with pytest.raises(GradingError):
        parse_grading(text)


def test_roles_are_slugs():
    assert Role.parse("Intelligence Analyst") is Role.INTELLIGENCE_ANALYST
    assert {r.value for r in Role} >= {"call-handler", "partner", "auditor", "admin"}
    with pytest.raises(ValueError):
        Role.parse("constable")


def test_links_are_typed():
    person = RecordRef(EntityKind.PERSON, "cad", "1")
    call = RecordRef(EntityKind.EVENT, "cad", "C1")
    assert Link(person, call, "caller").role is LinkRole.CALLER
    with pytest.raises(DomainError, match="cannot link"):
        Link(call, person, "caller")
    with pytest.raises(DomainError, match="unknown link role"):
        check_link("person", "event", "bystander")


def test_records_validate_themselves():
    with pytest.raises(DomainError, match="name or an identifier"):
        PersonRecord("cad", "1")
    with pytest.raises(DomainError, match="in the future"):
        PersonRecord("cad", "1", given_name="A", date_of_birth=date(2999, 1, 1))
    with pytest.raises(DomainError, match="no source record id"):
        PersonRecord("cad", "  ", given_name="A")
    with pytest.raises(DomainError, match="lower-case slug"):
        PersonRecord("Bad System", "1", given_name="A")
    with pytest.raises(DomainError, match="only intelligence"):
        EventRecord("cad", "1", event_kind="call", grading=Grading("1", "A", "P"))
    with pytest.raises(DomainError, match="both latitude"):
        LocationRecord("cad", "1", latitude=53.8)
    with pytest.raises(DomainError, match="end before"):
        EventRecord("cad", "1", occurred_at=datetime(2020, 1, 2), occurred_to=datetime(2020, 1, 1))
    assert PersonRecord("cad", "1", pnc_id="2001/0012345A").ref.kind is EntityKind.PERSON
