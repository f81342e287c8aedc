"""Shared fixtures.

``database_url`` gives every storage test a fresh, migrated database: a SQLite file, and
PostgreSQL too when ``WATCHHOUSE_TEST_DATABASE_URL`` is set (CI sets it). Each PostgreSQL
test gets its own schema, so test runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from watchhouse.store import get_engine, reset_engines, upgrade

POSTGRES_URL = os.environ.get("WATCHHOUSE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _postgres_schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'watchhouse.db'}"
        upgrade(get_engine(url))
        yield url
        reset_engines()
        return
    schema = f"wh_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_schema_url(schema)
    try:
        upgrade(get_engine(url))
        yield url
    finally:
        reset_engines()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url):
    return get_engine(database_url)
