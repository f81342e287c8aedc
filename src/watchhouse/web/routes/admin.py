"""Administration pages: user accounts (administrators) and the audit (auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from watchhouse import audit
from watchhouse.access.permissions import Permission, allowed
from watchhouse.domain.roles import Role
from watchhouse.users import User, UserError, add_user, list_users, update_user
from watchhouse.web.auth import check_csrf, client_address, page_session
from watchhouse.web.templating import denied_page, templates

router = APIRouter(include_in_schema=False)
PageSession = Annotated[tuple[User, str], Depends(page_session)]
CLEARANCES = ["OFFICIAL", "SECRET", "TOP-SECRET"]


def _users_page(request: Request, session, *, message: str | None = None, error: str | None = None, status: int = 200):
    user, csrf = session
    return templates.TemplateResponse(request, "admin/users.html", {
        "user": user, "csrf": csrf, "users": list_users(request.app.state.engine), "roles": [r.value for r in Role],
        "clearances": CLEARANCES, "message": message, "error": error}, status_code=status)


def _account_change(request: Request, session, csrf_token: str, verb: str, change):
    """Permission, CSRF, one audited transaction, and the users page with the outcome."""
    denied = denied_page(request, session, Permission.MANAGE_USERS)
    if denied:
        return denied
    check_csrf(session[1], csrf_token)
    try:
        with request.app.state.engine.begin() as connection:
            account = change(connection, session[0].username, client_address(request))
    except (UserError, ValueError) as error:
        return _users_page(request, session, error=str(error), status=400)
    return _users_page(request, session, message=f"{verb} {account.username}.")


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, session: PageSession):
    return denied_page(request, session, Permission.MANAGE_USERS) or _users_page(request, session)


@router.post("/admin/users", response_class=HTMLResponse)
def add_user_form(
    request: Request,
    session: PageSession,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    username: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    clearance: Annotated[str, Form(max_length=20)] = "",
    caveats: Annotated[str, Form(max_length=500)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
):
    return _account_change(request, session, csrf_token, "Added", lambda connection, actor, client: add_user(
        connection, username, role=role, clearance=clearance, password=password,
        caveats=[c.strip() for c in caveats.split(",") if c.strip()], actor=actor, client=client))


@router.post("/admin/users/{username}", response_class=HTMLResponse)
def change_user_form(
    request: Request,
    session: PageSession,
    username: str,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=40)] = "",
    clearance: Annotated[str, Form(max_length=20)] = "",
    status: Annotated[str, Form(max_length=10)] = "",
):
    changes = {"role": role or None, "clearance": clearance or None,
               "disabled": {"disable": True, "enable": False}.get(status)}
    return _account_change(request, session, csrf_token, "Updated", lambda connection, actor, client: update_user(
        connection, username, actor=actor, client=client, **{k: v for k, v in changes.items() if v is not None}))


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: PageSession,
    user_filter: Annotated[str | None, Query(alias="user", max_length=100)] = None,
    record: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[str | None, Query(max_length=32, pattern=r"^\d{4}-\d{2}-\d{2}")] = None,
    until: Annotated[str | None, Query(max_length=32, pattern=r"^\d{4}-\d{2}-\d{2}")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
):
    denied = denied_page(request, session, Permission.READ_AUDIT)
    if denied:
        return denied
    user, csrf = session
    per_page = 100
    found = audit.entries(request.app.state.engine, actor=user_filter or None, record_id=record or None,
                          since=since or None, until=until or None, limit=per_page + 1, offset=(page - 1) * per_page)
    return templates.TemplateResponse(request, "admin/audit.html", {
        "user": user, "csrf": csrf, "entries": found[:per_page], "more": len(found) > per_page, "page": page,
        "filters": {"user": user_filter or "", "record": record or "", "since": since or "", "until": until or ""}})


@router.get("/admin", response_class=HTMLResponse)
def admin_home(session: PageSession):
    user, _ = session
    target = "/admin/users" if allowed(user.role, Permission.MANAGE_USERS) else "/audit"
    return RedirectResponse(target, status_code=303)
