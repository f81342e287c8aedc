"""Area rows as plain dicts: read a force's rows, change them in memory, write back the difference.

Every writer (lookup load, boundary derivation, GeoJSON import) works this way, so a re-run
that changes nothing writes nothing, and each run is one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection

from watchhouse.areas.model import DISTRICT, FORCE, NEIGHBOURHOOD
from watchhouse.areas.tables import areas

COLUMNS = [column.name for column in areas.columns]
_UPDATABLE = [name for name in COLUMNS if name != "code"]


@dataclass(frozen=True)
class Changes:
    inserted: int
    updated: int
    deleted: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.deleted


def blank_row(code: str, level: str, name: str, force_code: str) -> dict:
    row = dict.fromkeys(COLUMNS)
    row.update(code=code, level=level, name=name, force_code=force_code, boundary_approximate=True)
    return row


def read_rows(connection: Connection, force_codes: Iterable[str]) -> dict[str, dict]:
    """Every area of the given forces, keyed by code."""
    force_codes = sorted(set(force_codes))
    if not force_codes:
        return {}
    # Code first, so each row's key is row[0].
    columns = [areas.c.code, *(column for column in areas.columns if column.name != "code")]
    result = connection.execute(
        sa.select(*columns).where(areas.c.force_code.in_(force_codes)).order_by(areas.c.code)
    )
    keys = list(result.keys())
    return {row[0]: dict(zip(keys, row)) for row in result}


def write_changes(connection: Connection, before: dict[str, dict], after: dict[str, dict]) -> Changes:
    """Make the table match ``after`` for the codes in ``before`` ∪ ``after``."""
    inserts = [row for code, row in after.items() if code not in before]
    updates = [row for code, row in after.items() if code in before and row != before[code]]
    deletes = [code for code in before if code not in after]
    if deletes:
        for start in range(0, len(deletes), 500):
            connection.execute(sa.delete(areas).where(areas.c.code.in_(deletes[start : start + 500])))
    if inserts:
        connection.execute(sa.insert(areas), inserts)
    if updates:
        statement = (
            sa.update(areas)
            .where(areas.c.code == sa.bindparam("b_code"))
            .values({name: sa.bindparam(f"b_{name}") for name in _UPDATABLE})
        )
        connection.execute(statement, [{f"b_{k}": v for k, v in row.items()} for row in updates])
    return Changes(inserted=len(inserts), updated=len(updates), deleted=len(deletes))


def sum_populations(rows: dict[str, dict]) -> None:
    """Each area above LSOA gets the sum of its children's populations (None if none is known).

    Children are counted whatever their level, so an LSOA left directly under its district
    (no neighbourhood contains it) still counts towards the district.
    """
    for level in (NEIGHBOURHOOD, DISTRICT, FORCE):
        totals: dict[str, int] = defaultdict(int)
        known: set[str] = set()
        for row in rows.values():
            parent = rows.get(row["parent_code"]) if row["parent_code"] else None
            if parent is not None and parent["level"] == level and row["population"] is not None:
                totals[parent["code"]] += row["population"]
                known.add(parent["code"])
        for row in rows.values():
            if row["level"] == level:
                row["population"] = totals[row["code"]] if row["code"] in known else None
