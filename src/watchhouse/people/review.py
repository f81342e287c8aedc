"""The review queue: pairs of person records scored near the linkage threshold, and the
analysts' decisions on them.

Linkage queues the pairs it was least sure of; an analyst confirms that the two records are
one person or splits them. A decision changes the master persons at once and is kept for good:
every later linkage run must link confirmed pairs and may not link split ones, and decided
pairs never return to the queue.
Reading the two records of an item goes through the access module and is audited as a
consultation; a decision is audited as an alteration of how records are combined.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from watchhouse import audit, records
from watchhouse.access import Viewer
from watchhouse.access.permissions import Permission, allowed
from watchhouse.people.evidence import LinkReason, visible_reasons, visible_score
from watchhouse.people.tables import link_decisions, link_evidence, review_items

DECISIONS = ("confirm", "split")
REVIEW_PURPOSE = "review record links near the linkage threshold"
MAX_REASON = 500
PENDING, DECIDED = "pending", "decided"
# pg_advisory_xact_lock key that serialises decisions (any constant unique to this purpose).
DECISION_LOCK = 0x5748_5245_5649_4557 & 0x7FFF_FFFF_FFFF_FFFF


class ReviewError(ValueError):
    """A decision that cannot be taken as given (bad decision, missing reason, already decided)."""


class ReviewNotFound(LookupError):
    """No pending item with that id that this viewer may see."""


class ReviewDenied(PermissionError):
    """The viewer's role may not review links."""


@dataclass
class ReviewItem:
    id: int
    left: records.SourceRecordView
    right: records.SourceRecordView
    match_probability: float | None  # None when a reason is withheld from the viewer
    match_weight: float | None
    reasons: list[LinkReason]
    household_discounted: bool | None
    linked: bool  # whether the two records are one person now
    threshold: float
    queued_at: datetime
    score_withheld: bool = False
    # What every item in the queue says anyway, shown in place of a withheld score.
    score_band: str = "near the threshold"


@dataclass(frozen=True)
class Decision:
    id: int
    review_item_id: int | None
    person_id_l: int
    person_id_r: int
    decision: str
    reason: str
    decided_by: str
    decided_at: datetime


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _check_role(viewer: Viewer) -> None:
    if not allowed(viewer.role, Permission.REVIEW_LINKS):
        raise ReviewDenied(f"the {viewer.role.value} role may not review links")


def _purpose(viewer: Viewer) -> str:
    return (viewer.purpose or "").strip() or REVIEW_PURPOSE


# -- what linkage calls --------------------------------------------------------------------

def decided_pairs(bind: Engine | Connection) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(confirmed pairs, split pairs) of person record ids, for the next linkage run."""
    with _connection(bind) as connection:
        rows = connection.execute(
            sa.select(link_decisions.c.person_id_l, link_decisions.c.person_id_r, link_decisions.c.decision)
        ).all()
    must = [(row.person_id_l, row.person_id_r) for row in rows if row.decision == "confirm"]
    cannot = [(row.person_id_l, row.person_id_r) for row in rows if row.decision == "split"]
    return must, cannot


def replace_pending(connection: Connection, rows: Iterable[Mapping[str, Any]], *, now: datetime) -> int:
    """Make the pending queue this run's near-threshold pairs. A pair still pending keeps its id
    (an analyst may have the page open) with the new scores; decided pairs are never queued."""
    rows = {_pair(int(r["person_id_l"]), int(r["person_id_r"])): dict(r) for r in rows}
    decided = {_pair(a, b) for a, b in connection.execute(
        sa.select(link_decisions.c.person_id_l, link_decisions.c.person_id_r)).all()}
    existing = {(row.person_id_l, row.person_id_r): row.id for row in connection.execute(
        sa.select(review_items.c.id, review_items.c.person_id_l, review_items.c.person_id_r)
        .where(review_items.c.status == PENDING))}
    stale = [item_id for pair, item_id in existing.items() if pair not in rows or pair in decided]
    for start in range(0, len(stale), 500):
        connection.execute(review_items.delete().where(review_items.c.id.in_(stale[start:start + 500])))
    inserts = []
    for pair, row in rows.items():
        if pair in decided:
            continue
        values = {**row, "person_id_l": pair[0], "person_id_r": pair[1], "status": PENDING, "queued_at": now}
        if pair in existing:
            values.pop("queued_at")  # it has been waiting since it was first queued
            connection.execute(review_items.update().where(review_items.c.id == existing[pair]).values(**values))
        else:
            inserts.append(values)
    for start in range(0, len(inserts), 5000):
        connection.execute(review_items.insert(), inserts[start:start + 5000])
    return sum(1 for pair in rows if pair not in decided)


# -- what analysts call --------------------------------------------------------------------

def _item(row: Any, views: Mapping[int, records.SourceRecordView], masters: Mapping[int, int]) -> ReviewItem | None:
    left, right = views.get(row.person_id_l), views.get(row.person_id_r)
    if left is None or right is None:
        return None  # a record above the viewer: they cannot judge the pair, nor learn it exists
    reasons = visible_reasons(row.reasons, set(left.withheld) | set(right.withheld))
    score = visible_score(reasons, row.match_probability, row.match_weight, row.household_discounted)
    return ReviewItem(
        id=row.id, left=left, right=right, match_probability=score.match_probability,
        match_weight=score.match_weight, reasons=reasons, household_discounted=score.household_discounted,
        score_withheld=score.withheld,
        # As the records stand now: a decision on another pair may have moved one of them since the run.
        linked=masters.get(row.person_id_l, -1) == masters.get(row.person_id_r, -2), threshold=row.threshold,
        queued_at=row.queued_at,
    )


def review_queue(engine: Engine, viewer: Viewer, *, client: str, limit: int = 25) -> list[ReviewItem]:
    """Pending pairs the viewer may see both records of, least certain first; audited as a read."""
    _check_role(viewer)
    limit = max(1, min(int(limit), 200))
    uncertainty = sa.func.abs(review_items.c.match_probability - review_items.c.threshold)
    found: list[ReviewItem] = []
    with engine.begin() as connection:
        offset = 0
        while len(found) < limit:
            rows = connection.execute(
                sa.select(review_items).where(review_items.c.status == PENDING)
                .order_by(uncertainty, review_items.c.id).limit(limit * 2).offset(offset)
            ).all()
            if not rows:
                break
            offset += len(rows)
            ids = {i for row in rows for i in (row.person_id_l, row.person_id_r)}
            views = records.get_records(connection, viewer, "person", ids)
            masters = records.masters_of(connection, ids)
            found += [item for row in rows if (item := _item(row, views, masters)) is not None]
        found = found[:limit]
        if found:
            audit.record(connection, actor=viewer.user_id, action="consultation", purpose=_purpose(viewer),
                         client=client,
                         record_ids=sorted({f"person-record:{r.id}" for item in found for r in (item.left, item.right)}),
                         detail={"review_items": [item.id for item in found]})
    return found


def _clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ReviewError("give a reason for the decision: what in the records shows it")
    if len(text) > MAX_REASON:
        raise ReviewError(f"the reason is longer than {MAX_REASON} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ReviewError("the reason contains control characters")
    return text


def decide(engine: Engine, viewer: Viewer, item_id: int, decision: str, reason: str | None, *,
           client: str) -> Decision:
    """Confirm (one person) or split (two people) a queued pair, at once and for good; audited
    with the reason and the records it moved."""
    _check_role(viewer)
    decision = (decision or "").strip().lower()
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
    text = _clean_reason(reason)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Decisions are rare and human-paced: one at a time, so two analysts cannot each pass
            # the checks below on a state the other is changing (same pair, or a chain of pairs).
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": DECISION_LOCK})
        row = connection.execute(sa.select(review_items).where(review_items.c.id == item_id)).first()
        views = records.get_records(connection, viewer, "person", [row.person_id_l, row.person_id_r]) if row else {}
        if row is None or len(views) < 2:
            raise ReviewNotFound(f"no review item {item_id} is available to you")
        # Claiming the item is the first write: on SQLite it takes the database's write lock, so
        # everything read after it is current; a claim that finds the item decided changes nothing.
        claimed = connection.execute(review_items.update().where(
            (review_items.c.id == row.id) & (review_items.c.status == PENDING)).values(status=DECIDED)).rowcount
        if row.status != PENDING or not claimed:
            raise ReviewError(f"review item {item_id} has already been decided")
        _refuse_contradiction(connection, row.person_id_l, row.person_id_r, decision)
        try:  # the whole decision is rolled back: nothing half-written
            decision_id = connection.execute(link_decisions.insert().values(
                person_id_l=row.person_id_l, person_id_r=row.person_id_r, decision=decision, reason=text,
                decided_by=viewer.user_id, decided_at=now, review_item_id=row.id,
                match_probability=row.match_probability,
            )).inserted_primary_key[0]
        except sa.exc.IntegrityError:
            raise ReviewError(f"review item {item_id} has already been decided (its pair of records has a "
                              "decision)") from None
        moved = _apply(connection, row, decision, decision_id, now)
        audit.record(connection, actor=viewer.user_id, action="alteration", purpose=_purpose(viewer), client=client,
                     record_ids=[f"person-record:{row.person_id_l}", f"person-record:{row.person_id_r}",
                                 *(f"person-record:{i}" for i in sorted(set(moved) - {row.person_id_l, row.person_id_r}))],
                     detail={"link_decision": decision, "reason": text, "review_item": row.id,
                             "match_probability": round(row.match_probability, 6),
                             "moved_records": {str(k): v for k, v in sorted(moved.items())},
                             "takes_effect": "now"})
    return Decision(decision_id, row.id, row.person_id_l, row.person_id_r, decision, text, viewer.user_id, now)


def _describe(decisions: Iterable[Any]) -> str:
    # Decisions are named without their records: a chain can run through records above the
    # clearance of the analyst being refused, and even their ids say that such records exist.
    return "; ".join(f"decision {d.id}, {'a confirmation' if d.decision == 'confirm' else 'a split'} "
                     f"by {d.decided_by}" for d in decisions)


def _confirm_path(adjacent: Mapping[int, list[tuple[int, Any]]], start: int, goal: int) -> list[Any] | None:
    """The confirmed decisions that chain ``start`` to ``goal`` (breadth first), or None."""
    if start == goal:
        return []
    came: dict[int, tuple[int, Any] | None] = {start: None}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for other, taken in adjacent.get(node, []):
                if other in came:
                    continue
                came[other] = (node, taken)
                if other == goal:
                    path = []
                    while came[other] is not None:
                        other, taken = came[other]
                        path.append(taken)
                    return path[::-1]
                following.append(other)
        frontier = following
    return None


def _refuse_contradiction(connection: Connection, a: int, b: int, decision: str) -> None:
    """A decision that contradicts earlier ones through the records they tie together is refused,
    naming them: split A-C after confirming A-B and B-C; confirm A-C after splitting A-B and
    confirming B-C; or a confirmation whose two people hold records split apart before."""
    taken = connection.execute(sa.select(link_decisions)).all()
    if same := [d for d in taken if {d.person_id_l, d.person_id_r} == {a, b}]:
        raise ReviewError(f"records {a} and {b} have already been decided ({_describe(same)})")
    adjacent: dict[int, list[tuple[int, Any]]] = {}
    for d in taken:
        if d.decision == "confirm":
            adjacent.setdefault(d.person_id_l, []).append((d.person_id_r, d))
            adjacent.setdefault(d.person_id_r, []).append((d.person_id_l, d))
    if decision == "split":
        path = _confirm_path(adjacent, a, b)
        if path:
            raise ReviewError(f"splitting records {a} and {b} contradicts earlier decisions that make them one "
                              f"person ({_describe(path)}); those would have to be undone first")
        return
    for d in taken:
        if d.decision != "split":
            continue
        p, q = d.person_id_l, d.person_id_r
        # After confirming a-b, p and q are one person if each is chained to a or to b.
        reach_p = next((path for end in (a, b) if (path := _confirm_path(adjacent, p, end)) is not None), None)
        reach_q = next((path for end in (a, b) if (path := _confirm_path(adjacent, q, end)) is not None), None)
        if reach_p is not None and reach_q is not None:
            chain = {c.id: c for c in reach_p + reach_q}
            raise ReviewError(f"confirming records {a} and {b} as one person contradicts earlier decisions "
                              f"({_describe([d, *chain.values()])})")
    system = Viewer.system("check an analyst's link decision against earlier ones")
    masters = records.masters_of(connection, [a, b])
    together = {v.id for views in records.members_of(
        connection, system, {masters.get(a, -1), masters.get(b, -2)}, with_raw=False).values() for v in views}
    clash = [d for d in taken if d.decision == "split" and d.person_id_l in together and d.person_id_r in together]
    if clash:
        raise ReviewError(f"confirming records {a} and {b} would make one person of records split apart before "
                          f"({_describe(clash)}); split the linked records from their person first")


def _confirmed_groups(connection: Connection) -> dict[int, int]:
    """Record id -> a representative of the records tied to it by confirmed decisions."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in connection.execute(sa.select(link_decisions.c.person_id_l, link_decisions.c.person_id_r)
                                   .where(link_decisions.c.decision == "confirm")):
        parent[find(a)] = find(b)
    return {x: find(x) for x in parent}


def _apply(connection: Connection, row: Any, decision: str, decision_id: int, now: datetime) -> dict[int, int]:
    """Make the decision true of the master persons at once, as the next linkage run will keep it
    (confirmed pairs must link, split pairs cannot). Returns {moved record id: its new master}.

    Confirm: the two records' masters become one (the smaller joins the larger). Split: of the
    two records, the one tied by confirmed decisions to fewer records of the master leaves it,
    with those it is tied to, for a master of its own. Moved records are re-indexed for search.
    """
    from watchhouse.search import reindex_people

    system = Viewer.system("apply an analyst's link decision to the master persons")
    a, b = row.person_id_l, row.person_id_r
    masters = records.masters_of(connection, [a, b])
    if a not in masters or b not in masters:
        return {}
    members = {master: [view.id for view in views] for master, views in
               records.members_of(connection, system, {masters[a], masters[b]}, with_raw=False).items()}
    moved: dict[int, int] = {}
    if decision == "confirm":
        if masters[a] == masters[b]:
            return {}
        keep, leave = sorted((masters[a], masters[b]), key=lambda m: (-len(members.get(m, [])), m))
        target = records.assign_to_master(connection, members[leave], master_id=keep, now=now)
        moved = {record_id: target for record_id in members[leave]}
        connection.execute(link_evidence.delete().where(
            (link_evidence.c.person_id_l == a) & (link_evidence.c.person_id_r == b)))
        connection.execute(link_evidence.insert().values(
            person_id_l=a, person_id_r=b, match_probability=row.match_probability, match_weight=row.match_weight,
            reasons=row.reasons, household_discounted=row.household_discounted, decision="confirm", linked_at=now))
    else:
        if masters[a] != masters[b]:
            return {}
        master = masters[a]
        groups = _confirmed_groups(connection)
        here = members[master]

        def tied(record_id: int) -> list[int]:
            group = groups.get(record_id)
            return [r for r in here if r == record_id or (group is not None and groups.get(r) == group)]

        # The record with fewer ties leaves; on a tie the newer record (higher id) leaves.
        stay, go = sorted((a, b), key=lambda r: (-len(tied(r)), r))
        leaving = tied(go)
        # A key no master has ever had: a "record:"/"linked:" key may still name a master that
        # holds other records (one the leaving record was first, then moved out of).
        target = records.assign_to_master(connection, leaving, f"split:{decision_id}", now=now)
        moved = {record_id: target for record_id in leaving}
    if moved:
        reindex_people(connection, moved)
    return moved


class _connection:
    """A connection from an engine (closed after) or the caller's own (left open)."""

    def __init__(self, bind: Engine | Connection) -> None:
        self.bind = bind
        self.owned: Connection | None = None

    def __enter__(self) -> Connection:
        if isinstance(self.bind, Connection):
            return self.bind
        self.owned = self.bind.connect()
        return self.owned

    def __exit__(self, *exc) -> None:
        if self.owned is not None:
            self.owned.close()
