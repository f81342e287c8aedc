"""People: /v1 search and look-up for systems, and the search, person and case pages.

Routes only validate, call ``watchhouse.people`` and render; what a caller sees is decided
by the access module inside records, and every read is audited inside the people service.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
import orjson
from fastapi.responses import HTMLResponse, JSONResponse, Response

from watchhouse import people
from watchhouse.access.permissions import Permission, allowed
from watchhouse.search import QueryError, parse_query
from watchhouse.users import User
from watchhouse.web.auth import (
    MAX_PURPOSE,
    api_user,
    client_address,
    page_session,
    require,
    stated_purpose,
    viewer_for,
)
from watchhouse.web.templating import denied_page, templates

router = APIRouter()

NOT_FOUND = "No person with that id is available to you."  # the same words whether hidden or absent
MAX_ID = 2**31 - 1


def _plain(value: Any) -> Any:
    """Dataclasses, dates and tuples as JSON-ready values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _json(body: dict) -> Response:
    # Returned as a response, the body is not walked again by FastAPI's encoder (which costs more
    # than the search on a page of results); orjson writes dataclasses and dates itself.
    try:
        return Response(orjson.dumps(body, default=_sorted_set), media_type="application/json")
    except TypeError:  # e.g. an integer in a source's own values too large for orjson
        return JSONResponse(_plain(body))


def _sorted_set(value: Any) -> list:
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _query(q, given_name, family_name, date_of_birth, age_min, age_max, postcode, phone, identifier):
    try:
        query = parse_query(q, given_name=given_name, family_name=family_name, date_of_birth=date_of_birth,
                            age_min=age_min, age_max=age_max, postcode=postcode, phone=phone, identifier=identifier)
    except QueryError as error:
        raise HTTPException(400, f"Bad search: {error}.") from None
    return query


SearchText = Annotated[str | None, Query(max_length=200, description="Free text: names, date of birth, postcode, phone or identifier")]
Short = Annotated[str | None, Query(max_length=100)]
Age = Annotated[int | None, Query(ge=0, le=130)]
Purpose = Annotated[str | None, Query(max_length=MAX_PURPOSE, description="Why you are looking (or the X-Watchhouse-Purpose header)")]


@router.get("/v1/people", tags=["people"], responses={400: {"description": "Bad search or no stated purpose"},
                                                      401: {"description": "Not authenticated"},
                                                      403: {"description": "Role may not search people"}})
def search_people_api(
    request: Request,
    user: Annotated[User, Depends(api_user)],
    q: SearchText = None,
    given_name: Short = None,
    family_name: Short = None,
    date_of_birth: Short = None,
    age_min: Age = None,
    age_max: Age = None,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    phone: Annotated[str | None, Query(max_length=30)] = None,
    identifier: Annotated[str | None, Query(max_length=30)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    purpose: Purpose = None,
):
    """Search people, ranked, one result per master person; only what the caller may see."""
    require(user, Permission.SEARCH_PEOPLE)
    reason = stated_purpose(request, purpose)
    query = _query(q, given_name, family_name, date_of_birth, age_min, age_max, postcode, phone, identifier)
    if query.empty:
        raise HTTPException(400, "Bad search: give a name, date of birth, age range, postcode, phone or identifier.")
    hits = people.find_people(request.app.state.engine, viewer_for(user, reason), query,
                              client=client_address(request), limit=limit)
    return _json({"results": hits})


PersonId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/v1/people/{person_id}", tags=["people"], responses={400: {"description": "No stated purpose"},
                                                                  401: {"description": "Not authenticated"},
                                                                  403: {"description": "Role may not view people"},
                                                                  404: {"description": "No such person available to you"}})
def person_api(request: Request, user: Annotated[User, Depends(api_user)], person_id: PersonId, purpose: Purpose = None):
    """One person: every visible source record and where each value came from, conflicts side by
    side, withheld fields named, events and cases with roles, linked people, addresses, objects."""
    require(user, Permission.VIEW_PERSON)
    reason = stated_purpose(request, purpose)
    profile = people.person_profile(request.app.state.engine, viewer_for(user, reason), person_id,
                                    client=client_address(request))
    if profile is None:
        raise HTTPException(404, NOT_FOUND)
    body = _plain(dataclasses.replace(profile, viewed_by=[]))
    body.pop("viewed_by", None)
    body["display_name"] = profile.view.display_name
    body["graph"] = _plain(people.person_graph(profile))
    return _json(body)


# Pages

PageSession = Annotated[tuple[User, str], Depends(page_session)]


def _page(request: Request, name: str, context: dict, status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


@router.get("/people", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request,
    session: PageSession,
    q: SearchText = None,
    date_of_birth: Short = None,
    age_min: Age = None,
    age_max: Age = None,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    purpose: Purpose = None,
):
    denied = denied_page(request, session, Permission.SEARCH_PEOPLE)
    if denied:
        return denied
    user, csrf = session
    context = {"user": user, "csrf": csrf, "q": q or "", "date_of_birth": date_of_birth or "",
               "age_min": age_min, "age_max": age_max, "postcode": postcode or "", "purpose": purpose or "",
               "hits": None, "error": None}
    searched = any([q, date_of_birth, age_min is not None, age_max is not None, postcode])
    if not searched:
        return _page(request, "people/search.html", context)
    if not (purpose or "").strip():
        context["error"] = "Say why you are searching: an incident or case reference, or a reason."
        return _page(request, "people/search.html", context, status=400)
    try:
        query = parse_query(q, date_of_birth=date_of_birth, age_min=age_min, age_max=age_max, postcode=postcode)
    except QueryError as error:
        context["error"] = f"Bad search: {error}."
        return _page(request, "people/search.html", context, status=400)
    context["hits"] = people.find_people(request.app.state.engine, viewer_for(user, purpose.strip()), query,
                                         client=client_address(request))
    return _page(request, "people/search.html", context)


def _gate(request: Request, session, permission: Permission, purpose: str | None, action: str) -> HTMLResponse | None:
    """The page to show instead when the role may not, or when no purpose has been stated yet."""
    denied = denied_page(request, session, permission)
    if denied or (purpose or "").strip():
        return denied
    user, csrf = session
    return _page(request, "people/purpose.html", {"user": user, "csrf": csrf, "action": action})


def _not_found(request: Request, session, message: str) -> HTMLResponse:
    user, csrf = session
    return _page(request, "people/message.html", {"user": user, "csrf": csrf, "title": "Not found",
                                                  "message": message}, status=404)


# ":int": the review queue lives at /people/review, so only numbers are person ids here.
@router.get("/people/{person_id:int}", response_class=HTMLResponse, include_in_schema=False)
def person_page(request: Request, session: PageSession, person_id: PersonId, purpose: Purpose = None):
    gate = _gate(request, session, Permission.VIEW_PERSON, purpose, f"/people/{person_id}")
    if gate:
        return gate
    user, csrf = session
    profile = people.person_profile(request.app.state.engine, viewer_for(user, purpose.strip()), person_id,
                                    client=client_address(request),
                                    with_viewers=allowed(user.role, Permission.VIEW_WHO_VIEWED))
    if profile is None:
        return _not_found(request, session, NOT_FOUND)
    timeline = sorted(
        profile.events,
        key=lambda item: str(item.event.values.get("occurred_at") or item.event.values.get("reported_at") or ""),
        reverse=True,
    )
    return _page(request, "people/person.html", {
        "user": user, "csrf": csrf, "profile": profile, "timeline": timeline, "purpose": purpose.strip(),
        "graph": _plain(people.person_graph(profile)),
        "show_viewers": allowed(user.role, Permission.VIEW_WHO_VIEWED),
    })


@router.get("/people/{person_id:int}/graph.json", include_in_schema=False)
def person_graph_json(request: Request, session: PageSession, person_id: PersonId, purpose: Purpose = None):
    """For expanding the link chart in the page: the chart around another person, audited."""
    user, _ = session
    require(user, Permission.VIEW_PERSON)
    reason = stated_purpose(request, purpose)
    profile = people.person_profile(request.app.state.engine, viewer_for(user, reason), person_id,
                                    client=client_address(request))
    if profile is None:
        raise HTTPException(404, NOT_FOUND)
    return _plain(people.person_graph(profile))


@router.get("/cases/{case_id}", response_class=HTMLResponse, include_in_schema=False)
def case_page(request: Request, session: PageSession, case_id: PersonId, purpose: Purpose = None):
    gate = _gate(request, session, Permission.VIEW_CASE, purpose, f"/cases/{case_id}")
    if gate:
        return gate
    user, csrf = session
    found = people.case_profile(request.app.state.engine, viewer_for(user, purpose.strip()), case_id,
                                client=client_address(request))
    if found is None:
        return _not_found(request, session, "No case with that id is available to you.")
    case, linked = found
    return _page(request, "people/case.html", {"user": user, "csrf": csrf, "case": case, "linked": linked,
                                              "purpose": purpose.strip()})
