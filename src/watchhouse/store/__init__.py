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
from watchhouse.store.migrate import upgrade

__all__ = ["dialect_name", "get_engine", "metadata", "reset_engines", "transaction", "upgrade"]
