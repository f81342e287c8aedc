"""/api over HTTP on a small fixture: shapes, poly by GET and POST, and the real API's error codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from watchhouse.crimes.query import ONE_MILE_M
from watchhouse.ingest.police_uk import ingest_paths
from watchhouse.publish import police_uk
from watchhouse.publish.cache import cache_for
from watchhouse.web.app import create_app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "police_api"
CENTRE = "lat=53.8&lng=-1.55"
SQUARE = "53.79,-1.56:53.81,-1.56:53.81,-1.52:53.79,-1.52"


@pytest.fixture
def loaded(engine):
    ingest_paths(engine, [FIXTURES / "2018-07"])
    return engine


@pytest.fixture
def api(loaded, database_url, monkeypatch):
    monkeypatch.setenv("WATCHHOUSE_RATE_LIMIT", "off")
    return TestClient(create_app(database_url))


def test_crimes_street_items_have_police_uk_fields_and_types(api):
    response = api.get(f"/api/crimes-street/all-crime?{CENTRE}&date=2018-07")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    crimes = response.json()
    assert len(crimes) == 7
    for crime in crimes:
        assert set(crime) == {
            "category", "location_type", "location", "context", "outcome_status",
            "persistent_id", "id", "location_subtype", "month",
        }
        assert isinstance(crime["id"], int)
        assert isinstance(crime["location"]["latitude"], str) and isinstance(crime["location"]["longitude"], str)
        assert isinstance(crime["location"]["street"]["id"], int)
        assert crime["location"]["street"]["name"].startswith("On or near ")
        assert crime["month"] == "2018-07"
        assert crime["location_subtype"] == ""
    by_category = {c["category"]: c for c in crimes}
    asb = [c for c in crimes if c["category"] == "anti-social-behaviour"]
    assert len(asb) == 2 and all(c["persistent_id"] == "" and c["outcome_status"] is None for c in asb)
    assert by_category["burglary"]["outcome_status"] == {"category": "Under investigation", "date": "2018-07"}
    assert len(by_category["burglary"]["persistent_id"]) == 64
    assert by_category["robbery"]["context"] == "Reported at a petrol station"
    assert by_category["theft-from-the-person"]["location_type"] == "BTP"
    assert by_category["burglary"]["location_type"] == "Force"


def test_date_defaults_to_latest_month_and_category_filters(api):
    assert api.get(f"/api/crimes-street/all-crime?{CENTRE}").json() == api.get(f"/api/crimes-street/all-crime?{CENTRE}&date=2018-07").json()
    vehicle = api.get(f"/api/crimes-street/vehicle-crime?{CENTRE}").json()
    assert [c["location"]["street"]["name"] for c in vehicle] == ["On or near North Edge In"]


def test_poly_by_get_and_by_post_form_agree(api):
    by_get = api.get(f"/api/crimes-street/all-crime?poly={SQUARE}&date=2018-07")
    by_post = api.post("/api/crimes-street/all-crime", data={"poly": SQUARE, "date": "2018-07"})
    assert by_get.status_code == by_post.status_code == 200
    assert by_get.json() == by_post.json()
    names = sorted(c["location"]["street"]["name"] for c in by_get.json())
    assert "On or near East Edge Out" in names  # outside the mile, inside the square
    assert "On or near North Edge In" not in names  # inside the mile, north of the square


def test_get_url_over_4094_characters_is_400_but_post_takes_it(api):
    ring = [(53.79 + i * 1e-5, -1.56) for i in range(300)] + [(53.81, -1.52), (53.79, -1.52)]
    poly = ":".join(f"{lat:.6f},{lng:.6f}" for lat, lng in ring)
    url = f"/api/crimes-street/all-crime?poly={poly}&date=2018-07"
    assert len(url) > 4094
    too_long = api.get(url)
    assert too_long.status_code == 400
    assert "4094" in too_long.json()["detail"]
    assert api.post("/api/crimes-street/all-crime", data={"poly": poly, "date": "2018-07"}).status_code == 200
    just_fits = "/api/crimes-street/all-crime?" + CENTRE + "&x=" + "a" * (4094 - len("/api/crimes-street/all-crime?" + CENTRE + "&x="))
    assert len(just_fits) == 4094
    assert api.get(just_fits).status_code == 200


def test_search_over_the_limit_is_503(api, monkeypatch):
    monkeypatch.setattr(police_uk, "MAX_SEARCH_CRIMES", 6)
    response = api.get(f"/api/crimes-street/all-crime?{CENTRE}&date=2018-07")
    assert response.status_code == 503
    assert "7 crimes" in response.json()["detail"]
    assert api.get(f"/api/crimes-street/burglary?{CENTRE}&date=2018-07").status_code == 200


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        (f"/api/crimes-street/no-such-category?{CENTRE}", 404, "category"),
        (f"/api/crimes-street/all-crime?{CENTRE}&date=2018-13", 400, "date"),
        (f"/api/crimes-street/all-crime?{CENTRE}&date=July", 400, "date"),
        (f"/api/crimes-street/all-crime?{CENTRE}&date=2019-01", 404, "2019-01"),
        ("/api/crimes-street/all-crime?lat=53.8", 400, "lng"),
        ("/api/crimes-street/all-crime?lat=north&lng=-1.55", 400, "lat"),
        ("/api/crimes-street/all-crime?lat=91&lng=-1.55", 400, "lat"),
        ("/api/crimes-street/all-crime", 400, "poly"),
        ("/api/crimes-street/all-crime?poly=53.8,-1.5:53.9,-1.5", 400, "3 points"),
        ("/api/crimes-street/all-crime?poly=53.8,-1.5:53.9:54,-1.4", 400, "poly point 2"),
        ("/api/outcomes-for-crime/" + "0" * 64, 404, "persistent id"),
        ("/api/crimes-no-location?category=all-crime&force=atlantis", 404, "force"),
        ("/api/crimes-no-location?category=all-crime", 400, "force"),
        ("/api/crimes-at-location?date=2018-07&location_id=abc", 400, "location_id"),
        ("/api/locate-neighbourhood?q=53.8", 400, "lat,lng"),
        ("/api/forces/atlantis", 404, "force"),
        ("/api/atlantis/neighbourhoods", 404, "Not Found"),  # not a police.uk force id: no route
        ("/api/west-yorkshire/neighbourhoods", 404, "force"),  # an id, but not loaded here
    ],
)
def test_bad_parameters_get_the_real_apis_status_with_a_message(api, url, status, says):
    response = api.get(url)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]


def test_rate_limit_429_applies_to_api_only(loaded, database_url, monkeypatch):
    monkeypatch.setenv("WATCHHOUSE_RATE_LIMIT", "0.01/5")  # slow drain: timing-proof
    client = TestClient(create_app(database_url))
    statuses = [client.get("/api/crime-last-updated").status_code for _ in range(8)]
    assert statuses == [200] * 5 + [429] * 3
    refused = client.get("/api/crimes-street-dates")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "rate limit" in refused.json()["detail"]
    assert all(client.get("/openapi.json").status_code == 200 for _ in range(8))


def test_availability_endpoints(api):
    assert api.get("/api/crime-last-updated").json() == {"date": "2018-07-01"}
    assert api.get("/api/crimes-street-dates").json() == [{"date": "2018-07", "stop-and-search": ["west-yorkshire"]}]
    categories = api.get("/api/crime-categories?date=2018-07").json()
    assert categories[0] == {"url": "all-crime", "name": "All crime"}
    assert {"url": "violent-crime", "name": "Violence and sexual offences"} in categories
    assert all(set(c) == {"url", "name"} for c in categories)


def test_crimes_at_location_by_id_and_by_nearest_point(api):
    centre = next(c for c in api.get(f"/api/crimes-street/burglary?{CENTRE}").json())
    location_id = centre["location"]["street"]["id"]
    by_id = api.get(f"/api/crimes-at-location?date=2018-07&location_id={location_id}").json()
    by_point = api.get("/api/crimes-at-location?date=2018-07&lat=53.80002&lng=-1.55003").json()
    assert by_id == by_point
    assert sorted(c["category"] for c in by_id) == ["anti-social-behaviour", "anti-social-behaviour", "burglary", "robbery"]


def test_crimes_no_location_shape(api):
    crimes = api.get("/api/crimes-no-location?category=all-crime&force=west-yorkshire&date=2018-07").json()
    assert len(crimes) == 1
    assert crimes[0]["location"] is None and crimes[0]["location_type"] is None and crimes[0]["location_subtype"] == ""
    assert crimes[0]["category"] == "other-crime"
    assert api.get("/api/crimes-no-location?category=burglary&force=west-yorkshire&date=2018-07").json() == []


def test_outcomes_for_crime_after_an_outcomes_file(api, loaded):
    burglary = api.get(f"/api/crimes-street/burglary?{CENTRE}").json()[0]
    before = api.get(f"/api/outcomes-for-crime/{burglary['persistent_id']}").json()
    assert before["outcomes"] == [
        {"category": {"code": "under-investigation", "name": "Under investigation"}, "date": "2018-07", "person_id": None}
    ]
    ingest_paths(loaded, [FIXTURES / "2018-08"])
    after = api.get(f"/api/outcomes-for-crime/{burglary['persistent_id']}").json()
    assert "outcome_status" not in after["crime"]
    assert after["crime"]["id"] == burglary["id"]
    assert [(o["category"]["code"], o["category"]["name"], o["date"]) for o in after["outcomes"]] == [
        ("charged", "Suspect charged", "2018-08"),
        ("fined", "Offender fined", "2018-08"),
    ]


def test_cached_json_is_reused_until_the_data_changes(api, loaded):
    url = f"/api/crimes-street/burglary?{CENTRE}&date=2018-07"
    cache = cache_for(loaded)
    first = api.get(url)
    misses = cache.misses
    second = api.get(url)
    assert second.content == first.content
    assert cache.misses == misses  # served from the cache, not rebuilt
    ingest_paths(loaded, [FIXTURES / "2018-08"])  # outcomes update the burglary
    third = api.get(url)
    assert cache.misses == misses + 1
    assert third.json()[0]["outcome_status"] == {"category": "Offender fined", "date": "2018-08"}


def test_stops_street_shape(api):
    stops = api.get(f"/api/stops-street?{CENTRE}&date=2018-07").json()
    assert len(stops) == 1  # the other located stop is 1609.66 m away
    stop = stops[0]
    assert set(stop) == {
        "age_range", "outcome", "involved_person", "self_defined_ethnicity", "gender", "legislation",
        "outcome_linked_to_object_of_search", "datetime", "removal_of_more_than_outer_clothing",
        "outcome_object", "location", "operation", "officer_defined_ethnicity", "type", "operation_name",
        "object_of_search",
    }
    assert stop["location"]["street"]["name"] == "On or near Centre Street"
    assert stop["location"]["latitude"] == "53.800000"
    assert stop["involved_person"] is True and stop["operation"] is False
    force_stops = api.get("/api/stops-force?force=west-yorkshire&date=2018-07").json()
    assert len(force_stops) == 3
    assert [s["location"] for s in api.get("/api/stops-no-location?force=west-yorkshire&date=2018-07").json()] == [None]


def test_one_mile_is_the_documented_radius():
    assert ONE_MILE_M == 1609.344


def test_answers_are_gzipped_only_for_clients_that_ask(api):
    url = f"/api/crimes-street/all-crime?{CENTRE}&date=2018-07"
    packed = api.get(url, headers={"Accept-Encoding": "gzip"})
    plain = api.get(url, headers={"Accept-Encoding": "identity"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert packed.headers["vary"] == plain.headers["vary"] == "Accept-Encoding"
    assert packed.json() == plain.json()
    assert int(packed.headers["content-length"]) < int(plain.headers["content-length"])
    small = api.get("/api/crime-last-updated", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # not worth compressing


def test_outcomes_at_location_by_id_point_and_poly(api):
    burglary = api.get(f"/api/crimes-street/burglary?{CENTRE}").json()[0]
    location_id = burglary["location"]["street"]["id"]
    at_location = api.get(f"/api/outcomes-at-location?date=2018-07&location_id={location_id}").json()
    assert sorted((o["category"]["code"], o["category"]["name"]) for o in at_location) == [
        ("unable-to-prosecute", "Unable to prosecute suspect"),
        ("under-investigation", "Under investigation"),
    ]
    for item in at_location:
        assert set(item) == {"category", "date", "person_id", "crime"}
        assert "outcome_status" not in item["crime"] and item["crime"]["location"]["street"]["id"] == location_id
    within_mile = api.get(f"/api/outcomes-at-location?date=2018-07&{CENTRE}").json()
    # every located crime within the mile that has an outcome: the two above, East Edge In, the BTP theft
    assert len(within_mile) == 4
    in_square = api.post("/api/outcomes-at-location", data={"poly": SQUARE, "date": "2018-07"}).json()
    assert {o["crime"]["location"]["street"]["name"] for o in in_square} >= {"On or near East Edge In", "On or near Centre Street"}


def test_neighbourhood_catch_all_does_not_shadow_fixed_api_paths_added_later(loaded, database_url, monkeypatch):
    from fastapi import APIRouter

    monkeypatch.setenv("WATCHHOUSE_RATE_LIMIT", "off")
    app = create_app(database_url)
    later = APIRouter()

    @later.get("/api/reports/summary")
    def summary():
        return {"served": "by the later router"}

    app.include_router(later)  # as a route module named after police_api.py would be
    client = TestClient(app)
    assert client.get("/api/reports/summary").json() == {"served": "by the later router"}
    assert client.get("/api/atlantis/some-neighbourhood").status_code == 404


def test_rate_limit_buckets_follow_forwarded_clients_only_from_trusted_proxies(loaded, database_url, monkeypatch):
    from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

    from watchhouse.demo.cli import proxy_options

    monkeypatch.setenv("WATCHHOUSE_RATE_LIMIT", "0.01/2")

    def statuses(client: TestClient) -> list[int]:
        return [
            client.get("/api/crime-last-updated", headers={"X-Forwarded-For": address}).status_code
            for address in ("203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.2")
        ]

    # No trusted proxy (the default): the forwarded header is ignored, everyone shares one bucket.
    monkeypatch.delenv("WATCHHOUSE_TRUSTED_PROXIES", raising=False)
    assert proxy_options() == {"proxy_headers": False, "forwarded_allow_ips": None}
    assert statuses(TestClient(create_app(database_url))) == [200, 200, 429, 429]

    # The test client's peer is a trusted proxy: each forwarded client has its own bucket.
    monkeypatch.setenv("WATCHHOUSE_TRUSTED_PROXIES", "testclient, 10.0.0.0/8")
    options = proxy_options()
    assert options == {"proxy_headers": True, "forwarded_allow_ips": "testclient,10.0.0.0/8"}
    behind_proxy = ProxyHeadersMiddleware(create_app(database_url), trusted_hosts=options["forwarded_allow_ips"])
    assert statuses(TestClient(behind_proxy)) == [200, 200, 200, 200]
