"""Point-in-neighbourhood lookups, served from an in-memory STRtree per database.

Built on first use and dropped whenever this process writes boundaries. Another process
(say ``watchhouse areas import`` while the server runs) is noticed by re-checking a cheap
signature of the stored boundaries at most every ``RECHECK_SECONDS``.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Engine

from watchhouse.areas.model import NEIGHBOURHOOD
from watchhouse.areas.tables import areas

RECHECK_SECONDS = 30.0


@dataclass
class _NeighbourhoodIndex:
    signature: str
    checked_at: float
    tree: object  # shapely.STRtree
    geometries: list
    codes: list[str]
    approximate: list[bool]


_indexes: weakref.WeakKeyDictionary[Engine, _NeighbourhoodIndex] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def invalidate(engine: Engine) -> None:
    with _lock:
        _indexes.pop(engine, None)


def _signature(engine: Engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(areas.c.code, areas.c.boundary_source, areas.c.boundary_approximate)
            .where(areas.c.level == NEIGHBOURHOOD, areas.c.boundary_geojson.is_not(None))
            .order_by(areas.c.code)
        )
        for code, source, approximate in rows:
            digest.update(f"{code}\x1f{source}\x1f{approximate}\x1e".encode())
    return digest.hexdigest()


def _build(engine: Engine, signature: str) -> _NeighbourhoodIndex:
    import shapely

    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(areas.c.code, areas.c.boundary_geojson, areas.c.boundary_approximate)
            .where(areas.c.level == NEIGHBOURHOOD, areas.c.boundary_geojson.is_not(None))
            .order_by(areas.c.code)
        ).all()
    geometries = [shapely.from_geojson(row.boundary_geojson) for row in rows]
    shapely.prepare(geometries)
    return _NeighbourhoodIndex(
        signature=signature,
        checked_at=time.monotonic(),
        tree=shapely.STRtree(geometries),
        geometries=geometries,
        codes=[row.code for row in rows],
        approximate=[bool(row.boundary_approximate) for row in rows],
    )


def _index(engine: Engine) -> _NeighbourhoodIndex:
    with _lock:
        index = _indexes.get(engine)
        now = time.monotonic()
        if index is not None and now - index.checked_at < RECHECK_SECONDS:
            return index
        signature = _signature(engine)
        if index is not None and index.signature == signature:
            index.checked_at = now
            return index
        index = _build(engine, signature)
        _indexes[engine] = index
        return index


def neighbourhood_code_at(engine: Engine, lat: float, lng: float) -> str | None:
    """Code of the neighbourhood whose boundary covers the point; real boundaries win over approximate."""
    import shapely

    index = _index(engine)
    point = shapely.Point(lng, lat)
    hits = index.tree.query(point, predicate="covered_by")
    if len(hits) == 0:
        return None
    best = min(hits, key=lambda i: (index.approximate[i], index.codes[i]))
    return index.codes[best]
