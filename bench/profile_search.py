"""Profile: where one audited person search spends its time, in-process, on a people_scale database.

Run after ``bench/people_scale.py --build-only`` has built the database. For ``--searches``
realistic queries (the same generator as the scale bench) it calls the service a request calls,
``people.find_people`` (search, then the audit append, in one transaction), and prints:

* wall time per search, and the Python CPU of this process and the CPU of PostgreSQL's
  processes (read from /proc; on SQLite the database work is part of the Python figure);
* per statement, in order of first use: how many per search and the time from sending it to
  having its rows (SQLAlchemy's cursor events), so a round trip's cost is visible;
* with ``--cprofile``, the functions with the most own time.

The peer figure is the same LIKE scan as the scale bench's, so a slow host shows as a slow ratio.

    .venv/bin/python bench/profile_search.py [--backend postgresql|sqlite] [--searches 300] [--cprofile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import sys
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import postgres_url  # noqa: E402
from people_scale import PURPOSE, USER, WORK, build, like_scan, queries, synthetic_records  # noqa: E402

from watchhouse import people  # noqa: E402
from watchhouse.access import Viewer  # noqa: E402
from watchhouse.search import parse_query  # noqa: E402
from watchhouse.store import get_engine  # noqa: E402


def postgres_cpu_seconds() -> float:
    """User+system CPU of every postgres process on this machine (the bench is the only client)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text.split("(", 1)[1].rsplit(")", 1)
        if name.startswith("postgres"):
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


@lru_cache(maxsize=None)  # cached, so that labelling stays out of the figures
def statement_label(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    for pattern, label in ((r"^select 1$", "ping"), (r"search_caveat_sets", "caveat sets"),
                           (r"WITH asked", "candidates"), (r"^SELECT record_people\.id", "people and masters"),
                           (r"^SELECT master_person_members\.master_id AS _master_id", "members")):
        if re.search(pattern, text, re.IGNORECASE | re.DOTALL):
            return label
    return text[:70]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--postgres-url", default=os.environ.get("WATCHHOUSE_TEST_DATABASE_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    url = (postgres_url(args.postgres_url, f"bench_people_{args.records}") if args.backend == "postgresql"
           else f"sqlite:///{WORK / f'people_{args.records}.db'}")
    records = synthetic_records(args.records, args.seed)
    built = build(args.backend, url, records, 20_000)
    texts = queries(records, built["sample_rows"], n=args.searches)
    engine = get_engine(url)
    viewer = Viewer(user_id=USER, role="investigator", purpose=PURPOSE)
    for text in texts[:30]:  # warm the pool, prepared statements and caches
        people.find_people(engine, viewer, parse_query(text), client="bench")

    seconds: dict[str, list[float]] = defaultdict(list)
    started_at: dict[int, float] = {}

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        started_at[id(cursor)] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        seconds[statement_label(statement)].append(time.perf_counter() - started_at.pop(id(cursor)))

    profiler = cProfile.Profile() if args.cprofile else None
    walls = []
    cpu_before, pg_before = time.process_time(), postgres_cpu_seconds()
    for text in texts:
        query = parse_query(text)
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        people.find_people(engine, viewer, query, client="bench")
        walls.append(time.perf_counter() - started)
        if profiler:
            profiler.disable()
    python_ms = 1000 * (time.process_time() - cpu_before) / len(texts)
    postgres_ms = 1000 * (postgres_cpu_seconds() - pg_before) / len(texts)
    sa.event.remove(engine, "before_cursor_execute", _before)
    sa.event.remove(engine, "after_cursor_execute", _after)

    with engine.connect() as connection:
        like = []
        for text in texts[:20]:
            started = time.perf_counter()
            like_scan(connection, text)
            like.append(time.perf_counter() - started)
    n = len(texts)
    median = statistics.median(walls) * 1000
    print(f"{args.backend}: {n} audited searches, wall median {median:.2f} ms, "
          f"p95 {statistics.quantiles(walls, n=20)[18] * 1000:.2f} ms; CPU per search: Python {python_ms:.2f} ms"
          + (f", PostgreSQL {postgres_ms:.2f} ms" if args.backend == "postgresql" else ""))
    print(f"  peer: LIKE scan median {statistics.median(like) * 1000:.1f} ms "
          f"-> {statistics.median(like) * 1000 / median:.1f}x the search")
    print(f"  {'statement':<72} {'per search':>10} {'median ms':>10} {'total ms/search':>16}")
    for label, times in seconds.items():
        print(f"  {label:<72} {len(times) / n:>10.2f} {statistics.median(times) * 1000:>10.3f} "
              f"{sum(times) * 1000 / n:>16.3f}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(35)
        print(out.getvalue())


if __name__ == "__main__":
    main()
