"""The shared store: one SQLAlchemy engine per database URL, migrations, transactions.

Capabilities own their tables (each has a ``tables.py`` and a ``migrations/`` Alembic
branch); this package only knows how to connect and how to run every branch.
"""

from watchhouse.store.engine import (
    dialect_name,
    get_engine,
    metadata,
    reset_engines,
    transaction,
)


def insert_rows(connection, table, columns, rows) -> None:
    """Many rows into ``table`` at driver speed: COPY on PostgreSQL, one executemany elsewhere."""
    from watchhouse.store.bulk import insert_rows as bulk_insert

    bulk_insert(connection, table, columns, rows)


def refresh_if_grown(connection, table, added: int) -> bool:
    """Refresh PostgreSQL's planner statistics for ``table`` after a load that grew it a lot."""
    from watchhouse.store.statistics import refresh_if_grown as refresh

    return refresh(connection, table, added)


def upgrade(engine) -> None:
    """Bring the database up to date (Alembic is imported only when a migration runs)."""
    from watchhouse.store.migrate import upgrade as run_migrations

    run_migrations(engine)


__all__ = ["dialect_name", "get_engine", "insert_rows", "metadata", "refresh_if_grown", "reset_engines", "transaction",
           "upgrade"]
