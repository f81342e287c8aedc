"""Fixtures: West Yorkshire's hierarchy with real sample crimes.

Crimes are written straight into the crimes table (only the columns the areas capability's
geography needs), which keeps these tests independent of the ingest pipeline; the demo tests
exercise the real ingest end to end. The data is built once per backend in a template and
copied into each test's own database, server-side.
"""

from __future__ import annotations

import csv
import hashlib
import os
import uuid
from functools import cache
from urllib.parse import quote

import pytest
import sqlalchemy as sa

import watchhouse.areas as areas
from watchhouse import sample
from watchhouse.crimes.tables import crimes
from watchhouse.store import get_engine, upgrade

POSTGRES_URL = os.environ.get("WATCHHOUSE_TEST_DATABASE_URL", "")

SAMPLE_MONTH = "2018-07"


@cache
def sample_crime_rows(month: str = SAMPLE_MONTH) -> tuple[dict, ...]:
    """The month's located street crimes as crimes-table rows."""
    path = next(p for p in sample.street_files() if p.name.startswith(month))
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):
            if not record["Latitude"] or not record["LSOA code"]:
                continue
            rows.append(
                {
                    "crime_key": hashlib.sha256(f"{path.name}:{line}".encode()).hexdigest(),
                    "persistent_id": record["Crime ID"],
                    "month": record["Month"],
                    "force_code": "west-yorkshire",
                    "latitude": float(record["Latitude"]),
                    "longitude": float(record["Longitude"]),
                    "lsoa_code": record["LSOA code"],
                    "lsoa_name": record["LSOA name"],
                    "crime_type": record["Crime type"],
                    "category": "other-crime",
                    "context": "",
                }
            )
    return tuple(rows)


def insert_crimes(engine, rows) -> None:
    with engine.begin() as connection:
        connection.execute(sa.insert(crimes), list(rows))


@pytest.fixture
def crime_rows():
    """``crime_rows(month)``: a sample month's located crimes as crimes-table rows."""
    return sample_crime_rows


@pytest.fixture
def add_crimes():
    return insert_crimes


def _copy_tables(engine, source_schema: str, tables=("areas", "crimes")) -> None:
    """Copy rows of a template database into the test's own database."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            # ATTACH/DETACH cannot run inside a transaction: commit around them.
            connection.exec_driver_sql(f"ATTACH DATABASE '{source_schema}' AS template")
            connection.commit()
            try:
                for table in tables:
                    connection.exec_driver_sql(f"INSERT INTO {table} SELECT * FROM template.{table}")
                connection.commit()
            finally:
                connection.rollback()
                connection.exec_driver_sql("DETACH DATABASE template")
                connection.commit()
        return
    with engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(f'INSERT INTO {table} SELECT * FROM "{source_schema}".{table}')
        # Rows came with their ids: move the id sequence past them, as inserting them would have.
        connection.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('crimes', 'id'), (SELECT max(id) FROM crimes)) "
            "WHERE EXISTS (SELECT 1 FROM crimes)"
        )


class _Templates:
    """Per backend, built once a session: West Yorkshire's hierarchy and a month of its crimes
    ("crimes"), and the same with boundaries derived ("derived"). Tests copy from them."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.built: dict[tuple[str, str], str] = {}
        self.cleanups: list = []

    def _new(self, backend: str):
        if backend == "sqlite":
            path = self.tmp_path_factory.mktemp("areas-template") / "template.db"
            return str(path), get_engine(f"sqlite:///{path}")
        schema = f"wh_areas_template_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')

        def drop() -> None:
            with admin.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()

        self.cleanups.append(drop)
        sep = "&" if "?" in POSTGRES_URL else "?"
        engine = sa.create_engine(
            POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
            + f"{sep}options={quote(f'-csearch_path={schema}')}"
        )
        self.cleanups.append(engine.dispose)
        return schema, engine

    def get(self, backend: str, stage: str) -> str:
        key = (backend, stage)
        if key not in self.built:
            source, engine = self._new(backend)
            upgrade(engine)
            if stage == "crimes":
                areas.load_lookup(engine, forces={"west-yorkshire"})
                insert_crimes(engine, sample_crime_rows())
            else:
                _copy_tables(engine, self.get(backend, "crimes"))
                areas.derive_approximate_boundaries(engine, "west-yorkshire")
            self.built[key] = source
        return self.built[key]


@pytest.fixture(scope="session")
def area_templates(tmp_path_factory):
    templates = _Templates(tmp_path_factory)
    yield templates
    for cleanup in reversed(templates.cleanups):
        cleanup()


@pytest.fixture
def with_crimes(engine, area_templates):
    """West Yorkshire's hierarchy plus one month (2018-07) of its located crimes."""
    _copy_tables(engine, area_templates.get(engine.dialect.name, "crimes"))
    return engine


@pytest.fixture
def derived(engine, area_templates):
    """...and approximate boundaries derived from them."""
    _copy_tables(engine, area_templates.get(engine.dialect.name, "derived"))
    return engine


@pytest.fixture
def derived_areas(engine, area_templates):
    """Areas with derived boundaries, without the crimes they came from (enough for imports)."""
    _copy_tables(engine, area_templates.get(engine.dialect.name, "derived"), tables=("areas",))
    return engine
