"""Planner statistics after bulk loads.

PostgreSQL plans from statistics that autovacuum refreshes, when it runs at all (it can be
switched off, as on this project's own test machine). A table loaded from empty to a million
rows without them is planned as if it held a handful: the look-ups by source id that make a
load idempotent turned into scans, and a load that took minutes took most of an hour.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import Connection

GROWTH = 0.2  # re-analyse once a load adds a fifth of what the statistics say the table holds
MINIMUM = 1000  # ... and at least this many rows: small loads never pay for an ANALYZE


def refresh_if_grown(connection: Connection, table: sa.Table, added: int) -> bool:
    """ANALYZE ``table`` (inside the caller's transaction, which sees its own new rows) when
    ``added`` rows are many next to what its statistics last counted; True if it did."""
    if connection.dialect.name != "postgresql" or added < MINIMUM:
        return False
    counted = connection.execute(
        sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)"),
        {"name": table.name},
    ).scalar()
    if counted is not None and counted > 0 and added < GROWTH * counted:
        return False
    # ANALYZE locks the table against other ANALYZEs until this load commits. Taken without
    # waiting, so two loads into one table never wait on each other here (which, with their
    # uncommitted rows under one unique key, could deadlock): the second simply goes without.
    previous = connection.execute(sa.text("SELECT current_setting('lock_timeout')")).scalar()
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("SET LOCAL lock_timeout = '50ms'")
            connection.exec_driver_sql(f'ANALYZE "{table.name}"')  # a table of our metadata, not user input
    except sa.exc.OperationalError:
        return False
    finally:
        connection.execute(sa.text("SELECT set_config('lock_timeout', :value, true)"), {"value": previous})
    return True
