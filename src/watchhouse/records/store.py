"""Writing source records: batched, idempotent upserts keyed on (source_system, source_record_id)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from watchhouse.domain import AnyRecord, EntityKind, Link, RecordRef, WarningMarker
from watchhouse.records.convert import marking_columns, record_to_row
from watchhouse.store import refresh_if_grown
from watchhouse.records.tables import (
    SOURCE_TABLES,
    master_people,
    master_person_members,
    record_links,
    record_people,
    record_warning_markers,
)

CHUNK = 500


class RecordsError(ValueError):
    """A write that cannot be applied, with the record it concerns."""


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    links_added: int = 0
    markers_written: int = 0
    ids: dict[RecordRef, int] = field(default_factory=dict)

    def add(self, other: UpsertResult) -> None:
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.links_added += other.links_added
        self.markers_written += other.markers_written
        self.ids.update(other.ids)


@contextmanager
def within_transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """Use the caller's transaction when given a connection, else open one."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as connection:
            yield connection


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(connection: Connection, table: sa.Table, system: str, ids: list[str]) -> dict[str, tuple[int, str]]:
    rows = connection.execute(
        sa.select(table.c.source_record_id, table.c.id, table.c.content_hash).where(
            table.c.source_system == system, table.c.source_record_id.in_(ids)
        )
    )
    return {row.source_record_id: (row.id, row.content_hash) for row in rows}


def _upsert_kind(
    connection: Connection, kind: EntityKind, records: list[AnyRecord], now: datetime, result: UpsertResult
) -> list[int]:
    """Upsert one kind of record; returns the ids of rows inserted."""
    table = SOURCE_TABLES[kind.value]
    inserted_ids: list[int] = []
    by_system: dict[str, dict[str, AnyRecord]] = defaultdict(dict)
    for record in records:
        by_system[record.source_system][record.source_record_id] = record  # last one in a batch wins
    for system, keyed in by_system.items():
        for ids in _chunks(list(keyed)):
            existing = _existing(connection, table, system, ids)
            inserts, updates = [], []
            for source_id in ids:
                row = record_to_row(keyed[source_id])
                if source_id not in existing:
                    inserts.append({**row, "loaded_at": now, "updated_at": now})
                elif existing[source_id][1] != row["content_hash"]:
                    updates.append({**row, "updated_at": now, "_id": existing[source_id][0]})
                else:
                    result.unchanged += 1
            if inserts:
                # Then the new ids by their source ids: RETURNING in parameter order would make
                # SQLite insert row by row.
                _insert_many(connection, table, inserts)
                new = _existing(connection, table, system, [row["source_record_id"] for row in inserts])
                for source_id, (row_id, _) in new.items():
                    result.ids[RecordRef(kind, system, source_id)] = row_id
                    inserted_ids.append(row_id)
                result.inserted += len(inserts)
            if updates:
                columns = [c for c in updates[0] if c not in {"_id", "source_system", "source_record_id"}]
                connection.execute(
                    table.update()
                    .where(table.c.id == sa.bindparam("_id"))
                    .values({c: sa.bindparam(f"v_{c}") for c in columns}),
                    [{"_id": u["_id"], **{f"v_{c}": u[c] for c in columns}} for u in updates],
                )
                result.updated += len(updates)
            for source_id, (row_id, _) in existing.items():
                result.ids[RecordRef(kind, system, source_id)] = row_id
    return inserted_ids


def _insert_many(connection: Connection, table: sa.Table, rows: list[dict]) -> None:
    """Many rows at once: COPY on PostgreSQL (an executemany there is a statement per row, and
    multi-row VALUES spend their time in the driver rewriting parameters), one executemany of
    the driver elsewhere. Rows are dicts with the same keys; JSON values are serialised here."""
    if not rows:
        return
    names = list(rows[0])
    json_columns = {name for name in names if isinstance(table.c[name].type, sa.JSON)}

    def value(name, row):
        item = row[name]
        return json.dumps(item, separators=(",", ":")) if name in json_columns and item is not None else item

    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([value(name, row) for name in names])
        return
    compiled = table.insert().compile(dialect=connection.dialect, column_keys=names)
    processors = {name: table.c[name].type.bind_processor(connection.dialect) for name in names}
    params = [
        tuple(processors[name](row[name]) if processors[name] else row[name] for name in compiled.positiontup)
        for row in rows
    ] if compiled.positional else None
    if params is None:
        connection.execute(table.insert(), rows)
        return
    connection.exec_driver_sql(str(compiled), params)


def _give_singleton_masters(connection: Connection, person_ids: list[int], now: datetime) -> None:
    """A newly loaded person is its own master person until the linkage engine says otherwise,
    so it appears in the single view at once."""
    for ids in _chunks(person_ids):
        keys = [f"record:{person_id}" for person_id in ids]
        masters = dict(
            connection.execute(
                master_people.insert().returning(master_people.c.cluster_key, master_people.c.id),
                [{"cluster_key": k, "created_at": now, "updated_at": now} for k in keys],
            ).all()
        )
        _insert_many(connection, master_person_members,
                     [{"person_id": pid, "master_id": masters[f"record:{pid}"]} for pid in ids])


def resolve_refs(connection: Connection, refs: Iterable[RecordRef], known: Mapping[RecordRef, int]) -> dict[RecordRef, int]:
    """Database ids for record references, looking up those not already known."""
    resolved = {ref: known[ref] for ref in refs if ref in known}
    missing: dict[tuple[EntityKind, str], set[str]] = defaultdict(set)
    for ref in refs:
        if ref not in resolved:
            missing[(ref.kind, ref.source_system)].add(ref.source_record_id)
    for (kind, system), wanted in missing.items():
        for ids in _chunks(sorted(wanted)):
            for source_id, (row_id, _) in _existing(connection, SOURCE_TABLES[kind.value], system, ids).items():
                resolved[RecordRef(kind, system, source_id)] = row_id
    return resolved


def _add_links(connection: Connection, links: list[Link], ids: Mapping[RecordRef, int], now: datetime) -> int:
    refs = {ref for link in links for ref in (link.source, link.target)}
    resolved = resolve_refs(connection, refs, ids)
    unknown = sorted((r for r in refs if r not in resolved), key=str)
    if unknown:
        ref = unknown[0]
        raise RecordsError(
            f"link names a {ref.kind.value} record {ref.source_system}/{ref.source_record_id} that is not loaded"
        )
    wanted = {
        (l.source.kind.value, resolved[l.source], l.target.kind.value, resolved[l.target], l.role.value): l
        for l in links
    }
    added = 0
    keys = list(wanted)
    for chunk in _chunks(keys):
        from_ids: dict[str, set[int]] = defaultdict(set)
        for key in chunk:
            from_ids[key[0]].add(key[1])
        existing: set[tuple] = set()
        for from_kind, ids in from_ids.items():
            # (from_kind, from_id) leads the unique index on links, so this is an index lookup.
            existing.update(
                tuple(row)
                for row in connection.execute(
                    sa.select(
                        record_links.c.from_kind,
                        record_links.c.from_id,
                        record_links.c.to_kind,
                        record_links.c.to_id,
                        record_links.c.role,
                    ).where(record_links.c.from_kind == from_kind, record_links.c.from_id.in_(ids))
                )
            )
        rows = [
            {
                "from_kind": k[0],
                "from_id": k[1],
                "to_kind": k[2],
                "to_id": k[3],
                "role": k[4],
                "source_system": wanted[k].source.source_system,
                "loaded_at": now,
                **marking_columns(wanted[k].marking),
            }
            for k in chunk
            if k not in existing
        ]
        if rows:
            connection.execute(record_links.insert(), rows)
            added += len(rows)
    return added


def _write_markers(connection: Connection, markers: list[WarningMarker], ids: Mapping[RecordRef, int], now: datetime) -> int:
    resolved = resolve_refs(connection, {m.person for m in markers}, ids)
    wanted: dict[tuple[int, str], dict] = {}
    for marker in markers:
        if marker.person not in resolved:
            raise RecordsError(
                f"warning marker {marker.marker!r} names person {marker.person.source_system}/"
                f"{marker.person.source_record_id}, which is not loaded"
            )
        wanted[(resolved[marker.person], marker.marker)] = {
            "details": marker.details,
            "valid_from": marker.valid_from,
            "source_system": marker.person.source_system,
            **marking_columns(marker.marking),
        }
    m = record_warning_markers
    written = 0
    keys = list(wanted)
    for chunk in _chunks(keys):
        current = {
            (row.person_id, row.marker): row
            for row in connection.execute(
                sa.select(m.c.id, m.c.person_id, m.c.marker, m.c.details, m.c.valid_from, m.c.source_system,
                          m.c.marking, m.c.caveats).where(m.c.person_id.in_({k[0] for k in chunk}))
            )
        }
        inserts, updates = [], []
        for key in chunk:
            values = wanted[key]
            row = current.get(key)
            if row is None:
                inserts.append({"person_id": key[0], "marker": key[1], "loaded_at": now, **values})
            elif any(getattr(row, name) != value for name, value in values.items()):
                updates.append({"_id": row.id, **{f"v_{k}": v for k, v in values.items()}})
        if inserts:
            connection.execute(m.insert(), inserts)
        if updates:
            connection.execute(
                m.update().where(m.c.id == sa.bindparam("_id")).values({k: sa.bindparam(f"v_{k}") for k in wanted[chunk[0]]}),
                updates,
            )
        written += len(inserts) + len(updates)
    return written


def upsert_records(
    bind: Engine | Connection,
    records: Iterable[AnyRecord],
    links: Iterable[Link] = (),
    markers: Iterable[WarningMarker] = (),
    *,
    now: datetime | None = None,
) -> UpsertResult:
    """Insert new source records, update changed ones, leave identical ones alone; add links
    and warning markers. Idempotent on (source_system, source_record_id): loading the same
    records again changes nothing. Everything happens in one transaction (the caller's, when
    given a connection). New people get a master person of their own at once."""
    now = now or datetime.now(UTC)
    result = UpsertResult()
    by_kind: dict[EntityKind, list[AnyRecord]] = defaultdict(list)
    for record in records:
        by_kind[record.ref.kind].append(record)
    with within_transaction(bind) as connection:
        for kind in EntityKind:
            if by_kind.get(kind):
                new_ids = _upsert_kind(connection, kind, by_kind[kind], now, result)
                refresh_if_grown(connection, SOURCE_TABLES[kind.value], len(new_ids))
                if kind is EntityKind.PERSON and new_ids:
                    _give_singleton_masters(connection, new_ids, now)
                    refresh_if_grown(connection, master_person_members, len(new_ids))
        links = list(links)
        if links:
            result.links_added = _add_links(connection, links, result.ids, now)
        markers = list(markers)
        if markers:
            result.markers_written = _write_markers(connection, markers, result.ids, now)
    return result


def replace_memberships(bind: Engine | Connection, clusters: Mapping[int, str], *, now: datetime | None = None) -> int:
    """Replace every master person membership at once: ``clusters`` maps each source person
    record id to a cluster key chosen by the linkage engine. Person records not named keep a
    master of their own. Masters whose key survives keep their id (stable URLs); masters left
    empty are removed. One transaction: readers see the old clustering or the new, never a mix.
    Returns the number of master people afterwards."""
    now = now or datetime.now(UTC)
    with within_transaction(bind) as connection:
        all_people = [row.id for row in connection.execute(sa.select(record_people.c.id))]
        unknown = set(clusters) - set(all_people)
        if unknown:
            raise RecordsError(f"cluster memberships name person record ids that do not exist: {sorted(unknown)[:5]}")
        for key in set(clusters.values()):
            if not key or len(key) > 100 or key.startswith("record:"):
                raise RecordsError(f"cluster key {key!r} must be 1-100 characters and not start with 'record:'")
        assignment = {pid: clusters.get(pid, f"record:{pid}") for pid in all_people}
        existing = dict(connection.execute(sa.select(master_people.c.cluster_key, master_people.c.id)).all())
        new_keys = sorted(set(assignment.values()) - set(existing))
        for keys in _chunks(new_keys):
            connection.execute(
                master_people.insert(), [{"cluster_key": k, "created_at": now, "updated_at": now} for k in keys]
            )
        masters = dict(connection.execute(sa.select(master_people.c.cluster_key, master_people.c.id)).all())
        connection.execute(master_person_members.delete())
        rows = [{"person_id": pid, "master_id": masters[key]} for pid, key in assignment.items()]
        for chunk in _chunks(rows, 5000):
            _insert_many(connection, master_person_members, chunk)
        used = set(assignment.values())
        stale = [mid for key, mid in masters.items() if key not in used]
        for chunk in _chunks(stale, 5000):
            connection.execute(master_people.delete().where(master_people.c.id.in_(chunk)))
        return len(used)


def assign_to_master(
    bind: Engine | Connection,
    person_ids: Iterable[int],
    cluster_key: str | None = None,
    *,
    master_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Move some person records into one master (incremental linking of new records): the
    master with ``cluster_key`` (created if new), or the existing master ``master_id``. Returns
    the master id; masters left empty by the move are removed."""
    if (cluster_key is None) == (master_id is None):
        raise RecordsError("give either a cluster key or an existing master id")
    now = now or datetime.now(UTC)
    person_ids = sorted(set(person_ids))
    if not person_ids:
        raise RecordsError("no person records to assign")
    with within_transaction(bind) as connection:
        known = set(connection.execute(sa.select(record_people.c.id).where(record_people.c.id.in_(person_ids))).scalars())
        if missing := sorted(set(person_ids) - known):
            raise RecordsError(f"person record ids that do not exist: {missing[:5]}")
        if master_id is not None:
            if connection.execute(sa.select(master_people.c.id).where(master_people.c.id == master_id)).scalar() is None:
                raise RecordsError(f"master person {master_id} does not exist")
        else:
            master_id = connection.execute(
                sa.select(master_people.c.id).where(master_people.c.cluster_key == cluster_key)
            ).scalar()
        if master_id is None:
            master_id = connection.execute(
                master_people.insert().values(cluster_key=cluster_key, created_at=now, updated_at=now)
            ).inserted_primary_key[0]
        else:
            connection.execute(master_people.update().where(master_people.c.id == master_id).values(updated_at=now))
        previous = {
            row.master_id
            for row in connection.execute(
                sa.select(master_person_members.c.master_id).where(master_person_members.c.person_id.in_(person_ids))
            )
        }
        connection.execute(master_person_members.delete().where(master_person_members.c.person_id.in_(person_ids)))
        connection.execute(master_person_members.insert(), [{"person_id": p, "master_id": master_id} for p in person_ids])
        for old in previous - {master_id}:
            still_used = connection.execute(
                sa.select(sa.func.count()).where(master_person_members.c.master_id == old)
            ).scalar()
            if not still_used:
                connection.execute(master_people.delete().where(master_people.c.id == old))
        return master_id
