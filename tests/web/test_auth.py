import re

import pytest
from fastapi.testclient import TestClient

from watchhouse.audit import entries
from watchhouse.users import add_user
from watchhouse.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def client(database_url, engine):
    with engine.begin() as connection:
        add_user(connection, "ada", role="investigator", clearance="SECRET", password=PASSWORD)
    # TestClient speaks http://testserver: Secure cookies would never come back.
    import os

    os.environ["WATCHHOUSE_COOKIE_SECURE"] = "0"
    try:
        yield TestClient(create_app(database_url), follow_redirects=False)
    finally:
        os.environ.pop("WATCHHOUSE_COOKIE_SECURE", None)


def test_password_flow_issues_a_bearer_token(client):
    response = client.post("/v1/auth/token", data={"username": "ada", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"username": "ada", "role": "investigator", "clearance": "SECRET", "caveats": []}


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer wh1.e30.AAAA", "Basic YWRhOng="])
def test_v1_refuses_missing_or_forged_tokens(client, header):
    response = client.get("/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert "ada" not in response.text


def test_wrong_password_is_refused_and_audited(client, engine):
    response = client.post("/v1/auth/token", data={"username": "ada", "password": "wrong wrong wrong"})
    assert response.status_code == 401
    assert entries(engine, limit=1)[0].action == "login-failed"


def _login_form(client, next_path="/"):
    page = client.get(f"/login?next={next_path}")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_page_login_sets_a_hardened_session_cookie(client):
    csrf = _login_form(client)
    response = client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf,
                                           "next": "/somewhere"})
    assert response.status_code == 303 and response.headers["location"] == "/somewhere"
    cookie = response.headers["set-cookie"]
    assert "watchhouse_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_login_without_csrf_token_is_refused(client, engine):
    _login_form(client)
    response = client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403
    assert all(e.action != "login" for e in entries(engine, limit=5))


def test_login_never_redirects_off_site(client):
    csrf = _login_form(client)
    response = client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf,
                                           "next": "https://evil.example/"})
    assert response.headers["location"] == "/"


def test_logout_needs_the_session_csrf_token(client):
    csrf = _login_form(client)
    client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf})
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403


def test_sign_in_attempts_are_throttled_per_address(client, engine):
    for _ in range(10):
        client.post("/v1/auth/token", data={"username": "ada", "password": "wrong wrong wrong"})
    throttled = client.post("/v1/auth/token", data={"username": "ada", "password": PASSWORD})
    assert throttled.status_code == 429
    assert entries(engine, limit=1)[0].detail == {"event": "login throttled"}
