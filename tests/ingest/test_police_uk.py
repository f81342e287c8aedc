import csv
import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from watchhouse.ingest.police_uk import IngestError, force_id, ingest_paths, quarantined_rows

FIXTURES = Path(__file__).parent.parent / "fixtures" / "police_uk"
STREET = FIXTURES / "2018-07" / "2018-07-west-yorkshire-street.csv"
STOPS = FIXTURES / "2018-07" / "2018-07-west-yorkshire-stop-and-search.csv"
OUTCOMES = FIXTURES / "2018-08" / "2018-08-west-yorkshire-outcomes.csv"
MALFORMED = FIXTURES / "malformed"


def crime_id(n: int) -> str:
    # The fixtures' Crime IDs.
    return hashlib.sha256(f"crime{n}".encode()).hexdigest()


def scalar(engine, sql, **params):
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def rows(engine, sql, **params):
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).all()


def table_counts(engine):
    return {name: scalar(engine, f"SELECT count(*) FROM {name}") for name in ("crimes", "outcomes", "stops", "map_points", "quarantine", "ingest_runs")}


def test_street_file_loads_every_row_with_force_category_and_map_points(engine):
    report = ingest_paths(engine, [STREET])
    (file_report,) = report.files
    assert (file_report.kind, file_report.read, file_report.loaded, file_report.quarantined) == ("street", 8, 8, 0)
    assert scalar(engine, "SELECT count(*) FROM crimes") == 8
    assert rows(engine, "SELECT DISTINCT force_code FROM crimes") == [("west-yorkshire",)]
    crime = rows(
        engine,
        "SELECT persistent_id, category, crime_type, latitude, longitude, lsoa_code, last_outcome_category, last_outcome_month "
        "FROM crimes WHERE crime_key = :key",
        key=crime_id(3),
    )[0]
    assert crime == (crime_id(3), "violent-crime", "Violence and sexual offences", 53.8012, -1.5523, "E01033015", "Unable to prosecute suspect", "2018-07")
    # Briggate twice, Boar Lane three times, Park Row, Manningham Lane: four distinct map points.
    assert scalar(engine, "SELECT count(*) FROM map_points") == 4
    assert rows(engine, "SELECT name FROM map_points WHERE latitude = 53.8012") == [("On or near Park Row, Leeds",)]
    assert scalar(engine, "SELECT count(DISTINCT map_point_id) FROM crimes WHERE crime_key IN (:a, :b)", a=crime_id(1), b=crime_id(2)) == 1


def test_crime_without_location_has_no_coordinates_or_map_point(engine):
    ingest_paths(engine, [STREET])
    assert rows(engine, "SELECT latitude, longitude, map_point_id, lsoa_code FROM crimes WHERE crime_key = :key", key=crime_id(4)) == [
        (None, None, None, None)
    ]


def test_identical_anti_social_behaviour_rows_stay_distinct_with_stable_keys(engine):
    ingest_paths(engine, [STREET])
    asb = rows(engine, "SELECT crime_key, persistent_id, category FROM crimes WHERE crime_type = 'Anti-social behaviour' ORDER BY source_line")
    assert len(asb) == 3
    assert len({key for key, _, _ in asb}) == 3
    assert all(persistent_id == "" and category == "anti-social-behaviour" for _, persistent_id, category in asb)
    assert all(len(key) == 64 and int(key, 16) >= 0 for key, _, _ in asb)
    first_keys = sorted(key for key, _, _ in asb)

    again = ingest_paths(engine, [STREET])
    assert again.total.unchanged == 8 and again.total.loaded == 0
    assert sorted(key for (key,) in rows(engine, "SELECT crime_key FROM crimes WHERE persistent_id = ''")) == first_keys


def test_reingesting_changes_nothing_and_reports_unchanged(engine):
    first = ingest_paths(engine, [FIXTURES / "2018-07", FIXTURES / "2018-08", MALFORMED / "bad-rows"])
    before = table_counts(engine)
    snapshot = rows(engine, "SELECT * FROM crimes ORDER BY crime_key")
    second = ingest_paths(engine, [FIXTURES / "2018-07", FIXTURES / "2018-08", MALFORMED / "bad-rows"])
    after = table_counts(engine)

    assert first.total.loaded > 0
    assert second.total.loaded == 0 and second.total.updated == 0
    assert second.total.unchanged == second.total.read - second.total.quarantined
    assert second.total.quarantined == first.total.quarantined > 0
    assert {k: v for k, v in after.items() if k != "ingest_runs"} == {k: v for k, v in before.items() if k != "ingest_runs"}
    assert after["ingest_runs"] == before["ingest_runs"] + len(second.files)  # every load is logged
    assert rows(engine, "SELECT * FROM crimes ORDER BY crime_key") == snapshot


def test_changed_row_is_updated_not_duplicated(engine, tmp_path):
    ingest_paths(engine, [STREET])
    month_folder = tmp_path / "2018-07"
    month_folder.mkdir()
    changed = month_folder / STREET.name
    changed.write_text(STREET.read_text().replace("Under investigation", "Local resolution"))
    report = ingest_paths(engine, [changed])
    assert (report.total.loaded, report.total.updated, report.total.unchanged) == (0, 1, 7)
    assert scalar(engine, "SELECT count(*) FROM crimes") == 8
    assert scalar(engine, "SELECT last_outcome_category FROM crimes WHERE crime_key = :key", key=crime_id(1)) == "Local resolution"


def test_outcomes_are_stored_and_advance_the_crimes_they_refer_to(engine):
    report = ingest_paths(engine, [OUTCOMES, STREET])  # order given does not matter: crimes load first
    assert [f.kind for f in report.files] == ["street", "outcomes"]
    outcomes_report = report.files[1]
    assert (outcomes_report.read, outcomes_report.loaded, outcomes_report.updated) == (4, 4, 2)
    assert scalar(engine, "SELECT count(*) FROM outcomes") == 4
    assert rows(engine, "SELECT last_outcome_category, last_outcome_month FROM crimes WHERE crime_key = :key", key=crime_id(1)) == [
        ("Investigation complete; no suspect identified", "2018-08")
    ]
    # Two outcomes in one month: the later line is the latest.
    assert scalar(engine, "SELECT last_outcome_category FROM crimes WHERE crime_key = :key", key=crime_id(2)) == "Offender fined"
    assert rows(engine, "SELECT outcome_code FROM outcomes WHERE crime_key = :key ORDER BY source_line", key=crime_id(2)) == [
        ("charged",),
        ("fined",),
    ]
    # Crimes without an outcome in the file keep the street file's.
    assert scalar(engine, "SELECT last_outcome_category FROM crimes WHERE crime_key = :key", key=crime_id(3)) == "Unable to prosecute suspect"


def test_outcomes_loaded_before_their_crimes_still_apply(engine):
    ingest_paths(engine, [OUTCOMES])
    ingest_paths(engine, [STREET])
    assert rows(engine, "SELECT last_outcome_category, last_outcome_month FROM crimes WHERE crime_key = :key", key=crime_id(1)) == [
        ("Investigation complete; no suspect identified", "2018-08")
    ]
    # Reloading the street file does not take the crime back to its older outcome.
    again = ingest_paths(engine, [STREET])
    assert again.total.updated == 0 and again.total.unchanged == 8
    assert scalar(engine, "SELECT last_outcome_category FROM crimes WHERE crime_key = :key", key=crime_id(1)) == (
        "Investigation complete; no suspect identified"
    )


def test_stop_and_search_rows_load_with_force_from_the_file_name(engine):
    report = ingest_paths(engine, [STOPS])
    assert (report.files[0].kind, report.files[0].loaded) == ("stop-and-search", 3)
    stops = rows(engine, "SELECT force_code, month, datetime, operation, operation_name, latitude FROM stops ORDER BY datetime")
    assert stops[0] == ("west-yorkshire", "2018-07", "2018-07-01T10:15:00+00:00", "false", "", 53.799722)
    assert stops[1][3:5] == ("true", "Operation Example")
    assert stops[2][5] is None
    assert ingest_paths(engine, [STOPS]).total.unchanged == 3
    assert scalar(engine, "SELECT count(*) FROM stops") == 3


def test_kind_is_told_by_header_not_name(engine, tmp_path):
    anonymous = tmp_path / "2018-07"
    anonymous.mkdir()
    shutil.copy(STREET, anonymous / "export.csv")
    shutil.copy(OUTCOMES, tmp_path / "something.csv")
    report = ingest_paths(engine, [tmp_path])
    assert sorted(f.kind for f in report.files) == ["outcomes", "street"]
    assert scalar(engine, "SELECT count(*) FROM crimes") == 8


def test_zip_archive_of_month_folders_loads_like_the_folders(engine, tmp_path):
    archive = tmp_path / "police-uk.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in (STREET, STOPS, OUTCOMES):
            zipped.write(path, f"{path.parent.name}/{path.name}")
    report = ingest_paths(engine, [archive])
    assert [f.kind for f in report.files] == ["street", "outcomes", "stop-and-search"]
    assert report.files[0].file == f"{archive}:2018-07/{STREET.name}"
    assert table_counts(engine)["crimes"] == 8 and table_counts(engine)["stops"] == 3
    # The same files unzipped are the same data.
    again = ingest_paths(engine, [FIXTURES / "2018-07", FIXTURES / "2018-08"])
    assert again.total.loaded == 0 and again.total.updated == 0


def test_bad_rows_are_quarantined_with_file_line_field_and_reason(engine):
    bad_file = MALFORMED / "bad-rows" / "2018-07-west-yorkshire-street.csv"
    report = ingest_paths(engine, [bad_file])
    (file_report,) = report.files
    assert (file_report.read, file_report.loaded, file_report.quarantined) == (10, 2, 8)
    assert scalar(engine, "SELECT count(*) FROM crimes") == 2

    quarantined = quarantined_rows(engine)
    by_line = {row.line: row for row in quarantined}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert all(row.file_name == str(bad_file) for row in quarantined)
    expected = {
        3: ("Month", "not a month in YYYY-MM form"),
        4: ("Month", "not this file's month 2018-07"),
        5: ("Latitude", "impossible"),
        6: ("Latitude", "give both or neither"),
        7: ("Crime ID", "not 64 hexadecimal digits"),
        8: (None, "expected 12 fields, found 10"),
        9: ("Crime type", "unknown crime type 'Jaywalking'"),
        10: ("Latitude", "outside the UK"),
    }
    for line, (field, reason) in expected.items():
        assert by_line[line].field == field, line
        assert reason in by_line[line].reason, (line, by_line[line].reason)
    assert next(csv.reader([by_line[7].raw]))[0] == "not-a-crime-id"
    run_id = scalar(engine, "SELECT id FROM ingest_runs")
    assert scalar(engine, "SELECT count(*) FROM quarantine WHERE run_id = :run", run=run_id) == 8
    assert scalar(engine, "SELECT rows_quarantined FROM ingest_runs") == 8


@pytest.mark.parametrize(
    ("folder", "line", "field", "reason"),
    [
        ("bad-header", 1, "LSOA label", "unknown column 'LSOA label'"),
        ("missing-column", 1, "Context", "missing column 'Context'"),
        ("broken-quote", 4, None, "malformed CSV"),
    ],
)
def test_file_level_error_names_file_line_field_and_writes_nothing(engine, folder, line, field, reason):
    path = MALFORMED / folder / "2018-07-west-yorkshire-street.csv"
    with pytest.raises(IngestError) as raised:
        ingest_paths(engine, [path, STREET])
    (error,) = raised.value.report.errors
    assert (error.file, error.line, error.field) == (str(path), line, field)
    assert reason in error.reason
    assert str(path) in str(raised.value)
    # The good file still loaded; nothing at all of the refused one.
    assert [f.file for f in raised.value.report.files] == [str(STREET)]
    assert scalar(engine, "SELECT count(*) FROM crimes WHERE source_file = :file", file=str(path)) == 0
    assert scalar(engine, "SELECT count(*) FROM ingest_runs WHERE file_name = :file", file=str(path)) == 0
    assert scalar(engine, "SELECT count(*) FROM quarantine") == 0


def test_file_that_is_not_utf8_is_refused_with_its_line(engine, tmp_path):
    month_folder = tmp_path / "2018-07"
    month_folder.mkdir()
    path = month_folder / STREET.name
    path.write_bytes(STREET.read_bytes().replace(b"Boar Lane", b"Boar L\xe9ne", 1))
    report = ingest_paths(engine, [path], raise_on_error=False)
    assert report.files == []
    (error,) = report.errors
    assert error.line == 4 and "UTF-8" in error.reason
    assert table_counts(engine)["crimes"] == 0


def test_database_failure_midway_rolls_back_the_whole_file(engine, monkeypatch):
    from watchhouse.crimes import load

    def fail_after_inserting(connection, parsed_rows):
        load.upsert_street_crimes(connection, parsed_rows)
        connection.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))

    monkeypatch.setitem(__import__("watchhouse.ingest.police_uk", fromlist=["_LOADERS"])._LOADERS, "street", fail_after_inserting)
    report = ingest_paths(engine, [MALFORMED / "bad-rows"], raise_on_error=False)
    assert "nothing was written" in report.errors[0].reason
    assert table_counts(engine) == {name: 0 for name in ("crimes", "outcomes", "stops", "map_points", "quarantine", "ingest_runs")}


def test_missing_path_and_unrecognised_file_are_errors(engine, tmp_path):
    stray = tmp_path / "notes.csv"
    stray.write_text("Name,Value\nx,1\n")
    report = ingest_paths(engine, [tmp_path / "absent.csv", stray], raise_on_error=False)
    reasons = {error.file: error.reason for error in report.errors}
    assert "no such file" in reasons[str(tmp_path / "absent.csv")]
    assert "not a data.police.uk" in reasons[str(stray)]


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("West Yorkshire Police", "west-yorkshire"),
        ("Metropolitan Police Service", "metropolitan"),
        ("City of London Police", "city-of-london"),
        ("British Transport Police", "btp"),
        ("Police Service of Northern Ireland", "northern-ireland"),
        ("Avon and Somerset Constabulary", "avon-and-somerset"),
        ("Devon & Cornwall Police", "devon-and-cornwall"),
        ("Dyfed-Powys Police", "dyfed-powys"),
    ],
)
def test_force_id_from_falls_within(name, slug):
    assert force_id(name) == slug


def test_real_sample_month_loads_every_valid_row(engine):
    from watchhouse.sample import street_files

    path = street_files()[-1]
    with path.open(newline="", encoding="utf-8-sig") as handle:
        data_rows = sum(1 for record in csv.reader(handle) if record) - 1
    report = ingest_paths(engine, [path])
    assert report.files[0].read == data_rows
    assert scalar(engine, "SELECT count(*) FROM crimes") == data_rows - report.files[0].quarantined
    assert report.files[0].quarantined == scalar(engine, "SELECT count(*) FROM quarantine")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        with_id = sum(1 for record in csv.DictReader(handle) if record["Crime ID"])
    assert scalar(engine, "SELECT count(*) FROM crimes WHERE persistent_id <> ''") == with_id


def test_repeated_crime_id_in_one_file_is_quarantined_not_merged(engine, tmp_path):
    month_folder = tmp_path / "2018-07"
    month_folder.mkdir()
    lines = STREET.read_text().splitlines()
    path = month_folder / STREET.name
    path.write_text("\n".join([*lines, lines[1].replace("Vehicle crime", "Robbery")]) + "\n")
    report = ingest_paths(engine, [path])
    assert (report.total.read, report.total.loaded, report.total.quarantined) == (9, 8, 1)
    (row,) = quarantined_rows(engine)
    assert (row.line, row.field) == (10, "Crime ID") and "line 2" in row.reason
    assert scalar(engine, "SELECT category FROM crimes WHERE crime_key = :key", key=crime_id(1)) == "vehicle-crime"


def test_driver_level_write_failure_is_a_clear_file_error(engine, monkeypatch):
    from watchhouse.crimes import load

    ingest_paths(engine, [STREET])
    # Pretend nothing is stored, so the bulk write (COPY on PostgreSQL) hits the unique key.
    monkeypatch.setattr(load, "_existing", lambda *args: {})
    report = ingest_paths(engine, [STREET], raise_on_error=False)
    (error,) = report.errors
    assert error.file == str(STREET) and "nothing was written" in error.reason
    assert table_counts(engine)["crimes"] == 8 and table_counts(engine)["ingest_runs"] == 1


def test_progress_bar_run_loads_the_same(engine, capsys):
    report = ingest_paths(engine, [FIXTURES / "2018-07"], progress=True)
    assert report.total.loaded == 11
    assert "2018-07-west-yorkshire" in capsys.readouterr().out
