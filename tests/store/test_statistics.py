"""Planner statistics are refreshed after a load that grows a table a lot (PostgreSQL only)."""

from __future__ import annotations

import sqlalchemy as sa

from watchhouse.domain import PersonRecord
from watchhouse.records import upsert_records
from watchhouse.records.tables import record_people
from watchhouse.store.statistics import refresh_if_grown


def _counted(engine) -> float | None:
    with engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST('record_people' AS regclass)")).scalar()


def _people(start: int, n: int) -> list[PersonRecord]:
    return [PersonRecord("cad", f"P{i}", given_name="Ann", family_name=f"Smith{i}") for i in range(start, start + n)]


def test_a_big_load_leaves_statistics_that_count_its_rows(engine):
    upsert_records(engine, _people(0, 1500))
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            assert refresh_if_grown(connection, record_people, 10**6) is False  # SQLite plans without them
        return
    assert _counted(engine) == 1500


def test_small_loads_do_not_analyse_and_growth_is_relative(engine):
    if engine.dialect.name != "postgresql":
        return
    upsert_records(engine, _people(0, 6000))
    assert _counted(engine) == 6000
    upsert_records(engine, _people(6000, 300))  # below the minimum: statistics left as they were
    assert _counted(engine) == 6000
    with engine.begin() as connection:
        assert refresh_if_grown(connection, record_people, 1100) is False  # under a fifth of 6,000
        assert refresh_if_grown(connection, record_people, 1300) is True
    assert _counted(engine) == 6300


def test_a_load_does_not_wait_for_another_loads_analyse(engine):
    """Two loads into one table: the second's ANALYZE would wait for the first to commit. It
    goes without instead, and its own lock timeout is left as it was."""
    if engine.dialect.name != "postgresql":
        return
    upsert_records(engine, _people(0, 10))
    with engine.connect() as first, engine.connect() as second:
        with first.begin():
            assert refresh_if_grown(first, record_people, 5000) is True  # holds the table's ANALYZE lock
            with second.begin():
                assert refresh_if_grown(second, record_people, 5000) is False
                assert second.execute(sa.text("SELECT current_setting('lock_timeout')")).scalar() == "0"
