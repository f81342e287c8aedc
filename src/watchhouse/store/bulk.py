"""Many rows into one table at driver speed, the same way for every capability.

Row values must already be in their stored form: no SQLAlchemy type processing happens, and
per-row statement building is what makes bulk loads slow.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import Connection


def insert_rows(connection: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Plain INSERT of ``rows`` (tuples in ``columns`` order): COPY on PostgreSQL, one executemany elsewhere."""
    if not rows:
        return
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" if connection.dialect.paramstyle == "qmark" else "%s" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})", list(rows))
