"""/api on the real sample (West Yorkshire, July 2017 and 2018) served by uvicorn on loopback.

Two kinds of proof: the answers agree with the source files (for each point and month, exactly
the CSV rows whose coordinates lie within one mile, the distance computed here independently),
and the unchanged PyPI client ``police-api-client`` 1.2.2 works against the server.
"""

from __future__ import annotations

import csv
import math
import os
import socket
import threading
import time
from collections import Counter

import pytest
import requests
import shapely
import uvicorn

from watchhouse import sample
from watchhouse.crimes.categories import category_slug
from watchhouse.web.app import create_app

MONTHS = ("2017-07", "2018-07")  # what the shared map_database_url fixture loads
POINTS = {
    "Leeds city centre": (53.7997, -1.5492),
    "Bradford": (53.7950, -1.7594),
    "Huddersfield": (53.6458, -1.7850),
    "Wakefield": (53.6833, -1.4977),
    "Halifax": (53.7248, -1.8658),
    "Ilkley moor, few crimes": (53.9100, -1.8200),
    "outside the force": (52.4862, -1.8904),
}
R = 6371008.8  # the documented mean Earth radius; one mile is 1609.344 m


def _distance_m(lat1, lng1, lat2, lng2) -> float:
    # Independent of watchhouse.crimes.query: the plain haversine formula.
    dlat, dlng = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    h = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlng / 2) ** 2
    return 2 * R * math.asin(math.sqrt(h))


def _source_rows(month: str) -> list[dict]:
    path = next(p for p in sample.street_files() if p.name.startswith(month))
    with open(path, newline="", encoding="utf-8") as handle:
        return [row for row in csv.DictReader(handle) if row["Latitude"] and row["Longitude"]]


def _row_key(row: dict) -> tuple:
    return (
        row["Crime ID"], row["Month"], category_slug(row["Crime type"]), f"{float(row['Latitude']):.6f}",
        f"{float(row['Longitude']):.6f}", row["Location"], row["Last outcome category"] or None,
    )


def _api_key(crime: dict) -> tuple:
    return (
        crime["persistent_id"], crime["month"], crime["category"], crime["location"]["latitude"],
        crime["location"]["longitude"], crime["location"]["street"]["name"],
        crime["outcome_status"]["category"] if crime["outcome_status"] else None,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def api_base(map_database_url):
    """uvicorn in a thread serving the sample database; yields http://127.0.0.1:PORT/api/."""
    previous = os.environ.get("WATCHHOUSE_RATE_LIMIT")
    os.environ["WATCHHOUSE_RATE_LIMIT"] = "off"  # these tests make bursts of requests on purpose
    try:
        app = create_app(map_database_url)
    finally:
        if previous is None:
            os.environ.pop("WATCHHOUSE_RATE_LIMIT")
        else:
            os.environ["WATCHHOUSE_RATE_LIMIT"] = previous
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="police-api-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/api/"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.mark.parametrize("month", MONTHS)
def test_radius_answers_are_exactly_the_source_rows_within_one_mile(api_base, month):
    rows = _source_rows(month)
    for place, (lat, lng) in POINTS.items():
        expected = Counter(
            _row_key(row) for row in rows if _distance_m(lat, lng, float(row["Latitude"]), float(row["Longitude"])) <= 1609.344
        )
        response = requests.get(f"{api_base}crimes-street/all-crime", params={"lat": lat, "lng": lng, "date": month}, timeout=60)
        assert response.status_code == 200, (place, response.text)
        got = Counter(_api_key(crime) for crime in response.json())
        assert got == expected, f"{place} {month}: {len(got)} crimes from the API, {len(expected)} in the file"
    leeds = POINTS["Leeds city centre"]
    assert sum(1 for r in rows if _distance_m(*leeds, float(r["Latitude"]), float(r["Longitude"])) <= 1609.344) > 1000


def test_poly_answers_match_the_source_rows_and_get_equals_post(api_base):
    ring = [(53.79, -1.56), (53.81, -1.56), (53.815, -1.54), (53.80, -1.525), (53.785, -1.54)]
    shape = shapely.Polygon([(lng, lat) for lat, lng in ring])
    expected = Counter(
        _row_key(row)
        for row in _source_rows("2018-07")
        if shape.covers(shapely.Point(float(row["Longitude"]), float(row["Latitude"])))
    )
    poly = ":".join(f"{lat},{lng}" for lat, lng in ring)
    by_get = requests.get(f"{api_base}crimes-street/all-crime", params={"poly": poly, "date": "2018-07"}, timeout=60)
    by_post = requests.post(f"{api_base}crimes-street/all-crime", data={"poly": poly, "date": "2018-07"}, timeout=60)
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.json() == by_post.json()
    assert Counter(_api_key(c) for c in by_get.json()) == expected
    assert len(expected) > 500


def test_search_over_10000_crimes_is_503(api_base):
    whole_force = "53.5,-2.2:54.0,-2.2:54.0,-1.2:53.5,-1.2"
    response = requests.post(f"{api_base}crimes-street/all-crime", data={"poly": whole_force, "date": "2018-07"}, timeout=60)
    assert response.status_code == 503
    assert "10000" in response.json()["detail"]


def test_client_forces_and_neighbourhoods(api_base):
    from police_api import PoliceAPI

    api = PoliceAPI(base_url=api_base)
    forces = {force.id: force for force in api.get_forces()}
    force = forces["west-yorkshire"]
    assert force.name == "West Yorkshire Police"
    assert force.description is None or isinstance(force.description, str)  # lazily fetched from forces/{id}
    assert force.engagement_methods == []
    neighbourhoods = api.get_neighbourhoods("west-yorkshire")
    assert len(neighbourhoods) > 50
    neighbourhood = neighbourhoods[0]
    assert isinstance(neighbourhood.population, int) and neighbourhood.population > 0
    assert set(neighbourhood.centre) == {"latitude", "longitude"}
    float(neighbourhood.centre["latitude"])
    boundary = neighbourhood.boundary
    assert len(boundary) >= 3 and all(isinstance(lat, float) and isinstance(lng, float) for lat, lng in boundary)


def test_client_locate_neighbourhood_and_its_boundary_holds_the_point(api_base):
    from police_api import PoliceAPI

    api = PoliceAPI(base_url=api_base)
    lat, lng = POINTS["Leeds city centre"]
    found = api.locate_neighbourhood(lat, lng)
    assert found is not None and found.force.id == "west-yorkshire"
    assert found.name  # fetched from {force}/{neighbourhood}
    ring = shapely.Polygon([(p_lng, p_lat) for p_lat, p_lng in found.boundary])
    assert ring.buffer(1e-6).covers(shapely.Point(lng, lat))
    assert api.locate_neighbourhood(*POINTS["outside the force"]) is None  # a 404, as the client expects


def test_client_dates_and_categories(api_base):
    from police_api import PoliceAPI

    api = PoliceAPI(base_url=api_base)
    assert api.get_dates() == ["2018-07", "2017-07"]
    assert api.get_latest_date() == "2018-07"
    categories = {c.id: c.name for c in api.get_crime_categories(date="2018-07")}
    assert categories["violent-crime"] == "Violence and sexual offences"
    assert "all-crime" not in categories  # the client drops it, as it does for police.uk


def test_client_crimes_by_point_with_outcomes(api_base):
    from police_api import PoliceAPI

    api = PoliceAPI(base_url=api_base)
    crimes = api.get_crimes_point(*POINTS["Leeds city centre"], date="2018-07")
    assert len(crimes) > 1000
    burglaries = api.get_crimes_point(*POINTS["Leeds city centre"], date="2018-07", category="burglary")
    assert burglaries and all(c.category.id == "burglary" for c in burglaries)
    crime = next(c for c in crimes if c.persistent_id and c.outcome_status)
    assert crime.category.name  # hydrated from crime-categories?date=<month>
    assert crime.location.id == crime.location.street["id"] and crime.location.name.startswith("On or near")
    float(crime.location.latitude)
    assert crime.location.is_btp() is False
    assert crime.outcome_status.category.name == crime.outcomes[-1].category.name
    fetched = api.get_crime(crime.persistent_id)
    assert fetched.id == crime.id and fetched.outcomes[-1].category.id
    asb = next(c for c in crimes if c.category.id == "anti-social-behaviour")
    assert asb.persistent_id == "" and asb.outcomes == []  # the client skips the request


def test_client_crimes_by_area_location_and_no_location(api_base):
    from police_api import PoliceAPI

    api = PoliceAPI(base_url=api_base)
    neighbourhood = api.locate_neighbourhood(*POINTS["Leeds city centre"])
    in_area = api.get_crimes_area(neighbourhood.boundary, date="2018-07")  # a POST form, as the client sends it
    assert in_area
    shape = shapely.Polygon([(lng, lat) for lat, lng in neighbourhood.boundary])
    assert all(shape.buffer(1e-6).covers(shapely.Point(float(c.location.longitude), float(c.location.latitude))) for c in in_area)
    location_id = in_area[0].location.id
    at_location = api.get_crimes_location(location_id, date="2018-07")
    assert at_location and all(c.location.id == location_id for c in at_location)
    no_location = api.get_crimes_no_location("west-yorkshire", date="2018-07")
    assert all(c.month == "2018-07" for c in no_location)
