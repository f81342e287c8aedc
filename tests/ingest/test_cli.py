from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from watchhouse.cli import app

FIXTURES = Path(__file__).parent.parent / "fixtures" / "police_uk"
runner = CliRunner(env={"COLUMNS": "250"})


def count(database_url, table):
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
    finally:
        engine.dispose()


def test_police_uk_command_loads_and_summarises(database_url):
    result = runner.invoke(app, ["ingest", "police-uk", "--no-progress", "--db", database_url, str(FIXTURES / "2018-07"), str(FIXTURES / "2018-08")])
    assert result.exit_code == 0, result.output
    assert "street" in result.output and "stop-and-search" in result.output and "outcomes" in result.output
    assert "total" in result.output
    assert count(database_url, "crimes") == 8 and count(database_url, "stops") == 3

    again = runner.invoke(app, ["ingest", "police-uk", "--no-progress", "--db", database_url, str(FIXTURES / "2018-07")])
    assert again.exit_code == 0, again.output
    total_line = next(line for line in again.output.splitlines() if "total" in line)
    assert [cell.strip() for cell in total_line.split("│")[3:8]] == ["11", "0", "0", "11", "0"]
    assert count(database_url, "crimes") == 8


def test_file_level_error_exits_non_zero_naming_file_line_and_field(database_url):
    bad = FIXTURES / "malformed" / "bad-header" / "2018-07-west-yorkshire-street.csv"
    result = runner.invoke(app, ["ingest", "police-uk", "--no-progress", "--db", database_url, str(bad)])
    assert result.exit_code == 1
    assert "line 1" in result.output and "'LSOA label'" in result.output
    assert "bad-header" in result.output.replace("\n", "")
    assert count(database_url, "crimes") == 0


def test_quarantine_command_lists_refused_rows(database_url):
    bad_rows = FIXTURES / "malformed" / "bad-rows"
    loaded = runner.invoke(app, ["ingest", "police-uk", "--no-progress", "--db", database_url, str(bad_rows)])
    assert loaded.exit_code == 0, loaded.output
    result = runner.invoke(app, ["ingest", "quarantine", "--db", database_url, "--limit", "3"])
    assert result.exit_code == 0, result.output
    assert "(3 of 8)" in result.output
    assert "not a month in YYYY-MM form" in result.output.replace("\n", "")
