"""Small helpers shared by the benchmarks (run by hand from bench/, never by the test suite)."""

from __future__ import annotations

import os
import urllib.parse

import sqlalchemy as sa


def load_average() -> str:
    """The machine's load, printed beside every figure: these benches share two cores."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} CPUs"


def postgres_url(base: str, schema: str) -> str:
    """``base`` pointed at ``schema`` (created if missing), so a bench never touches public tables."""
    admin = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={urllib.parse.quote(f'-csearch_path={schema}')}"
