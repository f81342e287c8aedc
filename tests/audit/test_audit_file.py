"""On SQLite the audit log lives in a file of its own beside the database, so the append every
search and page view makes does not make other connections' next reads start cold."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from watchhouse import audit
from watchhouse.store import get_engine, upgrade
from watchhouse.store.engine import own_file_path
from watchhouse.store.migrate import alembic_config


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'force.db'}")
    upgrade(engine)
    return engine


def _append(engine, n: int = 1) -> None:
    for i in range(n):
        with engine.begin() as connection:
            audit.record(connection, actor="officer1", action="search", purpose="INC-1", client="test",
                         record_ids=[f"person:{i}", f"person:{i + 1}"])


def _tables(path: str) -> set[str]:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return {name for (name,) in connection.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        engine.dispose()


def test_the_audit_tables_are_in_their_own_file(sqlite_engine, tmp_path):
    _append(sqlite_engine, 3)
    audit_file = own_file_path(str(tmp_path / "force.db"), "audit")
    assert Path(audit_file).name == "force-audit.db"
    assert {"audit_log", "audit_head", "audit_record_index"} <= _tables(audit_file)
    assert not {"audit_log", "audit_head", "audit_record_index"} & _tables(str(tmp_path / "force.db"))
    assert audit.verify(sqlite_engine).ok
    assert [e.actor for e in audit.viewers_of(sqlite_engine, "person:1")] == ["officer1", "officer1"]


def test_an_append_does_not_change_the_main_file_for_other_readers(sqlite_engine):
    with sqlite_engine.connect() as reader:
        before = reader.exec_driver_sql("PRAGMA main.data_version").scalar()
        audit_before = reader.exec_driver_sql("PRAGMA audit.data_version").scalar()
        _append(sqlite_engine)  # on another pooled connection
        assert reader.exec_driver_sql("PRAGMA audit.data_version").scalar() != audit_before
        assert reader.exec_driver_sql("PRAGMA main.data_version").scalar() == before


def test_an_audit_log_kept_in_the_main_file_is_moved_with_every_entry(sqlite_engine, tmp_path):
    _append(sqlite_engine, 4)
    head = audit.head(sqlite_engine)
    command.downgrade(alembic_config(sqlite_engine), "audit_0001")  # the layout before the move
    assert {"audit_log", "audit_head", "audit_record_index"} <= _tables(str(tmp_path / "force.db"))
    assert not _tables(own_file_path(str(tmp_path / "force.db"), "audit"))
    upgrade(sqlite_engine)
    assert not {"audit_log", "audit_head"} & _tables(str(tmp_path / "force.db"))
    assert audit.head(sqlite_engine) == head
    assert audit.verify(sqlite_engine, expect_head=head[1]).ok
    with sqlite_engine.begin() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        connection.exec_driver_sql("DELETE FROM audit.audit_log WHERE seq = 1")  # the triggers moved too


def test_a_move_interrupted_after_the_copy_keeps_the_copy(sqlite_engine, tmp_path):
    """WAL commits the two files one after the other: a crash can leave the tables in both."""
    _append(sqlite_engine, 2)
    head = audit.head(sqlite_engine)
    with sqlite_engine.begin() as connection:  # the main file still holding its (older) tables
        for table in ("audit_head", "audit_log", "audit_record_index"):
            sql = connection.exec_driver_sql(
                f"SELECT sql FROM audit.sqlite_master WHERE name = '{table}'").scalar()
            connection.exec_driver_sql(sql.replace(f"CREATE TABLE {table}", f"CREATE TABLE main.{table}", 1))
        connection.exec_driver_sql("INSERT INTO main.audit_log SELECT * FROM audit.audit_log WHERE seq = 1")
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'audit_0001' WHERE version_num = 'audit_0002'")
    upgrade(sqlite_engine)
    assert "audit_log" not in _tables(str(tmp_path / "force.db"))
    assert audit.head(sqlite_engine) == head and audit.verify(sqlite_engine).ok
