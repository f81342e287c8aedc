"""Batch reads for other capabilities (search, linkage): many records in one call.

Same rule as every read here: the viewer sees what the access module lets them see.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy import Connection, Engine

from watchhouse.access import Viewer
from watchhouse.records.convert import marking_from_columns
from watchhouse.records.store import within_transaction
from watchhouse.records.tables import master_person_members, record_people
from watchhouse.records.views import (
    PERSON_FIELDS,
    SourceRecordView,
    _masters_of,
    _records_by_id,
    person_row_batches,
    view_of_columns,
)


def get_records(bind: Engine | Connection, viewer: Viewer, kind: str, ids: Iterable[int], *,
                with_raw: bool = True) -> dict[int, SourceRecordView]:
    """The records of ``ids`` the viewer may see, by id; the rest are simply absent.
    ``with_raw=False`` skips the source's own values (``raw`` empty), for callers that rank."""
    with within_transaction(bind) as connection:
        return _records_by_id(connection, viewer, kind, ids, with_raw=with_raw)


def masters_of(bind: Engine | Connection, person_ids: Iterable[int]) -> dict[int, int]:
    """Master person of each source person record (ids only: callers already hold the records)."""
    with within_transaction(bind) as connection:
        return _masters_of(connection, person_ids)


def _person_columns(with_raw: bool) -> list:
    return [c for c in record_people.c if with_raw or c.name != "raw"]


def _one_of(column, name: str, array: bool):
    """``column IN (:name...)``; on PostgreSQL ``column = ANY(:name)``, one array parameter, so the
    statement's text is the same for any number of ids and the driver prepares it once per
    connection: planned afresh, these reads spent more of the server's time planning than reading."""
    if array:
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(sa.bindparam(name, expanding=True))


def _none_of(column, name: str, array: bool):
    if array:
        return column != sa.all_(sa.bindparam(name, type_=postgresql.ARRAY(sa.Integer)))
    return column.not_in(sa.bindparam(name, expanding=True))


# Built once: built per call, SQLAlchemy coerces every id of an IN list into an expression of its
# own, which costs more than the database's work. Keyed by (array parameters?, with_raw).
_PEOPLE_AND_MASTERS = {
    (array, with_raw): sa.select(*_person_columns(with_raw), master_person_members.c.master_id.label("_master_id"))
    .join(master_person_members, master_person_members.c.person_id == record_people.c.id, isouter=True)
    .where(_one_of(record_people.c.id, "ids", array))
    for array in (True, False) for with_raw in (True, False)
}
# Members' columns are read only for records the caller does not hold already (``known``): the
# others come back as their ids alone, the columns empty.
_MEMBERS = {
    (array, with_raw): sa.select(master_person_members.c.master_id.label("_master_id"),
                                 master_person_members.c.person_id.label("_person_id"), *_person_columns(with_raw))
    .select_from(master_person_members.join(
        record_people,
        sa.and_(record_people.c.id == master_person_members.c.person_id,
                _none_of(master_person_members.c.person_id, "known", array)),
        isouter=True))
    .where(_one_of(master_person_members.c.master_id, "ids", array))
    .order_by(master_person_members.c.master_id, master_person_members.c.person_id)
    for array in (True, False) for with_raw in (True, False)
}


def _statement(connection: Connection, statements: dict, with_raw: bool):
    return statements[(connection.dialect.name == "postgresql", with_raw)]


def _with_master(connection: Connection, statement, ids: list[int],
                 **parameters: Any) -> Iterator[tuple[int | None, dict[str, Any]]]:
    """(master id, the person's columns) for each row of ``statement`` over ``ids``, 500 at a time."""
    for start in range(0, len(ids), 500):
        result = connection.execute(statement, {"ids": ids[start : start + 500], **parameters})
        columns = list(result.keys())
        # fetchall: iterating the result fetches row by row, a driver call per row on PostgreSQL.
        for row in result.fetchall():
            data = dict(zip(columns, row))  # cheaper than row._mapping, read once per row
            yield data.pop("_master_id"), data


def people_and_masters(bind: Engine | Connection, viewer: Viewer, ids: Iterable[int], *,
                       with_raw: bool = True) -> tuple[dict[int, SourceRecordView], dict[int, int]]:
    """``get_records`` of person records and ``masters_of`` the visible ones, in one read."""
    ids = sorted(set(ids))
    views: dict[int, SourceRecordView] = {}
    masters: dict[int, int] = {}
    with within_transaction(bind) as connection:
        for master_id, data in _with_master(connection, _statement(connection, _PEOPLE_AND_MASTERS, with_raw), ids):
            view = view_of_columns(viewer, "person", data)
            if view is not None:
                views[view.id] = view
                if master_id is not None:
                    masters[view.id] = master_id
    return views, masters


def members_of(bind: Engine | Connection, viewer: Viewer, master_ids: Iterable[int], *,
               with_raw: bool = True, known: dict[int, SourceRecordView] | None = None) -> dict[int, list[SourceRecordView]]:
    """The visible source person records of each master person (``with_raw`` as ``get_records``).
    ``known``: views this viewer already holds (from ``get_records`` with the same ``with_raw``
    in the same transaction), reused instead of built again."""
    ids = sorted(set(master_ids))
    known = known or {}
    out: dict[int, list[SourceRecordView]] = {}
    with within_transaction(bind) as connection:
        for master_id, data in _with_master(connection, _statement(connection, _MEMBERS, with_raw), ids,
                                                known=list(known)):
            person_id = data.pop("_person_id")
            view = known.get(person_id) if data["id"] is None else view_of_columns(viewer, "person", data)
            if view is not None:
                out.setdefault(master_id, []).append(view)
    return out


_INDEX_COLUMNS = [record_people.c.id, record_people.c.marking, record_people.c.caveats, record_people.c.field_markings,
                  *(record_people.c[name] for name in PERSON_FIELDS), master_person_members.c.master_id]


def _for_index(row: Any) -> dict[str, Any]:
    data = dict(row._mapping)
    data["marking"] = str(marking_from_columns(data.pop("marking"), data.pop("caveats")))
    data["field_markings"] = data.get("field_markings") or {}
    return data


def iter_people_for_index(bind: Engine | Connection, *, batch_size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
    """Every person record with its record-level marking and its field markings, for building an
    index whose keys each carry the marking of the values they came from (readers still see
    results through ``get_records``)."""
    for rows in person_row_batches(bind, _INDEX_COLUMNS, batch_size=batch_size):
        yield [_for_index(row) for row in rows]


def people_for_index(bind: Engine | Connection, ids: Iterable[int]) -> list[dict[str, Any]]:
    """The records of ``ids`` as ``iter_people_for_index`` gives them (for re-indexing a few)."""
    ids = sorted(set(ids))
    out: list[dict[str, Any]] = []
    with within_transaction(bind) as connection:
        for start in range(0, len(ids), 500):
            out += [_for_index(row) for row in connection.execute(
                sa.select(*_INDEX_COLUMNS)
                .join(master_person_members, master_person_members.c.person_id == record_people.c.id, isouter=True)
                .where(record_people.c.id.in_(ids[start : start + 500]))
                .order_by(record_people.c.id))]
    return out
