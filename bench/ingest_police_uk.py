"""Ingest throughput on the three real sample months, beside DuckDB's raw read_csv in the same run.

    .venv/bin/python bench/ingest_police_uk.py                 # SQLite (fresh file)
    .venv/bin/python bench/ingest_police_uk.py --postgres postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/ingest_police_uk.py --profile       # cProfile of the SQLite ingest

Watchhouse's figure includes header checks, validation of every row, keys, map points, the
upsert and the ingest log, in one transaction per file. DuckDB's figure is its raw
``read_csv`` of the same files into a table (all columns, no validation). Target: Watchhouse
at least a quarter of DuckDB's rate on SQLite. PostgreSQL runs in a throwaway schema.

Measured 2026-11-26 on the shared 2-core machine (load average 7-9), same-run ratios:
DuckDB 72-133k rows/s; Watchhouse SQLite 4.2-7.3k rows/s (0.05-0.08x, 6.0-7.0 CPU s),
PostgreSQL 3.8-5.6k rows/s (0.04-0.08x, 3.0-3.5 CPU s in this process); the SQLite write
alone reaches only 0.07-0.15x. Where the SQLite CPU goes (87,348 crimes, best of 3): table +
unique crime_key 0.66 s, the four secondary indexes 0.9 s, the R*Tree fill 0.85 s, commit
with WAL checkpoint 0.25 s; parsing and validation about 1.0 s, keys/records/map points
about 1.6 s. The target needs the schema to do less per crime: see the H11 report.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote


def duckdb_rate(files: list[Path], repeats: int) -> tuple[int, float, float]:
    """Rows, best rows/s (wall) and the CPU seconds of that run."""
    import duckdb

    best, best_cpu = float("inf"), 0.0
    rows = 0
    for _ in range(repeats):
        connection = duckdb.connect()
        start, cpu = time.perf_counter(), time.process_time()
        connection.execute(f"CREATE TABLE crimes AS SELECT * FROM read_csv({[str(f) for f in files]!r})")
        elapsed = time.perf_counter() - start
        if elapsed < best:
            best, best_cpu = elapsed, time.process_time() - cpu
        rows = connection.execute("SELECT count(*) FROM crimes").fetchone()[0]
        connection.close()
    return rows, rows / best, best_cpu


def watchhouse_rate(url: str, files: list[Path], profile: bool) -> tuple[int, float, float]:
    """Rows, rows/s (wall) and CPU seconds of this process."""
    from watchhouse.ingest.police_uk import ingest_paths
    from watchhouse.store import get_engine, upgrade

    engine = get_engine(url)
    upgrade(engine)
    profiler = cProfile.Profile() if profile else None
    start, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    report = ingest_paths(engine, files)
    if profiler:
        profiler.disable()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    total = report.total
    assert total.loaded == total.read - total.quarantined, total
    return total.read, total.read / elapsed, cpu


def store_floor_rate(loaded_url: str, empty_url: str) -> float:
    """rows/s of only writing the already-parsed crimes into the same schema (one batch, same bulk path)."""
    import sqlalchemy as sa

    from watchhouse.crimes import load
    from watchhouse.crimes.tables import crimes, map_points
    from watchhouse.store import get_engine, upgrade

    columns = [c.name for c in crimes.columns if c.name != "id"]
    with get_engine(loaded_url).connect() as connection:
        records = [tuple(row) for row in connection.execute(sa.select(*(crimes.c[name] for name in columns)).order_by(crimes.c.id))]
    engine = get_engine(empty_url)
    upgrade(engine)
    with get_engine(loaded_url).connect() as source:
        points = [tuple(row) for row in source.execute(sa.select(map_points.c.id, map_points.c.latitude, map_points.c.longitude, map_points.c.name))]
    with engine.begin() as connection:
        # Map points must exist for the foreign key; they are copied first and not timed.
        load.insert_rows(connection, map_points, ("id", "latitude", "longitude", "name"), points)
        start = time.perf_counter()
        load.insert_rows(connection, crimes, columns, records)
    return len(records) / (time.perf_counter() - start)


def python_floor_rate(files: list[Path], folder: Path) -> float:
    """rows/s of the least any Python loader into SQLite must do: csv.reader, then one executemany
    of the raw fields into a bare table with only the unique key (no validation, no other index)."""
    import csv
    import sqlite3

    start = time.perf_counter()
    rows: list[list[str]] = []
    for path in files:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            next(reader)
            rows.extend(reader)
    connection = sqlite3.connect(folder / "floor-raw.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    columns = len(rows[0])
    connection.execute(f"CREATE TABLE raw (id INTEGER PRIMARY KEY, key TEXT UNIQUE, {', '.join(f'c{i}' for i in range(columns))})")
    connection.execute("BEGIN")
    connection.executemany(
        f"INSERT OR IGNORE INTO raw VALUES (NULL, ?, {', '.join('?' for _ in range(columns))})",
        ([row[0] or f"line-{n}", *row] for n, row in enumerate(rows)),
    )
    connection.execute("COMMIT")
    connection.close()
    return len(rows) / (time.perf_counter() - start)


def postgres_schema_url(base: str) -> tuple[str, str]:
    schema = f"wh_bench_{uuid.uuid4().hex[:10]}"
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", help="also measure PostgreSQL at this URL (a throwaway schema is used)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the SQLite ingest")
    parser.add_argument("--repeats", type=int, default=3, help="DuckDB repeats (best is kept)")
    args = parser.parse_args()

    from watchhouse.sample import street_files

    files = street_files()
    duck_rows, duck, duck_cpu = duckdb_rate(files, args.repeats)
    print(f"DuckDB read_csv               {duck_rows:>7,} rows  {duck:>9,.0f} rows/s   CPU {duck_cpu:5.2f} s")

    with tempfile.TemporaryDirectory() as folder:
        loaded_url = f"sqlite:///{Path(folder) / 'bench.db'}"
        rows, rate, cpu = watchhouse_rate(loaded_url, files, args.profile)
        print(
            f"Watchhouse ingest (SQLite)    {rows:>7,} rows  {rate:>9,.0f} rows/s   CPU {cpu:5.2f} s"
            f"   = {rate / duck:.2f} x DuckDB (target >= 0.25)"
        )
        floor = store_floor_rate(loaded_url, f"sqlite:///{Path(folder) / 'floor.db'}")
        print(f"  SQLite write alone (floor)  {rows:>7,} rows  {floor:>9,.0f} rows/s   = {floor / duck:.2f} x DuckDB")
        bare = python_floor_rate(files, Path(folder))
        print(f"  csv.reader + bare insert    {rows:>7,} rows  {bare:>9,.0f} rows/s   = {bare / duck:.2f} x DuckDB"
              "  (no validation, one key: the most any Python loader into SQLite reaches)")

    if args.postgres:
        import sqlalchemy as sa

        schema, url = postgres_schema_url(args.postgres)
        admin = sa.create_engine(args.postgres.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        try:
            rows, rate, cpu = watchhouse_rate(url, files, False)
            print(
                f"Watchhouse ingest (PgSQL)     {rows:>7,} rows  {rate:>9,.0f} rows/s   CPU {cpu:5.2f} s"
                f"   = {rate / duck:.2f} x DuckDB"
            )
        finally:
            from watchhouse.store import reset_engines

            reset_engines()
            with admin.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
