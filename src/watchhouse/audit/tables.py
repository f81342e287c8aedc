"""Tables owned by the audit capability.

``audit_log`` is append-only and hash-chained: each entry's hash covers its own fields and
the previous entry's hash, so changing, deleting or reordering any row breaks the chain.
``audit_head`` holds the latest sequence number and hash; appends lock it, which serialises
writers on both SQLite and PostgreSQL and lets ``verify`` notice a truncated tail.
"""

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from watchhouse.store import metadata

# On SQLite the audit tables live in a file of their own beside the database (see
# watchhouse.store.engine.OWN_FILES); on PostgreSQL in the connection's schema like the rest.
AUDIT_SCHEMA = "audit"

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),  # UTC ISO 8601, microseconds
    Column("actor", String(200), nullable=False),  # user name, or "anonymous" / "system"
    Column("action", String(32), nullable=False),
    Column("record_ids", Text, nullable=False),  # JSON list of the records concerned
    Column("purpose", Text, nullable=False),  # the stated justification ("" where none applies)
    Column("client", String(100), nullable=False),  # where from: address or "cli"
    Column("recipients", Text, nullable=False),  # JSON list, for disclosures
    Column("detail", Text, nullable=False),  # JSON object: search terms, changed fields, outcome
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    schema=AUDIT_SCHEMA,
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    schema=AUDIT_SCHEMA,
)

# Which records each entry concerns, so "who has viewed this person" needs no JSON scan.
audit_record_index = Table(
    "audit_record_index",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("record_id", String(100), primary_key=True),
    schema=AUDIT_SCHEMA,
)
