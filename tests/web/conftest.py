"""A real sample database for the public pages, built once per test session.

West Yorkshire's July 2017 and July 2018 street crimes (real data.police.uk files from
crime-sim-toolkit), the force's area hierarchy with census population and the approximate
boundaries derived from the crimes: two months so "change since a year earlier" has a real
answer for July 2018 and an honest "no data" for July 2017.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from watchhouse import areas, sample
from watchhouse.ingest.police_uk import ingest_paths
from watchhouse.store import get_engine, upgrade

MAP_MONTHS = ("2017-07", "2018-07")
POSTGRES_URL = os.environ.get("WATCHHOUSE_TEST_DATABASE_URL", "")
MAP_BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _build(url: str) -> str:
    engine = get_engine(url)
    upgrade(engine)
    areas.load_lookup(engine, forces={sample.SAMPLE_FORCE})
    street_files = [path for path in sample.street_files() if path.name[:7] in MAP_MONTHS]
    assert len(street_files) == len(MAP_MONTHS), street_files
    ingest_paths(engine, street_files)
    areas.derive_approximate_boundaries(engine, sample.SAMPLE_FORCE)
    return url


@pytest.fixture(scope="session")
def map_sqlite_url(tmp_path_factory) -> str:
    return _build(f"sqlite:///{tmp_path_factory.mktemp('crime-map') / 'watchhouse.db'}")


@pytest.fixture(scope="session", params=MAP_BACKENDS)
def map_database_url(request, tmp_path_factory):
    """The sample database on SQLite, and on PostgreSQL (private schema) when CI provides one."""
    if request.param == "sqlite":
        yield request.getfixturevalue("map_sqlite_url")
        return
    schema = f"wh_map_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield _build(f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}")
    finally:
        get_engine(f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}").dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def map_engine(map_database_url):
    return get_engine(map_database_url)


@pytest.fixture(scope="session")
def map_client(map_database_url):
    from fastapi.testclient import TestClient

    from watchhouse.web.app import create_app

    with TestClient(create_app(map_database_url)) as client:
        yield client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_uvicorn(environment: dict[str, str], log_path: Path) -> Iterator[str]:
    """uvicorn serving ``create_app`` for ``environment`` on a free loopback port; yields its base URL."""
    port = _free_port()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "watchhouse.web.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env={**os.environ, **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {server.returncode}: {log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn did not listen within 60 s: {log_path.read_text()}") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def uvicorn_server():
    """The ``running_uvicorn`` context manager, for test modules that start their own server."""
    return running_uvicorn


@pytest.fixture(scope="session")
def map_server(map_sqlite_url, tmp_path_factory):
    """uvicorn serving the sample database on a free loopback port; yields its base URL."""
    log_path = Path(tmp_path_factory.mktemp("crime-map-server")) / "uvicorn.log"
    with running_uvicorn({"WATCHHOUSE_DATABASE_URL": map_sqlite_url, "WATCHHOUSE_TILE_URL": ""}, log_path) as url:
        yield url
