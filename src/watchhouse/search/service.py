from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import jellyfish
import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from watchhouse.access import Viewer
from watchhouse.records.lookup import iter_people_for_index, members_of, people_and_masters, people_for_index
from watchhouse.records.store import within_transaction
from watchhouse.store import insert_rows
from watchhouse.domain.markings import parse_marking
from watchhouse.resolve.names import formal_names
from watchhouse.search.keys import (
    PersonQuery,
    clean,
    identifier_key,
    metaphone,
    one_slip_forms,
    person_key_fields,
    phone_key,
    postcode_parts,
    query_keys,
)
from watchhouse.search.tables import search_caveat_sets, search_key_counts, search_keys, search_meta, search_people

# Records re-scored on their visible values, per result asked for: the index already ranks on the
# same evidence, so the best results are almost always among the first few per result (a person
# has two or three records), and reading and re-scoring them stays a few milliseconds.
CANDIDATES_PER_RESULT = 2
# Index rows a query reads to find its candidates (see _scored_candidates). With SHORTLIST, set
# by bench/people_scale.py's search quality at 1,000,000 records: 2000 and 300 found the searched
# person no more often than 1000 and 100, and took half as long again.
FINDING = 1000


@lru_cache(maxsize=1024)
def _marking_columns(marking: str | None, *field_markings: str) -> tuple[int, str]:
    """(clearance, caveats) of a posting: the record's marking raised by those of the fields the
    key was made from, so a key from a withheld field can neither find nor rank anyone."""
    parsed = parse_marking(marking or "OFFICIAL")
    for field_marking in field_markings:
        parsed = parsed.at_least(parse_marking(field_marking))
    return int(parsed.classification), "|".join(sorted(parsed.caveats))


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _bulk_insert(connection: Connection, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    insert_rows(connection, table, columns, rows)


def _index(connection: Connection, people: list[dict], *, fresh: bool, keys_table=search_keys) -> Counter:
    """Write the index rows of ``people``; returns how many records each (key, clearance, caveats)
    gained (or lost)."""
    change: Counter = Counter()
    if not fresh:
        ids = [p["id"] for p in people]
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            for key, clearance, caveats, records in connection.execute(
                sa.select(search_keys.c.key, search_keys.c.clearance, search_keys.c.caveats, sa.func.count())
                .where(search_keys.c.person_id.in_(chunk))
                .group_by(search_keys.c.key, search_keys.c.clearance, search_keys.c.caveats)
            ):
                change[(key, clearance, caveats)] -= records
            connection.execute(search_keys.delete().where(search_keys.c.person_id.in_(chunk)))
            connection.execute(search_people.delete().where(search_people.c.person_id.in_(chunk)))
    key_rows, people_rows = [], []
    dates_as_text = connection.dialect.name == "sqlite"  # as SQLAlchemy's Date stores them there
    for person in people:
        marking = person.get("marking")
        field_markings = {name: str(value) for name, value in (person.get("field_markings") or {}).items()}
        # The age filter reads this row's date of birth: it carries that field's marking.
        clearance, caveats = _marking_columns(marking, *(
            [field_markings["date_of_birth"]] if "date_of_birth" in field_markings else []))
        born = _as_date(person.get("date_of_birth"))
        people_rows.append((person["id"], person.get("master_id"),
                            born.isoformat() if born and dates_as_text else born, clearance, caveats))
        for key, fields in person_key_fields(person).items():
            key_marking = _marking_columns(marking, *(field_markings[f] for f in fields if f in field_markings))
            key_rows.append((key[:120], person["id"], *key_marking))
            change[(key[:120], *key_marking)] += 1
    key_rows.sort()  # in primary-key order: B-tree inserts land next to each other
    _note_caveat_sets(connection, {row[3] for row in key_rows} | {row[4] for row in people_rows})
    _bulk_insert(connection, search_people, ("person_id", "master_id", "date_of_birth", "clearance", "caveats"),
                 people_rows)
    _bulk_insert(connection, keys_table, ("key", "person_id", "clearance", "caveats"), key_rows)
    return change


def _upsert(connection: Connection, table):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def _note_caveat_sets(connection: Connection, sets: set[str]) -> None:
    if sets:
        connection.execute(_upsert(connection, search_caveat_sets).on_conflict_do_nothing(),
                           [{"caveats": caveats} for caveats in sorted(sets)])


def _add_counts(connection: Connection, change: Counter) -> None:
    rows = [{"key": key, "clearance": clearance, "caveats": caveats, "records": n}
            for (key, clearance, caveats), n in sorted(change.items()) if n]
    if not rows:
        return
    columns = search_key_counts.c
    statement = _upsert(connection, search_key_counts)
    statement = statement.on_conflict_do_update(
        index_elements=[columns.key, columns.clearance, columns.caveats],
        set_={"records": columns.records + statement.excluded.records},
    )
    # In key order, so concurrent indexers (two arrivals at once) lock rows in the same order
    # and wait for each other rather than deadlock.
    for start in range(0, len(rows), 5000):
        connection.execute(statement, rows[start : start + 5000])
    emptied = sorted({row["key"] for row in rows if row["records"] < 0})
    for start in range(0, len(emptied), 1000):
        connection.execute(search_key_counts.delete().where(
            columns.key.in_(emptied[start : start + 1000]), columns.records <= 0))


def index_people(connection: Connection, people: Iterable[dict]) -> int:
    """(Re-)index person records: dicts with id, master_id, marking and the person fields."""
    people = list(people)
    if not people:
        return 0
    _add_counts(connection, _index(connection, people, fresh=False))
    return len(people)


# Raised whenever what a posting means changes, so an index built before is rebuilt, not misread.
# 2: postings carry the marking of the fields they came from; surnames within one typing slip.
INDEX_FORMAT = "2"


def index_is_current(bind: Engine | Connection) -> bool:
    with within_transaction(bind) as connection:
        built = connection.execute(sa.select(search_meta.c.value).where(search_meta.c.name == "format")).scalar()
    return built == INDEX_FORMAT


def ensure_index_current(engine: Engine, *, progress=None) -> bool:
    """Rebuild the index if it was built in an older format (an upgraded database); True if it
    was rebuilt. Until then a posting could carry a weaker marking than the value it came from."""
    if index_is_current(engine):
        return False
    rebuild_index(engine, progress=progress)
    return True


def reindex_people(connection: Connection, record_ids: Iterable[int]) -> int:
    """Re-index these person records as the records capability now holds them (after a change
    of values or of master person)."""
    return index_people(connection, people_for_index(connection, record_ids))


def rebuild_index(engine: Engine, *, progress=None) -> int:
    """Index every person record afresh from the records capability.

    A million people make some fifteen million keys. Inserted into the indexed table as they
    come, every one lands at a random place in two B-trees; instead the keys go to an unindexed
    staging table and are copied across in key order, and the person-id index is built once
    at the end, by sorting."""
    total = 0
    counts: Counter = Counter()
    with engine.begin() as connection:
        connection.execute(search_keys.delete())
        connection.execute(search_people.delete())
        connection.execute(search_key_counts.delete())
        connection.execute(search_caveat_sets.delete())
        connection.exec_driver_sql("DROP INDEX IF EXISTS ix_search_keys_person_id")
        connection.exec_driver_sql(
            "CREATE TEMPORARY TABLE search_keys_staging (key VARCHAR(120) NOT NULL, person_id INTEGER NOT NULL,"
            " clearance INTEGER NOT NULL, caveats VARCHAR(500) NOT NULL)"
        )
        staging = sa.table("search_keys_staging", sa.column("key"), sa.column("person_id"), sa.column("clearance"),
                           sa.column("caveats"))
        for batch in iter_people_for_index(connection, batch_size=50_000):
            counts.update(_index(connection, batch, fresh=True, keys_table=staging))
            total += len(batch)
            if progress is not None:
                progress(len(batch))
        connection.exec_driver_sql(
            "INSERT INTO search_keys (key, person_id, clearance, caveats)"
            " SELECT key, person_id, clearance, caveats FROM search_keys_staging ORDER BY key, person_id"
        )
        connection.exec_driver_sql("DROP TABLE search_keys_staging")
        connection.exec_driver_sql("CREATE INDEX ix_search_keys_person_id ON search_keys (person_id)")
        _bulk_insert(connection, search_key_counts, ("key", "clearance", "caveats", "records"),
                     [(*group, n) for group, n in sorted(counts.items())])
        connection.execute(search_meta.delete().where(search_meta.c.name == "format"))
        connection.execute(search_meta.insert().values(name="format", value=INDEX_FORMAT))
    if engine.dialect.name == "postgresql":
        # Index-only scans of the postings need the visibility map a VACUUM writes; left to
        # autovacuum, searches would visit the table for every posting until it ran.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) search_keys, search_people, search_key_counts")
    return total


@dataclass
class PersonHit:
    master_id: int
    score: float
    names: list[str]
    dates_of_birth: list[str]
    postcodes: list[str]
    source_systems: list[str]
    records: int
    matched: list[str] = field(default_factory=list)
    withheld: bool = False  # some values of this person were withheld from the searcher


def _caveat_sets(connection: Connection) -> list[str]:
    return list(connection.execute(sa.select(search_caveat_sets.c.caveats)).scalars())


def _admitted_caveat_sets(connection: Connection, viewer: Viewer) -> list[str]:
    rows = _caveat_sets(connection)
    return [c for c in rows if all(viewer.holds(part) for part in c.split("|") if part)]


def _candidates(connection: Connection, viewer: Viewer, query: PersonQuery, limit: int) -> list[int]:
    keys = query_keys(query)
    admitted = _admitted_caveat_sets(connection, viewer)
    if not admitted:
        return []
    clearance = int(viewer.clearance)
    if not keys:  # age range alone: the index on date of birth
        return _by_age(connection, query, clearance, admitted, limit)
    return _scored_candidates(connection, keys, clearance, admitted, limit)


SHORTLIST = 100  # candidates found by the rare keys whose common keys are then looked up as well


def _scored_candidates(connection: Connection, keys: dict[str, float], clearance: int, admitted: list[str],
                       limit: int) -> list[int]:
    """The ``limit`` best candidates by the keys they share with the query, scored in the database.

    One statement, whatever the query. The rarest keys find the candidates, up to FINDING
    postings between them (always at least the rarest one; a key held by nobody the user may see
    finds nobody), counting only postings the user may see, so that which keys find says nothing
    of hidden records; the
    best ``SHORTLIST`` of those people by their rare keys (each person's best weight per kind of
    key, summed) then get a primary-key seek per common key, so a common surname adds to a
    candidate's score without its thirty thousand postings being read. On an index small enough
    that every key fits, every key finds, as a plain OR would. Only postings the user may see take
    part: a key made from a withheld value neither finds nor ranks anyone."""
    params: dict[str, Any] = {"clearance": clearance, "shortlist": max(SHORTLIST, limit), "limit": limit,
                              "finding": FINDING}
    asked = sorted(keys.items())
    arrays = connection.dialect.name == "postgresql"
    if arrays:
        params.update(keys=[key for key, _ in asked], kinds=[key.split(":", 1)[0] for key, _ in asked],
                      weights=[float(weight) for _, weight in asked], admitted=list(admitted))
    else:
        for i, (key, weight) in enumerate(asked):
            params.update({f"k{i}": key, f"c{i}": key.split(":", 1)[0], f"w{i}": float(weight)})
        for i, caveats in enumerate(admitted):
            params[f"a{i}"] = caveats
    statement = _candidates_statement(arrays, 0 if arrays else len(asked), 0 if arrays else len(admitted))
    return list(connection.execute(statement, params).scalars())


@lru_cache(maxsize=256)
def _candidates_statement(arrays: bool, keys: int, admitted: int) -> sa.TextClause:
    """The statement of _scored_candidates, built once per shape: building and parsing it again
    for every search cost a tenth of a millisecond."""
    if arrays:
        # Arrays, so the statement's text is the same for every query: the driver prepares it
        # once per connection and PostgreSQL stops planning it afresh for each search.
        asked_rows = ("SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:kinds AS text[]),"
                      " CAST(:weights AS float8[])) AS a(key, kind, weight)")
        visible = "k.clearance <= :clearance AND k.caveats = ANY(CAST(:admitted AS text[]))"
    else:
        asked_rows = f"VALUES {', '.join(f'(:k{i}, :c{i}, :w{i})' for i in range(keys))}"
        visible = f"k.clearance <= :clearance AND k.caveats IN ({', '.join(f':a{i}' for i in range(admitted))})"
    # Each (shortlisted person, common key) pair is a correlated scalar subquery: one primary-key
    # seek. As a join (or an EXISTS, which PostgreSQL turns into one) the planners read every
    # posting of the common keys first, for a Bloom filter (SQLite) or a hash table (PostgreSQL).
    sql = f"""
        WITH asked(key, kind, weight) AS ({asked_rows}),
        q AS (
            SELECT a.key AS key, a.kind AS kind, a.weight AS weight,
                   CASE WHEN row_number() OVER w = 1 OR sum(c.records) OVER w <= :finding THEN 1 ELSE 0 END AS finds
            FROM asked a JOIN (
                SELECT k.key AS key, sum(k.records) AS records FROM search_key_counts k
                WHERE k.key IN (SELECT key FROM asked) AND {visible} GROUP BY k.key) c ON c.key = a.key
            WINDOW w AS (ORDER BY c.records, a.key)),
        rare AS (
            SELECT k.person_id AS person_id, q.kind AS kind, max(q.weight) AS weight
            FROM q JOIN search_keys k ON k.key = q.key
            WHERE q.finds = 1 AND {visible}
            GROUP BY k.person_id, q.kind),
        shortlist AS (
            SELECT person_id FROM rare GROUP BY person_id ORDER BY sum(weight) DESC, person_id LIMIT :shortlist),
        hits AS (
            SELECT r.person_id AS person_id, r.kind AS kind, r.weight AS weight
            FROM rare r WHERE r.person_id IN (SELECT person_id FROM shortlist)
            UNION ALL
            SELECT s.person_id, q.kind, q.weight
            FROM shortlist s CROSS JOIN q
            WHERE q.finds = 0 AND (SELECT 1 FROM search_keys k
                                   WHERE k.key = q.key AND k.person_id = s.person_id AND {visible}) IS NOT NULL),
        best AS (SELECT person_id, kind, max(weight) AS weight FROM hits GROUP BY person_id, kind)
        SELECT person_id FROM best GROUP BY person_id ORDER BY sum(weight) DESC, person_id LIMIT :limit"""
    return sa.text(sql)


# Postings read to find the records an arriving record might duplicate (see records_sharing_keys).
SHARING_POSTINGS = 5000


def records_sharing_keys(bind: Engine | Connection, values: dict[str, Any], *,
                         postings: int = SHARING_POSTINGS) -> list[int]:
    """Person records that share a search key with ``values`` (a person record's fields): the
    records a linkage model should compare an arriving record with, instead of all of them.

    For linkage, which sees every record, so markings are not applied: never show the result to
    a user. The rarest keys are read first, up to ``postings`` postings between them, so a common
    surname or given name on its own adds no one (and a record with nothing rarer finds no one);
    the keys that pair names, or give a date of birth, a postcode or an identifier, find the
    duplicates a linkage model's blocking rules would."""
    keys = sorted(person_key_fields(values))
    if not keys:
        return []
    with within_transaction(bind) as connection:
        counts = connection.execute(
            sa.select(search_key_counts.c.key, sa.func.sum(search_key_counts.c.records))
            .where(search_key_counts.c.key.in_(keys)).group_by(search_key_counts.c.key)).all()
        chosen, total = [], 0
        for key, records in sorted(counts, key=lambda row: (row[1], row[0])):
            if total + records > postings:
                break
            chosen.append(key)
            total += records
        if not chosen:
            return []
        return sorted(set(connection.execute(
            sa.select(search_keys.c.person_id).where(search_keys.c.key.in_(chosen))).scalars()))


def _years_ago(years: int, today: date) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _age_bounds(query: PersonQuery, today: date) -> tuple[date | None, date | None]:
    """Born on or after ``earliest`` and on or before ``latest`` for the age range asked."""
    latest = _years_ago(query.age_min, today) if query.age_min is not None else None
    earliest = None
    if query.age_max is not None:
        earliest = _years_ago(query.age_max + 1, today)
    return earliest, latest


def _by_age(connection, query, clearance, admitted, limit) -> list[int]:
    earliest, latest = _age_bounds(query, date.today())
    select = sa.select(search_people.c.person_id).where(
        search_people.c.clearance <= clearance, search_people.c.caveats.in_(admitted),
        search_people.c.date_of_birth.is_not(None))
    if earliest:
        select = select.where(search_people.c.date_of_birth > earliest)
    if latest:
        select = select.where(search_people.c.date_of_birth <= latest)
    return list(connection.execute(select.order_by(search_people.c.person_id).limit(limit)).scalars())


@lru_cache(maxsize=100_000)
def _name_score(wanted: str, given: str, family: str) -> tuple[float, str | None]:
    best, what = 0.0, None
    for value, label, weight in ((family, "family name", 4.0), (given, "given name", 3.0)):
        for token in clean(value).split():
            if token == wanted:
                score = weight
            elif label == "given name" and set(formal_names(token)) & set(formal_names(wanted)):
                score = weight * 0.9
            else:
                close = jellyfish.jaro_winkler_similarity(token, wanted) >= 0.9 or bool(
                    one_slip_forms(token) & one_slip_forms(wanted))
                score = weight * 0.7 if close else weight * 0.4 if metaphone(token) == metaphone(wanted) else 0.0
            if score > best:
                best, what = score, label
    return best, what


def _score(query: PersonQuery, values: dict, today: date) -> tuple[float, list[str]] | None:
    """Score one visible record; None when it fails a hard filter (age range, exact ids)."""
    score, matched = 0.0, []
    given, family = values.get("given_name") or "", values.get("family_name") or ""
    names = list(query.names)
    for token in names + clean(query.given_name).split() + clean(query.family_name).split():
        points, what = _name_score(token, given, family)
        score += points
        if what:
            matched.append(what)
    dob = _as_date(values.get("date_of_birth"))
    if query.date_of_birth:
        wanted = query.date_of_birth
        if dob == wanted:
            score, matched = score + 5, matched + ["date of birth"]
        elif dob and dob.year == wanted.year and dob.month == wanted.day and dob.day == wanted.month:
            score, matched = score + 3, matched + ["date of birth (day and month swapped)"]
        elif dob and dob.year == wanted.year:
            score += 0.5
    if query.age_min is not None or query.age_max is not None:
        earliest, latest = _age_bounds(query, today)
        if dob is None or (earliest and dob <= earliest) or (latest and dob > latest):
            return None
    if query.postcode:
        wanted_parts, have = postcode_parts(query.postcode), postcode_parts(values.get("postcode"))
        if have and wanted_parts and have[0] == wanted_parts[0]:
            score, matched = score + 3, matched + ["postcode"]
        elif have and wanted_parts and have[1] == wanted_parts[1]:
            score, matched = score + 1, matched + ["postcode sector"]
    if query.phone:
        if phone_key(values.get("phone")) == phone_key(query.phone):
            score, matched = score + 6, matched + ["phone"]
    if query.identifier:
        wanted_id = identifier_key(query.identifier)
        if any(identifier_key(values.get(k)) == wanted_id for k in ("pnc_id", "ni_number", "driving_licence")):
            score, matched = score + 10, matched + ["identifier"]
    return (score, matched) if score > 0 or not _needs_match(query) else None


def _needs_match(query: PersonQuery) -> bool:
    return bool(query.names or query.given_name or query.family_name or query.date_of_birth or query.postcode
                or query.phone or query.identifier)


def search_people_for(bind: Engine | Connection, viewer: Viewer, query: PersonQuery, *, limit: int = 20) -> list[PersonHit]:
    """People matching ``query`` as ``viewer`` may see them, best first, one hit per master person.

    Candidates come from the index; every score is computed again on the values the access
    module shows this viewer, so a withheld field can neither find nor rank a person.
    """
    if query.empty:
        return []
    today = date.today()
    with within_transaction(bind) as connection:
        candidate_ids = _candidates(connection, viewer, query, CANDIDATES_PER_RESULT * max(limit, 20))
        visible, masters = people_and_masters(connection, viewer, candidate_ids, with_raw=False)
        best: dict[int, tuple[float, list[str]]] = {}
        for person_id, view in visible.items():
            master_id = masters.get(person_id)
            if master_id is None:
                continue
            scored = _score(query, view.values, today)
            if scored and (master_id not in best or scored[0] > best[master_id][0]):
                best[master_id] = scored
        ordered = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        members = members_of(connection, viewer, [master_id for master_id, _ in ordered], with_raw=False,
                             known=visible)
    hits = []
    for master_id, (score, matched) in ordered:
        views = members[master_id]
        hits.append(PersonHit(
            master_id=master_id,
            score=round(score, 2),
            names=sorted({f"{v.values.get('given_name') or ''} {v.values.get('family_name') or ''}".strip()
                          for v in views} - {""}),
            dates_of_birth=sorted({str(_as_date(v.values.get("date_of_birth"))) for v in views
                                   if _as_date(v.values.get("date_of_birth"))}),
            postcodes=sorted({v.values["postcode"] for v in views if v.values.get("postcode")}),
            source_systems=sorted({v.source_system for v in views}),
            records=len(views),
            matched=sorted(set(matched)),
            withheld=any(v.withheld for v in views),
        ))
    return hits
