"""Benchmark: /api/crimes-street/all-crime for one mile around Leeds city centre, July 2018.

Builds (or reuses) a database holding the three real sample months on SQLite and on
PostgreSQL, serves it with uvicorn on loopback (rate limit off) and runs a bounded load:
``--clients`` concurrent keep-alive clients for ``--seconds`` each, twice per backend:

* same query: the issue's figure, the Leeds query repeated (answered from the serialised
  JSON cached for the current data version), asking for gzip as requests and browsers do,
  and again uncompressed;
* distinct points: every request a different point within ~2 km of Leeds centre, so every
  answer is built (spatial index, exact haversine, per-crime JSON reused when cached).

Peer figures from the same run, in-process on the same database: the same query through the
spatial index vs a scan of the month without it, and DuckDB answering it straight from the CSV.

    WATCHHOUSE_RATE_LIMIT=off .venv/bin/python bench/api_crimes_street.py [--seconds 15] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from watchhouse import sample
from watchhouse.crimes import query
from watchhouse.ingest.police_uk import ingest_paths
from watchhouse.publish import police_uk
from watchhouse.publish.cache import cache_for
from watchhouse.store import get_engine, upgrade
from benchlib import postgres_url  # run from bench/: the helpers shared by the benches

LEEDS = (53.7997, -1.5492)
MONTH = "2018-07"
PATH = f"/api/crimes-street/all-crime?lat={LEEDS[0]}&lng={LEEDS[1]}&date={MONTH}"
OUT = Path(__file__).parent / "out"
PG_SCHEMA = "bench_api_crimes_street"


def sqlite_url() -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{OUT / 'api_crimes_street.db'}"


def ensure_loaded(url: str) -> None:
    engine = get_engine(url)
    upgrade(engine)
    months = {m.month for m in query.months_available(engine)}
    if set(sample.SAMPLE_MONTHS) <= months:
        print(f"  reusing database with {sorted(months)}")
        return
    started = time.perf_counter()
    report = ingest_paths(engine, sample.street_files())
    rows = sum(f.loaded + f.updated + f.unchanged for f in report.files)
    print(f"  loaded {rows} rows in {time.perf_counter() - started:.1f} s")
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE"))


def _median_ms(run, repeats: int = 9) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def peers(url: str) -> dict[str, float]:
    """In-process milliseconds for the Leeds answer: indexed, unindexed scan, DuckDB on the CSV, cold API."""
    engine = get_engine(url)
    circle = query.Circle(*LEEDS)

    def indexed():
        return query.street_crimes(engine, circle, MONTH)

    def scan_without_index():
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT id, latitude, longitude FROM crimes WHERE month = :m AND latitude IS NOT NULL"), {"m": MONTH}
            ).all()
        return query.crimes_by_ids(engine, sorted(circle.keep(rows)))

    assert [c.id for c in indexed()] == [c.id for c in scan_without_index()]
    csv_path = next(p for p in sample.street_files() if p.name.startswith(MONTH))
    import duckdb

    duck = duckdb.connect()
    duck_sql = f"""
        SELECT * FROM read_csv('{csv_path}', header=true, all_varchar=true)
        WHERE Latitude <> '' AND 2 * {query.EARTH_MEAN_RADIUS_M} * asin(sqrt(
            pow(sin(radians(CAST(Latitude AS DOUBLE) - {LEEDS[0]}) / 2), 2)
            + cos(radians({LEEDS[0]})) * cos(radians(CAST(Latitude AS DOUBLE)))
            * pow(sin(radians(CAST(Longitude AS DOUBLE) - ({LEEDS[1]})) / 2), 2))) <= {query.ONE_MILE_M}
    """
    duck_rows = len(duck.execute(duck_sql).fetchall())
    assert duck_rows == len(indexed()), (duck_rows, len(indexed()))

    def cold_api():
        cache_for(engine).version = None  # forget every cached response and crime
        police_uk.street_crimes_json(engine, "all-crime", {"lat": str(LEEDS[0]), "lng": str(LEEDS[1]), "date": MONTH})

    return {
        "crimes": len(indexed()),
        "indexed": _median_ms(indexed),
        "scan": _median_ms(scan_without_index),
        "duckdb_csv": _median_ms(lambda: duck.execute(duck_sql).fetchall()),
        "cold_api": _median_ms(cold_api),
    }


def serve(url: str, port: int, workers: int = 1) -> subprocess.Popen:
    environment = {**os.environ, "WATCHHOUSE_DATABASE_URL": url, "WATCHHOUSE_RATE_LIMIT": "off"}
    if workers == 1:
        command = [sys.executable, "-m", "uvicorn", "--factory", "watchhouse.web.app:create_app",
                   "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log"]
    else:  # as `watchhouse serve --workers N` runs them (a listening socket per process), quieter
        command = [sys.executable, "-c", "import sys; from watchhouse.web.server import serve_processes; "
                   f"sys.exit(serve_processes({url!r}, '127.0.0.1', {port}, {workers}, "
                   "log_level='warning', access_log=False))"]
    server = subprocess.Popen(command, env=environment)
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            if time.monotonic() > deadline:
                server.terminate()
                raise RuntimeError("uvicorn did not listen within 60 s") from None
            time.sleep(0.2)


async def _client(
    port: int, paths, gzip_ok: bool, seed: int, stop_at: float, latencies: list[float], errors: list[str]
) -> None:
    # A minimal HTTP/1.1 keep-alive client on asyncio: one event loop for every client, so the
    # generator adds no thread switching (GIL) delay to the latencies it measures.
    rng = random.Random(seed)
    accept = "Accept-Encoding: gzip\r\n" if gzip_ok else ""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            path = paths(rng)
            started = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{accept}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != 200 or not body.startswith(b"\x1f\x8b" if gzip_ok else b"["):
                errors.append(f"{status} {path}")
    finally:
        writer.close()


def load(port: int, paths, clients: int, seconds: float, gzip_ok: bool = True) -> dict[str, float]:
    """``clients`` concurrent keep-alive connections sending GETs until ``seconds`` are up."""
    latencies: list[float] = []
    errors: list[str] = []

    async def run() -> float:
        started = time.perf_counter()
        stop_at = started + seconds
        await asyncio.gather(*(_client(port, paths, gzip_ok, i, stop_at, latencies, errors) for i in range(clients)))
        return time.perf_counter() - started

    elapsed = asyncio.run(run())
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "rps": len(latencies) / elapsed,
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
    }


def process_cpu_seconds(pid: int) -> float | None:
    """User+system CPU of a process and its children (uvicorn workers), from /proc; None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    utime, stime, child_utime, child_stime = (int(v) for v in fields[11:15])
    own = (utime + stime + child_utime + child_stime) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for child in children.read_text().split() if children.exists() else []:
        own += process_cpu_seconds(int(child)) or 0.0
    return own


def same_query(_rng: random.Random) -> str:
    return PATH


def distinct_point(rng: random.Random) -> str:
    lat = LEEDS[0] + rng.uniform(-0.018, 0.018)
    lng = LEEDS[1] + rng.uniform(-0.03, 0.03)
    return f"/api/crimes-street/all-crime?lat={lat:.6f}&lng={lng:.6f}&date={MONTH}"


def run_backend(name: str, url: str, args) -> None:
    print(f"\n== {name}")
    ensure_loaded(url)
    figures = peers(url)
    print(
        f"  in-process, {figures['crimes']} crimes: spatial index {figures['indexed']:.1f} ms | "
        f"scan without index {figures['scan']:.1f} ms ({figures['scan'] / figures['indexed']:.1f}x) | "
        f"DuckDB read_csv {figures['duckdb_csv']:.1f} ms | cold API answer incl. JSON {figures['cold_api']:.1f} ms"
    )
    server = serve(url, args.port, args.workers)
    try:
        load(args.port, same_query, 2, 1.0)  # warm the process (imports, connections, cache)
        runs = (
            ("same query, gzip as requests/browsers ask", same_query, True),
            ("same query, uncompressed", same_query, False),
            ("distinct points, gzip", distinct_point, True),
        )
        for label, paths, gzip_ok in runs:
            cpu_before = process_cpu_seconds(server.pid)
            result = load(args.port, paths, args.clients, args.seconds, gzip_ok)
            cpu_after = process_cpu_seconds(server.pid)
            # CPU per request does not depend on how busy the machine is, unlike the latencies.
            cpu = (
                f", server CPU {1000 * (cpu_after - cpu_before) / result['requests']:.2f} ms/request"
                if cpu_before is not None and cpu_after is not None
                else ""
            )
            print(
                f"  HTTP {label}: {args.clients} clients x {args.seconds:g} s: {result['requests']} requests, "
                f"{result['errors']} errors, {result['rps']:.0f} req/s, p50 {result['p50']:.1f} ms, "
                f"p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms{cpu}"
                + (f" [target p95 < 100 ms {'met' if result['p95'] < 100 else 'NOT met'}]" if paths is same_query else "")
            )
        print(
            f"  peer ratio: DuckDB over the CSV takes {figures['duckdb_csv']:.1f} ms per answer, "
            f"the index {figures['indexed']:.1f} ms ({figures['duckdb_csv'] / figures['indexed']:.1f}x), "
            f"a scan without the index {figures['scan']:.1f} ms ({figures['scan'] / figures['indexed']:.1f}x the index)"
        )
    finally:
        server.terminate()
        server.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--postgres-url", default=os.environ.get("WATCHHOUSE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"GET {PATH}  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, {args.workers} uvicorn worker(s))")
    run_backend("SQLite", sqlite_url(), args)
    if not args.no_postgres:
        run_backend("PostgreSQL", postgres_url(args.postgres_url, PG_SCHEMA), args)


if __name__ == "__main__":
    main()
