"""On SQLite, move the audit tables into the database's audit file.

Every search and page view appends to the audit log. Kept in the main file, each append made
every other connection's next read start with an empty page cache (SQLite drops it whenever
another connection has committed to the file), so at a million records a search re-read
hundreds of pages. The store attaches ``<name>-audit.db`` as schema ``audit`` to every SQLite
connection (``watchhouse.store.engine.OWN_FILES``); on PostgreSQL nothing moves.

The move copies the tables with their exact definitions, indexes and append-only triggers. In
WAL mode SQLite commits two files one after the other, so a crash can leave the tables in both:
a later run keeps whichever copy holds more entries, and never loses one.

Revision ID: audit_0002
Revises: audit_0001
"""

import re

from alembic import op

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None

TABLES = ("audit_log", "audit_head", "audit_record_index")
FILE_SCHEMA = "audit"


def _attached(bind) -> bool:
    return any(row[1] == FILE_SCHEMA for row in bind.exec_driver_sql("PRAGMA database_list"))


def _tables(bind, schema: str) -> set[str]:
    names = ", ".join(f"'{table}'" for table in TABLES)
    return {name for (name,) in bind.exec_driver_sql(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name IN ({names})")}


def _entries(bind, schema: str) -> int:
    return bind.exec_driver_sql(f"SELECT count(*) FROM {schema}.audit_log").scalar()


def _move(bind, source: str, target: str) -> None:
    """Recreate ``source``'s audit tables (and their indexes and triggers) in ``target``, copy
    their rows and drop them from ``source``."""
    names = ", ".join(f"'{table}'" for table in TABLES)
    definitions = bind.exec_driver_sql(
        f"SELECT type, name, sql FROM {source}.sqlite_master WHERE tbl_name IN ({names}) AND sql IS NOT NULL"
        " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name").all()
    for kind, name, sql in definitions:
        created = re.sub(rf"^(CREATE\s+(?:UNIQUE\s+)?{kind.upper()})\s+(?:\w+\.)?(\"?{re.escape(name)}\"?)",
                         rf"\1 {target}.\2", sql, count=1, flags=re.IGNORECASE)
        if created == sql:
            raise RuntimeError(f"cannot move {kind} {name} of the audit log: unexpected definition {sql!r}")
        bind.exec_driver_sql(created)
    for table in TABLES:
        bind.exec_driver_sql(f"INSERT INTO {target}.{table} SELECT * FROM {source}.{table}")
    for table in TABLES:
        bind.exec_driver_sql(f"DROP TABLE {source}.{table}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not _attached(bind):
        return
    if not _tables(bind, "main"):
        return  # moved already
    if _tables(bind, FILE_SCHEMA):
        if _entries(bind, FILE_SCHEMA) >= _entries(bind, "main"):
            for table in TABLES:  # an earlier move whose drop did not commit: the file has it all
                bind.exec_driver_sql(f"DROP TABLE main.{table}")
            return
        for table in TABLES:  # a shorter copy: the main file's is the one to keep
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS {FILE_SCHEMA}.{table}")
    _move(bind, "main", FILE_SCHEMA)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not _attached(bind) or not _tables(bind, FILE_SCHEMA):
        return
    _move(bind, FILE_SCHEMA, "main")
