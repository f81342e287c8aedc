"""Sign-in for pages (session cookie) and for the API (OAuth2 password flow)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from watchhouse import audit
from watchhouse.users import AuthError, User, authenticate, end_session, issue_token, open_session
from watchhouse.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginRequired,
    LoginThrottle,
    api_user,
    check_csrf,
    client_address,
    new_login_csrf,
    page_session,
    set_login_csrf_cookie,
    set_session_cookie,
)
from watchhouse.web.templating import templates

router = APIRouter()


def install(app: FastAPI) -> None:
    # One throttle per application, so separate apps (and tests) never share a budget.
    app.state.login_throttle = LoginThrottle()

    @app.exception_handler(LoginRequired)
    async def _to_login(request: Request, _exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", status_code=303)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing aid.
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _as_stored(username: str) -> str:
    """Control characters cannot be in a user name (and PostgreSQL cannot even compare a NUL):
    replace them, so the attempt fails as an unknown user and is audited like any other."""
    return "".join("\ufffd" if ord(c) < 32 or ord(c) == 127 else c for c in username)


def _throttled(request: Request) -> bool:
    address = client_address(request)
    if request.app.state.login_throttle.allow(address):
        return False
    with request.app.state.engine.begin() as connection:
        audit.record(connection, actor="anonymous", action="security", client=address,
                     detail={"event": "login throttled"})
    return True


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    role: str
    clearance: str
    caveats: list[str]


@router.post("/v1/auth/token", response_model=Token, tags=["auth"],
             responses={401: {"description": "Wrong user name or password, or account locked"},
                        429: {"description": "Too many sign-in attempts from this address"}})
def token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]):
    """OAuth2 password flow: exchange a user name and password for a short-lived bearer token."""
    if _throttled(request):
        raise HTTPException(429, "Too many sign-in attempts from this address; wait a minute.")
    try:
        user = authenticate(request.app.state.engine, _as_stored(form.username), form.password,
                            client=client_address(request))
    except AuthError as error:
        raise HTTPException(401, str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    access_token, lifetime = issue_token(user)
    return Token(access_token=access_token, expires_in=lifetime)


@router.get("/v1/me", response_model=Me, tags=["auth"], responses={401: {"description": "Not authenticated"}})
def me(user: Annotated[User, Depends(api_user)]):
    """Who the bearer token stands for: role, clearance and caveats held."""
    return Me(username=user.username, role=user.role.value, clearance=user.clearance.slug,
              caveats=sorted(user.caveats))


def _login_form(request: Request, *, next: str, error: str | None = None, username: str = "", status: int = 200):
    csrf = new_login_csrf()
    response = templates.TemplateResponse(
        request, "login.html",
        {"next": _safe_next(next), "error": error, "csrf": csrf, "username": username},
        status_code=status,
    )
    set_login_csrf_cookie(response, csrf)
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/"):
    return _login_form(request, next=next)


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token)
    if _throttled(request):
        return _login_form(request, next=next, username=username, status=429,
                           error="Too many sign-in attempts from this address. Wait a minute and try again.")
    try:
        user = authenticate(request.app.state.engine, _as_stored(username), password, client=client_address(request))
    except AuthError as failure:
        return _login_form(request, next=next, username=username, status=401, error=f"Could not sign in: {failure}.")
    with request.app.state.engine.begin() as connection:
        session_id, _ = open_session(connection, user, client=client_address(request))
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(response, session_id)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(
    request: Request,
    session: Annotated[tuple[User, str], Depends(page_session)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
):
    check_csrf(session[1], csrf_token)
    end_session(request.app.state.engine, request.cookies.get(SESSION_COOKIE, ""), client=client_address(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
