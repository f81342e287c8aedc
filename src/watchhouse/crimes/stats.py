"""Aggregate counts of street crimes: by LSOA, month and category, and by map position.

The public crime map and the neighbourhood figures need totals, never individual rows, so
every function here groups in SQL. Positions are police.uk's anonymised map points.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import Engine

from watchhouse.crimes.tables import crimes, map_points

MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# SQLite's default cap on bound parameters is 32,766; stay well under it per statement.
_IN_LIST_CHUNK = 5000
# Beyond this many square degrees the month/category index beats the R*Tree/GiST lookup.
_SPATIAL_INDEX_MAX_AREA = 0.05


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
    query = sa.select(crimes.c.month).distinct().order_by(crimes.c.month)
    if force_code is not None:
        query = query.where(crimes.c.force_code == force_code)
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(query)]


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
    """Crimes per (month, category) summed over ``lsoa_codes`` (all located crimes if None)."""
    for month in months or ():
        check_month(month)
    columns = (crimes.c.month, crimes.c.category)
    base = sa.select(*columns, sa.func.count().label("n")).where(crimes.c.lsoa_code.is_not(None))
    if months is not None:
        base = base.where(crimes.c.month.in_(list(months)))
    base = base.group_by(*columns)
    totals: dict[tuple[str, str], int] = {}
    with engine.connect() as connection:
        for query in _restricted_to_lsoas(base, lsoa_codes):
            for month, category, n in connection.execute(query):
                totals[(month, category)] = totals.get((month, category), 0) + n
    return totals


def categories_in_months(engine: Engine, months: Sequence[str]) -> set[str]:
    """Categories recorded anywhere in these months: the categories a place could have had."""
    query = sa.select(crimes.c.category).distinct().where(crimes.c.month.in_([check_month(m) for m in months]))
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(query)}


def unlocated_count(engine: Engine, month: str, category: str | None = None) -> int:
    """Crimes in ``month`` published without a location, which no map can show."""
    query = sa.select(sa.func.count()).where(crimes.c.month == check_month(month), crimes.c.latitude.is_(None))
    if category is not None:
        query = query.where(crimes.c.category == category)
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def point_counts(
    engine: Engine,
    month: str,
    category: str | None = None,
    bbox: BoundingBox | None = None,
    cell_degrees: float | None = None,
) -> list[PointCount]:
    """Located crimes in ``month`` (one ``category`` or all), grouped for a map.

    With ``cell_degrees`` the crimes are grouped on a square grid of that size and each group
    sits at its members' mean position, so a whole force stays a few thousand features. Without
    it they are grouped by police.uk map point, with the point's name and counts by category.
    """
    check_month(month)
    if cell_degrees is not None and not cell_degrees > 0:
        raise ValueError(f"cell_degrees must be positive, got {cell_degrees!r}")
    conditions = [crimes.c.month == month, crimes.c.latitude.is_not(None), crimes.c.longitude.is_not(None)]
    if category is not None:
        conditions.append(crimes.c.category == category)
    if bbox is not None:
        conditions.append(_within(engine, bbox))
    with engine.connect() as connection:
        if cell_degrees is not None:
            return _grid_counts(connection, conditions, cell_degrees)
        return _map_point_counts(connection, conditions)


def _grid_counts(connection: sa.Connection, conditions: list, cell_degrees: float) -> list[PointCount]:
    cell = sa.literal(cell_degrees, sa.Float)
    if connection.dialect.name == "sqlite":
        # CAST truncates towards zero; the offset keeps every value positive so it floors.
        row_key = sa.cast(crimes.c.latitude / cell + 1_000_000, sa.Integer)
        col_key = sa.cast(crimes.c.longitude / cell + 1_000_000, sa.Integer)
    else:
        row_key = sa.func.floor(crimes.c.latitude / cell)
        col_key = sa.func.floor(crimes.c.longitude / cell)
    query = (
        sa.select(
            sa.func.avg(crimes.c.latitude),
            sa.func.avg(crimes.c.longitude),
            sa.func.count(),
        )
        .where(*conditions)
        .group_by(row_key, col_key)
    )
    return [PointCount(latitude=float(lat), longitude=float(lng), count=n) for lat, lng, n in connection.execute(query)]


def _map_point_counts(connection: sa.Connection, conditions: list) -> list[PointCount]:
    query = (
        sa.select(
            crimes.c.latitude,
            crimes.c.longitude,
            crimes.c.category,
            sa.func.max(map_points.c.name),
            sa.func.count(),
        )
        .select_from(crimes.outerjoin(map_points, map_points.c.id == crimes.c.map_point_id))
        .where(*conditions)
        .group_by(crimes.c.latitude, crimes.c.longitude, crimes.c.category)
    )
    places: dict[tuple[float, float], tuple[str | None, dict[str, int]]] = {}
    for lat, lng, category, name, n in connection.execute(query):
        known_name, by_category = places.setdefault((lat, lng), (name, {}))
        if known_name is None and name is not None:
            places[(lat, lng)] = (name, by_category)
        by_category[category] = n
    return [
        PointCount(latitude=lat, longitude=lng, count=sum(by_category.values()), name=name, categories=by_category)
        for (lat, lng), (name, by_category) in sorted(places.items())
    ]


def _within(engine: Engine, bbox: BoundingBox):
    plain = sa.and_(
        crimes.c.latitude.between(bbox.south, bbox.north),
        crimes.c.longitude.between(bbox.west, bbox.east),
    )
    if bbox.area > _SPATIAL_INDEX_MAX_AREA:
        return plain
    if engine.dialect.name == "sqlite":
        rtree_ids = sa.text(
            "SELECT id FROM crimes_rtree WHERE min_lat >= :south AND max_lat <= :north "
            "AND min_lng >= :west AND max_lng <= :east"
        ).bindparams(south=bbox.south, north=bbox.north, west=bbox.west, east=bbox.east)
        return crimes.c.id.in_(rtree_ids.columns(sa.column("id")))
    # Same expression as the GiST index so PostgreSQL can use it.
    return sa.text(
        "point(crimes.longitude, crimes.latitude) <@ box(point(:west, :south), point(:east, :north))"
    ).bindparams(south=bbox.south, north=bbox.north, west=bbox.west, east=bbox.east)


def _restricted_to_lsoas(query: sa.Select, lsoa_codes: Iterable[str] | None) -> list[sa.Select]:
    if lsoa_codes is None:
        return [query]
    codes = sorted(set(lsoa_codes))
    return [
        query.where(crimes.c.lsoa_code.in_(codes[start : start + _IN_LIST_CHUNK]))
        for start in range(0, len(codes), _IN_LIST_CHUNK)
    ]
