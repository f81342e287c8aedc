import re

import pytest
from fastapi.testclient import TestClient

from watchhouse.records.lookup import masters_of
from watchhouse.web.app import create_app

PASSWORD = "correct horse battery"  # as tests/people/conftest.py


@pytest.fixture
def sign_in(database_url, world, monkeypatch):
    monkeypatch.setenv("WATCHHOUSE_COOKIE_SECURE", "0")  # TestClient speaks plain http
    app = create_app(database_url)

    def as_user(name):
        client = TestClient(app, follow_redirects=False)
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf})
        assert response.status_code == 303
        return client

    return as_user


def test_pages_need_sign_in(database_url, world):
    client = TestClient(create_app(database_url), follow_redirects=False)
    response = client.get("/people")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/people")


def test_search_page_needs_a_purpose_then_lists_people(sign_in):
    client = sign_in("olive")
    assert client.get("/people", params={"q": "smith"}).status_code == 400
    page = client.get("/people", params={"q": "bill smith", "purpose": "INC-7"})
    assert page.status_code == 200
    assert "Bill Smith / William Smith" in page.text and "Covert" not in page.text


def test_person_page_shows_sources_conflicts_and_withheld(sign_in, engine, world):
    master = masters_of(engine, [world["P1"]])[world["P1"]]
    client = sign_in("olive")
    assert "Why are you looking?" in client.get(f"/people/{master}").text
    page = client.get(f"/people/{master}", params={"purpose": "INC-7"})
    assert page.status_code == 200
    text = page.text
    assert "sources differ" in text and "cad/P1" in text and "crime/V9" in text
    assert "Withheld at your clearance: phone" in text and "07700900001" not in text
    assert 'id="link-chart"' in text and "Who has looked" not in text


def test_supervisor_sees_who_viewed(sign_in, engine, world):
    master = masters_of(engine, [world["P1"]])[world["P1"]]
    sign_in("olive").get(f"/people/{master}", params={"purpose": "INC-7"})
    page = sign_in("sue").get(f"/people/{master}", params={"purpose": "review"})
    assert "Who has looked at this person" in page.text and "olive" in page.text and "INC-7" in page.text


def test_auditor_is_refused_records(sign_in):
    page = sign_in("audrey").get("/people", params={"q": "smith", "purpose": "x"})
    assert page.status_code == 403


def test_case_page(sign_in, world):
    page = sign_in("olive").get(f"/cases/{world['CASE1']}", params={"purpose": "OP-BADGER"})
    assert page.status_code == 200 and "OP-BADGER" in page.text and "13/123/18" in page.text


def test_intelligence_shows_its_handling_instruction(sign_in, engine, world):
    master = masters_of(engine, [world["P1"]])[world["P1"]]
    page = sign_in("ana").get(f"/people/{master}", params={"purpose": "INC-7"})
    assert "graded 2BC" in page.text and "only with the originator" in page.text
