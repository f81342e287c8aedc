from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from watchhouse.audit import entries, verify
from watchhouse.cli import app
from watchhouse.domain.markings import Classification
from watchhouse.domain.roles import Role
from watchhouse.users import (
    AuthError,
    UserError,
    add_user,
    authenticate,
    end_session,
    issue_token,
    open_session,
    resume_session,
    update_user,
    user_from_token,
)
from watchhouse.users.tables import users, web_sessions

PASSWORD = "correct horse battery"


def _add(engine, name="ada", role="investigator", clearance="SECRET", caveats=()):
    with engine.begin() as connection:
        return add_user(connection, name, role=role, clearance=clearance, password=PASSWORD, caveats=list(caveats))


def test_add_user_hashes_with_argon2_and_audits(engine):
    user = _add(engine, caveats=["OFFICIAL-SENSITIVE"])
    assert user.role is Role.INVESTIGATOR and user.clearance is Classification.SECRET
    assert user.caveats == {"OFFICIAL-SENSITIVE"}
    with engine.connect() as connection:
        stored = connection.execute(sa.select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert entries(engine, record_id="user:ada")[0].action == "admin"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"role": "chief", "clearance": "SECRET"}, "unknown role"),
        ({"role": "auditor", "clearance": "ULTRA"}, "ULTRA"),
        ({"role": "auditor", "clearance": "SECRET", "password": "short"}, "at least 12"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(engine, kwargs, message):
    kwargs.setdefault("password", PASSWORD)
    with pytest.raises((UserError, ValueError), match=message):
        with engine.begin() as connection:
            add_user(connection, "bob", **kwargs)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(users)).scalar() == 0


def test_duplicate_user_is_refused(engine):
    _add(engine)
    with pytest.raises(UserError, match="already exists"):
        _add(engine)


def test_login_success_and_failure_are_audited(engine):
    _add(engine)
    assert authenticate(engine, "ada", PASSWORD, client="10.1.1.1").username == "ada"
    with pytest.raises(AuthError):
        authenticate(engine, "ada", "wrong password!!", client="10.1.1.1")
    with pytest.raises(AuthError):
        authenticate(engine, "nobody", "whatever password", client="10.1.1.2")
    actions = [e.action for e in entries(engine, limit=10)]
    assert actions[:3] == ["login-failed", "login-failed", "login"]
    assert verify(engine).ok


def test_lock_out_after_repeated_failures(engine, monkeypatch):
    monkeypatch.setenv("WATCHHOUSE_MAX_FAILED_LOGINS", "3")
    _add(engine)
    for _ in range(3):
        with pytest.raises(AuthError):
            authenticate(engine, "ada", "not the password")
    with pytest.raises(AuthError, match="locked"):
        authenticate(engine, "ada", PASSWORD)  # even the right password is refused while locked
    with engine.begin() as connection:
        connection.execute(users.update().values(locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    assert authenticate(engine, "ada", PASSWORD).username == "ada"


def test_token_round_trip_and_revocation(engine):
    user = _add(engine)
    token, lifetime = issue_token(user)
    assert lifetime == 15 * 60
    assert user_from_token(engine, token).id == user.id
    with pytest.raises(AuthError):
        user_from_token(engine, token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
    with pytest.raises(AuthError):
        user_from_token(engine, "not.a.token")
    with pytest.raises(AuthError):
        user_from_token(engine, "garbage")
    with engine.begin() as connection:
        update_user(connection, "ada", clearance="OFFICIAL")
    with pytest.raises(AuthError, match="revoked"):
        user_from_token(engine, token)


def test_expired_token_is_refused(engine, monkeypatch):
    monkeypatch.setenv("WATCHHOUSE_TOKEN_MINUTES", "-1")
    token, _ = issue_token(_add(engine))
    with pytest.raises(AuthError, match="expired"):
        user_from_token(engine, token)


def test_sessions_expire_when_idle_and_absolutely(engine):
    user = _add(engine)
    with engine.begin() as connection:
        session_id, csrf = open_session(connection, user)
    assert resume_session(engine, session_id) == (user, csrf)
    with engine.begin() as connection:
        connection.execute(web_sessions.update().values(last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
    assert resume_session(engine, session_id) is None
    with engine.begin() as connection:
        session_id, _ = open_session(connection, user)
        connection.execute(web_sessions.update().values(created_at=datetime.now(UTC) - timedelta(hours=11)))
    assert resume_session(engine, session_id) is None
    with engine.begin() as connection:
        session_id, _ = open_session(connection, user)
    end_session(engine, session_id)
    assert resume_session(engine, session_id) is None
    assert resume_session(engine, "forged-cookie-value") is None


def test_disabling_ends_sessions(engine):
    user = _add(engine)
    with engine.begin() as connection:
        session_id, _ = open_session(connection, user)
        update_user(connection, "ada", disabled=True)
    assert resume_session(engine, session_id) is None
    with pytest.raises(AuthError):
        authenticate(engine, "ada", PASSWORD)


def test_cli_add_list_and_change(database_url):
    runner = CliRunner()
    result = runner.invoke(app, ["users", "add", "carol", "--role", "intelligence-analyst", "--clearance",
                                 "TOP-SECRET", "--caveat", "OFFICIAL-SENSITIVE", "--password-stdin",
                                 "--db", database_url], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "TOP-SECRET" in result.output
    bad = runner.invoke(app, ["users", "add", "dave", "--role", "wizard", "--clearance", "SECRET",
                              "--db", database_url])
    assert bad.exit_code == 2 and "unknown role" in bad.output
    listed = runner.invoke(app, ["users", "list", "--db", database_url], env={"COLUMNS": "200"})
    assert "carol" in listed.output and "intelligence-analyst" in listed.output
    changed = runner.invoke(app, ["users", "set-role", "carol", "supervisor", "--db", database_url])
    assert changed.exit_code == 0 and "supervisor" in changed.output
    disabled = runner.invoke(app, ["users", "disable", "carol", "--db", database_url])
    assert "disabled" in disabled.output
