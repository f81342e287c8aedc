"""One person record arriving on its own: stored, linked to the people already known, searchable.

A force system sends a record as it is created (a call, an arrest); it must appear, joined to
the right person, in the single view within a second. Full linking (``watchhouse link``)
trains a Splink model over every record, which takes minutes at scale, and saves it with the
term frequencies of its records. Here that model scores each arrival, without retraining,
against the records the search index finds for it (those sharing a name pair, a date of birth,
a postcode or an identifier: ``watchhouse.search.records_sharing_keys``), with the model's own
blocking rules: a few dozen records read, however many the force holds, and records other
processes stored a moment ago among them. The arrival joins the master person of its best
match at or above the threshold, and otherwise keeps a master of its own.

Before the first linkage run (or with a model saved by an older version) there is no saved
model: one is trained once in this process on every record, which are kept in memory and
picked up by id as other processes add them, as a small force's first day needs.

The write, the move into a master person, the search index entry and the audit entries are
one transaction: a reader sees the record linked and searchable, or not at all.
"""

from __future__ import annotations

import threading
import time
import uuid
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


class ArrivalRefused(PermissionError):
    """The caller may not change the stored record (it is marked above what the caller can see)."""


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
        self.saved_model_id: int | None = None  # the linkage run whose model is in use; None if trained here
        self.refused_model_id: int | None = None  # a saved model that would not load: trained here instead
        self._start()

    def _start(self) -> None:
        self.model = None
        self.mapping = None
        self.last_id = 0  # every record up to this id has been read
        self.added: set[int] = set()  # records added after last_id by this process itself
        self.pending: list[dict[str, Any]] = []  # records read before there were enough to train on
        self.trained_on = 0
        self.train_seconds = 0.0
        self.columns: list[str] = []
        self.rec_ids: list[int] = []  # record id of each uid in the model's table
        self.train_at = MIN_TRAINING_RECORDS
        self.training_error: str | None = None
        self.by_index = False  # a saved model: candidates come from the search index

    def _frame(self, rows: list[dict[str, Any]]):
        import pandas as pd

        from watchhouse.resolve import prepare_frame

        raw = pd.DataFrame([_linkage_row(row) for row in rows], columns=_COLUMNS)
        return prepare_frame(raw, self.mapping, name="records")

    def catch_up(self) -> None:
        """Read records added since last time (by any process). The model is the one the latest
        ``watchhouse link`` run saved, taken up again when a later run saves another; before any
        run, one is trained here on first use."""
        from watchhouse.people.linking import latest_model_id

        latest = latest_model_id(self.engine)
        if latest is not None and latest not in (self.saved_model_id, self.refused_model_id):
            self._start()
            try:
                self._load(latest)
                self.saved_model_id = latest
            except Exception as error:  # e.g. settings an older Splink wrote: arrivals still link
                self._start()
                self.training_error = f"the model of linkage run {latest} would not load: {error}"
                self.refused_model_id = latest
        if self.by_index:
            return  # nothing to read: each arrival finds its candidates through the search index
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
        from watchhouse.resolve import train_model

        self._use(train_model, rows)

    def _load(self, model_id: int) -> None:
        from watchhouse.people.linking import saved_model
        from watchhouse.resolve import model_from_settings

        saved = saved_model(self.engine, model_id)
        if saved is None or saved.households is None:
            raise ValueError("it was saved without its term frequencies (run watchhouse link again)")

        def load(frame):
            model = model_from_settings(saved.settings, frame, threshold=saved.threshold, households=saved.households)
            model.use_term_frequencies(saved.term_frequencies)
            return model

        # The model's own record table is never compared with: it holds one made-up record, so
        # that the linker has every column the settings name.
        self._use(load, [_SHAPE_ROW])
        self.by_index = True

    def _use(self, make_model, rows: list[dict[str, Any]]) -> None:
        from watchhouse.people.linking import RECORDS_MAPPING
        from watchhouse.resolve import parse_mapping

        started = time.perf_counter()
        self.mapping = parse_mapping(RECORDS_MAPPING, "records")
        self.model = make_model(self._frame(rows))
        # Each arrival runs a few dozen tiny queries: thread start-up costs more than it saves,
        # and the web server's own threads want the cores.
        self.model.linker._db_api.duckdb_con.execute("SET threads TO 1").fetchall()
        self._materialise()
        self.trained_on = len(rows)
        self.train_seconds = time.perf_counter() - started

    def prepare(self, rows: list[dict[str, Any]]):
        """The rows standardised as the model's records are (one DuckDB pass for all of them)."""
        frame = self._frame(rows).frame
        for column in self.columns:  # the trained table's shape
            if column not in frame.columns:
                frame[column] = None
        return frame[self.columns].copy()

    def _materialise(self) -> None:
        """Copy the model's records into a DuckDB table of their own. A registered pandas frame is
        re-read for its column types by every query that names it, a few dozen per arrival."""
        db_api = self.model.linker._db_api
        physical = f"__wh_arrival_records_{uuid.uuid4().hex}"
        db_api.duckdb_con.execute(f"CREATE TABLE {physical} AS SELECT * FROM {self.model.table.physical_name}").fetchall()
        self.model.table = db_api.register(physical, table_name=f"{physical}_input")
        self.columns = list(self.model.records.frame.columns)
        self.rec_ids = [int(r) for r in self.model.records.frame["rec_id"]]

    def append(self, rows: list[dict[str, Any]], prepared=None) -> None:
        """Make records matchable by later arrivals: the model's record table grows, its weights stay."""
        if self.model is None:
            return
        new = self.prepare(rows) if prepared is None else prepared.copy()
        new["uid"] = range(len(self.rec_ids), len(self.rec_ids) + len(new))
        new["source"] = 0
        connection = self.model.linker._db_api.duckdb_con
        staging = f"__wh_staging_{uuid.uuid4().hex}"
        connection.register(staging, new[self.columns])
        try:
            names = ", ".join(f'"{c}"' for c in self.columns)
            connection.execute(f"INSERT INTO {self.model.table.physical_name} ({names}) SELECT {names} FROM {staging}").fetchall()
        finally:
            connection.unregister(staging)
        self.rec_ids += [int(r) for r in new["rec_id"]]

    def matches(self, prepared) -> list[tuple[int, float]]:
        """(record id, match probability) of known records at or above the threshold, best first.

        As ``watchhouse.resolve.link_new_record`` (the model's blocking rules, its trained
        weights, household evidence discounted), but on a row already standardised, so an
        arrival is standardised once for matching and for joining the model's records."""
        if self.model is None:
            return []
        model = self.model
        frame = prepared.copy()
        frame["uid"], frame["source"] = -1, -1
        for column in model.linker._settings_obj._term_frequency_columns:
            model.linker.table_management.compute_tf_table(column.name)
        connection = model.linker._db_api.duckdb_con
        token = uuid.uuid4().hex
        arriving, nearby = f"__wh_arriving_{token}", f"__wh_nearby_{token}"
        _table_from_frame(connection, arriving, frame)
        # The known records any blocking rule pairs with the arrival, picked in one scan; Splink
        # then scores just those, instead of re-deriving every known record for each arrival.
        rules = " OR ".join(f"({rule.blocking_rule_sql})"
                            for rule in model.linker._settings_obj._blocking_rules_to_generate_predictions)
        connection.execute(f"CREATE TABLE {nearby} AS SELECT r.* FROM {arriving} AS l, "
                           f"{model.table.physical_name} AS r WHERE {rules}").fetchall()
        return self._score_between(arriving, nearby, self.rec_ids)

    def _score_between(self, arriving: str, known: str, rec_ids: list[int]) -> list[tuple[int, float]]:
        """``matches`` of the arrival's DuckDB table against a table of known records (both of the
        model's shape; dropped afterwards), with the model's blocking rules."""
        model = self.model
        db_api = model.linker._db_api
        connection = db_api.duckdb_con
        tables = [db_api.register(name, table_name=f"{name}_input") for name in (arriving, known)]
        try:
            if connection.execute(f"SELECT count(*) FROM {known}").fetchall()[0][0] == 0:
                return []
            predictions = model.linker.inference.predict_between(*tables, warning_mode="never")
            scores = model.scores(predictions, model.threshold)
        finally:
            for table in tables:
                table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
            for name in (arriving, known):
                connection.execute(f"DROP TABLE IF EXISTS {name}").fetchall()
        return _best_first(scores, rec_ids)

    def forget_queries(self) -> None:
        """Splink keeps every query it ran, with its SQL, for debugging: some 18 kB an arrival,
        which a server process receiving records for months must not accumulate."""
        if self.model is not None:
            self.model.linker._db_api._intermediate_table_cache.reset_executed_queries_tracker()

    def matches_by_index(self, values: dict[str, Any]) -> list[tuple[int, float]]:
        """``matches`` of an arriving record's values (with a saved model) against the records
        the search index finds for it; the arrival and they are standardised in one pass."""
        from watchhouse.resolve import UnusableFileError
        from watchhouse.search import records_sharing_keys

        with self.engine.connect() as connection:  # one connection for finding and reading them
            found = records.get_records(connection, Viewer.system(_PURPOSE), "person",
                                        records_sharing_keys(connection, values), with_raw=False)
        if not found:
            return []
        try:  # id 0 is the arrival's: stored record ids start at 1
            both = self.prepare([{**values, "id": 0}, *({**view.values, "id": view.id} for view in found.values())])
        except UnusableFileError:  # nothing in any of them to compare
            return []
        is_arrival = both["rec_id"].astype(str) == "0"
        frame, known = both[is_arrival].copy(), both[~is_arrival].copy()
        if frame.empty or known.empty:  # the arrival has nothing to compare
            return []
        known["uid"], known["source"] = range(len(known)), 0
        frame["uid"], frame["source"] = -1, -1
        connection = self.model.linker._db_api.duckdb_con
        token = uuid.uuid4().hex
        arriving_table, known_table = f"__wh_arriving_{token}", f"__wh_known_{token}"
        _table_from_frame(connection, arriving_table, frame)
        _table_from_frame(connection, known_table, known[self.columns])
        return self._score_between(arriving_table, known_table, [int(r) for r in known["rec_id"]])


def _table_from_frame(connection, name: str, frame) -> None:
    """A DuckDB table holding ``frame``: a registered pandas frame is re-read for its column
    types by every query that names it, a few dozen per arrival."""
    connection.register(f"{name}_frame", frame)
    try:
        connection.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_frame").fetchall()
    finally:
        connection.unregister(f"{name}_frame")


def _best_first(scores, rec_ids: list[int]) -> list[tuple[int, float]]:
    """(record id, match probability) of each scored pair, strongest first (the arrival is uid -1)."""
    found = []
    for row in scores.itertuples(index=False):
        uid = row.uid_r if row.uid_l == -1 else row.uid_l
        found.append((rec_ids[int(uid)], float(row.match_probability), float(row.match_weight)))
    return [(record_id, p) for record_id, p, _ in sorted(found, key=lambda f: -f[2])]


# A made-up person with every field, so a loaded model's record table has every column.
_SHAPE_ROW = {"id": 0, "given_name": "Shape", "family_name": "Record", "date_of_birth": "1900-01-01",
              "address": "1 Shape Street", "locality": "Nowhere", "postcode": "ZZ99 9ZZ", "pnc_id": "00/1A",
              "ni_number": "AB123456C", "driving_licence": "RECOR001010SR9XY"}


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


def _refuse_hidden_update(connection, viewer: Viewer, record: PersonRecord) -> None:
    """A caller may not overwrite (and so re-mark) a stored record or field it could not read."""
    stored = records.resolve_refs(connection, [record.ref], {}).get(record.ref)
    if stored is None:
        return
    view = records.get_records(connection, viewer, "person", [stored], with_raw=False).get(stored)
    if view is None or view.withheld:
        raise ArrivalRefused("the stored record, or one of its fields, is marked above this account's clearance")


def _split_from(connection, record_id: int) -> set[int]:
    """Masters holding a record an analyst has split from this one: an arrival may not rejoin them."""
    from watchhouse.people import review

    _, split = review.decided_pairs(connection)
    apart = {b for a, b in split if a == record_id} | {a for a, b in split if b == record_id}
    return set(records.masters_of(connection, apart).values()) if apart else set()


def receive_person(engine: Engine, record: PersonRecord, *, actor: str, client: str,
                   viewer: Viewer | None = None) -> Arrival:
    """Store one person record, link it to the people already known and index it for search.

    Idempotent on (source system, source record id): the same record again changes nothing. A
    changed record is linked again on its new values, never back into a person an analyst split
    it from. With ``viewer`` (the sending account), a stored record marked above it is refused
    (``ArrivalRefused``) rather than overwritten.
    """
    from watchhouse.search import reindex_people

    started = time.perf_counter()
    linker = _linker_for(engine)
    values = person_values(record)
    # One arrival at a time per process: the model's record table is not shared between threads.
    with linker.lock:
        linker.catch_up()
        # Scored before the write, so no database transaction waits on Splink.
        try:
            if linker.by_index:
                prepared, matches = None, linker.matches_by_index(values)
            else:
                prepared = linker.prepare([{"id": 0, **values}]) if linker.model is not None else None
                matches = linker.matches(prepared) if prepared is not None else []
        finally:
            linker.forget_queries()
        with engine.begin() as connection:
            if viewer is not None:
                _refuse_hidden_update(connection, viewer, record)
            result = records.upsert_records(connection, [record])
            record_id = result.ids[record.ref]
            outcome = "inserted" if result.inserted else "updated" if result.updated else "unchanged"
            matches = [(rid, p) for rid, p in matches if rid != record_id]
            masters = records.masters_of(connection, [record_id, *(rid for rid, _ in matches)])
            master_id = masters[record_id]
            kept_apart = _split_from(connection, record_id) if outcome == "updated" else set()
            best = next(((rid, p) for rid, p in matches if rid in masters and masters[rid] not in kept_apart), None)
            if outcome != "unchanged":
                if best is not None and masters[best[0]] != master_id:
                    master_id = records.assign_to_master(connection, [record_id], master_id=masters[best[0]])
                reindex_people(connection, [record_id])
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
        if outcome != "unchanged" and prepared is not None:
            prepared["rec_id"] = str(record_id)
            linker.append([], prepared)
            linker.added.add(record_id)
    return Arrival(record_id=record_id, master_id=master_id, outcome=outcome,
                   linked_record_id=best[0] if best else None,
                   match_probability=round(best[1], 6) if best else None,
                   seconds=round(time.perf_counter() - started, 4))
