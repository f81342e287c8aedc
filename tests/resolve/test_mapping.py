from pathlib import Path

import pytest

from watchhouse.resolve.mapping import MappingError, load_mapping, parse_mapping

GOOD = {
    "id": "rec_id",
    "fields": {
        "given_name": "given_name", "family_name": "surname",
        "date_of_birth": {"column": "date_of_birth", "format": "%Y%m%d"},
        "address": ["street_number", "address_1", "address_2"], "locality": "suburb", "postcode": "postcode",
        "region": "state", "identifiers": {"national_id": "soc_sec_id"},
    },
}


def with_fields(**changes):
    return {"id": "rec_id", "fields": {**GOOD["fields"], **changes}}


def test_the_documented_mapping_parses():
    mapping = parse_mapping(GOOD)
    assert mapping.id_column == "rec_id"
    assert mapping.date_format == "%Y%m%d"
    assert mapping.address == ("street_number", "address_1", "address_2")
    assert mapping.identifiers["national_id"].column == "soc_sec_id"
    assert mapping.columns()[0] == "rec_id" and "suburb" in mapping.columns()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (with_fields(date_of_birth={"column": "dob", "format": "%Y%Q%d"}), "%Q"),
        (with_fields(date_of_birth={"column": "dob", "format": "%d/%m"}), "year"),
        (with_fields(date_of_birth={"column": "dob", "format": "%Y-%m"}), "single calendar day"),
        (with_fields(given_name={"column": "given_name", "transform": "soundex"}), "unknown transform 'soundex'"),
        (with_fields(nickname="x"), "fields.nickname is not a person field"),
        ({"id": "rec_id", "fields": {"address": ["a"], "postcode": "p"}}, "no identifying field"),
        ({"fields": GOOD["fields"]}, "'id' must name"),
        (with_fields(address=[]), "fields.address"),
    ],
)
def test_bad_mappings_fail_naming_the_problem(document, message):
    with pytest.raises(MappingError, match=message.replace("(", r"\(")):
        parse_mapping(document, "map.yaml")


def test_mapping_naming_a_missing_column_fails_before_reading_rows(tmp_path: Path):
    path = tmp_path / "people.csv"
    path.write_text("rec_id,given_name,surname\n1,ann,lee\n")
    mapping = parse_mapping(GOOD, "map.yaml")
    with pytest.raises(MappingError, match="'date_of_birth'.*'suburb'|has no column"):
        mapping.check_columns(path)


def test_load_mapping_reports_yaml_errors(tmp_path: Path):
    path = tmp_path / "map.yaml"
    path.write_text("id: [unclosed\n")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(path)
