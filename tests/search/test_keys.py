from datetime import date

import pytest
from hypothesis import given, strategies as st

from watchhouse.search.keys import QueryError, parse_query, person_keys, postcode_parts, query_keys


def test_free_text_is_split_into_names_date_postcode_and_identifier():
    q = parse_query("Bill SMITH 07/03/1984 ls1 1ab 12/345678X")
    assert q.names == ["bill", "smith"]
    assert q.date_of_birth == date(1984, 3, 7)
    assert q.postcode == "ls1 1ab"
    assert q.identifier == "12/345678X"


def test_nickname_query_meets_formal_name_record():
    record = person_keys({"given_name": "William", "family_name": "Smith"})
    wanted = query_keys(parse_query("bill smith"))
    assert {"g:william", "f:smith"} <= record & set(wanted)


def test_swapped_day_and_month_are_looked_up_at_lower_weight():
    keys = query_keys(parse_query("07/03/1984"))
    assert keys["d:1984-03-07"] > keys["d:1984-07-03"] > 0


def test_double_barrelled_surname_is_found_by_either_part():
    keys = person_keys({"family_name": "Smith-Jones"})
    assert {"f:smith", "f:jones", "f:smithjones"} <= keys


@pytest.mark.parametrize("text, message", [("31/02/1990", "not a real date"), ("x" * 201, "longer than 200")])
def test_bad_queries_say_why(text, message):
    with pytest.raises(QueryError, match=message):
        parse_query(text)


def test_bad_structured_filters_say_why():
    with pytest.raises(QueryError, match="age_min is greater"):
        parse_query(age_min=40, age_max=30)
    with pytest.raises(QueryError, match="not a UK postcode"):
        parse_query(postcode="NOWHERE")


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_cleanly(text):
    try:
        query = parse_query(text)
    except QueryError:
        return
    query_keys(query)


def test_postcode_parts():
    assert postcode_parts("LS11AB") == ("ls11ab", "ls11")
    assert postcode_parts("SW1A 2AA") == ("sw1a2aa", "sw1a2")
    assert postcode_parts("12345") is None


def test_a_long_text_cannot_make_thousands_of_keys():
    from watchhouse.search.keys import parse_query, query_keys

    text = " ".join(f"{a}{b}{c}x" for a, b, c in zip("abcdefghij" * 4, "klmnopqrst" * 4, "uvwxyzabcd" * 4))[:199]
    assert len(query_keys(parse_query(text))) < 1000
