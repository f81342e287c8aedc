"""Data-quality report per source system: the evidence that joining up improves the data.

For each system: how many person records it holds, which fields are missing and how often,
which stored values are invalid (impossible dates of birth, malformed postcodes), how many of
its records are duplicates of each other once the linkage engine has clustered them, how many
are the same people as records in other systems, and where it disagrees with those systems.
Counts cover only records the viewer may see, so the report itself leaks nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from watchhouse.access import Viewer, can_see
from watchhouse.records.convert import marking_from_columns
from watchhouse.records.store import within_transaction
from watchhouse.records.tables import master_person_members, record_people

CHECKED_FIELDS = ("given_name", "family_name", "date_of_birth", "address", "postcode", "phone", "sex",
                  "pnc_id", "ni_number")
CONFLICT_FIELDS = ("given_name", "family_name", "date_of_birth", "postcode")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass
class SystemQuality:
    system: str
    person_records: int = 0
    missing: dict[str, int] = field(default_factory=dict)  # field -> records without it
    invalid: dict[str, int] = field(default_factory=dict)  # field -> records with an unusable value
    duplicates_within: int = 0  # records that are a further copy of someone this system already holds
    shared_with_other_systems: int = 0  # records whose person other systems also hold
    conflicts: dict[str, int] = field(default_factory=dict)  # field -> records disagreeing with another system
    quarantined_rows: int | None = None  # filled in by the caller from the loaders' quarantine

    def missing_share(self, name: str) -> float:
        return self.missing.get(name, 0) / self.person_records if self.person_records else 0.0


def _visible_filter(connection: Connection, viewer: Viewer):
    """A WHERE clause admitting exactly the person records the viewer may see."""
    combos = connection.execute(sa.select(record_people.c.marking, record_people.c.caveats).distinct()).all()
    allowed = [(m, c) for m, c in combos if can_see(viewer, marking_from_columns(m, c))]
    if not allowed:
        return sa.false()
    return sa.or_(*[(record_people.c.marking == m) & (record_people.c.caveats == c) for m, c in allowed])


def quality_report(bind: Engine | Connection, viewer: Viewer) -> list[SystemQuality]:
    """One SystemQuality per source system holding person records the viewer may see."""
    p = record_people
    with within_transaction(bind) as connection:
        visible = _visible_filter(connection, viewer)
        report: dict[str, SystemQuality] = {}
        columns = [sa.func.count().label("total")] + [
            sa.func.sum(sa.case(((getattr(p.c, name).is_(None)) | (sa.cast(getattr(p.c, name), sa.String) == ""), 1),
                                else_=0)).label(name)
            for name in CHECKED_FIELDS
        ]
        for row in connection.execute(sa.select(p.c.source_system, *columns).where(visible).group_by(p.c.source_system)):
            quality = SystemQuality(row.source_system, row.total)
            quality.missing = {name: int(getattr(row, name) or 0) for name in CHECKED_FIELDS}
            report[row.source_system] = quality
        if not report:
            return []
        today = date.today()
        for system, count in connection.execute(
            sa.select(p.c.source_system, sa.func.count())
            .where(visible, (p.c.date_of_birth > today) | (p.c.date_of_birth < EARLIEST_BIRTH))
            .group_by(p.c.source_system)
        ):
            report[system].invalid["date_of_birth"] = count
        for system, postcode, count in connection.execute(
            sa.select(p.c.source_system, p.c.postcode, sa.func.count())
            .where(visible, p.c.postcode.is_not(None)).group_by(p.c.source_system, p.c.postcode)
        ):
            if postcode and not _POSTCODE.match(postcode):
                report[system].invalid["postcode"] = report[system].invalid.get("postcode", 0) + count

        members = (
            sa.select(p.c.id, p.c.source_system, master_person_members.c.master_id, *[p.c[f] for f in CONFLICT_FIELDS])
            .join(master_person_members, master_person_members.c.person_id == p.c.id)
            .where(visible)
            .subquery()
        )
        per_master = (
            sa.select(members.c.master_id, members.c.source_system, sa.func.count().label("n"))
            .group_by(members.c.master_id, members.c.source_system)
            .subquery()
        )
        for system, extra in connection.execute(
            sa.select(per_master.c.source_system, sa.func.sum(per_master.c.n - 1)).group_by(per_master.c.source_system)
        ):
            report[system].duplicates_within = int(extra or 0)
        systems_per_master = (
            sa.select(per_master.c.master_id, sa.func.count().label("systems"))
            .group_by(per_master.c.master_id).having(sa.func.count() > 1).subquery()
        )
        for system, shared in connection.execute(
            sa.select(per_master.c.source_system, sa.func.sum(per_master.c.n))
            .join(systems_per_master, systems_per_master.c.master_id == per_master.c.master_id)
            .group_by(per_master.c.source_system)
        ):
            report[system].shared_with_other_systems = int(shared or 0)

        mine, theirs = members.alias("mine"), members.alias("theirs")
        disagreeing: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for name in CONFLICT_FIELDS:
            rows = connection.execute(
                sa.select(mine.c.source_system, mine.c.id).distinct()
                .join(theirs, (theirs.c.master_id == mine.c.master_id) & (theirs.c.source_system != mine.c.source_system))
                .where(mine.c[name].is_not(None), theirs.c[name].is_not(None),
                       sa.func.lower(sa.cast(mine.c[name], sa.String)) != sa.func.lower(sa.cast(theirs.c[name], sa.String)))
            )
            for system, record_id in rows:
                disagreeing[system][name].add(record_id)
        for system, fields in disagreeing.items():
            report[system].conflicts = {name: len(ids) for name, ids in fields.items()}
        return sorted(report.values(), key=lambda q: q.system)
