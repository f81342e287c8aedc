"""Benchmark: single arriving person records linked against 1,000,000 known records.

Takes a database of a million source person records that ``watchhouse link`` has linked (so a
model, its threshold and its term frequencies are saved), for example a copy of
bench/people_scale.py's SQLite database after ``watchhouse link --db sqlite:///COPY``, and in
one fresh process, in-process (the HTTP path is bench/record_visible.py's):

* the first arrival: the saved model loaded (no record read beyond the arrival's candidates);
* ``--records`` arrivals one after another, half re-typed duplicates of random known records
  (upper case, a day/month swap or no postcode), half new people: p50/p95 time, and whether
  each duplicate joined its record's person and each new person kept a person of their own;
* the process's peak memory.

Peer, same database: what an arrival cost before this version, which read every person record
into the arrival model's table in each process — timed here as the same read
(``records.iter_people``) and standardisation (``resolve.prepare_frame``) of all the records.

    .venv/bin/python bench/arrival_scale.py --db sqlite:////tmp/COPY.db [--records 40] [--no-peer]

Measured 2026-12-07 on the 2-core machine, SQLite, a copy of people_scale's 1,000,000 records
linked by ``watchhouse link`` (466 s, peak 8.3 GB; 482,284 people; 65,045 term frequencies
saved): first arrival 1.9-2.1 s in all (the model loaded, no record read in bulk); 40 arrivals
p50 532-564 ms, p95 760-780 ms; 20/20 duplicates joined their person, 20/20 new people kept
their own; peak memory 851-865 MB. Peer: the read and standardisation of every record that the
earlier version's first arrival needed took 80-89 s and 4.9 GB, 37-47x this first arrival.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import load_average  # noqa: E402
from record_visible import duplicate_of, new_person  # noqa: E402

from watchhouse import records  # noqa: E402
from watchhouse.access import Viewer  # noqa: E402
from watchhouse.domain import PersonRecord  # noqa: E402
from watchhouse.people.incoming import receive_person, warm_up  # noqa: E402
from watchhouse.people.linking import latest_model_id  # noqa: E402
from watchhouse.store import get_engine  # noqa: E402

VIEWER = Viewer.system("bench: arrivals at scale")


def as_record(body: dict) -> PersonRecord:
    from datetime import date

    born = body.get("date_of_birth")
    return PersonRecord(body["source_system"], body["source_record_id"], raw=dict(body),
                        given_name=body["given_name"], family_name=body["family_name"],
                        date_of_birth=date.fromisoformat(born) if born else None, postcode=body.get("postcode"),
                        address_lines=tuple(body.get("address_lines") or ()), locality=body.get("locality"))


def sample_known(engine, n: int, rng: random.Random) -> list[tuple[int, dict]]:
    """(record id, flat values) of ``n`` random records with a name and a date of birth."""
    with engine.connect() as connection:
        top = connection.exec_driver_sql("SELECT max(id) FROM record_people").scalar()
    picked: list[tuple[int, dict]] = []
    while len(picked) < n:
        ids = rng.sample(range(1, top + 1), 4 * n)
        for record_id, view in records.get_records(engine, VIEWER, "person", ids, with_raw=False).items():
            values = view.values
            if values.get("given_name") and values.get("family_name") and values.get("date_of_birth"):
                picked.append((record_id, values))
    return picked[:n]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    engine = get_engine(args.db)
    with engine.connect() as connection:
        known = connection.exec_driver_sql("SELECT count(*) FROM record_people").scalar()
    model_id = latest_model_id(engine)
    if model_id is None:
        sys.exit("no saved linkage model: run `watchhouse link --db URL` on this database first")
    print(f"arrivals against {known:,} known person records, linkage model {model_id} ({load_average()})")
    rng = random.Random(args.seed)
    sources = sample_known(engine, args.records // 2, rng)
    before = peak_rss_mb()
    started = time.perf_counter()
    warm_up(engine)
    first = receive_person(engine, as_record(new_person(-1, rng)), actor="bench", client="bench")
    first_seconds = time.perf_counter() - started
    print(f"  first arrival in a fresh process (loads the saved model): {first_seconds:.2f} s "
          f"(of which the arrival {first.seconds * 1000:.0f} ms); peak memory {before:.0f} -> {peak_rss_mb():.0f} MB")
    bodies = [(duplicate_of({**values, "date_of_birth": values["date_of_birth"]}, i, rng), record_id)
              for i, (record_id, values) in enumerate(sources)]
    bodies += [(new_person(i, rng), None) for i in range(args.records - len(bodies))]
    rng.shuffle(bodies)
    times, joined, kept_apart, duplicates = [], 0, 0, 0
    for body, source_id in bodies:
        arrival = receive_person(engine, as_record(body), actor="bench", client="bench")
        times.append(arrival.seconds)
        if source_id is not None:
            duplicates += 1
            joined += records.masters_of(engine, [source_id])[source_id] == arrival.master_id
        else:
            kept_apart += arrival.linked_record_id is None
    cuts = statistics.quantiles(times, n=20)
    print(f"  {len(times)} arrivals one after another: p50 {statistics.median(times) * 1000:.0f} ms, "
          f"p95 {cuts[18] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms [target < 1000 ms "
          f"{'met' if cuts[18] < 1 else 'NOT met'}]; peak memory {peak_rss_mb():.0f} MB ({load_average()})")
    print(f"  linking: {joined}/{duplicates} duplicates joined their record's person; "
          f"{kept_apart}/{len(times) - duplicates} new people kept a person of their own")
    if args.no_peer:
        return
    import pandas as pd

    from watchhouse.people.incoming import _COLUMNS, _linkage_row
    from watchhouse.people.linking import RECORDS_MAPPING
    from watchhouse.resolve import parse_mapping, prepare_frame

    started = time.perf_counter()
    rows = [row for batch in records.iter_people(engine, VIEWER) for row in batch]
    read = time.perf_counter() - started
    prepare_frame(pd.DataFrame([_linkage_row(row) for row in rows], columns=_COLUMNS),
                  parse_mapping(RECORDS_MAPPING, "records"), name="records")
    peer = time.perf_counter() - started
    print(f"  peer: the earlier first arrival's read of every record ({read:.1f} s) and standardisation: "
          f"{peer:.1f} s before it could link anything, peak memory {peak_rss_mb():.0f} MB -> "
          f"{peer / first_seconds:.1f}x this version's whole first arrival")


if __name__ == "__main__":
    main()
