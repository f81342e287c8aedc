import sqlalchemy as sa
import pytest
from typer.testing import CliRunner

from watchhouse.audit import entries, head, record, verify, viewers_of
from watchhouse.cli import app


def _fill(engine, n=10):
    with engine.begin() as connection:
        for i in range(n):
            record(connection, actor=f"user{i % 3}", action="consultation", record_ids=[f"person:{i}"],
                   purpose=f"INC-{i}", client="127.0.0.1")


def _as_attacker(engine, sql: str, params: dict | None = None):
    """Tamper as someone with direct database access would: around the append-only triggers."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
        else:
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            connection.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        connection.execute(sa.text(sql), params or {})


def test_chain_verifies_and_records_are_queryable(engine):
    _fill(engine)
    result = verify(engine)
    assert result.ok and result.checked == 10
    assert head(engine)[0] == 10
    assert [e.seq for e in entries(engine, actor="user1")] == [8, 5, 2]
    assert [e.actor for e in viewers_of(engine, "person:4")] == ["user1"]


def test_entry_is_part_of_the_callers_transaction(engine):
    with pytest.raises(RuntimeError):
        with engine.begin() as connection:
            record(connection, actor="a", action="consultation", record_ids=["person:1"])
            raise RuntimeError("the action failed")
    assert head(engine)[0] == 0
    assert verify(engine).ok


def test_append_only_is_enforced_by_the_database(engine):
    _fill(engine, 2)
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1"))
    with pytest.raises(sa.exc.DBAPIError):
        with engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM audit_log WHERE seq = 1"))


@pytest.mark.parametrize("seq", [1, 5, 10])
def test_changed_row_is_detected(engine, seq):
    _fill(engine)
    _as_attacker(engine, "UPDATE audit_log SET purpose = 'nothing to see' WHERE seq = :s", {"s": seq})
    result = verify(engine)
    assert not result.ok and result.first_bad_seq == seq and "altered" in result.reason


@pytest.mark.parametrize("seq", [1, 5])
def test_deleted_row_is_detected(engine, seq):
    _fill(engine)
    _as_attacker(engine, "DELETE FROM audit_log WHERE seq = :s", {"s": seq})
    result = verify(engine)
    assert not result.ok and result.first_bad_seq == seq and "missing" in result.reason


def test_deleted_last_row_is_detected_by_the_head(engine):
    _fill(engine)
    _as_attacker(engine, "DELETE FROM audit_log WHERE seq = 10")
    result = verify(engine)
    assert not result.ok and result.first_bad_seq == 10


def test_reordered_rows_are_detected(engine):
    _fill(engine)
    # Swap the contents of entries 4 and 5, keeping their positions.
    _as_attacker(engine, "UPDATE audit_log SET seq = -seq WHERE seq IN (4, 5)")
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE audit_log SET seq = CASE seq WHEN -4 THEN 5 WHEN -5 THEN 4 END WHERE seq < 0")
    result = verify(engine)
    assert not result.ok and result.first_bad_seq == 4


def test_rewritten_chain_is_caught_by_an_external_head(engine):
    _fill(engine, 3)
    _, recorded = head(engine)
    with engine.begin() as connection:
        record(connection, actor="x", action="search", detail={"q": "smith"})
    assert verify(engine).ok
    assert not verify(engine, expect_head=recorded).ok


def test_unknown_action_is_refused(engine):
    with pytest.raises(ValueError, match="unknown audit action"):
        with engine.begin() as connection:
            record(connection, actor="x", action="peek")


def test_cli_verify_exits_non_zero_naming_the_entry(database_url, engine):
    _fill(engine, 5)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--db", database_url])
    assert ok.exit_code == 0, ok.output
    assert "5 entries verified" in ok.output
    _as_attacker(engine, "UPDATE audit_log SET actor = 'nobody' WHERE seq = 3")
    broken = runner.invoke(app, ["audit", "verify", "--db", database_url])
    assert broken.exit_code == 1
    assert "first bad entry: 3" in broken.output
