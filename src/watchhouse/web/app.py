"""The ASGI application.

Routers live in ``watchhouse/web/routes/<name>.py``, each exposing ``router``; they are
included in name order, so adding a page or an API edits no shared file.
"""

from __future__ import annotations

import contextlib

import importlib
import pkgutil
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles

import watchhouse
from watchhouse.config import request_threads
from watchhouse.store import get_engine, upgrade
from watchhouse.web import routes
from watchhouse.web.security import HardeningMiddleware

STATIC_DIR = Path(__file__).parent / "static"


class HashedStaticFiles(StaticFiles):
    """Static files. URLs made by ``static_url`` carry a content hash (``?v=``), so those
    responses may be cached for a year; anything else is revalidated."""

    async def get_response(self, path, scope):
        response = await super().get_response(path, scope)
        hashed = b"v=" in scope.get("query_string", b"")
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if hashed else "no-cache"
        return response
TEMPLATES_DIR = Path(__file__).parent / "templates"


def _no_favicon() -> Response:
    return Response(status_code=204)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI):
    # The limit belongs to the running event loop, so it is set once that loop is up.
    anyio.to_thread.current_default_thread_limiter().total_tokens = request_threads()
    yield


def prepare_database(engine) -> None:
    """Migrate the database, then rebuild a search index of an older format (an upgraded
    database may hold one) before anything is served from it."""
    from watchhouse.search import ensure_index_current

    upgrade(engine)
    ensure_index_current(engine)


def create_app(database_url: str | None = None, *, migrate: bool = True) -> FastAPI:
    request_threads()  # a bad setting stops the server here, before it listens
    engine = get_engine(database_url)
    if migrate:
        prepare_database(engine)
    app = FastAPI(
        lifespan=_lifespan,
        title="Watchhouse",
        version=watchhouse.__version__,
        description="Community-safety information hub. `/api` is compatible with data.police.uk.",
        # The interactive docs load scripts from a CDN and inline; the schema stays at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.engine = engine
    app.mount("/static", HashedStaticFiles(directory=STATIC_DIR), name="static")
    app.add_api_route("/favicon.ico", _no_favicon, include_in_schema=False)
    for module in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        router_module = importlib.import_module(f"watchhouse.web.routes.{module.name}")
        if hasattr(router_module, "install"):
            router_module.install(app)
        app.include_router(router_module.router)
    # Added last so it wraps everything, the other middleware included.
    app.add_middleware(HardeningMiddleware)
    return app
