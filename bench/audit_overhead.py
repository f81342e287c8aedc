"""What the audit adds to a person look-up (target: at most 20% more than without).

Builds synthetic force systems, loads and links them, then looks up the same people two
ways in alternating rounds of one run: through ``people.person_profile`` (the reads plus
their audit entry, one transaction) and through the same records reads with no audit entry.

    .venv/bin/python bench/audit_overhead.py [--people 2000] [--lookups 400] [--db URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from watchhouse import records
from watchhouse.access import Viewer
from watchhouse.people import person_profile
from watchhouse.people.linking import link_people
from watchhouse.store import get_engine, upgrade
from watchhouse.synth.systems import load_systems, write_systems


def unaudited_lookup(engine, viewer, master_id):
    with engine.begin() as connection:
        view = records.person_view(connection, viewer, master_id)
        if view is None:
            return None
        return (view, records.person_events(connection, viewer, master_id),
                records.person_cases(connection, viewer, master_id),
                records.linked_people(connection, viewer, master_id),
                records.addresses_over_time(connection, viewer, master_id),
                records.person_objects(connection, viewer, master_id))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=400)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp())
    engine = get_engine(args.db or f"sqlite:///{workdir / 'audit-overhead.db'}")
    upgrade(engine)
    write_systems(args.people, workdir / "systems", seed=7)
    load_systems(engine, workdir / "systems")
    summary = link_people(engine)
    print(f"{summary.records:,} person records, {summary.masters:,} people ({engine.dialect.name})")

    viewer = Viewer("bench", "investigator", "SECRET", purpose="benchmark")
    masters = sorted({row["master_id"] for batch in records.iter_people(engine, viewer) for row in batch
                      if row.get("master_id")})
    sample = random.Random(1).choices(masters, k=args.lookups)
    with_audit, without = [], []
    for round_start in range(0, len(sample), 20):  # alternate so drift in machine load hits both
        for master_id in sample[round_start:round_start + 20]:
            started = time.perf_counter()
            unaudited_lookup(engine, viewer, master_id)
            without.append(time.perf_counter() - started)
        for master_id in sample[round_start:round_start + 20]:
            started = time.perf_counter()
            person_profile(engine, viewer, master_id, client="bench")
            with_audit.append(time.perf_counter() - started)
    median_with, median_without = statistics.median(with_audit), statistics.median(without)
    print(f"person look-up without audit: median {median_without * 1000:.2f} ms")
    print(f"person look-up with audit:    median {median_with * 1000:.2f} ms")
    print(f"overhead: {100 * (median_with / median_without - 1):.1f}% (target at most 20%)")


if __name__ == "__main__":
    main()
