import pytest
from fastapi.testclient import TestClient

from watchhouse.audit import entries, verify
from watchhouse.records.lookup import masters_of
from watchhouse.web.app import create_app

PASSWORD = "correct horse battery"  # as tests/people/conftest.py


@pytest.fixture
def client(database_url, world):
    return TestClient(create_app(database_url))


def _token(client, name):
    response = client.post("/v1/auth/token", data={"username": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_search_requires_a_token_and_a_purpose(client):
    assert client.get("/v1/people", params={"q": "smith", "purpose": "INC-1"}).status_code == 401
    headers = _token(client, "olive")
    response = client.get("/v1/people", params={"q": "smith"}, headers=headers)
    assert response.status_code == 400 and "purpose" in response.json()["detail"]


def test_search_collapses_to_master_and_is_audited(client, engine, world):
    headers = {**_token(client, "olive"), "X-Watchhouse-Purpose": "INC-2018-0412"}
    response = client.get("/v1/people", params={"q": "bill smith"}, headers=headers)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    master = masters_of(engine, [world["P1"]])[world["P1"]]
    assert results[0]["master_id"] == master and results[0]["records"] == 2
    entry = entries(engine, actor="olive", actions=["search"])[0]
    assert entry.purpose == "INC-2018-0412" and entry.detail["terms"]["names"] == ["bill", "smith"]
    assert f"person:{master}" in entry.record_ids


def test_person_lookup_withholds_fields_and_says_so(client, engine, world):
    master = masters_of(engine, [world["P1"]])[world["P1"]]
    officer = client.get(f"/v1/people/{master}", params={"purpose": "INC-1"}, headers=_token(client, "olive"))
    assert officer.status_code == 200, officer.text
    body = officer.json()
    assert "07700900001" not in officer.text
    assert "phone" in body["view"]["withheld"]
    assert "seen with" not in officer.text  # the SECRET intelligence event is invisible
    analyst = client.get(f"/v1/people/{master}", params={"purpose": "INC-1"}, headers=_token(client, "ana"))
    assert "07700900001" in analyst.text and "seen with Covert Subject" in analyst.text
    assert "date_of_birth" in body["view"]["conflicts"]  # 04/05 vs 05/04: shown side by side
    assert verify(engine).ok
    consultation = entries(engine, actor="olive", actions=["consultation"])[0]
    assert consultation.purpose == "INC-1" and f"person:{master}" in consultation.record_ids


def test_hidden_and_missing_people_look_the_same(client, world):
    headers = _token(client, "olive")
    hidden = client.get(f"/v1/people/{world['X1']}", params={"purpose": "x"}, headers=headers)
    missing = client.get("/v1/people/999999", params={"purpose": "x"}, headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


def test_auditor_may_not_read_records(client, world):
    response = client.get("/v1/people", params={"q": "smith", "purpose": "x"}, headers=_token(client, "audrey"))
    assert response.status_code == 403


@pytest.mark.parametrize("person_id", ["0", "-1", "abc", "99999999999999"])
def test_malformed_ids_are_refused(client, person_id):
    response = client.get(f"/v1/people/{person_id}", params={"purpose": "x"}, headers=_token(client, "olive"))
    assert response.status_code == 422
