"""Tables owned by ingest: a record of every file loaded and the rows it rejected."""

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from watchhouse.store import metadata

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False),  # police-uk, or a connector's system name
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False, index=True),
    Column("kind", String(50), nullable=False),  # street|outcomes|stop-and-search|...
    Column("rows_read", Integer, nullable=False, default=0),
    Column("rows_loaded", Integer, nullable=False, default=0),
    Column("rows_updated", Integer, nullable=False, default=0),
    Column("rows_unchanged", Integer, nullable=False, default=0),
    Column("rows_quarantined", Integer, nullable=False, default=0),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

# Rejected rows are kept, with where and why, never silently dropped.
quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, index=True),
    Column("source", String(100), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("line", Integer),  # 1-based physical line in the file (header is line 1)
    Column("field", String(100)),
    Column("reason", Text, nullable=False),
    Column("raw", Text),  # the row as read
    Column("created_at", DateTime(timezone=True), nullable=False),
)
