"""Regression tests for what Schemathesis found in /api and /v1, and checks of the schema itself:
every operation documents the errors it can give, and every parameter carries the limits the
code enforces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from watchhouse.ingest.police_uk import ingest_paths
from watchhouse.publish import police_uk
from watchhouse.web.app import create_app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "police_api"
OVER_64_BITS = "99999999999999999999"


@pytest.fixture
def api(engine, database_url, monkeypatch):
    ingest_paths(engine, [FIXTURES / "2018-07"])
    monkeypatch.setenv("WATCHHOUSE_RATE_LIMIT", "off")
    return TestClient(create_app(database_url), raise_server_exceptions=False)


@pytest.mark.parametrize("location_id", [OVER_64_BITS, str(2**31), str(2**63), "0", "-5"])
@pytest.mark.parametrize("path", ["/api/crimes-at-location", "/api/outcomes-at-location"])
def test_a_location_id_outside_the_id_range_names_no_location(api, path, location_id):
    # Was a 500: SQLite cannot bind an integer over 64 bits, PostgreSQL's integer column over 32.
    response = api.get(f"{path}?date=2018-07&location_id={location_id}")
    assert response.status_code == 200, response.text
    assert response.json() == []
    posted = api.post(path, data={"date": "2018-07", "location_id": location_id})
    assert posted.status_code == 200 and posted.json() == []


def test_the_largest_location_id_is_still_looked_up(api):
    response = api.get(f"/api/crimes-at-location?date=2018-07&location_id={police_uk.MAX_LOCATION_ID}")
    assert response.status_code == 200 and response.json() == []


# ---------------------------------------------------------------- the schema itself


@pytest.fixture
def schema(tmp_path, monkeypatch):
    monkeypatch.setenv("WATCHHOUSE_RATE_LIMIT", "off")
    return create_app(f"sqlite:///{tmp_path / 'schema.db'}").openapi()


def _operations(schema):
    for path, operations in schema["paths"].items():
        if path.startswith(("/api/", "/v1/")):
            for method, operation in operations.items():
                yield path, method.upper(), operation


def _resolve(schema, value):
    while isinstance(value, dict) and "$ref" in value:
        name = value["$ref"].rsplit("/", 1)[1]
        value = schema["components"]["schemas"][name]
    return value


def _constrained(schema: dict) -> bool:
    """A parameter schema that bounds what it accepts: an enum, a pattern, a length or a range."""
    options = schema.get("anyOf") or [schema]
    for option in options:
        if option.get("type") == "null":
            continue
        if option.get("type") == "string" and not ({"enum", "pattern", "maxLength"} & set(option)):
            return False
        if option.get("type") in ("integer", "number") and not {"minimum", "maximum"} <= set(option):
            return False
    return True


def test_every_operation_documents_the_errors_it_can_give(schema):
    missing = []
    for path, method, operation in _operations(schema):
        statuses = set(operation["responses"])
        parameters = [p for p in operation.get("parameters", []) if p["in"] in ("query", "path")]
        expected = set()
        if path.startswith("/api/"):
            expected.add("429")  # the rate limit applies to every /api path
            if any(p["in"] == "query" for p in parameters):
                expected.add("400")
            if any(p["in"] == "path" for p in parameters) or any(p["name"] in ("date", "force") for p in parameters):
                expected.add("404")
        elif path != "/v1/auth/token":
            expected.add("401")  # every /v1 operation but sign-in needs a bearer token
        else:
            expected |= {"401", "429"}
        if expected - statuses:
            missing.append(f"{method} {path}: {sorted(expected - statuses)}")
    assert not missing, missing


def test_crime_searches_document_the_10000_crime_refusal(schema):
    for path, method, operation in _operations(schema):
        if path.startswith(("/api/crimes-street/", "/api/stops-street", "/api/outcomes-at-location")):
            assert "503" in operation["responses"], f"{method} {path}"


def test_every_parameter_is_bounded_as_the_code_bounds_it(schema):
    loose = []
    for path, method, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if not _constrained(_resolve(schema, parameter["schema"])):
                loose.append(f"{method} {path} {parameter['name']}: {parameter['schema']}")
    assert not loose, loose


def test_documented_limits_match_the_code(schema):
    crimes_at = {p["name"]: p["schema"] for p in schema["paths"]["/api/crimes-at-location"]["get"]["parameters"]}
    assert crimes_at["location_id"]["maximum"] == police_uk.MAX_LOCATION_ID
    assert (crimes_at["lat"]["minimum"], crimes_at["lat"]["maximum"]) == (-90, 90)
    assert (crimes_at["lng"]["minimum"], crimes_at["lng"]["maximum"]) == (-180, 180)
    street = {p["name"]: p["schema"] for p in schema["paths"]["/api/crimes-street/{category}"]["get"]["parameters"]}
    assert street["poly"]["maxLength"] == police_uk.MAX_GET_URL_LENGTH
    assert "all-crime" in street["category"]["enum"] and "burglary" in street["category"]["enum"]
    people = {p["name"]: p["schema"] for p in schema["paths"]["/v1/people"]["get"]["parameters"]}
    limit = _resolve(schema, people["limit"])
    assert (limit["minimum"], limit["maximum"]) == (1, 100)


# ---------------------------------------------------------------- /v1 edge values


@pytest.fixture
def v1(engine, database_url, monkeypatch):
    from tests.people.conftest import build_world
    from watchhouse.users import add_user, issue_token

    ids = build_world(engine)
    with engine.begin() as connection:
        user = add_user(connection, "edge-investigator", role="investigator", clearance="SECRET", password=None)
    token, _ = issue_token(user)
    monkeypatch.setenv("WATCHHOUSE_RATE_LIMIT", "off")
    client = TestClient(create_app(database_url), raise_server_exceptions=False)
    client.headers.update({"Authorization": f"Bearer {token}", "X-Watchhouse-Purpose": "edge values"})
    return client


@pytest.mark.parametrize("params", [
    {"date_of_birth": "9999-12-31"}, {"date_of_birth": "0001-01-01"}, {"q": "01/01/0001"}, {"q": "31/12/9999"},
    {"given_name": "Wil\x00liam"}, {"q": "Smith\x00"}, {"postcode": "LS1\x004AP"}, {"phone": "0770\x00"},
    {"identifier": "AB12\x00"}, {"age_min": 0, "age_max": 0}, {"age_min": 130}, {"q": "%_\\"},
    {"family_name": "ß" * 100}, {"q": "Smith", "purpose": "x" * 300},
])
def test_edge_values_in_a_people_search_get_an_answer_not_a_crash(v1, params):
    response = v1.get("/v1/people", params=params)
    assert response.status_code in (200, 400), response.text
    assert set(response.json()) <= {"results", "detail"}


def test_a_control_character_in_the_purpose_is_refused(v1):
    # Was a 500 on PostgreSQL: the purpose goes into the audit, and text columns cannot hold NUL.
    for response in (v1.get("/v1/people/1", headers={"X-Watchhouse-Purpose": "case\x00 1"}),
                     v1.get("/v1/people/1?purpose=a%00b", headers={"X-Watchhouse-Purpose": ""}),
                     v1.get("/v1/people?q=Smith", headers={"X-Watchhouse-Purpose": "case 1\x1b[2K"})):
        assert response.status_code == 400, response.text
        assert "control characters" in response.json()["detail"]


def test_sign_in_with_a_nul_in_the_name_or_password_is_refused(v1):
    # Was a 500 on PostgreSQL: the user name was compared with a NUL in it.
    for form in ({"username": "ol\x00ive", "password": "correct horse battery"},
                 {"username": "olive", "password": "correct\x00horse"}):
        response = v1.post("/v1/auth/token", data=form, headers={"Authorization": ""})
        assert response.status_code == 401, response.text


def test_signing_in_to_the_pages_with_a_nul_in_the_name_is_refused(v1, monkeypatch):
    # TestClient speaks http://testserver: a Secure login-form cookie would never come back.
    monkeypatch.setenv("WATCHHOUSE_COOKIE_SECURE", "0")
    page = v1.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = v1.post("/login", data={"username": "ol\x00ive", "password": "correct horse battery",
                                       "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("url", [
    "/api/forces/west%00yorkshire", "/api/west-yorkshire/E02%00", "/api/west-yorkshire/E02%00/boundary",
    "/api/outcomes-for-crime/ab%00cd", "/api/crimes-no-location?force=west%00yorkshire&category=all-crime",
    "/api/stops-force?force=%00", "/api/stops-no-location?force=%00", "/api/crimes-street/all%00crime?lat=53.8&lng=-1.55",
    "/api/crimes-street/all-crime?lat=53.8&lng=-1.55&date=2018-07%00", "/api/locate-neighbourhood?q=53.8,-1.55%00",
])
def test_a_nul_in_an_api_identifier_is_an_ordinary_refusal(api, url):
    # Was a 500 on PostgreSQL for force, persistent id and force parameters: a NUL reached the database.
    response = api.get(url)
    assert response.status_code in (400, 404), response.text
    assert set(response.json()) == {"detail"}
