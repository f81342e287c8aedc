"""The crimes capability's write API, driven directly (ingest is one caller among others)."""

import hashlib

import pytest
import sqlalchemy as sa

from watchhouse.crimes import load

CRIME = {
    "crime_id": "",
    "month": "2018-07",
    "reported_by": "West Yorkshire Police",
    "falls_within": "West Yorkshire Police",
    "force_code": "west-yorkshire",
    "latitude": 53.8,
    "longitude": -1.55,
    "location": "On or near Briggate",
    "lsoa_code": "E01033010",
    "lsoa_name": "Leeds 111B",
    "crime_type": "Anti-social behaviour",
    "last_outcome_category": "",
    "context": "",
    "source_file": "test",
    "source_line": 2,
}


def many_crimes(count: int, month: str = "2018-07", points: int = 50) -> list[dict]:
    return [
        {
            **CRIME,
            "crime_id": hashlib.sha256(f"{month}/{n}".encode()).hexdigest(),
            "month": month,
            "crime_type": "Burglary",
            # Spread over ``points`` map points, a few without a location.
            "latitude": None if n % 97 == 0 else 53.7 + (n % points) / 10000,
            "longitude": None if n % 97 == 0 else -1.6 + (n % points) / 10000,
            "location": f"On or near Street {n % points}",
            "source_line": n + 2,
        }
        for n in range(count)
    ]


def test_identical_rows_without_crime_id_get_distinct_stable_keys():
    rows = [CRIME, dict(CRIME), {**CRIME, "location": "On or near Boar Lane"}]
    keys = load.street_crime_keys(rows)
    assert len(set(keys)) == 3
    assert load.street_crime_keys(rows) == keys
    # The key does not depend on where the row was read from.
    assert load.street_crime_keys([{**row, "source_file": "elsewhere", "source_line": 99} for row in rows]) == keys


def data_version(engine):
    # crimes_0002 keeps a change counter for response caches; a bulk load must still move it.
    if "crimes_data_version" not in sa.inspect(engine).get_table_names():
        return None
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT version FROM crimes_data_version")).scalar()


def _rtree_state(connection) -> tuple[int, set[str]]:
    points = connection.execute(sa.text("SELECT count(*) FROM map_points_rtree")).scalar()
    triggers = set(connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    return points, triggers


def test_bulk_load_keeps_the_spatial_index_and_triggers_whole(engine):
    # More new map points than the bulk threshold, so the map points' R*Tree is filled in one go.
    rows = many_crimes(2500, points=2400)
    version_before = data_version(engine)
    with engine.begin() as connection:
        counts = load.upsert_street_crimes(connection, rows)
    assert (counts.inserted, counts.updated, counts.unchanged) == (2500, 0, 0)
    if version_before is not None:
        assert data_version(engine) > version_before
    located = [row for row in rows if row["latitude"] is not None]
    points = len({(row["latitude"], row["longitude"], row["location"]) for row in located})
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM crimes WHERE map_point_id IS NOT NULL")).scalar() == len(located)
        assert connection.execute(sa.text("SELECT count(*) FROM map_points")).scalar() == points
        if engine.dialect.name == "sqlite":
            indexed, triggers = _rtree_state(connection)
            assert indexed == points
            assert "map_points_rtree_insert" in triggers
    # Later single rows at new points still reach the spatial index through the trigger.
    later = [{**row, "latitude": 54.0, "longitude": -1.0, "location": "On or near Elsewhere"} for row in many_crimes(3, month="2018-08")]
    with engine.begin() as connection:
        load.upsert_street_crimes(connection, later)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert _rtree_state(connection)[0] == points + 1


def test_failed_bulk_load_rolls_back_rows_and_trigger_swap(engine):
    with pytest.raises(RuntimeError):
        with engine.begin() as connection:
            load.upsert_street_crimes(connection, many_crimes(2500, points=2400))
            raise RuntimeError("the file failed after its rows were written")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM crimes")).scalar() == 0
        if engine.dialect.name == "sqlite":
            indexed, triggers = _rtree_state(connection)
            assert indexed == 0
            assert "map_points_rtree_insert" in triggers


def test_map_point_ids_are_stable_across_loads(engine):
    with engine.begin() as connection:
        first = load.resolve_map_points(connection, [(53.8, -1.55, "On or near A"), (53.81, -1.56, "On or near B")])
    with engine.begin() as connection:
        again = load.resolve_map_points(connection, [(53.81, -1.56, "On or near B"), (53.8, -1.55, "On or near C")])
    assert again[(53.81, -1.56, "On or near B")] == first[(53.81, -1.56, "On or near B")]
    assert again[(53.8, -1.55, "On or near C")] not in first.values()


def test_unknown_crime_type_is_refused_by_the_write_api(engine):
    with pytest.raises(ValueError, match="Jaywalking"):
        with engine.begin() as connection:
            load.upsert_street_crimes(connection, [{**CRIME, "crime_type": "Jaywalking"}])


def test_stops_with_identical_content_stay_distinct(engine):
    stop = {
        "force_code": "west-yorkshire", "month": "2018-07", "datetime": "2018-07-01T10:00:00+00:00", "type": "Person search",
        "operation": "false", "operation_name": "", "latitude": None, "longitude": None, "gender": "Male",
        "age_range": "18-24", "self_defined_ethnicity": "", "officer_defined_ethnicity": "", "legislation": "",
        "object_of_search": "Controlled drugs", "outcome": "", "outcome_linked_to_object_of_search": "",
        "removal_of_more_than_outer_clothing": "", "source_file": "test", "source_line": 2,
    }  # fmt: skip
    with engine.begin() as connection:
        first = load.upsert_stops(connection, [stop, dict(stop)])
    with engine.begin() as connection:
        second = load.upsert_stops(connection, [stop, dict(stop)])
    assert (first.inserted, second.inserted, second.unchanged) == (2, 0, 2)


def test_reloading_a_crime_without_outcome_keeps_the_outcome_applied_since(engine):
    crime = {**many_crimes(1)[0], "last_outcome_category": ""}
    outcome = {
        "crime_id": crime["crime_id"], "month": "2018-09", "reported_by": "", "falls_within": "",
        "force_code": "west-yorkshire", "outcome_type": "Suspect charged", "source_file": "test", "source_line": 2,
    }  # fmt: skip
    with engine.begin() as connection:
        load.upsert_street_crimes(connection, [crime])
        assert load.apply_outcomes(connection, [outcome]).updated == 1
    with engine.begin() as connection:
        again = load.upsert_street_crimes(connection, [crime])
    assert (again.updated, again.unchanged) == (0, 1)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT last_outcome_category, last_outcome_month FROM crimes")).one() == (
            "Suspect charged",
            "2018-09",
        )
