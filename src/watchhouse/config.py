"""Settings read from the environment; every name here is a contract with operators."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///watchhouse.db"


def database_url() -> str:
    return os.environ.get("WATCHHOUSE_DATABASE_URL", DEFAULT_DATABASE_URL)


@dataclass(frozen=True)
class RateLimit:
    """Leaky bucket: `rate` requests/s sustained, bursts of `burst`."""

    rate: float
    burst: int
    enabled: bool = True


def rate_limit() -> RateLimit:
    """WATCHHOUSE_RATE_LIMIT: 'off', or 'RATE/BURST' (default 15/30, as data.police.uk)."""
    raw = os.environ.get("WATCHHOUSE_RATE_LIMIT", "15/30").strip().lower()
    if raw in {"off", "0", "false", "no"}:
        return RateLimit(rate=0, burst=0, enabled=False)
    rate, _, burst = raw.partition("/")
    return RateLimit(rate=float(rate), burst=int(burst or max(1, int(float(rate) * 2))))


def trusted_proxies() -> list[str]:
    """WATCHHOUSE_TRUSTED_PROXIES: addresses or networks of reverse proxies whose X-Forwarded-For
    names the real client (comma-separated, e.g. "10.0.0.5,192.168.0.0/24").

    Empty by default: nobody's X-Forwarded-For is believed, so a client cannot dodge the rate
    limit or the audit's client address by sending one. Behind a proxy, list it here, or every
    client shares the proxy's address (and its rate-limit bucket).
    """
    raw = os.environ.get("WATCHHOUSE_TRUSTED_PROXIES", "")
    return [item.strip() for item in raw.split(",") if item.strip()]


def request_threads() -> int:
    """WATCHHOUSE_REQUEST_THREADS: requests one server process works on at once (default 2).

    Requests that read the database run on threads, and the threads of one process share one
    interpreter lock: forty of them (the framework's default) only take turns on it, each with
    its own cold database cache. Measured at 10 concurrent clients on 1,000,000 person records,
    2 threads per process served a search p95 of 118 ms where 40 served 250 ms. Start more
    processes (``--workers``), not more threads, to use more cores.
    """
    value = os.environ.get("WATCHHOUSE_REQUEST_THREADS", "2").strip()
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"WATCHHOUSE_REQUEST_THREADS must be a whole number of at least 1, not {value!r}")
    return int(value)


def tile_url() -> str:
    """Map tiles are optional: empty means the map draws boundaries and points on a plain background."""
    return os.environ.get("WATCHHOUSE_TILE_URL", "")


def _minutes(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class AuthPolicy:
    max_failed_logins: int = 5
    lockout_minutes: float = 15
    token_minutes: float = 15  # bearer tokens are short-lived: a leaked one is soon worthless
    session_idle_minutes: float = 30
    session_absolute_minutes: float = 600  # one long shift
    cookie_secure: bool = True


def auth_policy() -> AuthPolicy:
    return AuthPolicy(
        max_failed_logins=int(os.environ.get("WATCHHOUSE_MAX_FAILED_LOGINS", 5)),
        lockout_minutes=_minutes("WATCHHOUSE_LOCKOUT_MINUTES", 15),
        token_minutes=_minutes("WATCHHOUSE_TOKEN_MINUTES", 15),
        session_idle_minutes=_minutes("WATCHHOUSE_SESSION_IDLE_MINUTES", 30),
        session_absolute_minutes=_minutes("WATCHHOUSE_SESSION_ABSOLUTE_MINUTES", 600),
        cookie_secure=os.environ.get("WATCHHOUSE_COOKIE_SECURE", "1").lower() not in {"0", "false", "no"},
    )


_EPHEMERAL_SECRET: bytes | None = None


def secret_key() -> bytes:
    """Signing key for bearer tokens: WATCHHOUSE_SECRET_KEY, or a random key for this process.

    Never stored in the repository. Without the variable, tokens stop working on restart,
    which is harmless for the demo because they live for minutes.
    """
    global _EPHEMERAL_SECRET
    configured = os.environ.get("WATCHHOUSE_SECRET_KEY")
    if configured:
        return configured.encode("utf-8")
    if _EPHEMERAL_SECRET is None:
        import secrets

        _EPHEMERAL_SECRET = secrets.token_bytes(32)
    return _EPHEMERAL_SECRET
