from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from watchhouse.audit.tables import audit_head, audit_log, audit_record_index

GENESIS_HASH = "0" * 64

# Section 62's six kinds of processing, plus the security events the issue names.
ACTIONS = frozenset(
    {
        "collection",
        "alteration",
        "consultation",
        "disclosure",
        "combination",
        "erasure",
        "search",
        "export",
        "login",
        "login-failed",
        "logout",
        "admin",
        "security",
    }
)

_FIELD_SEPARATOR = "\x1e"  # record separator: cannot appear in JSON we write, so fields cannot blur


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    record_ids: list[str]
    purpose: str
    client: str
    recipients: list[str]
    detail: dict
    prev_hash: str
    entry_hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _entry_hash(
    seq: int,
    at: str,
    actor: str,
    action: str,
    record_ids: str,
    purpose: str,
    client: str,
    recipients: str,
    detail: str,
    prev_hash: str,
) -> str:
    payload = _FIELD_SEPARATOR.join(
        (str(seq), at, actor, action, record_ids, purpose, client, recipients, detail, prev_hash)
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# Built once: every search and page view appends an entry, and building these statements anew
# each time cost more than the database's work on them.
_TAKE_HEAD = (audit_head.update().where(audit_head.c.id == 1).values(seq=audit_head.c.seq + 1)
              .returning(audit_head.c.seq, audit_head.c.entry_hash))
_APPEND = audit_log.insert()
_INDEX = audit_record_index.insert()
_SET_HEAD = audit_head.update().where(audit_head.c.id == 1).values(entry_hash=sa.bindparam("head_hash"))
# On PostgreSQL the entry, its record index and the new head go in one statement: one round trip
# to the server instead of three, for an append that every search and page view makes.
_APPEND_POSTGRESQL = sa.text("""
    WITH appended AS (
        INSERT INTO audit_log (seq, at, actor, action, record_ids, purpose, client, recipients, detail, prev_hash,
                               entry_hash)
        VALUES (:seq, :at, :actor, :action, :record_ids, :purpose, :client, :recipients, :detail, :prev_hash,
                :entry_hash)),
    indexed AS (
        INSERT INTO audit_record_index (seq, record_id) SELECT :seq, unnest(CAST(:index_ids AS text[])))
    UPDATE audit_head SET entry_hash = :entry_hash WHERE id = 1""")


def record(
    connection: Connection,
    *,
    actor: str,
    action: str,
    record_ids: Iterable[str] = (),
    purpose: str = "",
    client: str = "",
    recipients: Iterable[str] = (),
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry inside the caller's transaction: if the action fails, so does its entry."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; expected one of {sorted(ACTIONS)}")
    ids = [str(i) for i in record_ids]
    # Taking the head row first locks it (row lock on PostgreSQL, the write lock on SQLite), so
    # concurrent appenders queue here instead of forking the chain from the same previous hash.
    seq, prev_hash = connection.execute(_TAKE_HEAD).one()
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    fields = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "record_ids": _dumps(ids),
        "purpose": purpose or "",
        "client": client or "",
        "recipients": _dumps(list(recipients)),
        "detail": _dumps(detail or {}),
        "prev_hash": prev_hash,
    }
    entry_hash = _entry_hash(**fields)
    if connection.dialect.name == "postgresql":
        connection.execute(_APPEND_POSTGRESQL, {**fields, "entry_hash": entry_hash, "index_ids": list(dict.fromkeys(ids))})
    else:
        connection.execute(_APPEND, {**fields, "entry_hash": entry_hash})
        if ids:
            connection.execute(_INDEX, [{"seq": seq, "record_id": i} for i in dict.fromkeys(ids)])
        connection.execute(_SET_HEAD, {"head_hash": entry_hash})
    return AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        record_ids=ids,
        purpose=fields["purpose"],
        client=fields["client"],
        recipients=json.loads(fields["recipients"]),
        detail=json.loads(fields["detail"]),
        prev_hash=prev_hash,
        entry_hash=entry_hash,
    )


def head(engine: Engine) -> tuple[int, str]:
    """The latest sequence number and hash: publish it elsewhere to anchor the chain."""
    with engine.connect() as connection:
        seq, entry_hash = connection.execute(
            sa.select(audit_head.c.seq, audit_head.c.entry_hash).where(audit_head.c.id == 1)
        ).one()
    return int(seq), entry_hash


_VERIFY_COLUMNS = "seq, at, actor, action, record_ids, purpose, client, recipients, detail, prev_hash, entry_hash"


def verify(engine: Engine, *, expect_head: str | None = None, progress=None, batch_size: int = 20_000) -> VerifyResult:
    """Walk the whole chain; name the first entry that was altered, removed or moved.

    ``expect_head`` is a hash recorded outside the database (``audit head``); without it a
    rewrite of the entire chain by someone holding the database cannot be told apart.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    sha256 = hashlib.sha256
    sep = _FIELD_SEPARATOR
    with engine.connect() as connection:
        head_seq, head_hash = connection.execute(
            sa.select(audit_head.c.seq, audit_head.c.entry_hash).where(audit_head.c.id == 1)
        ).one()
        result = connection.execution_options(stream_results=True, yield_per=batch_size).exec_driver_sql(
            f"SELECT {_VERIFY_COLUMNS} FROM audit_log ORDER BY seq"
        )
        for rows in result.partitions(batch_size):
            for seq, at, actor, action, record_ids, purpose, client, recipients, detail, prev, stored in rows:
                if seq != expected_seq:
                    if seq > expected_seq:
                        reason = f"entry {expected_seq} is missing (removed); next present entry is {seq}"
                    else:
                        reason = f"entry {seq} appears out of order after entry {expected_seq - 1}"
                    return VerifyResult(False, expected_seq - 1, expected_seq, reason)
                if prev != prev_hash:
                    return VerifyResult(
                        False, seq - 1, seq, f"entry {seq} does not follow entry {seq - 1} (chain link broken)"
                    )
                payload = sep.join((str(seq), at, actor, action, record_ids, purpose, client, recipients, detail, prev))
                if sha256(payload.encode("utf-8")).hexdigest() != stored:
                    return VerifyResult(False, seq - 1, seq, f"entry {seq} was altered (hash does not match its contents)")
                prev_hash = stored
                expected_seq += 1
            if progress is not None:
                progress(len(rows))
    last_seq = expected_seq - 1
    if head_seq != last_seq or head_hash != prev_hash:
        return VerifyResult(
            False,
            last_seq,
            last_seq + 1,
            f"the log ends at entry {last_seq} but its head records entry {head_seq}: entries were removed from the end",
        )
    if expect_head is not None and expect_head != prev_hash:
        return VerifyResult(False, last_seq, None, "the chain's head does not match the expected head hash")
    return VerifyResult(True, last_seq)


def _row_to_entry(row) -> AuditEntry:
    return AuditEntry(
        seq=int(row.seq),
        at=row.at,
        actor=row.actor,
        action=row.action,
        record_ids=json.loads(row.record_ids),
        purpose=row.purpose,
        client=row.client,
        recipients=json.loads(row.recipients),
        detail=json.loads(row.detail),
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
    )


def entries(
    engine: Engine,
    *,
    actor: str | None = None,
    record_id: str | None = None,
    actions: Sequence[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEntry]:
    """Entries newest first, filtered for an auditor: by user, record, kind and time (ISO strings)."""
    query = sa.select(audit_log)
    if record_id is not None:
        query = query.where(
            audit_log.c.seq.in_(sa.select(audit_record_index.c.seq).where(audit_record_index.c.record_id == record_id))
        )
    if actor is not None:
        query = query.where(audit_log.c.actor == actor)
    if actions:
        query = query.where(audit_log.c.action.in_(list(actions)))
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if until is not None:
        query = query.where(audit_log.c.at < until)
    query = query.order_by(audit_log.c.seq.desc()).limit(limit).offset(offset)
    with engine.connect() as connection:
        return [_row_to_entry(row) for row in connection.execute(query)]


def viewers_of(engine: Engine, record_id: str, *, limit: int = 50) -> list[AuditEntry]:
    """Who consulted, disclosed or exported this record: the trail supervisors see on a person's page."""
    return entries(
        engine, record_id=record_id, actions=["consultation", "disclosure", "export", "search"], limit=limit
    )
