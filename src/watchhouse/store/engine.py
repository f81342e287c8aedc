from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from sqlalchemy import Connection, Engine, MetaData, create_engine, event

from watchhouse.config import database_url
from watchhouse.store.writers import queue_writers

# Stable constraint names so Alembic batch migrations work on SQLite and PostgreSQL alike.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_engines: dict[str, Engine] = {}

# Nineteen digits in a row could be an integer beyond 64 bits, which orjson would read as a float.
_LONG_DIGITS = re.compile(r"\d{19}")
_LONG_DIGITS_BYTES = re.compile(rb"\d{19}")


def json_loads(text: str | bytes):
    """JSON columns as the json module reads them, through orjson where that gives the same value.

    Every person record read carries JSON (its field markings, the source's own values), and
    json.loads was a twentieth of a search's CPU. orjson refuses what json reads (NaN, lone
    surrogates) and would turn a long integer into a float: those go to json.loads."""
    long_digits = _LONG_DIGITS if isinstance(text, str) else _LONG_DIGITS_BYTES
    if long_digits.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _normalise(url: str) -> str:
    # Operators write postgresql://; we use psycopg 3, not psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    # Reads map the file rather than copy each page into the cache: a search or a person page at
    # a million records touches pages all over a multi-gigabyte file, shared by every worker.
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()


# Schemas that SQLite keeps in a file of their own beside the main one; on PostgreSQL their tables
# are ordinary tables of the connection's schema. The audit log takes an append on every search
# and page view. In the main file each append would make every other connection's next read
# start cold, as SQLite drops a connection's page cache and memory map whenever another has
# committed to the file since, and a search at a million records reads hundreds of pages.
OWN_FILES = ("audit",)


def own_file_path(database: str, schema: str) -> str:
    """Where SQLite keeps ``schema`` for the database file ``database``: ``x.db`` -> ``x-audit.db``."""
    path = Path(database)
    return str(path.with_name(f"{path.stem}-{schema}{path.suffix}"))


def _attach_own_files(database: str):
    def attach(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        for schema in OWN_FILES:
            cursor.execute(f"ATTACH DATABASE ? AS {schema}", (own_file_path(database, schema),))
            cursor.execute(f"PRAGMA {schema}.journal_mode=WAL")
            cursor.execute(f"PRAGMA {schema}.synchronous=NORMAL")
        cursor.close()

    return attach


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the life of the process (engines own connection pools)."""
    url = _normalise(url or database_url())
    engine = _engines.get(url)
    if engine is None:
        own_files = False
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, connect_args={"check_same_thread": False}, json_deserializer=json_loads)
            event.listen(engine, "connect", _sqlite_pragmas)
            if path and path != ":memory:" and not path.startswith("file:"):
                queue_writers(engine, path)
                event.listen(engine, "connect", _attach_own_files(path))
                own_files = True
        else:
            engine = create_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True,
                                   json_deserializer=json_loads)
        if not own_files:  # PostgreSQL, or a SQLite database with no file of its own to sit beside
            engine = engine.execution_options(schema_translate_map={schema: None for schema in OWN_FILES})
        _engines[url] = engine
    return engine


def reset_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def dialect_name(bind: Engine | Connection) -> str:
    return bind.dialect.name


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Connection]:
    """A connection inside one transaction: committed on success, rolled back on any error."""
    engine = engine or get_engine()
    with engine.begin() as connection:
        yield connection
