"""The crimes capability's read queries over a small fixture whose edges sit either side of one mile."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from watchhouse.crimes import query
from watchhouse.ingest.police_uk import ingest_paths

FIXTURES = Path(__file__).parents[1] / "fixtures" / "police_api"
CENTRE = (53.8, -1.55)


@pytest.fixture
def loaded(engine):
    ingest_paths(engine, [FIXTURES])
    return engine


def _names(crimes) -> list[str]:
    return sorted(c.location_name for c in crimes)


def test_haversine_matches_a_known_distance():
    # One degree of latitude on the mean-radius sphere is 2*pi*R/360.
    assert query.haversine_m(53.0, -1.5, 54.0, -1.5) == pytest.approx(2 * math.pi * query.EARTH_MEAN_RADIUS_M / 360, rel=1e-12)
    assert query.haversine_m(53.8, -1.55, 53.8, -1.55) == 0


def test_circle_bounding_box_holds_the_whole_cap():
    rng = random.Random(7)
    for _ in range(200):
        lat, lng = rng.uniform(49, 61), rng.uniform(-8, 2)
        circle = query.Circle(lat, lng)
        box = circle.bounding_box()
        for bearing in range(0, 360, 3):
            # The point one mile away on this bearing (spherical destination formula).
            delta, theta, phi1 = query.ONE_MILE_M / query.EARTH_MEAN_RADIUS_M, math.radians(bearing), math.radians(lat)
            phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(theta))
            lambda2 = math.radians(lng) + math.atan2(
                math.sin(theta) * math.sin(delta) * math.cos(phi1), math.cos(delta) - math.sin(phi1) * math.sin(phi2)
            )
            assert box.south <= math.degrees(phi2) <= box.north
            assert box.west <= math.degrees(lambda2) <= box.east


def test_bad_areas_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="latitude"):
        query.Circle(91, 0)
    with pytest.raises(ValueError, match="at least 3 points"):
        query.Polygon(((53.8, -1.5), (53.9, -1.5)))
    with pytest.raises(ValueError, match="no area"):
        query.Polygon(((53.8, -1.5), (53.9, -1.5), (54.0, -1.5)))


def test_one_mile_includes_1609_0_m_and_excludes_1609_7_m(loaded):
    crimes = query.street_crimes(loaded, query.Circle(*CENTRE), "2018-07")
    names = _names(crimes)
    assert "On or near North Edge In" in names and "On or near East Edge In" in names
    assert "On or near North Edge Out" not in names and "On or near East Edge Out" not in names
    assert "On or near Manningham Lane" not in names
    # centre: burglary, robbery, two ASB; edges in: 2; BTP at the station: 1
    assert len(crimes) == 7
    assert query.count_street_crimes(loaded, query.Circle(*CENTRE), "2018-07") == 7
    assert [c.id for c in crimes] == sorted(c.id for c in crimes)


def test_category_filter_and_all_crime(loaded):
    circle = query.Circle(*CENTRE)
    assert _names(query.street_crimes(loaded, circle, "2018-07", "vehicle-crime")) == ["On or near North Edge In"]
    assert len(query.street_crimes(loaded, circle, "2018-07", "all-crime")) == 7
    assert query.street_crimes(loaded, circle, "2017-07") == []


def test_polygon_is_inclusive_of_its_ring_and_closes_itself(loaded):
    # A triangle whose first edge runs exactly through the centre point.
    triangle = query.Polygon(((53.8, -1.56), (53.8, -1.52), (53.82, -1.54)))
    names = _names(query.street_crimes(loaded, triangle, "2018-07"))
    assert names.count("On or near Centre Street") == 4  # on the ring: inside
    assert "On or near East Edge In" in names and "On or near East Edge Out" in names
    assert "On or near Leeds (station)" not in names  # south of the ring


def test_crimes_at_location_and_nearest_map_point(loaded):
    centre = query.nearest_map_point(loaded, 53.80001, -1.55001)
    assert centre is not None and centre.name == "On or near Centre Street"
    crimes = query.crimes_at_location(loaded, centre.id, "2018-07")
    assert sorted(c.category for c in crimes) == ["anti-social-behaviour", "anti-social-behaviour", "burglary", "robbery"]
    assert query.nearest_map_point(loaded, 50.0, -5.0) is None  # nothing within 20 km


def test_nearest_map_point_looks_past_the_first_window(loaded):
    # 53.8073 is ~810 m north of Centre Street and ~820 m south of North Edge In/Out.
    nearest = query.nearest_map_point(loaded, 53.8073, -1.55)
    expected = min(
        (query.haversine_m(53.8073, -1.55, lat, lng), name)
        for lat, lng, name in [(53.8, -1.55, "On or near Centre Street"), (53.81447, -1.55, "On or near North Edge In")]
    )
    assert nearest.name == expected[1]


def test_crimes_without_location(loaded):
    crimes = query.crimes_no_location(loaded, "west-yorkshire", "2018-07")
    assert [(c.category, c.latitude, c.location_id) for c in crimes] == [("other-crime", None, None)]
    assert query.crimes_no_location(loaded, "west-yorkshire", "2018-07", "burglary") == []


def test_outcomes_come_from_the_outcomes_file_oldest_first(loaded):
    burglary = next(c for c in query.street_crimes(loaded, query.Circle(*CENTRE), "2018-07", "burglary"))
    outcomes = query.outcomes_for_crime(loaded, burglary.persistent_id)
    assert [o.name for o in outcomes] == ["Suspect charged", "Offender fined"]
    assert all(o.month == "2018-08" for o in outcomes)
    assert query.outcomes_for_crime(loaded, "") == []
    assert query.crime_by_persistent_id(loaded, "0" * 64) is None


def test_street_file_outcome_stands_in_when_no_outcomes_file(loaded):
    robbery = query.street_crimes(loaded, query.Circle(*CENTRE), "2018-07", "robbery")[0]
    assert robbery.context == "Reported at a petrol station"
    assert query.outcomes_for_crime(loaded, robbery.persistent_id) == [
        query.CrimeOutcome("unable-to-prosecute", "Unable to prosecute suspect", "2018-07")
    ]


def test_months_and_last_updated(loaded):
    assert query.months_available(loaded) == [query.MonthAvailability("2018-07", ["west-yorkshire"])]
    assert query.latest_month(loaded) == "2018-07"
    assert query.last_updated(loaded) == "2018-07-01"


def test_stops_by_area_and_force(loaded):
    within = query.stops_within(loaded, query.Circle(*CENTRE), "2018-07")
    assert [s.datetime for s in within] == ["2018-07-01T10:15:00+00:00"]  # the other is 1609.66 m away
    assert len(query.stops_by_force(loaded, "west-yorkshire", "2018-07")) == 3
    assert [s.latitude for s in query.stops_by_force(loaded, "west-yorkshire", "2018-07", located=False)] == [None]


def test_data_version_moves_on_every_load(engine):
    before = query.data_version(engine)
    ingest_paths(engine, [FIXTURES / "2018-07"])
    after_crimes = query.data_version(engine)
    ingest_paths(engine, [FIXTURES / "2018-08"])
    assert before < after_crimes < query.data_version(engine)
