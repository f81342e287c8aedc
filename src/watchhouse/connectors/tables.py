"""Tables owned by connectors: a log of every source file loaded and the rows it refused.

The ingest capability keeps its own quarantine for police.uk files but exposes no writer for
other loaders, so connectors keep theirs here, with the same shape (file, line, field, reason).
"""

from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from watchhouse.store import metadata

connector_runs = Table(
    "connector_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("system", String(100), nullable=False, index=True),
    Column("mapping", String(500), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False, index=True),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("rows_loaded", Integer, nullable=False, default=0),
    Column("rows_quarantined", Integer, nullable=False, default=0),
    Column("records_inserted", Integer, nullable=False, default=0),
    Column("records_updated", Integer, nullable=False, default=0),
    Column("records_unchanged", Integer, nullable=False, default=0),
    Column("links_added", Integer, nullable=False, default=0),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
)

connector_quarantine = Table(
    "connector_quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, nullable=False, index=True),
    Column("system", String(100), nullable=False, index=True),
    Column("file_name", String(500), nullable=False),
    Column("line", Integer),  # 1-based physical line (a CSV header is line 1)
    Column("field", String(200)),  # record.field (column), or None for the whole row
    Column("reason", Text, nullable=False),
    Column("raw", Text),  # the row as read
    Column("created_at", DateTime(timezone=True), nullable=False),
)
