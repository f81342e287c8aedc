"""Aggregate counts of street crimes: by LSOA, month and category, and by map position.

The public crime map and the neighbourhood figures need totals, never individual rows, so
every function here groups in SQL. Positions are police.uk's anonymised map points.

A map pans and zooms many times a visit, so a month's crimes are grouped by map point and
category once (tens of thousands of rows for a force) and kept in memory; each map request
then filters and grids that in numpy. Cached results are keyed by the crimes data version,
which every write bumps (see ``crimes_0002``), so they are never stale.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Engine

from watchhouse.crimes import query
from watchhouse.crimes.tables import crimes, map_points

MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# SQLite's default cap on bound parameters is 32,766; stay well under it per statement.
_IN_LIST_CHUNK = 5000
_CACHE_ENTRIES = 48


@dataclass(frozen=True)
class LsoaCategoryCount:
    lsoa_code: str
    month: str
    category: str
    count: int


@dataclass(frozen=True)
class BoundingBox:
    south: float
    west: float
    north: float
    east: float

    def __post_init__(self) -> None:
        if not (-90 <= self.south <= self.north <= 90):
            raise ValueError(f"bounding box latitudes must satisfy -90 <= south <= north <= 90, got {self}")
        if not (-180 <= self.west <= self.east <= 180):
            raise ValueError(f"bounding box longitudes must satisfy -180 <= west <= east <= 180, got {self}")

    @property
    def area(self) -> float:
        return (self.north - self.south) * (self.east - self.west)


@dataclass(frozen=True)
class PointCount:
    """Crimes at one place: a police.uk map point, or the members of one grid cell."""

    latitude: float
    longitude: float
    count: int
    # Only for single map points: the published street description and counts by category.
    name: str | None = None
    categories: dict[str, int] = field(default_factory=dict)


def check_month(month: str) -> str:
    if not isinstance(month, str) or not MONTH_PATTERN.match(month):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return month


def months_with_crimes(engine: Engine, force_code: str | None = None) -> list[str]:
    """Months that have any street crime loaded (for ``force_code`` if given), oldest first."""
    # A skip scan over the (month, ...) index: one index seek per month instead of reading
    # every row, which DISTINCT would do on both SQLite and PostgreSQL.
    next_month = sa.select(sa.func.min(crimes.c.month)).where(crimes.c.month > sa.bindparam("after"))
    force_has_month = sa.select(sa.literal(1)).where(
        crimes.c.month == sa.bindparam("month"), crimes.c.force_code == force_code
    ).limit(1)
    months: list[str] = []
    with engine.connect() as connection:
        month = connection.execute(next_month, {"after": ""}).scalar()
        while month is not None:
            if force_code is None or connection.execute(force_has_month, {"month": month}).first():
                months.append(month)
            month = connection.execute(next_month, {"after": month}).scalar()
    return months


def forces_in_month(engine: Engine, month: str) -> list[str]:
    """Forces that published street crimes for ``month`` (kept until the data changes: it
    reads the whole month, and every map page asks)."""
    statement = sa.select(crimes.c.force_code).distinct().where(crimes.c.month == check_month(month))

    def load() -> tuple[str, ...]:
        with engine.connect() as connection:
            return tuple(sorted(connection.execute(statement).scalars()))

    return list(_cached(engine, ("forces", month), load))


def counts_by_lsoa_category(
    engine: Engine,
    month: str | None = None,
    lsoa_codes: Iterable[str] | None = None,
) -> list[LsoaCategoryCount]:
    """Crime counts per LSOA, month and category; optionally one month and/or some LSOAs.

    Crimes without an LSOA (no location) are not in any area and are left out.
    """
    if month is not None:
        check_month(month)
    columns = (crimes.c.lsoa_code, crimes.c.month, crimes.c.category)
    base = sa.select(*columns, sa.func.count().label("n")).where(crimes.c.lsoa_code.is_not(None))
    if month is not None:
        base = base.where(crimes.c.month == month)
    base = base.group_by(*columns)
    results: list[LsoaCategoryCount] = []
    with engine.connect() as connection:
        for query in _restricted_to_lsoas(base, lsoa_codes):
            results.extend(LsoaCategoryCount(*row) for row in connection.execute(query))
    results.sort(key=lambda c: (c.lsoa_code, c.month, c.category))
    return results


def counts_by_month_category(
    engine: Engine,
    lsoa_codes: Iterable[str] | None = None,
    months: Sequence[str] | None = None,
) -> dict[tuple[str, str], int]:
    """Crimes per (month, category) summed over ``lsoa_codes`` (all located crimes if None),
    in ``months`` (every loaded month if None)."""
    months = list(months) if months is not None else months_with_crimes(engine)
    for month in months:
        check_month(month)
    if not months:
        return {}
    codes = None if lsoa_codes is None else tuple(sorted(set(lsoa_codes)))
    counts = _cached(
        engine,
        ("month_category", codes, tuple(months)),
        lambda: _load_counts_by_month_category(engine, codes, months),
    )
    return dict(counts)


def _load_counts_by_month_category(
    engine: Engine, lsoa_codes: tuple[str, ...] | None, months: list[str]
) -> dict[tuple[str, str], int]:
    # Naming the months lets the (month, lsoa_code) index serve month x LSOA seeks. Without
    # ANALYZE statistics SQLite would pick (month, category) and read whole months, so say so.
    hint = " INDEXED BY ix_crimes_month_lsoa" if lsoa_codes is not None and engine.dialect.name == "sqlite" else ""
    sql = (
        f"SELECT month, category, count(*) FROM crimes{hint} "
        "WHERE lsoa_code IS NOT NULL AND month IN :months {lsoa_filter} GROUP BY month, category"
    )
    if lsoa_codes is None:
        statements = [(sa.text(sql.format(lsoa_filter="")), {})]
    else:
        codes = list(lsoa_codes)
        statement = sa.text(sql.format(lsoa_filter="AND lsoa_code IN :codes")).bindparams(
            sa.bindparam("codes", expanding=True)
        )
        statements = [
            (statement, {"codes": codes[start : start + _IN_LIST_CHUNK]}) for start in range(0, len(codes), _IN_LIST_CHUNK)
        ]
    totals: dict[tuple[str, str], int] = {}
    with engine.connect() as connection:
        for statement, params in statements:
            statement = statement.bindparams(sa.bindparam("months", expanding=True))
            for month, category, n in connection.execute(statement, {**params, "months": months}):
                totals[(month, category)] = totals.get((month, category), 0) + n
    return totals


def categories_in_month(engine: Engine, month: str) -> set[str]:
    """Categories with any crime in ``month`` anywhere: ``crimes.query.categories_in_month``,
    kept until the data changes because every figures request asks it."""
    check_month(month)
    return _cached(engine, ("categories", month), lambda: frozenset(query.categories_in_month(engine, month)))


def unlocated_count(engine: Engine, month: str, category: str | None = None) -> int:
    """Crimes in ``month`` published without a location, which no map can show."""
    located = _month_points(engine, check_month(month))
    if category is None:
        return sum(located.unlocated.values())
    return located.unlocated.get(category, 0)


def point_counts(
    engine: Engine,
    month: str,
    category: str | None = None,
    bbox: BoundingBox | None = None,
    cell_degrees: float | None = None,
) -> list[PointCount]:
    """Located crimes in ``month`` (one ``category`` or all), grouped for a map.

    With ``cell_degrees`` the crimes are grouped on a square grid of that size and each group
    sits at its members' mean position, so a whole force stays a few hundred features. Without
    it they are grouped by police.uk map point, with the point's name and counts by category.
    """
    check_month(month)
    if cell_degrees is not None and not cell_degrees >= 1e-6:
        raise ValueError(f"cell_degrees must be at least 0.000001, got {cell_degrees!r}")
    located = _month_points(engine, month)
    keep = np.ones(len(located.count), dtype=bool)
    if category is not None:
        keep &= located.category == located.category_index.get(category, -1)
    if bbox is not None:
        keep &= (located.latitude >= bbox.south) & (located.latitude <= bbox.north)
        keep &= (located.longitude >= bbox.west) & (located.longitude <= bbox.east)
    rows = np.flatnonzero(keep)
    if cell_degrees is not None:
        return _grid_counts(located, rows, cell_degrees)
    return _map_point_counts(located, rows)


@dataclass(frozen=True)
class _MonthPoints:
    """One month's located crimes grouped by (map point, category), as parallel arrays."""

    latitude: np.ndarray
    longitude: np.ndarray
    category: np.ndarray  # index into ``categories``
    count: np.ndarray
    names: list[str | None]
    categories: list[str]
    category_index: dict[str, int]
    unlocated: dict[str, int]  # category -> crimes without a location


def _month_points(engine: Engine, month: str) -> _MonthPoints:
    return _cached(engine, ("month_points", month), lambda: _load_month_points(engine, month))


def _load_month_points(engine: Engine, month: str) -> _MonthPoints:
    statement = (
        sa.select(
            crimes.c.latitude,
            crimes.c.longitude,
            crimes.c.category,
            sa.func.max(map_points.c.name),
            sa.func.count(),
        )
        .select_from(crimes.outerjoin(map_points, map_points.c.id == crimes.c.map_point_id))
        .where(crimes.c.month == month)
        .group_by(crimes.c.latitude, crimes.c.longitude, crimes.c.category)
    )
    latitudes: list[float] = []
    longitudes: list[float] = []
    category_codes: list[int] = []
    counts: list[int] = []
    names: list[str | None] = []
    category_index: dict[str, int] = {}
    unlocated: dict[str, int] = {}
    with engine.connect() as connection:
        for latitude, longitude, category, name, n in connection.execute(statement):
            if latitude is None or longitude is None:
                unlocated[category] = unlocated.get(category, 0) + n
                continue
            latitudes.append(latitude)
            longitudes.append(longitude)
            category_codes.append(category_index.setdefault(category, len(category_index)))
            counts.append(n)
            names.append(name)
    return _MonthPoints(
        latitude=np.asarray(latitudes, dtype=np.float64),
        longitude=np.asarray(longitudes, dtype=np.float64),
        category=np.asarray(category_codes, dtype=np.int32),
        count=np.asarray(counts, dtype=np.int64),
        names=names,
        categories=list(category_index),
        category_index=category_index,
        unlocated=unlocated,
    )


def _grid_counts(located: _MonthPoints, rows: np.ndarray, cell_degrees: float) -> list[PointCount]:
    if rows.size == 0:
        return []
    latitude, longitude, count = located.latitude[rows], located.longitude[rows], located.count[rows]
    cell_row = np.floor(latitude / cell_degrees).astype(np.int64)
    cell_col = np.floor(longitude / cell_degrees).astype(np.int64)
    # One integer per cell: a 1-D unique is an order of magnitude faster than unique(axis=1).
    _cells, group = np.unique((cell_row << 32) + (cell_col + (1 << 31)), return_inverse=True)
    group = group.ravel()
    crimes_in = np.bincount(group, weights=count)
    mean_latitude = np.bincount(group, weights=latitude * count) / crimes_in
    mean_longitude = np.bincount(group, weights=longitude * count) / crimes_in
    return [
        PointCount(latitude=float(lat), longitude=float(lng), count=int(n))
        for lat, lng, n in zip(mean_latitude, mean_longitude, crimes_in)
    ]


def _map_point_counts(located: _MonthPoints, rows: np.ndarray) -> list[PointCount]:
    places: dict[tuple[float, float], tuple[str | None, dict[str, int]]] = {}
    for row in rows.tolist():
        position = (float(located.latitude[row]), float(located.longitude[row]))
        name, by_category = places.setdefault(position, (located.names[row], {}))
        if name is None and located.names[row] is not None:
            places[position] = (located.names[row], by_category)
        by_category[located.categories[located.category[row]]] = int(located.count[row])
    return [
        PointCount(latitude=lat, longitude=lng, count=sum(by_category.values()), name=name, categories=by_category)
        for (lat, lng), (name, by_category) in sorted(places.items())
    ]


_cache: OrderedDict[tuple, object] = OrderedDict()
_cache_lock = threading.Lock()


def _cached(engine: Engine, key: tuple, build: Callable[[], object]):
    """``build()``'s result, reused until the crimes data version changes."""
    full_key = (str(engine.url), query.data_version(engine), *key)
    with _cache_lock:
        if full_key in _cache:
            _cache.move_to_end(full_key)
            return _cache[full_key]
    value = build()
    with _cache_lock:
        _cache[full_key] = value
        while len(_cache) > _CACHE_ENTRIES:
            _cache.popitem(last=False)
    return value


def _restricted_to_lsoas(query: sa.Select, lsoa_codes: Iterable[str] | None) -> list[sa.Select]:
    if lsoa_codes is None:
        return [query]
    codes = sorted(set(lsoa_codes))
    return [
        query.where(crimes.c.lsoa_code.in_(codes[start : start + _IN_LIST_CHUNK]))
        for start in range(0, len(codes), _IN_LIST_CHUNK)
    ]
