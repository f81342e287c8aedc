import re

import pytest
from fastapi.testclient import TestClient

from watchhouse.audit import entries
from watchhouse.users import add_user, list_users
from watchhouse.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def sign_in(database_url, engine, monkeypatch):
    monkeypatch.setenv("WATCHHOUSE_COOKIE_SECURE", "0")
    with engine.begin() as connection:
        add_user(connection, "root", role="admin", clearance="OFFICIAL", password=PASSWORD)
        add_user(connection, "audrey", role="auditor", clearance="OFFICIAL", password=PASSWORD)
        add_user(connection, "olive", role="response-officer", clearance="OFFICIAL", password=PASSWORD)
    app = create_app(database_url)

    def as_user(name):
        client = TestClient(app, follow_redirects=False)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        assert client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf}).status_code == 303
        return client

    return as_user


def _csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_admin_adds_and_changes_users_with_csrf_and_audit(sign_in, engine):
    client = sign_in("root")
    page = client.get("/admin/users")
    assert page.status_code == 200 and "olive" in page.text
    csrf = _csrf(page)
    added = client.post("/admin/users", data={"csrf_token": csrf, "username": "newbie", "role": "investigator",
                                              "clearance": "SECRET", "password": PASSWORD})
    assert added.status_code == 200 and "Added newbie" in added.text
    changed = client.post("/admin/users/newbie", data={"csrf_token": csrf, "role": "supervisor", "clearance": "SECRET",
                                                       "status": "disable"})
    assert "Updated newbie" in changed.text
    newbie = next(u for u in list_users(engine) if u.username == "newbie")
    assert newbie.role.value == "supervisor" and newbie.disabled
    assert [e.actor for e in entries(engine, record_id="user:newbie")] == ["root", "root"]


def test_admin_forms_refuse_missing_csrf(sign_in, engine):
    client = sign_in("root")
    client.get("/admin/users")
    response = client.post("/admin/users", data={"username": "sneaky", "role": "admin", "clearance": "TOP-SECRET",
                                                 "password": PASSWORD})
    assert response.status_code == 403
    assert "sneaky" not in [u.username for u in list_users(engine)]


def test_bad_account_details_are_explained(sign_in):
    client = sign_in("root")
    csrf = _csrf(client.get("/admin/users"))
    response = client.post("/admin/users", data={"csrf_token": csrf, "username": "x y", "role": "admin",
                                                 "clearance": "SECRET", "password": PASSWORD})
    assert response.status_code == 400 and "user name" in response.text


def test_only_admins_manage_users_and_only_auditors_read_the_audit(sign_in):
    assert sign_in("olive").get("/admin/users").status_code == 403
    assert sign_in("olive").get("/audit").status_code == 403
    assert sign_in("root").get("/audit").status_code == 403
    auditor = sign_in("audrey")
    page = auditor.get("/audit", params={"user": "olive"})
    assert page.status_code == 200 and "login" in page.text
    assert auditor.get("/audit", params={"since": "not-a-date"}).status_code == 422
