import pandas as pd
import pytest

from watchhouse.resolve.mapping import parse_mapping
from watchhouse.resolve.names import family_name_columns, given_name_columns
from watchhouse.resolve.prepare import UnusableFileError, prepare_frame, standard_postcode

MAPPING = parse_mapping({
    "id": "id",
    "fields": {"given_name": "first", "family_name": "last",
               "date_of_birth": {"column": "dob", "format": "%d/%m/%Y"}, "postcode": "pc",
               "identifiers": {"pnc": "pnc"}},
})


def test_given_names_lose_titles_and_keep_a_formal_key():
    columns = given_name_columns(pd.Series(["Mr. BILL", "william John", "Peggy", "J", None]))
    assert list(columns["given_name"].fillna("-")) == ["bill", "william", "peggy", "j", "-"]
    assert columns["given_key"][0] == columns["given_key"][1] == "william"
    assert columns["given_key"][2] == "margaret"
    assert columns["given_middle"][1] == "john"
    assert columns["given_initial"][3] == "j"


def test_family_names_keep_suffix_and_double_barrelled_parts():
    columns = family_name_columns(pd.Series(["O'Neil-Smith", "Smith Jr", "smith  jones"]))
    assert list(columns["family_name"]) == ["oneil smith", "smith", "smith jones"]
    assert columns["family_first"][0] == "oneil" and columns["family_last"][0] == "smith"
    assert columns["name_suffix_family"][1] == "junior"


def test_uk_postcodes_split_into_sector_district_area_and_others_stay_text():
    out = standard_postcode(pd.Series(["ls1 4ap", "SW1A1AA", "2119", None]))
    assert list(out["postcode"].fillna("-")) == ["LS1 4AP", "SW1A 1AA", "2119", "-"]
    assert out["postcode_sector"][0] == "LS1 4" and out["postcode_district"][1] == "SW1A"
    assert out["postcode_area"][0] == "LS"
    assert out["postcode_sector"].isna()[2]


def test_bad_rows_are_reported_not_dropped_silently():
    raw = pd.DataFrame({
        "id": ["a", "b", "b", "", "e", "f"],
        "first": ["Ann", "Bob", "Bob", "Cy", "", "Di"],
        "last": ["Lee", "Ray", "Ray", "Fox", "", "Orr"],
        "dob": ["01/02/1980", "31/02/1980", "03/03/1970", "04/04/1960", "05/05/1950", "06/06/1990"],
        "pc": ["LS1 4AP"] * 6,
        "pnc": [""] * 6,
    })
    prepared = prepare_frame(raw, MAPPING, name="people.csv")
    assert list(prepared.frame["rec_id"]) == ["a", "b", "f"]
    by_id = {(issue.rec_id, issue.reason) for issue in prepared.issues}
    assert ("b", "not a date in format %d/%m/%Y") in by_id
    assert ("b", "repeats the id of an earlier row") in by_id
    assert ("", "no record id") in by_id
    assert any(issue.rec_id == "e" and "nothing identifies" in issue.reason for issue in prepared.issues)
    assert prepared.frame.set_index("rec_id").at["b", "dob"] is pd.NA


def test_a_file_with_no_identifying_values_is_refused():
    raw = pd.DataFrame({"id": ["1", "2", "3"], "first": ["", "", ""], "last": ["", "", ""],
                        "dob": ["", "", ""], "pc": ["LS1 4AP"] * 3, "pnc": ["", "", ""]})
    with pytest.raises(UnusableFileError, match="refusing to link"):
        prepare_frame(raw, MAPPING, name="empty.csv")


def test_full_name_is_split_when_given_and_family_are_not_mapped():
    mapping = parse_mapping({"id": "id", "fields": {"full_name": "name", "postcode": "pc"}})
    raw = pd.DataFrame({"id": ["1", "2"], "name": ["SMITH, John Paul", "Mary O'Brien"], "pc": ["LS1 4AP"] * 2})
    frame = prepare_frame(raw, mapping).frame
    assert list(frame["given_name"]) == ["john", "mary"]
    assert list(frame["family_name"]) == ["smith", "obrien"]
    assert frame["given_middle"][0] == "paul"
