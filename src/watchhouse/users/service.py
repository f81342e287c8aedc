from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine

from watchhouse import audit
from watchhouse.config import auth_policy, secret_key
from watchhouse.domain.markings import Classification, parse_marking
from watchhouse.domain.roles import Role
from watchhouse.users.tables import users, web_sessions

_hasher = PasswordHasher()
_dummy_hash: str | None = None


def _dummy() -> str:
    """Verifying against this when the user does not exist keeps the timing of "no such user"
    and "wrong password" alike, so login cannot be used to discover account names."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")
MIN_PASSWORD_LENGTH = 12


class UserError(ValueError):
    """A request to create or change an account that cannot be carried out."""


class AuthError(Exception):
    """Authentication failed. The message is safe to show: it never says which part was wrong."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    clearance: Classification
    caveats: frozenset[str]
    disabled: bool
    credentials_version: int
    locked_until: datetime | None = None
    last_login_at: datetime | None = None

    @property
    def clearance_slug(self) -> str:
        return self.clearance.slug


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; everything we store is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _user(row) -> User:
    return User(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        clearance=Classification[row.clearance.replace("-", "_")],
        caveats=frozenset(json.loads(row.caveats)),
        disabled=bool(row.disabled),
        credentials_version=row.credentials_version,
        locked_until=_aware(row.locked_until),
        last_login_at=_aware(row.last_login_at),
    )


def parse_clearance(text: str) -> Classification:
    marking = parse_marking(text)
    if marking.caveats:
        raise UserError(f"clearance {text!r} is a caveat, not a level: give it with --caveat")
    return marking.classification


def _canonical_caveats(caveats) -> list[str]:
    return sorted(parse_marking("OFFICIAL").with_caveats(*caveats).caveats) if caveats else []


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def _get(connection: Connection, username: str):
    return connection.execute(sa.select(users).where(users.c.username == username)).one_or_none()


def add_user(
    connection: Connection,
    username: str,
    *,
    role: str,
    clearance: str,
    password: str | None,
    caveats: list[str] | tuple[str, ...] = (),
    actor: str = "system",
    client: str = "cli",
) -> User:
    username = username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise UserError(f"user name {username!r} must be 2-63 characters of a-z, 0-9, '.', '_' or '-'")
    role_value = Role.parse(role)
    level = parse_clearance(clearance)
    caveat_set = _canonical_caveats(caveats)
    if password is not None:
        _check_password(password)
    if _get(connection, username) is not None:
        raise UserError(f"user {username!r} already exists")
    connection.execute(
        users.insert().values(
            username=username,
            role=role_value.value,
            clearance=level.slug,
            caveats=json.dumps(caveat_set),
            password_hash=_hasher.hash(password) if password is not None else None,
            disabled=False,
            failed_logins=0,
            credentials_version=1,
            created_at=_now(),
        )
    )
    audit.record(
        connection,
        actor=actor,
        action="admin",
        record_ids=[f"user:{username}"],
        client=client,
        detail={"change": "add user", "role": role_value.value, "clearance": level.slug, "caveats": caveat_set},
    )
    return _user(_get(connection, username))


def update_user(
    connection: Connection,
    username: str,
    *,
    role: str | None = None,
    clearance: str | None = None,
    caveats: list[str] | None = None,
    disabled: bool | None = None,
    actor: str = "system",
    client: str = "cli",
) -> User:
    row = _get(connection, username)
    if row is None:
        raise UserError(f"no user {username!r}")
    changes: dict = {}
    if role is not None:
        changes["role"] = Role.parse(role).value
    if clearance is not None:
        changes["clearance"] = parse_clearance(clearance).slug
    if caveats is not None:
        changes["caveats"] = json.dumps(_canonical_caveats(caveats))
    if disabled is not None:
        changes["disabled"] = disabled
        if not disabled:
            changes["failed_logins"] = 0
            changes["locked_until"] = None
    if not changes:
        raise UserError("nothing to change")
    connection.execute(
        users.update()
        .where(users.c.id == row.id)
        .values(**changes, credentials_version=users.c.credentials_version + 1)
    )
    if disabled:
        connection.execute(web_sessions.delete().where(web_sessions.c.user_id == row.id))
    audit.record(
        connection,
        actor=actor,
        action="admin",
        record_ids=[f"user:{row.username}"],
        client=client,
        detail={"change": "update user", **{k: (json.loads(v) if k == "caveats" else v) for k, v in changes.items()}},
    )
    return _user(_get(connection, username))


def set_password(connection: Connection, username: str, password: str, *, actor: str = "system", client: str = "cli") -> None:
    _check_password(password)
    row = _get(connection, username)
    if row is None:
        raise UserError(f"no user {username!r}")
    connection.execute(
        users.update()
        .where(users.c.id == row.id)
        .values(password_hash=_hasher.hash(password), credentials_version=users.c.credentials_version + 1)
    )
    connection.execute(web_sessions.delete().where(web_sessions.c.user_id == row.id))
    audit.record(connection, actor=actor, action="admin", record_ids=[f"user:{row.username}"], client=client,
                 detail={"change": "set password"})


_USER_BY_ID = sa.select(users).where(users.c.id == sa.bindparam("user_id"))  # read on every API request


def get_user(engine_or_connection: Engine | Connection, user_id: int) -> User | None:
    if isinstance(engine_or_connection, Engine):
        connection = engine_or_connection.connect()
        if engine_or_connection.dialect.name == "postgresql":
            # One read, no transaction to open and roll back: two round trips fewer for the check
            # every API request makes (on SQLite switching the mode costs more than it saves).
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        with connection:
            row = connection.execute(_USER_BY_ID, {"user_id": user_id}).one_or_none()
    else:
        row = engine_or_connection.execute(_USER_BY_ID, {"user_id": user_id}).one_or_none()
    return _user(row) if row is not None else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as connection:
        return [_user(row) for row in connection.execute(sa.select(users).order_by(users.c.username))]


def authenticate(engine: Engine, username: str, password: str, *, client: str = "") -> User:
    """Check a password, with lock-out after repeated failures; audit the attempt either way.

    A failed attempt is committed (its audit entry and failure count) before AuthError is
    raised: the refusal must not roll back the record of it.
    """
    username = (username or "").strip().lower()
    with engine.begin() as connection:
        user, failure = _attempt_login(connection, username, password, client)
    if failure:
        raise AuthError(failure)
    return user


def _attempt_login(connection: Connection, username: str, password: str, client: str) -> tuple[User | None, str]:
    policy = auth_policy()
    now = _now()
    row = _get(connection, username)
    if row is None:
        _verify(_dummy(), password)
        audit.record(connection, actor=username or "anonymous", action="login-failed", client=client,
                     detail={"reason": "unknown user"})
        return None, "incorrect user name or password"
    locked_until = _aware(row.locked_until)
    if row.disabled or row.password_hash is None or (locked_until is not None and locked_until > now):
        _verify(_dummy(), password)
        reason = "disabled" if row.disabled else "no password" if row.password_hash is None else "locked"
        audit.record(connection, actor=username, action="login-failed", record_ids=[f"user:{username}"],
                     client=client, detail={"reason": reason})
        return None, "incorrect user name or password, or the account is locked"
    if not _verify(row.password_hash, password):
        failures = row.failed_logins + 1
        lock = now + timedelta(minutes=policy.lockout_minutes) if failures >= policy.max_failed_logins else None
        connection.execute(
            users.update().where(users.c.id == row.id).values(failed_logins=0 if lock else failures, locked_until=lock)
        )
        audit.record(connection, actor=username, action="login-failed", record_ids=[f"user:{username}"],
                     client=client, detail={"reason": "wrong password", "locked": lock is not None})
        return None, "incorrect user name or password"
    values = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = _hasher.hash(password)
    connection.execute(users.update().where(users.c.id == row.id).values(**values))
    audit.record(connection, actor=username, action="login", record_ids=[f"user:{username}"], client=client)
    return _user(_get(connection, username)), ""


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Bearer tokens: HMAC-signed, short-lived, bound to the account's credentials version so that a
# change of role, clearance or password, or disabling the account, revokes them at once.

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(user: User) -> tuple[str, int]:
    """A bearer token for ``user`` and its lifetime in seconds."""
    lifetime = int(auth_policy().token_minutes * 60)
    now = int(_now().timestamp())
    payload = _b64(json.dumps({"sub": user.id, "ver": user.credentials_version, "iat": now,
                               "exp": now + lifetime, "jti": secrets.token_hex(8)},
                              separators=(",", ":")).encode())
    signature = _b64(hmac.new(secret_key(), f"wh1.{payload}".encode(), hashlib.sha256).digest())
    return f"wh1.{payload}.{signature}", lifetime


def user_from_token(engine: Engine, token: str) -> User:
    """The account a bearer token stands for; AuthError if forged, expired or revoked."""
    try:
        prefix, payload, signature = token.split(".")
    except ValueError:
        raise AuthError("malformed token") from None
    expected = _b64(hmac.new(secret_key(), f"{prefix}.{payload}".encode(), hashlib.sha256).digest())
    if prefix != "wh1" or not hmac.compare_digest(expected, signature):
        raise AuthError("invalid token")
    try:
        claims = json.loads(_unb64(payload))
        user_id, version, expires = int(claims["sub"]), int(claims["ver"]), int(claims["exp"])
    except (ValueError, KeyError, TypeError):
        raise AuthError("invalid token") from None
    if expires <= _now().timestamp():
        raise AuthError("token expired")
    user = get_user(engine, user_id)
    if user is None or user.disabled or user.credentials_version != version:
        raise AuthError("token revoked")
    return user


# Web sessions: a random cookie value; the table keeps only its hash, with a CSRF token and
# idle/absolute expiry checked on every request.

def _hash_session(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(connection: Connection, user: User, *, client: str = "") -> tuple[str, str]:
    """Start a web session; returns (cookie value, CSRF token)."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    connection.execute(web_sessions.insert().values(
        id_hash=_hash_session(session_id), user_id=user.id, credentials_version=user.credentials_version,
        csrf_token=csrf, created_at=now, last_seen_at=now, client=client[:100],
    ))
    return session_id, csrf


def resume_session(engine: Engine, session_id: str) -> tuple[User, str] | None:
    """(user, CSRF token) for a live session, touching its idle timer; None if gone or expired."""
    if not session_id or len(session_id) > 100:
        return None
    policy = auth_policy()
    now = _now()
    key = _hash_session(session_id)
    with engine.begin() as connection:
        row = connection.execute(sa.select(web_sessions).where(web_sessions.c.id_hash == key)).one_or_none()
        if row is None:
            return None
        idle_expired = _aware(row.last_seen_at) + timedelta(minutes=policy.session_idle_minutes) <= now
        absolute_expired = _aware(row.created_at) + timedelta(minutes=policy.session_absolute_minutes) <= now
        user = get_user(connection, row.user_id)
        if idle_expired or absolute_expired or user is None or user.disabled \
                or user.credentials_version != row.credentials_version:
            connection.execute(web_sessions.delete().where(web_sessions.c.id_hash == key))
            return None
        connection.execute(web_sessions.update().where(web_sessions.c.id_hash == key).values(last_seen_at=now))
        return user, row.csrf_token


def end_session(engine: Engine, session_id: str, *, client: str = "") -> None:
    key = _hash_session(session_id or "")
    with engine.begin() as connection:
        row = connection.execute(sa.select(web_sessions).where(web_sessions.c.id_hash == key)).one_or_none()
        if row is None:
            return
        connection.execute(web_sessions.delete().where(web_sessions.c.id_hash == key))
        user = get_user(connection, row.user_id)
        audit.record(connection, actor=user.username if user else "unknown", action="logout", client=client)


def find_or_link_oidc_identity(connection: Connection, *, issuer: str, subject: str, username: str) -> User:
    """Map a force identity provider's (issuer, subject) onto an existing Watchhouse account.

    Accounts, roles and clearances are still managed here: an identity provider proves who
    someone is, not what they may see. The first sign-in links by user name; later ones by
    (issuer, subject) only, so a renamed account at the provider cannot take over another.
    """
    row = connection.execute(
        sa.select(users).where(users.c.oidc_issuer == issuer, users.c.oidc_subject == subject)
    ).one_or_none()
    if row is None:
        row = _get(connection, username.strip().lower())
        if row is None or row.oidc_subject is not None:
            raise AuthError("no Watchhouse account for this identity")
        connection.execute(users.update().where(users.c.id == row.id).values(oidc_issuer=issuer, oidc_subject=subject))
        audit.record(connection, actor=row.username, action="admin", record_ids=[f"user:{row.username}"],
                     detail={"change": "linked OIDC identity", "issuer": issuer})
        row = _get(connection, row.username)
    user = _user(row)
    if user.disabled:
        raise AuthError("account disabled")
    return user
