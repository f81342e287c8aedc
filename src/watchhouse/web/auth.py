"""Who is calling: bearer tokens for /v1, session cookies for pages, CSRF for every form.

Capabilities never see cookies or headers: routes turn them into a ``User`` here and pass it on.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from typing import Annotated

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer

from watchhouse.config import auth_policy
from watchhouse.users import AuthError, User, resume_session, user_from_token

SESSION_COOKIE = "watchhouse_session"
LOGIN_CSRF_COOKIE = "watchhouse_login_csrf"

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


_TOKEN_CHECK_THREADS = 4
_token_check_limiter: RunVar[anyio.CapacityLimiter] = RunVar("watchhouse_token_checks")


def _token_checks() -> anyio.CapacityLimiter:
    # One per event loop, as anyio keeps its own default limiter.
    try:
        return _token_check_limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(_TOKEN_CHECK_THREADS)
        _token_check_limiter.set(limiter)
        return limiter


async def api_user(request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    """The caller of a /v1 endpoint; 401 for a missing, forged, expired or revoked token.

    The check is one read by primary key. On SQLite it runs here, on the event loop: the read is
    in-process and never waits on a network, and handing it to a thread and back cost more than
    the read (measured at 1M people: a fifth more CPU per search, and a slower p95). On a database
    server it runs on threads of its own, as a slow server would otherwise stall every request of
    the process; not on the request threads (WATCHHOUSE_REQUEST_THREADS), where it would queue
    behind running requests and then queue again for the endpoint."""
    if not token:
        raise HTTPException(401, "Not authenticated: send a bearer token from POST /v1/auth/token.",
                            headers={"WWW-Authenticate": "Bearer"})
    engine = request.app.state.engine
    try:
        if engine.dialect.name == "sqlite":
            return user_from_token(engine, token)
        return await anyio.to_thread.run_sync(user_from_token, engine, token, limiter=_token_checks())
    except AuthError as error:
        raise HTTPException(401, f"Not authenticated: {error}.",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from None


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the login page."""


def page_session(request: Request) -> tuple[User, str]:
    """(user, CSRF token) for a page request, or LoginRequired."""
    found = resume_session(request.app.state.engine, request.cookies.get(SESSION_COOKIE, ""))
    if found is None:
        raise LoginRequired
    request.state.csrf_token = found[1]
    return found


def page_user(session: Annotated[tuple[User, str], Depends(page_session)]) -> User:
    return session[0]


def check_csrf(expected: str, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(expected, submitted):
        raise HTTPException(403, "The form had expired or did not come from this site. Reload the page and try again.")


def set_session_cookie(response, session_id: str) -> None:
    policy = auth_policy()
    response.set_cookie(
        SESSION_COOKIE, session_id, httponly=True, secure=policy.cookie_secure, samesite="strict", path="/",
        max_age=int(policy.session_absolute_minutes * 60),
    )


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def set_login_csrf_cookie(response, token: str) -> None:
    """Login forms have no session yet: a double-submit cookie stops cross-site login."""
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, secure=auth_policy().cookie_secure,
                        samesite="strict", path="/login", max_age=3600)


class LoginThrottle:
    """At most ``attempts`` logins per ``window`` seconds from one address, across all accounts,
    so password spraying is slowed as well as guessing at one account (which locks it)."""

    def __init__(self, attempts: int = 10, window: float = 60.0):
        self.attempts = attempts
        self.window = window
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, address: str) -> bool:
        now = time.monotonic()
        seen = self._seen[address]
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.attempts:
            return False
        seen.append(now)
        return True


PURPOSE_HEADER = "X-Watchhouse-Purpose"
MAX_PURPOSE = 300


def stated_purpose(request: Request, purpose_param: str | None) -> str:
    """The reason given for a lookup (header or ``purpose`` parameter); 400 when there is none."""
    purpose = (request.headers.get(PURPOSE_HEADER) or purpose_param or "").strip()
    if not purpose:
        raise HTTPException(400, f"A stated purpose is required: give an incident or case reference, or a reason, "
                                 f"in the {PURPOSE_HEADER} header or the 'purpose' parameter.")
    if len(purpose) > MAX_PURPOSE:
        raise HTTPException(400, f"The stated purpose is longer than {MAX_PURPOSE} characters.")
    # It is written to the audit; PostgreSQL cannot store NUL, and control characters could forge log lines.
    if any(ord(character) < 32 or ord(character) == 127 for character in purpose):
        raise HTTPException(400, "The stated purpose contains control characters.")
    return purpose


def viewer_for(user: User, purpose: str | None = None):
    from watchhouse.access import Viewer

    return Viewer(user_id=user.username, role=user.role, clearance=user.clearance, caveats=user.caveats,
                  purpose=purpose)


def require(user: User, permission) -> None:
    from watchhouse.access.permissions import allowed

    if not allowed(user.role, permission):
        raise HTTPException(403, f"The {user.role.value} role may not {permission.value.replace('-', ' ')}.")
