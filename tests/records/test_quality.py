from datetime import date

import sqlalchemy as sa

from watchhouse.access import Viewer
from watchhouse.domain import PersonRecord, parse_marking
from watchhouse.records import replace_memberships, upsert_records
from watchhouse.records.quality import quality_report


def test_quality_report_counts_missing_invalid_duplicates_and_conflicts(engine):
    people = [
        PersonRecord("cad", "1", given_name="John", family_name="Smith", date_of_birth=date(1980, 5, 4), postcode="LS1 4AP"),
        PersonRecord("cad", "2", given_name="Jon", family_name="Smith", postcode="LS99"),  # duplicate; bad postcode
        PersonRecord("crime", "A", given_name="John", family_name="Smith", date_of_birth=date(1980, 4, 5), postcode="LS1 4AP"),
        PersonRecord("crime", "B", given_name="Mary", family_name="Jones", date_of_birth=date(1990, 1, 1)),
        PersonRecord("crime", "S", given_name="Secret", family_name="Person", marking=parse_marking("SECRET")),
    ]
    ids = upsert_records(engine, people).ids
    replace_memberships(engine, {ids[people[0].ref]: "john", ids[people[1].ref]: "john", ids[people[2].ref]: "john"})
    with engine.begin() as connection:  # a value loaded before validation existed
        connection.execute(sa.text("update record_people set date_of_birth = '2999-01-01' where source_record_id = 'B'"))

    analyst = Viewer("a", "intelligence-analyst", "SECRET")
    cad, crime = quality_report(engine, analyst)
    assert (cad.system, cad.person_records, crime.person_records) == ("cad", 2, 3)
    assert cad.missing["date_of_birth"] == 1 and cad.missing["phone"] == 2
    assert cad.invalid == {"postcode": 1}
    assert crime.invalid == {"date_of_birth": 1}
    assert cad.duplicates_within == 1 and crime.duplicates_within == 0
    assert cad.shared_with_other_systems == 2 and crime.shared_with_other_systems == 1
    assert cad.conflicts == {"given_name": 1, "date_of_birth": 1, "postcode": 1}
    assert crime.conflicts == {"given_name": 1, "date_of_birth": 1, "postcode": 1}

    officer = Viewer("o", "response-officer", "OFFICIAL")
    assert [q.person_records for q in quality_report(engine, officer)] == [2, 2]  # the SECRET record is not counted


def test_quality_command(database_url):
    from typer.testing import CliRunner

    from watchhouse.cli import app
    from watchhouse.store import get_engine

    runner = CliRunner()
    empty = runner.invoke(app, ["records", "quality", "--db", database_url], env={"COLUMNS": "200"})
    assert empty.exit_code == 0 and "No person records loaded yet" in empty.output
    upsert_records(get_engine(database_url), [
        PersonRecord("cad", "1", given_name="John", family_name="Smith", postcode="LS99"),
        PersonRecord("crime", "A", given_name="Jon", family_name="Smith", postcode="LS1 4AP"),
    ])
    result = runner.invoke(app, ["records", "quality", "--db", database_url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    invalid_postcodes = next(line for line in result.output.splitlines() if "invalid postcode" in line)
    assert [cell.strip() for cell in invalid_postcodes.split("│")[2:4]] == ["1", "0"]
    assert "record linkage" in result.output  # no clusters yet: says so
