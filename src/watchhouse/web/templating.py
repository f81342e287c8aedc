"""One Jinja2 environment for every page, with the globals every page needs."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi.templating import Jinja2Templates

import watchhouse
from watchhouse.sample import ATTRIBUTION

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
PRODUCT_NAME = "Watchhouse"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """URL of a static file with a content hash, so browsers may cache it for good."""
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


def can(user, permission: str) -> bool:
    """For navigation: show only what the signed-in user's role may use."""
    from watchhouse.access.permissions import Permission, allowed

    return user is not None and allowed(user.role, Permission(permission))


def handling(grading) -> str:
    """The onward-disclosure instruction that travels with graded intelligence."""
    from watchhouse.access.disclosure import disclosure_rule

    return disclosure_rule(grading).instruction


templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.globals.update(
    version=watchhouse.__version__, attribution=ATTRIBUTION, product_name=PRODUCT_NAME, static_url=static_url,
    can=can,
    handling=handling,
)


def denied_page(request, session, permission):
    """The 403 page when the signed-in user's role lacks ``permission``; None when it has it.

    One gate for every staff page, so each says the same thing when a role may not act.
    """
    from watchhouse.access.permissions import allowed

    user, csrf = session
    if allowed(user.role, permission):
        return None
    return templates.TemplateResponse(request, "people/message.html", {
        "user": user, "csrf": csrf, "title": "Not available to your role",
        "message": f"The {user.role.value} role may not {permission.value.replace('-', ' ')}."}, status_code=403)
