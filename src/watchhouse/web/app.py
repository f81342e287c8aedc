"""The ASGI application.

Routers live in ``watchhouse/web/routes/<name>.py``, each exposing ``router``; they are
included in name order, so adding a page or an API edits no shared file.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import watchhouse
from watchhouse.store import get_engine, upgrade
from watchhouse.web import routes
from watchhouse.web.security import HardeningMiddleware

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATES_DIR = Path(__file__).parent / "templates"


def create_app(database_url: str | None = None, *, migrate: bool = True) -> FastAPI:
    engine = get_engine(database_url)
    if migrate:
        upgrade(engine)
    app = FastAPI(
        title="Watchhouse",
        version=watchhouse.__version__,
        description="Community-safety information hub. `/api` is compatible with data.police.uk.",
        # The interactive docs load scripts from a CDN and inline; the schema stays at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        router_module = importlib.import_module(f"watchhouse.web.routes.{module.name}")
        if hasattr(router_module, "install"):
            router_module.install(app)
        app.include_router(router_module.router)
    # Added last so it wraps everything, the other middleware included.
    app.add_middleware(HardeningMiddleware)
    return app
