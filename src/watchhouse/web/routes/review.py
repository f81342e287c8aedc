"""The link review queue: /v1/links/review for systems, /people/review for analysts.

Routes only check the caller, call ``watchhouse.people.review`` and render; which records a
reviewer sees, the audit of every read and decision, and the rules for a decision live there.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from watchhouse.access.permissions import Permission
from watchhouse.people import review
from watchhouse.users import User
from watchhouse.web.auth import api_user, check_csrf, client_address, page_session, require, viewer_for
from watchhouse.web.routes.people import _plain
from watchhouse.web.templating import denied_page, templates

router = APIRouter()
PageSession = Annotated[tuple[User, str], Depends(page_session)]
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=200)]
ERRORS = {401: {"description": "Not authenticated"}, 403: {"description": "Role may not review links"}}


class DecisionIn(BaseModel):
    decision: Literal["confirm", "split"] = Field(description="confirm: one person; split: two people")
    reason: str = Field(min_length=1, max_length=review.MAX_REASON, description="What in the records shows it")


@router.get("/v1/links/review", tags=["people"], responses=ERRORS)
def review_queue_api(request: Request, user: Annotated[User, Depends(api_user)], limit: Limit = 25):
    """Pairs of person records scored near the linkage threshold, least certain first, with both
    records (as your clearance shows them) and the comparison levels that produced the score."""
    require(user, Permission.REVIEW_LINKS)
    items = review.review_queue(request.app.state.engine, viewer_for(user), client=client_address(request),
                                limit=limit)
    return {"items": _plain(items)}


@router.post("/v1/links/review/{item_id}", tags=["people"],
             responses={**ERRORS, 400: {"description": "Bad decision or already decided"},
                        404: {"description": "No such pending item available to you"}})
def decide_api(request: Request, user: Annotated[User, Depends(api_user)], item_id: ItemId, body: DecisionIn):
    """Confirm or split a queued pair, with a reason. It takes effect at once (a confirmed pair's
    people become one; of a split pair, one record leaves for a person of its own) and is kept for
    good: every linkage run must link a confirmed pair and may not link a split one."""
    require(user, Permission.REVIEW_LINKS)
    try:
        decision = review.decide(request.app.state.engine, viewer_for(user), item_id, body.decision, body.reason,
                                 client=client_address(request))
    except review.ReviewNotFound as error:
        raise HTTPException(404, f"{error}.") from None
    except review.ReviewError as error:
        raise HTTPException(400, f"Bad decision: {error}.") from None
    return _plain(decision)


# Pages

def _queue_page(request: Request, session, *, message: str | None = None, error: str | None = None,
                status: int = 200) -> HTMLResponse:
    user, csrf = session
    items = review.review_queue(request.app.state.engine, viewer_for(user), client=client_address(request))
    return templates.TemplateResponse(request, "people/review.html", {
        "user": user, "csrf": csrf, "items": items, "message": message, "error": error,
        "fields": ["given_name", "middle_names", "family_name", "date_of_birth", "sex", "address", "locality",
                   "postcode", "phone", "pnc_id", "ni_number", "driving_licence"],
    }, status_code=status)


@router.get("/people/review", response_class=HTMLResponse, include_in_schema=False)
def review_page(request: Request, session: PageSession, done: Annotated[str | None, Query(max_length=10)] = None):
    message = {"confirm": "Confirmed as one person.", "split": "Split into two people."}.get(done or "")
    if message:
        message += " It has taken effect, and every later linkage run keeps it."
    return denied_page(request, session, Permission.REVIEW_LINKS) or _queue_page(request, session, message=message)


@router.post("/people/review/{item_id}", response_class=HTMLResponse, include_in_schema=False)
def decide_form(
    request: Request,
    session: PageSession,
    item_id: ItemId,
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
):
    denied = denied_page(request, session, Permission.REVIEW_LINKS)
    if denied:
        return denied
    check_csrf(session[1], csrf_token)
    user, _ = session
    try:
        taken = review.decide(request.app.state.engine, viewer_for(user), item_id, decision, reason,
                              client=client_address(request))
    except review.ReviewNotFound as error:
        return _queue_page(request, session, error=f"{str(error).capitalize()}.", status=404)
    except review.ReviewError as error:
        return _queue_page(request, session, error=f"{str(error).capitalize()}.", status=400)
    # Post/redirect/get: reloading the queue must not resubmit the decision.
    return RedirectResponse(f"/people/review?done={taken.decision}", status_code=303)
