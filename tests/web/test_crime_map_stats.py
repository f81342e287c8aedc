"""crimes.stats, the counts behind the crime map, on a handful of crimes whose answers are
known by construction (SQLite, and PostgreSQL when CI provides it)."""

from __future__ import annotations

import pytest

from watchhouse.crimes import stats
from watchhouse.crimes.load import upsert_street_crimes
from watchhouse.store import transaction

# Two map points 100 m apart in Leeds, one in Bradford.
LEEDS_A = (53.7960, -1.5470, "On or near Park Row")
LEEDS_B = (53.7969, -1.5470, "On or near Bond Street")
BRADFORD = (53.7930, -1.7520, "On or near Market Street")


def _crime(month, place, crime_type, lsoa, number, force="west-yorkshire"):
    latitude, longitude, location = place if place else (None, None, "No location")
    return {
        "crime_id": f"{number:064x}",
        "month": month,
        "reported_by": "West Yorkshire Police",
        "falls_within": "West Yorkshire Police",
        "force_code": force,
        "latitude": latitude,
        "longitude": longitude,
        "location": location,
        "lsoa_code": lsoa,
        "lsoa_name": "",
        "crime_type": crime_type,
        "last_outcome_category": "",
        "context": "",
        "source_file": "handmade.csv",
        "source_line": number + 1,
    }


CRIMES = [
    _crime("2018-07", LEEDS_A, "Burglary", "E01011365", 1),
    _crime("2018-07", LEEDS_A, "Burglary", "E01011365", 2),
    _crime("2018-07", LEEDS_A, "Anti-social behaviour", "E01011365", 3),
    _crime("2018-07", LEEDS_B, "Vehicle crime", "E01011366", 4),
    _crime("2018-07", BRADFORD, "Burglary", "E01010650", 5),
    _crime("2018-07", None, "Violence and sexual offences", "", 6),
    _crime("2018-06", LEEDS_A, "Burglary", "E01011365", 7),
]


@pytest.fixture
def loaded(engine):
    with transaction(engine) as connection:
        upsert_street_crimes(connection, [row for row in CRIMES if row["month"] == "2018-07"])
    with transaction(engine) as connection:
        upsert_street_crimes(connection, [row for row in CRIMES if row["month"] == "2018-06"])
    return engine


def test_grouped_by_map_point_with_names_and_categories(loaded):
    points = {(p.latitude, p.longitude): p for p in stats.point_counts(loaded, "2018-07")}
    assert set(points) == {LEEDS_A[:2], LEEDS_B[:2], BRADFORD[:2]}
    park_row = points[LEEDS_A[:2]]
    assert (park_row.count, park_row.name) == (3, "On or near Park Row")
    assert park_row.categories == {"burglary": 2, "anti-social-behaviour": 1}
    assert points[BRADFORD[:2]].categories == {"burglary": 1}


def test_grid_groups_sit_at_their_crimes_mean_position(loaded):
    groups = sorted(stats.point_counts(loaded, "2018-07", cell_degrees=0.01), key=lambda p: p.longitude)
    assert [g.count for g in groups] == [1, 4]  # Bradford alone; both Leeds points share a cell
    leeds = groups[1]
    assert leeds.latitude == pytest.approx((3 * LEEDS_A[0] + LEEDS_B[0]) / 4)
    assert leeds.longitude == pytest.approx(LEEDS_A[1])
    assert leeds.name is None and leeds.categories == {}


def test_category_and_bounding_box_filters(loaded):
    burglaries = stats.point_counts(loaded, "2018-07", "burglary")
    assert sorted(p.count for p in burglaries) == [1, 2]
    leeds_only = stats.BoundingBox(south=53.79, west=-1.60, north=53.80, east=-1.50)
    assert sum(p.count for p in stats.point_counts(loaded, "2018-07", None, leeds_only)) == 4
    assert stats.point_counts(loaded, "2018-07", "drugs") == []
    assert stats.unlocated_count(loaded, "2018-07") == 1
    assert stats.unlocated_count(loaded, "2018-07", "violent-crime") == 1
    assert stats.unlocated_count(loaded, "2018-07", "burglary") == 0


def test_cached_counts_follow_new_data(loaded):
    assert sum(p.count for p in stats.point_counts(loaded, "2018-07")) == 5
    assert stats.categories_in_month(loaded, "2018-07") >= {"burglary", "violent-crime"}
    with transaction(loaded) as connection:
        upsert_street_crimes(connection, [_crime("2018-07", BRADFORD, "Drugs", "E01010650", 8)])
    assert sum(p.count for p in stats.point_counts(loaded, "2018-07")) == 6
    assert "drugs" in stats.categories_in_month(loaded, "2018-07")
    assert stats.counts_by_month_category(loaded, ["E01010650"], ["2018-07"]) == {
        ("2018-07", "burglary"): 1,
        ("2018-07", "drugs"): 1,
    }


def test_counts_by_lsoa_and_by_month(loaded):
    counts = stats.counts_by_lsoa_category(loaded, "2018-07", ["E01011365", "E01011366"])
    assert [(c.lsoa_code, c.category, c.count) for c in counts] == [
        ("E01011365", "anti-social-behaviour", 1),
        ("E01011365", "burglary", 2),
        ("E01011366", "vehicle-crime", 1),
    ]
    every_month = stats.counts_by_lsoa_category(loaded, lsoa_codes=["E01011365"])
    assert {(c.month, c.category): c.count for c in every_month} == {
        ("2018-06", "burglary"): 1,
        ("2018-07", "anti-social-behaviour"): 1,
        ("2018-07", "burglary"): 2,
    }
    assert stats.counts_by_month_category(loaded, ["E01011365"]) == {
        ("2018-06", "burglary"): 1,
        ("2018-07", "anti-social-behaviour"): 1,
        ("2018-07", "burglary"): 2,
    }
    # Crimes without an LSOA belong to no area.
    assert sum(stats.counts_by_month_category(loaded, None, ["2018-07"]).values()) == 5


def test_months_and_forces(loaded):
    assert stats.months_with_crimes(loaded) == ["2018-06", "2018-07"]
    assert stats.months_with_crimes(loaded, "west-yorkshire") == ["2018-06", "2018-07"]
    assert stats.months_with_crimes(loaded, "durham") == []
    assert stats.forces_in_month(loaded, "2018-07") == ["west-yorkshire"]
    assert stats.forces_in_month(loaded, "2019-01") == []


def test_bad_input_is_refused_with_a_reason(loaded):
    with pytest.raises(ValueError, match="YYYY-MM"):
        stats.point_counts(loaded, "2018-13")
    with pytest.raises(ValueError, match="cell_degrees"):
        stats.point_counts(loaded, "2018-07", cell_degrees=0)
    with pytest.raises(ValueError, match="south <= north"):
        stats.BoundingBox(south=54, west=-2, north=53, east=-1)
    with pytest.raises(ValueError, match="west <= east"):
        stats.BoundingBox(south=53, west=-1, north=54, east=-2)
