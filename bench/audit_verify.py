"""How long `audit verify` takes over N entries (target: 1,000,000 in under a minute).

Builds a chain of N entries in a fresh database (bulk insert, hashes computed exactly as
`audit.record` does), then times `verify`. The peer figure is the raw cost of reading the
same rows with no hashing, from the same run, so the ratio shows what the checking adds.

    .venv/bin/python bench/audit_verify.py [--entries 1000000] [--db URL]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from watchhouse.audit.log import GENESIS_HASH, _dumps, _entry_hash, verify
from watchhouse.audit.tables import audit_head, audit_log
from watchhouse.store import get_engine, upgrade


def build_chain(engine, n: int, batch: int = 50_000) -> None:
    prev = GENESIS_HASH
    seq = 0
    with engine.begin() as connection:
        while seq < n:
            rows = []
            for _ in range(min(batch, n - seq)):
                seq += 1
                fields = {
                    "seq": seq,
                    "at": f"2026-11-25T12:{seq // 60000 % 60:02d}:{seq // 1000 % 60:02d}.{seq % 1000000:06d}+00:00",
                    "actor": f"officer{seq % 250}",
                    "action": "consultation",
                    "record_ids": _dumps([f"person:{seq % 100000}"]),
                    "purpose": f"INC-{seq % 9999:04d}",
                    "client": "10.0.0.1",
                    "recipients": "[]",
                    "detail": _dumps({"fields": ["name", "dob"]}),
                    "prev_hash": prev,
                }
                prev = _entry_hash(**fields)
                rows.append({**fields, "entry_hash": prev})
            connection.execute(audit_log.insert(), rows)
        connection.execute(audit_head.update().where(audit_head.c.id == 1).values(seq=n, entry_hash=prev))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--db", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'audit-bench.db'}"
    engine = get_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    build_chain(engine, args.entries)
    print(f"built {args.entries:,} entries in {time.perf_counter() - started:.1f} s ({engine.dialect.name})")

    started = time.perf_counter()
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=20_000).exec_driver_sql(
            "SELECT seq, at, actor, action, record_ids, purpose, client, recipients, detail, prev_hash, entry_hash "
            "FROM audit_log ORDER BY seq"
        )
        read = sum(len(rows) for rows in result.partitions(20_000))
    raw_read = time.perf_counter() - started

    started = time.perf_counter()
    outcome = verify(engine)
    verify_time = time.perf_counter() - started
    assert outcome.ok and outcome.checked == args.entries == read, outcome
    print(f"audit verify: {args.entries:,} entries in {verify_time:.2f} s "
          f"({args.entries / verify_time:,.0f} entries/s; target < 60 s)")
    print(f"peer (read the same rows, no hashing): {raw_read:.2f} s; verify/read ratio {verify_time / raw_read:.2f}")
    print(json.dumps({"entries": args.entries, "verify_s": round(verify_time, 2), "read_s": round(raw_read, 2),
                      "backend": engine.dialect.name}))


if __name__ == "__main__":
    main()
