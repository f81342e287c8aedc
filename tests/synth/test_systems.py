import csv
import json
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa

from watchhouse.access import Viewer
from watchhouse.records import iter_people, master_id_for, person_events
from watchhouse.sample import street_files
from watchhouse.synth.systems import LOAD_ORDER, load_systems, read_truth, write_systems

ADMIN = Viewer.system("test")


@pytest.fixture(scope="module")
def systems(tmp_path_factory):
    out = tmp_path_factory.mktemp("systems")
    write_systems(150, out, seed=11)
    return out


def rows(path, delimiter=","):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_same_seed_same_files_other_seed_other_files(systems, tmp_path):
    write_systems(150, tmp_path / "again", seed=11)
    write_systems(150, tmp_path / "other", seed=12)
    for _, name in [*LOAD_ORDER, (None, "truth.csv")]:
        assert (systems / name).read_bytes() == (tmp_path / "again" / name).read_bytes(), name
    assert (systems / "crime_nominals.csv").read_bytes() != (tmp_path / "other" / "crime_nominals.csv").read_bytes()


def test_crimes_are_the_real_police_uk_crimes(systems):
    real = {}
    for path in street_files():
        for row in rows(path):
            if row["Crime ID"]:
                real[row["Crime ID"]] = row
    crimes = rows(systems / "crimes.csv")
    assert len(crimes) == 90
    for crime in crimes:
        source = real[crime["POLICE_UK_CRIME_ID"]]
        assert crime["MONTH"] == source["Month"] and crime["COMMITTED_FROM"].startswith(source["Month"])
        assert crime["HO_CATEGORY"] == source["Crime type"]
        assert float(crime["LATITUDE"]) == pytest.approx(float(source["Latitude"]))
        assert crime["LOCATION"] == source["Location"]


def test_each_system_keeps_its_own_habits(systems):
    calls = rows(systems / "cad_incidents.csv")
    named = [c for c in calls if c["CALLER_NAME"]]
    assert named and all(", " in c["CALLER_NAME"] for c in named)
    assert {c["GRADE"] for c in calls} <= {"G1", "G2", "G3", "G4", "G5"}
    assert any(not c["CALLER_NAME"] for c in calls)  # anonymous callers
    custody = [json.loads(line) for line in (systems / "custody.jsonl").read_text().splitlines()]
    assert custody and all("detainee" in c and "name" in c["detainee"] for c in custody)
    assert sum(1 for c in custody if c["detainee"]["pnc"]) / len(custody) > 0.5
    intel = rows(systems / "intelligence.psv", "|")
    grades = [r["GRADE"] for r in intel]
    assert any("/" in g for g in grades) and any(g[0].isalpha() for g in grades)  # 3x5x2 and historic 5x5x5
    assert {"SECRET", "OFFICIAL"} <= {r["CLASSIFICATION"] for r in intel}
    asb = rows(systems / "asb_cases.csv")
    dobs = [r["Complainant DOB"] for r in asb if r["Complainant DOB"]]
    assert dobs and all(d[2] == "." and d[5] == "." for d in dobs)
    assert all("," not in r["Complainant"] for r in asb)


def test_truth_names_people_seen_in_several_systems(systems):
    truth = read_truth(systems)
    systems_of = defaultdict(set)
    for (system, _), person in truth.items():
        systems_of[person].add(system)
    assert Counter(len(s) for s in systems_of.values())[1] < len(systems_of)
    assert any(len(s) >= 3 for s in systems_of.values())
    appearances = Counter(truth.values())
    assert max(appearances.values()) >= 4  # prolific offenders and repeat victims


def test_the_shipped_mappings_load_every_system_with_its_truth(systems, engine):
    report = load_systems(engine, systems)
    assert report.errors == []
    total = report.total
    assert total.rows_loaded > 0 and total.rows_quarantined <= max(3, total.rows_read // 50)
    truth = read_truth(systems)
    loaded = [row for batch in iter_people(engine, ADMIN) for row in batch]
    keys = {(row["source_system"], row["source_record_id"]) for row in loaded}
    assert keys <= set(truth)
    assert len(keys) >= 0.95 * len(truth)
    assert {system for system, _ in keys} == {"command-and-control", "crime-recording", "custody", "intelligence",
                                              "asb-council"}
    with engine.connect() as connection:
        kinds = dict(connection.execute(sa.text("select event_kind, count(*) from record_events group by event_kind")).all())
        assert set(kinds) == {"call", "crime", "arrest", "intelligence", "asb-case"}
        gradings = set(connection.execute(sa.text("select grading_scheme from record_events where grading is not null")).scalars())
        assert gradings == {"3x5x2", "5x5x5"}
        # Every crime happened at a police.uk map point; vehicle crimes say which vehicle was taken.
        crimes = connection.execute(sa.text("select count(*) from record_events where event_kind = 'crime'")).scalar()
        scenes = connection.execute(sa.text("select count(*) from record_links where role = 'occurred-at'")).scalar()
        assert scenes == crimes
        vehicle_crimes = connection.execute(sa.text(
            "select count(*) from record_events where event_kind = 'crime' and category = 'Vehicle crime'")).scalar()
        stolen_vehicles = connection.execute(sa.text(
            "select count(*) from record_links l join record_objects o on o.id = l.from_id "
            "where l.from_kind = 'object' and l.role = 'stolen-in' and o.object_kind = 'vehicle'")).scalar()
        assert vehicle_crimes > 0 and stolen_vehicles == vehicle_crimes
    # A crime victim who phoned it in: their call led to the crime.
    nominal = next(r for r in rows(systems / "crime_nominals.csv") if r["INVOLVEMENT"] == "S")
    suspect = master_id_for(engine, ADMIN, "crime-recording", nominal["NOMINAL_REF"])
    assert any(role.role == "suspect" for event in person_events(engine, ADMIN, suspect) for role in event.roles)
    again = load_systems(engine, systems)
    assert again.total.inserted == 0 and again.total.links_added == 0


def test_synth_command_writes_and_loads(tmp_path, database_url):
    from typer.testing import CliRunner

    from watchhouse.cli import app

    out = tmp_path / "force"
    result = CliRunner().invoke(app, ["synth", "--people", "60", "--out", str(out), "--seed", "4", "--load", database_url],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "person records in truth.csv" in result.output and "Loaded" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [step["file"] for step in manifest["load_order"]] == [name for _, name in LOAD_ORDER]
    assert manifest["truth_rows"] == len(read_truth(out))
    from watchhouse.store import get_engine

    def people_count():
        with get_engine(database_url).connect() as connection:
            return connection.execute(sa.text("select count(*) from record_people")).scalar()

    before = people_count()
    again = CliRunner().invoke(app, ["ingest", "source", "command-and-control", str(out / "cad_incidents.csv"),
                                     "--db", database_url, "--no-progress"], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output  # a shipped mapping by name; nothing new the second time
    assert "│ total" in again.output
    assert people_count() == before > 0


def test_synth_refuses_nonsense():
    from typer.testing import CliRunner

    from watchhouse.cli import app

    result = CliRunner().invoke(app, ["synth", "--people", "0", "--out", "x"])
    assert result.exit_code != 0
