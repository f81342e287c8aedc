"""Writing police.uk crimes, outcomes, stops and map points: the crimes capability's write API.

Ingest (and anything else that produces police.uk-shaped records) calls these functions and
never touches the tables. Every function takes an open connection, so the caller decides the
transaction (ingest loads each file atomically), and returns what it inserted, updated and left
unchanged, so re-loading the same records is visibly a no-op.

Rows are plain dicts with the keys documented on each function. Rows without a Crime ID (anti-
social behaviour) and stops have no published key, so their key is a digest of their content
plus their occurrence number among identical rows of the same batch: two identical ASB reports
at the same map point stay two crimes, and loading the same file again finds both.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from watchhouse.crimes.categories import category_slug
from watchhouse import store
from watchhouse.crimes.tables import crimes, map_points, outcomes, stops



@dataclass
class LoadCounts:
    """What a load did. For outcomes, ``updated`` counts crimes whose last outcome advanced."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: LoadCounts) -> LoadCounts:
        return LoadCounts(
            self.inserted + other.inserted, self.updated + other.updated, self.unchanged + other.unchanged
        )


def content_key(fields: Sequence[object], occurrence: int) -> str:
    """A stable 64-hex key for a record that has no published identifier."""
    text = "\x1f".join("" if value is None else str(value) for value in fields)
    return hashlib.sha256(f"{text}\x1e{occurrence}".encode()).hexdigest()


def _content_keys(rows: Iterable[Sequence[object]]) -> Iterator[str]:
    seen: dict[tuple, int] = {}
    for fields in rows:
        fields = tuple(fields)
        occurrence = seen.get(fields, 0)
        seen[fields] = occurrence + 1
        yield content_key(fields, occurrence)


def insert_rows(connection: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
    """``watchhouse.store.insert_rows``, with SQLite's per-row triggers done once for a big batch."""
    if connection.dialect.name == "sqlite" and len(rows) >= _BULK_ROWS:
        with _insert_triggers_run_once(connection, table.name):
            store.insert_rows(connection, table, columns, rows)
        return
    store.insert_rows(connection, table, columns, rows)


# Below this many rows the per-row triggers cost less than re-creating them (which also makes
# every other connection re-read the schema).
_BULK_ROWS = 2000
_TRIGGER_BODY = re.compile(r"\bBEGIN\b(?P<body>.*)\bEND\s*$", re.IGNORECASE | re.DOTALL)


@contextmanager
def _insert_triggers_run_once(connection: Connection, table_name: str) -> Iterator[None]:
    """On SQLite, do the work of the table's per-row AFTER INSERT triggers once for the batch.

    SQLite has only row triggers; for a bulk load the R*Tree trigger (crimes_0001) and the data-
    version trigger (crimes_0002) cost several times the insert itself. Triggers that do not look
    at the new row run their body once; the R*Tree one becomes one INSERT ... SELECT of the new
    rows; any other trigger is left to fire per row. Triggers are dropped and re-created inside
    the caller's transaction, so no other connection ever sees the table without them.
    """
    if not connection.connection.driver_connection.in_transaction:
        # pysqlite opens its transaction only at the first INSERT/UPDATE/DELETE, so a DROP TRIGGER
        # issued first would commit on its own and a failed load would lose the trigger.
        connection.exec_driver_sql("BEGIN")
    triggers = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
        "AND upper(sql) LIKE '%AFTER INSERT ON%'",
        (table_name,),
    ).all()
    rtree_trigger = f"{table_name}_rtree_insert"
    replaced = [(name, sql) for name, sql in triggers if name == rtree_trigger or "new." not in sql.lower()]
    last_id = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table_name}").scalar()
    for name, _ in replaced:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    for name, sql in replaced:
        if name == rtree_trigger:
            connection.exec_driver_sql(
                f"INSERT INTO {table_name}_rtree SELECT id, latitude, latitude, longitude, longitude "
                f"FROM {table_name} WHERE id > ? AND latitude IS NOT NULL",
                (last_id,),
            )
        else:
            for statement in _TRIGGER_BODY.search(sql)["body"].split(";"):
                if statement.strip():
                    connection.exec_driver_sql(statement)
        connection.exec_driver_sql(sql)


def _rows_for_keys(connection: Connection, key_column: sa.Column, columns: Sequence[sa.Column], keys: Sequence[str], order_by: str = "") -> sa.CursorResult:
    """(key, *columns) of the rows whose ``key_column`` is one of ``keys``, in one statement.

    The statement runs at driver level with the whole key list as one parameter (a JSON array
    on SQLite, an array on PostgreSQL): per-chunk statements and SQLAlchemy's row processing
    cost more than the index lookups themselves.
    """
    names = ", ".join(column.name for column in (key_column, *columns))
    sql = f"SELECT {names} FROM {key_column.table.name} WHERE {key_column.name} {_IN_KEYS[connection.dialect.name]}"
    parameter = json.dumps(list(keys)) if connection.dialect.name == "sqlite" else list(keys)
    return connection.exec_driver_sql(sql + (f" ORDER BY {order_by}" if order_by else ""), (parameter,))


def _driver_rows(connection: Connection, sql: str, parameters: tuple) -> list[tuple]:
    """All rows of ``sql`` (with ? placeholders) run by the driver, without SQLAlchemy's row processing."""
    if connection.dialect.name == "postgresql":
        sql = sql.replace("?", "%s")
    return connection.exec_driver_sql(sql, parameters).fetchall()


_IN_KEYS = {"sqlite": "IN (SELECT value FROM json_each(?))", "postgresql": "= ANY(%s)"}


def _existing(connection: Connection, key_column: sa.Column, columns: Sequence[sa.Column], keys: Sequence[str]) -> dict:
    """Rows already stored for ``keys``, as {key: tuple(columns)}."""
    if not keys:
        return {}
    return {row[0]: tuple(row[1:]) for row in _rows_for_keys(connection, key_column, columns, keys)}

# ---------------------------------------------------------------------------------------- map points


def resolve_map_points(connection: Connection, points: Iterable[tuple[float, float, str]]) -> dict[tuple[float, float, str], int]:
    """Ids for (latitude, longitude, name) map points, creating the ones not yet stored.

    The id is what the public API shows as ``location.street.id``; it never changes once given.
    """
    wanted = set(points)
    if not wanted:
        return {}
    latitudes = [point[0] for point in wanted]
    longitudes = [point[1] for point in wanted]
    # One range scan over the (latitude, longitude) index instead of a lookup per point.
    in_box = (
        "SELECT latitude, longitude, name, id FROM map_points "
        "WHERE latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?"
    )
    box = (min(latitudes), max(latitudes), min(longitudes), max(longitudes))

    def stored(sql: str, parameters: tuple) -> dict[tuple[float, float, str], int]:
        rows = _driver_rows(connection, sql, parameters)
        return {(lat, lng, name): point_id for lat, lng, name, point_id in rows if (lat, lng, name) in wanted}

    ids = stored(in_box, box)
    missing = sorted(wanted.difference(ids))
    if missing:
        last_id = _driver_rows(connection, "SELECT coalesce(max(id), 0) FROM map_points", ())[0][0]
        insert_rows(connection, map_points, ("latitude", "longitude", "name"), missing)
        ids.update(stored(in_box + " AND id > ?", (*box, last_id)))
        if len(ids) < len(wanted):  # ids not handed out in increasing order: read them all again
            ids = stored(in_box, box)
    return ids


# ---------------------------------------------------------------------------------------- street crimes

# Columns compared to decide whether a stored crime changed; where it came from is not content.
_CRIME_CONTENT = (
    "persistent_id",
    "month",
    "reported_by",
    "falls_within",
    "force_code",
    "latitude",
    "longitude",
    "map_point_id",
    "lsoa_code",
    "lsoa_name",
    "crime_type",
    "category",
    "last_outcome_category",
    "last_outcome_month",
    "context",
)
_CRIME_CONTENT_COLUMNS = [crimes.c[name] for name in _CRIME_CONTENT]
# The content of a crime without a Crime ID: everything the archive row says about it.
_ANONYMOUS_CRIME_FIELDS = (
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "location",
    "lsoa_code",
    "lsoa_name",
    "crime_type",
    "last_outcome_category",
    "context",
)


def street_crime_keys(rows: Sequence[Mapping]) -> list[str]:
    """Each row's crime_key: its Crime ID, or a content key for rows without one."""
    anonymous = [index for index, row in enumerate(rows) if not row["crime_id"]]
    generated = _content_keys(tuple(rows[index][field] for field in _ANONYMOUS_CRIME_FIELDS) for index in anonymous)
    keys = [row["crime_id"].lower() for row in rows]
    for index, key in zip(anonymous, generated):
        keys[index] = key
    return keys


def upsert_street_crimes(connection: Connection, rows: Sequence[Mapping]) -> LoadCounts:
    """Insert or update street-level crimes; ``rows`` are the records of ONE archive file, in order.

    Each row has: crime_id ("" when the archive gives none), month, reported_by, falls_within,
    force_code, latitude, longitude (both None when the crime has no location), location (the
    "On or near ..." name), lsoa_code, lsoa_name, crime_type (archive name), last_outcome_category
    (name or ""), context, source_file, source_line.

    A stored crime keeps an outcome applied from a later outcomes file rather than going back to
    the street file's older one.
    """
    if not rows:
        return LoadCounts()
    keys = street_crime_keys(rows)
    point_ids = resolve_map_points(
        connection,
        ((row["latitude"], row["longitude"], row["location"]) for row in rows if row["latitude"] is not None),
    )
    stored = _existing(connection, crimes.c.crime_key, _CRIME_CONTENT_COLUMNS, keys)
    later_outcomes = _latest_outcomes(connection, [key for key, row in zip(keys, rows) if row["crime_id"]])

    counts = LoadCounts()
    categories: dict[str, str] = {}
    new_records: dict[str, tuple] = {}
    changed_records: list[tuple] = []
    for key, row in zip(keys, rows):
        record = _crime_record(key, row, point_ids, later_outcomes.get(key), categories)
        before = stored.get(key)
        if before is None:
            # The same Crime ID twice in one file: the later row wins, as it would on reload.
            counts.unchanged += key in new_records
            new_records[key] = record
            continue
        stored_month = before[_OUTCOME_MONTH]
        if stored_month and stored_month > (record[_OUTCOME_MONTH + 1] or ""):
            record = _with_outcome(record, before[_OUTCOME_CATEGORY], stored_month)
        if record[1 : 1 + len(_CRIME_CONTENT)] == before:
            counts.unchanged += 1
        else:
            changed_records.append(record)
            counts.updated += 1
    counts.inserted = len(new_records)
    insert_rows(connection, crimes, _CRIME_RECORD, list(new_records.values()))
    if changed_records:
        connection.execute(
            crimes.update()
            .where(crimes.c.crime_key == sa.bindparam("b_crime_key"))
            .values({name: sa.bindparam(name) for name in _CRIME_RECORD[1:]}),
            [{"b_crime_key": record[0], **dict(zip(_CRIME_RECORD[1:], record[1:]))} for record in changed_records],
        )
    return counts


# A crime as stored: its key, its content, where it came from.
_CRIME_RECORD = ("crime_key", *_CRIME_CONTENT, "source_file", "source_line")
# Positions within the content (stored tuples) and, one further, within a record.
_OUTCOME_MONTH = _CRIME_CONTENT.index("last_outcome_month")
_OUTCOME_CATEGORY = _CRIME_CONTENT.index("last_outcome_category")


def _with_outcome(record: tuple, category: str, month: str) -> tuple:
    as_list = list(record)
    as_list[_OUTCOME_CATEGORY + 1], as_list[_OUTCOME_MONTH + 1] = category, month
    return tuple(as_list)


def _crime_record(
    key: str, row: Mapping, point_ids: Mapping, latest_outcome: tuple[str, str] | None, categories: dict[str, str]
) -> tuple:
    latitude = row["latitude"]
    month = row["month"]
    category = categories.get(row["crime_type"])
    if category is None:
        category = category_slug(row["crime_type"])
        if category is None:
            raise ValueError(f"unknown crime type {row['crime_type']!r} (line {row.get('source_line')})")
        categories[row["crime_type"]] = category
    outcome = row["last_outcome_category"] or None
    # The street archive gives no outcome date; the crime's month is the best it says.
    outcome_month = month if outcome else None
    if latest_outcome is not None and latest_outcome[0] > month:
        outcome_month, outcome = latest_outcome
    return (
        key,
        row["crime_id"].lower(),
        month,
        row["reported_by"],
        row["falls_within"],
        row["force_code"],
        latitude,
        row["longitude"],
        None if latitude is None else point_ids[(latitude, row["longitude"], row["location"])],
        row["lsoa_code"] or None,
        row["lsoa_name"] or None,
        row["crime_type"],
        category,
        outcome,
        outcome_month,
        row["context"] or "",
        row["source_file"],
        row["source_line"],
    )


def _latest_outcomes(connection: Connection, crime_keys: Sequence[str]) -> dict[str, tuple[str, str]]:
    """{crime_key: (month, outcome name)} of the latest stored outcome of each crime."""
    if not crime_keys or connection.execute(sa.select(outcomes.c.id).limit(1)).first() is None:
        return {}
    rows = _rows_for_keys(
        connection, outcomes.c.crime_key, [outcomes.c.month, outcomes.c.outcome_type], crime_keys, "month, source_line, id"
    )
    # Ordered oldest first, so the last one seen for a crime is its latest.
    return {crime_key: (month, outcome_type) for crime_key, month, outcome_type in rows}


# ---------------------------------------------------------------------------------------- outcomes

_OUTCOME_FIELDS = ("crime_id", "month", "reported_by", "falls_within", "outcome_type")
_OUTCOME_RECORD = ("outcome_key", "crime_key", "month", "outcome_type", "outcome_code", "force_code", "source_file", "source_line")


def apply_outcomes(connection: Connection, rows: Sequence[Mapping]) -> LoadCounts:
    """Store outcome records and advance the last outcome of the crimes they refer to.

    Each row has: crime_id (64 hex), month, reported_by, falls_within, force_code, outcome_type
    (archive name), source_file, source_line. ``inserted``/``unchanged`` count outcome rows;
    ``updated`` counts crimes whose last outcome became a newer one. Outcomes for crimes not yet
    loaded are kept and applied when the crime arrives.
    """
    from watchhouse.crimes.categories import outcome_code

    if not rows:
        return LoadCounts()
    keys = list(_content_keys(tuple(row[field] for field in _OUTCOME_FIELDS) for row in rows))
    stored = _existing(connection, outcomes.c.outcome_key, [], keys)
    counts = LoadCounts()
    fresh: dict[str, dict] = {}
    latest: dict[str, tuple[str, str]] = {}
    for key, row in zip(keys, rows):
        crime_key = row["crime_id"].lower()
        candidate = (row["month"], row["outcome_type"])
        if crime_key not in latest or candidate[0] >= latest[crime_key][0]:
            latest[crime_key] = candidate
        if key in stored or key in fresh:
            counts.unchanged += 1
            continue
        fresh[key] = {
            "outcome_key": key,
            "crime_key": crime_key,
            "month": row["month"],
            "outcome_type": row["outcome_type"],
            "outcome_code": outcome_code(row["outcome_type"]),
            "force_code": row["force_code"],
            "source_file": row["source_file"],
            "source_line": row["source_line"],
        }
        counts.inserted += 1
    insert_rows(connection, outcomes, _OUTCOME_RECORD, [tuple(record[name] for name in _OUTCOME_RECORD) for record in fresh.values()])

    current = _existing(
        connection, crimes.c.crime_key, [crimes.c.last_outcome_month, crimes.c.last_outcome_category], list(latest)
    )
    advanced = [
        {"b_crime_key": crime_key, "last_outcome_month": month, "last_outcome_category": name}
        for crime_key, (month, name) in latest.items()
        if crime_key in current and (current[crime_key][0] is None or month > current[crime_key][0])
    ]
    if advanced:
        connection.execute(
            crimes.update()
            .where(crimes.c.crime_key == sa.bindparam("b_crime_key"))
            .values(
                last_outcome_month=sa.bindparam("last_outcome_month"),
                last_outcome_category=sa.bindparam("last_outcome_category"),
            ),
            advanced,
        )
    counts.updated = len(advanced)
    return counts


# ---------------------------------------------------------------------------------------- stop and search

_STOP_FIELDS = (
    "force_code",
    "month",
    "datetime",
    "type",
    "operation",
    "operation_name",
    "latitude",
    "longitude",
    "gender",
    "age_range",
    "self_defined_ethnicity",
    "officer_defined_ethnicity",
    "legislation",
    "object_of_search",
    "outcome",
    "outcome_linked_to_object_of_search",
    "removal_of_more_than_outer_clothing",
)


def upsert_stops(connection: Connection, rows: Sequence[Mapping]) -> LoadCounts:
    """Store stop-and-search records of ONE archive file, in order.

    Each row has the ``stops`` columns except id/stop_key: force_code, month, datetime, type,
    operation ("true"/"false"/""), operation_name, latitude, longitude, gender, age_range,
    self_defined_ethnicity, officer_defined_ethnicity, legislation, object_of_search, outcome,
    outcome_linked_to_object_of_search, removal_of_more_than_outer_clothing, source_file,
    source_line. A stop's key is its content, so a stored stop is always unchanged.
    """
    if not rows:
        return LoadCounts()
    keys = list(_content_keys(tuple(row[field] for field in _STOP_FIELDS) for row in rows))
    stored = _existing(connection, stops.c.stop_key, [], keys)
    fresh = [(key, *(row[name] for name in _STOP_FIELDS), row["source_file"], row["source_line"]) for key, row in zip(keys, rows) if key not in stored]
    insert_rows(connection, stops, ("stop_key", *_STOP_FIELDS, "source_file", "source_line"), fresh)
    return LoadCounts(inserted=len(fresh), unchanged=len(rows) - len(fresh))
