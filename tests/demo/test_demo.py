import pytest
from typer.testing import CliRunner

import watchhouse.areas as areas
from watchhouse import sample
from watchhouse.cli import app
from watchhouse.crimes.stats import months_with_crimes
from watchhouse.store import get_engine

runner = CliRunner()


@pytest.mark.slow
def test_demo_builds_from_the_real_sample_then_rebuilds_idempotently_and_serves(database_url, monkeypatch):
    monkeypatch.setattr("watchhouse.demo.DEMO_PEOPLE", 150)  # the joined-up records step, kept small here
    built = runner.invoke(app, ["demo", "--db", database_url, "--no-serve", "--port", "8103"])
    assert built.exit_code == 0, built.output
    assert "Demo ready" in built.output
    assert "87,348 read, 87,348 new" in built.output  # all three months, every row
    assert "synthetic person records from five systems linked into" in built.output
    assert "analyst" in built.output and "auditor" in built.output  # demo accounts, passwords shown once

    engine = get_engine(database_url)
    assert months_with_crimes(engine, "west-yorkshire") == list(sample.SAMPLE_MONTHS)
    assert len(areas.forces(engine)) == 39
    assert len(areas.neighbourhoods(engine, "west-yorkshire")) == 299
    force = areas.get_area(engine, "west-yorkshire")
    assert force.boundary_approximate and force.boundary_geojson
    leeds_centre = areas.locate_neighbourhood(engine, 53.7965, -1.5478)
    assert leeds_centre is not None and leeds_centre.name.startswith("Leeds ")

    served = {}
    monkeypatch.setattr("uvicorn.run", lambda application, **options: served.update(app=application, **options))
    again = runner.invoke(app, ["demo", "--db", database_url, "--host", "127.0.0.1", "--port", "8103"])
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated, 87,348 unchanged" in again.output
    assert "west-yorkshire up to date" in again.output
    assert "demo accounts already exist" in again.output
    assert "Serving on http://127.0.0.1:8103/" in again.output
    assert served["host"] == "127.0.0.1" and served["port"] == 8103
    assert served["app"].state.engine is engine
    assert len(areas.neighbourhoods(engine, "west-yorkshire")) == 299


def test_serve_uses_the_configured_database(database_url, monkeypatch):
    served = {}
    monkeypatch.setattr("uvicorn.run", lambda application, **options: served.update(app=application, **options))
    monkeypatch.setenv("WATCHHOUSE_DATABASE_URL", database_url)
    result = runner.invoke(app, ["serve", "--port", "8103"])
    assert result.exit_code == 0, result.output
    assert served["app"].state.engine is get_engine(database_url)
    assert served["host"] == "127.0.0.1" and served["port"] == 8103


@pytest.mark.parametrize("url", ["nosuchdriver://x", "postgresql://postgres@127.0.0.1:1/nowhere"])
def test_an_unusable_database_url_is_a_clear_error(url, monkeypatch):
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: pytest.fail("must not serve"))
    for command in (["demo", "--db", url, "--no-serve"], ["serve", "--db", url]):
        result = runner.invoke(app, command)
        assert result.exit_code == 1
        assert "cannot open database" in result.output


def test_a_force_whose_crimes_fall_outside_its_lsoas_gets_no_boundaries_but_the_build_finishes(engine, monkeypatch):
    from types import SimpleNamespace

    import sqlalchemy as sa

    from watchhouse import demo
    from watchhouse.crimes.tables import crimes

    def ingest_elsewhere(engine, paths, progress=False):
        # Durham crimes placed in Leeds 111A: Durham has LSOAs, but none with crimes.
        with engine.begin() as connection:
            connection.execute(sa.insert(crimes), [
                {"crime_key": f"k{i}", "month": "2018-07", "force_code": "durham", "latitude": 53.79 + i / 1000,
                 "longitude": -1.54, "lsoa_code": "E01033008", "crime_type": "Burglary", "category": "burglary"}
                for i in range(3)
            ])  # fmt: skip
        return SimpleNamespace(total=SimpleNamespace(read=3, loaded=3, updated=0, unchanged=0, quarantined=0))

    monkeypatch.setattr("watchhouse.ingest.police_uk.ingest_paths", ingest_elsewhere)
    built = demo.build(engine)
    assert built.boundaries == {}
    assert "no located crimes in its LSOAs" in built.boundaries_failed["durham"]
    assert built.forces == 39 and built.crimes_loaded == 3
