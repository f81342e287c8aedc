"""One person record arriving on its own: stored, linked to the people already known, searchable.

A force system sends a record as it is created (a call, an arrest); it must appear, joined to
the right person, in the single view within a second. Full linking (``watchhouse link``)
trains a Splink model over every record, which takes minutes at scale. Here a model trained
once per process is kept with the person records it has seen; each arrival is scored against
them with that model (``watchhouse.resolve.link_new_record``: the model's own blocking rules,
one small join, no retraining), joins the master person of its best match at or above the
threshold, and otherwise keeps a master of its own. Records loaded meanwhile by other
processes are picked up by id before each arrival is scored.

The write, the move into a master person, the search index entry and the audit entries are
one transaction: a reader sees the record linked and searchable, or not at all.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from watchhouse import audit, records
from watchhouse.access import Viewer
from watchhouse.domain import PersonRecord

# The columns of the records mapping used by ``watchhouse link`` (people.linking.RECORDS_MAPPING).
_COLUMNS = ["id", "given_name", "family_name", "date_of_birth", "address", "locality", "postcode", "pnc_id",
            "ni_number", "driving_licence"]
_PURPOSE = "link an arriving person record to the people already known"
# Unsupervised training needs a population to estimate from; until then arrivals keep a master
# of their own and ``watchhouse link`` joins them up.
MIN_TRAINING_RECORDS = 50


@dataclass(frozen=True)
class Arrival:
    """What became of one arriving person record."""

    record_id: int  # the source person record
    master_id: int  # the person it now belongs to
    outcome: str  # inserted | updated | unchanged
    linked_record_id: int | None  # the existing record it matched best, if any reached the threshold
    match_probability: float | None
    seconds: float


def person_values(record: PersonRecord) -> dict[str, Any]:
    """The record's person fields as the records capability stores them."""
    return {
        "given_name": record.given_name, "middle_names": record.middle_names, "family_name": record.family_name,
        "date_of_birth": record.date_of_birth, "sex": record.sex,
        "address": "\n".join(record.address_lines) if record.address_lines else None,
        "locality": record.locality, "postcode": record.postcode, "phone": record.phone, "email": record.email,
        "pnc_id": record.pnc_id, "ni_number": record.ni_number, "driving_licence": record.driving_licence,
    }


def _linkage_row(values: dict[str, Any]) -> dict[str, Any]:
    row = {column: values.get(column) for column in _COLUMNS}
    born = row["date_of_birth"]
    row["date_of_birth"] = born.isoformat()[:10] if hasattr(born, "isoformat") else born
    return row


class _Linker:
    """A trained model over the person records this process has seen, extended as they arrive."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.model = None
        self.mapping = None
        self.last_id = 0  # every record up to this id has been read
        self.added: set[int] = set()  # records added after last_id by this process itself
        self.pending: list[dict[str, Any]] = []  # records read before there were enough to train on
        self.trained_on = 0
        self.train_seconds = 0.0
        self.train_at = MIN_TRAINING_RECORDS
        self.training_error: str | None = None

    def _frame(self, rows: list[dict[str, Any]]):
        import pandas as pd

        from watchhouse.resolve import prepare_frame

        raw = pd.DataFrame([_linkage_row(row) for row in rows], columns=_COLUMNS)
        return prepare_frame(raw, self.mapping, name="records")

    def catch_up(self) -> None:
        """Read records added since last time (by any process); train on first use."""
        viewer = Viewer.system(_PURPOSE)
        rows = [row for batch in records.iter_people(self.engine, viewer, after_id=self.last_id) for row in batch]
        if rows:
            self.last_id = max(row["id"] for row in rows)
        rows = [row for row in rows if row["id"] not in self.added]
        self.added = {i for i in self.added if i > self.last_id}
        if not rows:
            return
        if self.model is None:
            self.pending += rows
            if len(self.pending) >= self.train_at:
                try:
                    self._train(self.pending)
                    self.pending = []
                except ValueError as error:
                    # EM can fail on a small or uniform population (a level never observed);
                    # arrivals keep their own master until there is more to learn from.
                    self.train_at = 2 * len(self.pending)
                    self.training_error = str(error)
        else:
            self.append(rows)

    def _train(self, rows: list[dict[str, Any]]) -> None:
        from watchhouse.people.linking import RECORDS_MAPPING
        from watchhouse.resolve import parse_mapping, train_model

        started = time.perf_counter()
        self.mapping = parse_mapping(RECORDS_MAPPING, "records")
        self.model = train_model(self._frame(rows))
        self.trained_on = len(rows)
        self.train_seconds = time.perf_counter() - started

    def append(self, rows: list[dict[str, Any]]) -> None:
        """Make records matchable by later arrivals: the model's record table grows, its weights stay."""
        import pandas as pd

        from watchhouse.resolve.model import register_records

        if self.model is None:
            return
        known = self.model.records
        new = self._frame(rows).frame
        new["uid"] = range(len(known.frame), len(known.frame) + len(new))
        new["source"] = 0
        known.frame = pd.concat([known.frame, new[known.frame.columns]], ignore_index=True)
        previous, self.model.table = self.model.table, register_records(self.model.linker._db_api, known)
        if getattr(previous, "_wh_replaced", False):  # the table the linker was built on stays
            previous.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        self.model.table._wh_replaced = True

    def matches(self, values: dict[str, Any]) -> list[tuple[int, float]]:
        """(record id, match probability) of existing records at or above the threshold, best first."""
        from watchhouse.resolve import link_new_record

        if self.model is None:
            return []
        found = link_new_record(self.model, _linkage_row({**values, "id": "arriving"}), self.mapping)
        return [(int(candidate.rec_id), candidate.match_probability) for candidate in found]


_LINKERS: dict[str, _Linker] = {}
_LINKERS_LOCK = threading.Lock()


def _linker_for(engine: Engine) -> _Linker:
    key = engine.url.render_as_string(hide_password=False)
    with _LINKERS_LOCK:
        if key not in _LINKERS:
            _LINKERS[key] = _Linker(engine)
        return _LINKERS[key]


def warm_up(engine: Engine) -> dict[str, float]:
    """Train (or catch up) the arrival model now rather than on the first arrival."""
    linker = _linker_for(engine)
    with linker.lock:
        linker.catch_up()
    return {"records": linker.trained_on, "train_seconds": round(linker.train_seconds, 2)}


def receive_person(engine: Engine, record: PersonRecord, *, actor: str, client: str) -> Arrival:
    """Store one person record, link it to the people already known and index it for search.

    Idempotent on (source system, source record id): the same record again changes nothing and
    answers with its person. A changed record is linked again on its new values.
    """
    from watchhouse.search import index_people

    started = time.perf_counter()
    linker = _linker_for(engine)
    values = person_values(record)
    # One arrival at a time per process: the model's record table is not shared between threads.
    with linker.lock:
        linker.catch_up()
        matches = linker.matches(values)  # scored before the write, so no transaction waits on Splink
        with engine.begin() as connection:
            result = records.upsert_records(connection, [record])
            record_id = result.ids[record.ref]
            outcome = "inserted" if result.inserted else "updated" if result.updated else "unchanged"
            matches = [(rid, p) for rid, p in matches if rid != record_id]
            masters = records.masters_of(connection, [record_id, *(rid for rid, _ in matches)])
            master_id = masters[record_id]
            best = next(((rid, p) for rid, p in matches if rid in masters), None)
            if outcome != "unchanged":
                if best is not None and masters[best[0]] != master_id:
                    master_id = records.assign_to_master(connection, [record_id], master_id=masters[best[0]])
                index_people(connection, [{"id": record_id, "master_id": master_id, "marking": str(record.marking),
                                           **values}])
            audit.record(connection, actor=actor, action="collection", client=client,
                         purpose=f"one {record.source_system} person record",
                         record_ids=[f"person-record:{record_id}"],
                         detail={"system": record.source_system, "source_record_id": record.source_record_id,
                                 "outcome": outcome})
            if outcome != "unchanged" and best is not None:
                audit.record(connection, actor=actor, action="combination", client=client,
                             purpose="link an arriving person record to the people already known",
                             record_ids=[f"person-record:{record_id}", f"person-record:{best[0]}",
                                         f"person:{master_id}"],
                             detail={"match_probability": round(best[1], 6), "threshold": linker.model.threshold})
        if outcome != "unchanged" and linker.model is not None:
            linker.append([{"id": record_id, **values}])
            linker.added.add(record_id)
    return Arrival(record_id=record_id, master_id=master_id, outcome=outcome,
                   linked_record_id=best[0] if best else None,
                   match_probability=round(best[1], 6) if best else None,
                   seconds=round(time.perf_counter() - started, 4))
