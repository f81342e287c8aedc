"""The crimes capability's public read functions: street crimes, outcomes and stops by place.

Other capabilities and the web layer call these; nobody else reads the crime tables.

How "within one mile" is measured
---------------------------------
A crime is within a radius of a point when the great-circle (haversine) distance between
the point and the crime's published map point, both taken as WGS84 latitude/longitude on a
sphere of the mean Earth radius 6,371,008.8 m, is at most the radius. One mile is
1,609.344 m. Searches first take the bounding box of that spherical cap from the spatial
index (an R*Tree on SQLite, GiST on PostgreSQL, both created by the crimes migration), then
keep exactly the candidates passing the haversine test, so the index only narrows, never
decides.

How "within a polygon" is measured
----------------------------------
As data.police.uk does: the vertices are joined by straight lines in latitude/longitude
(the last to the first), and a crime is inside when its map point lies inside or on that
ring. Bounding box from the index, then an exact point-in-polygon test (shapely, prepared).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

EARTH_MEAN_RADIUS_M = 6_371_008.8
ONE_MILE_M = 1_609.344
# Rounding slack added to every index box; far below the 6-decimal precision of map points.
_BOX_SLACK_DEGREES = 1e-7


class BoundingBox(NamedTuple):
    south: float
    west: float
    north: float
    east: float


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two WGS84 points on the mean-radius sphere."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lng2 - lng1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def _check_coordinates(latitude: float, longitude: float, where: str) -> None:
    if not (math.isfinite(latitude) and -90 <= latitude <= 90):
        raise ValueError(f"{where}: latitude {latitude} is outside -90..90")
    if not (math.isfinite(longitude) and -180 <= longitude <= 180):
        raise ValueError(f"{where}: longitude {longitude} is outside -180..180")


@dataclass(frozen=True)
class Circle:
    """Everything within ``radius_m`` metres (haversine) of a point; one mile unless told."""

    latitude: float
    longitude: float
    radius_m: float = ONE_MILE_M

    def __post_init__(self) -> None:
        _check_coordinates(self.latitude, self.longitude, "circle centre")
        if not (math.isfinite(self.radius_m) and self.radius_m > 0):
            raise ValueError(f"circle radius {self.radius_m} must be a positive number of metres")

    def bounding_box(self) -> BoundingBox:
        # The exact latitude/longitude extent of a spherical cap of angular radius delta.
        delta = self.radius_m / EARTH_MEAN_RADIUS_M
        delta_degrees = math.degrees(delta)
        south = max(-90.0, self.latitude - delta_degrees) - _BOX_SLACK_DEGREES
        north = min(90.0, self.latitude + delta_degrees) + _BOX_SLACK_DEGREES
        cos_lat = math.cos(math.radians(self.latitude))
        if abs(self.latitude) + delta_degrees >= 90 or math.sin(delta) >= cos_lat:
            return BoundingBox(south, -180.0, north, 180.0)
        half_width = math.degrees(math.asin(math.sin(delta) / cos_lat)) + _BOX_SLACK_DEGREES
        west, east = self.longitude - half_width, self.longitude + half_width
        if west < -180 or east > 180:  # crosses the antimeridian: search every longitude
            return BoundingBox(south, -180.0, north, 180.0)
        return BoundingBox(south, west, north, east)

    def keep(self, rows: Iterable[tuple[int, float, float]]) -> list[int]:
        """Ids of (id, latitude, longitude) rows within the circle."""
        phi0 = math.radians(self.latitude)
        cos_phi0 = math.cos(phi0)
        lambda0 = math.radians(self.longitude)
        # Compare haversine's a-term against the radius's, avoiding asin/sqrt per row.
        limit = math.sin(self.radius_m / EARTH_MEAN_RADIUS_M / 2) ** 2
        sin, cos, radians = math.sin, math.cos, math.radians
        kept = []
        for row_id, lat, lng in rows:
            phi = radians(lat)
            a = sin((phi - phi0) / 2) ** 2 + cos_phi0 * cos(phi) * sin((radians(lng) - lambda0) / 2) ** 2
            if a <= limit:
                kept.append(row_id)
        return kept


@dataclass(frozen=True)
class Polygon:
    """A custom area: (latitude, longitude) vertices joined by straight lines, closed automatically."""

    vertices: tuple[tuple[float, float], ...]
    _shape: object = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        import shapely

        if len(self.vertices) < 3:
            raise ValueError(f"a polygon needs at least 3 points, got {len(self.vertices)}")
        for index, (lat, lng) in enumerate(self.vertices, start=1):
            _check_coordinates(lat, lng, f"polygon point {index}")
        shape = shapely.Polygon([(lng, lat) for lat, lng in self.vertices])
        if not shape.is_valid:  # a self-crossing ring: use the areas it encloses
            shape = shapely.make_valid(shape)
        if shape.area == 0:
            raise ValueError("the polygon encloses no area (its points are in a line)")
        shapely.prepare(shape)
        object.__setattr__(self, "_shape", shape)

    def bounding_box(self) -> BoundingBox:
        west, south, east, north = self._shape.bounds
        slack = _BOX_SLACK_DEGREES
        return BoundingBox(south - slack, west - slack, north + slack, east + slack)

    def keep(self, rows: Iterable[tuple[int, float, float]]) -> list[int]:
        import numpy as np
        import shapely

        rows = list(rows)
        if not rows:
            return []
        ids, lats, lngs = zip(*rows)
        inside = shapely.intersects_xy(self._shape, np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float))
        return [row_id for row_id, flag in zip(ids, inside.tolist()) if flag]


Area = Circle | Polygon


class StreetCrime(NamedTuple):
    id: int
    persistent_id: str
    month: str
    category: str
    latitude: float | None
    longitude: float | None
    location_id: int | None
    location_name: str | None
    reported_by: str | None
    force_code: str
    context: str
    outcome_category: str | None
    outcome_month: str | None


class CrimeOutcome(NamedTuple):
    code: str
    name: str
    month: str


class MapPoint(NamedTuple):
    id: int
    latitude: float
    longitude: float
    name: str


class Stop(NamedTuple):
    id: int
    force_code: str
    month: str
    datetime: str
    type: str | None
    operation: str | None
    operation_name: str | None
    latitude: float | None
    longitude: float | None
    gender: str | None
    age_range: str | None
    self_defined_ethnicity: str | None
    officer_defined_ethnicity: str | None
    legislation: str | None
    object_of_search: str | None
    outcome: str | None
    outcome_linked_to_object_of_search: str | None
    removal_of_more_than_outer_clothing: str | None


class MonthAvailability(NamedTuple):
    month: str
    stop_and_search_forces: list[str]


_CRIME_COLUMNS = (
    "c.id, c.persistent_id, c.month, c.category, c.latitude, c.longitude, c.map_point_id, m.name, "
    "c.reported_by, c.force_code, c.context, c.last_outcome_category, c.last_outcome_month"
)
_CRIME_FROM = "crimes c LEFT JOIN map_points m ON m.id = c.map_point_id"
_STOP_COLUMNS = ", ".join(Stop._fields)


def _index_box_sql(dialect: str, table: str) -> str:
    """SELECT id, latitude, longitude of ``table`` rows whose point is in a box, via the spatial index.

    The only dialect difference in this module. On SQLite crimes are reached through the R*Tree
    of their map points and the (map_point_id, month) index, stops through their own R*Tree.
    The R*Tree stores float32 bounds rounded outwards, so an overlap test is a superset; the
    exact test runs afterwards on the doubles.
    """
    in_box = "r.max_lat >= :south AND r.min_lat <= :north AND r.max_lng >= :west AND r.min_lng <= :east"
    if dialect == "sqlite":
        # CROSS JOIN fixes the join order: walk the R*Tree first, then fetch rows by index.
        if table == "crimes":
            return (
                "SELECT t.id, t.latitude, t.longitude FROM map_points_rtree r "
                f"CROSS JOIN crimes t ON t.map_point_id = r.id WHERE {in_box}"
            )
        return f"SELECT t.id, t.latitude, t.longitude FROM {table}_rtree r CROSS JOIN {table} t ON t.id = r.id WHERE {in_box}"
    return (
        f"SELECT t.id, t.latitude, t.longitude FROM {table} t "
        "WHERE point(t.longitude, t.latitude) <@ box(point(:west, :south), point(:east, :north))"
    )


def _to_driver_sql(connection: Connection, sql: str) -> str:
    """``:name`` placeholders in the driver's own style (named for sqlite3, pyformat for psycopg).

    The candidate query returns thousands of rows; the driver's tuples skip SQLAlchemy's
    per-row processing, which profiling showed to cost as much as the query itself.
    """
    if connection.dialect.name == "sqlite":  # sqlite3 takes :name itself
        return sql
    return re.sub(r":(\w+)", r"%(\1)s", sql)


def _ids_within(
    connection: Connection, table: str, area: Area, filters: dict[str, str | None]
) -> list[int]:
    sql = _index_box_sql(connection.dialect.name, table)
    params: dict[str, object] = dict(area.bounding_box()._asdict())
    for column, value in filters.items():
        if value is not None:
            sql += f" AND t.{column} = :{column}"
            params[column] = value
    rows = connection.exec_driver_sql(_to_driver_sql(connection, sql), params).fetchall()
    return sorted(area.keep(rows))


def _category_filter(category: str | None) -> str | None:
    return None if category in (None, "all-crime") else category


def street_crime_ids(engine: Engine, area: Area, month: str, category: str | None = None) -> list[int]:
    """Ids (ascending) of located crimes of ``month`` (and category slug, None/all-crime = all) in ``area``.

    Cheap: reads only ids and coordinates, so callers can count before materialising.
    """
    with engine.connect() as connection:
        return _ids_within(connection, "crimes", area, {"month": month, "category": _category_filter(category)})


def count_street_crimes(engine: Engine, area: Area, month: str, category: str | None = None) -> int:
    return len(street_crime_ids(engine, area, month, category))


def crimes_by_ids(engine: Engine, ids: Sequence[int]) -> list[StreetCrime]:
    """The crimes with these ids, in ascending id order; unknown ids are skipped."""
    if not ids:
        return []
    statement = sa.text(f"SELECT {_CRIME_COLUMNS} FROM {_CRIME_FROM} WHERE c.id IN :ids ORDER BY c.id").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    crimes: list[StreetCrime] = []
    with engine.connect() as connection:
        # Chunked so a 10,000-crime answer stays under every driver's bound-parameter limit.
        for start in range(0, len(ids), 5000):
            chunk = list(ids[start : start + 5000])
            crimes.extend(map(StreetCrime._make, connection.execute(statement, {"ids": chunk}).all()))
    crimes.sort(key=lambda crime: crime.id)
    return crimes


def street_crimes(engine: Engine, area: Area, month: str, category: str | None = None) -> list[StreetCrime]:
    return crimes_by_ids(engine, street_crime_ids(engine, area, month, category))


def crimes_at_location(engine: Engine, location_id: int, month: str) -> list[StreetCrime]:
    """Crimes of ``month`` published at one map point (the API's ``location_id``/street id)."""
    sql = f"SELECT {_CRIME_COLUMNS} FROM {_CRIME_FROM} WHERE c.map_point_id = :location_id AND c.month = :month ORDER BY c.id"
    with engine.connect() as connection:
        return [StreetCrime._make(row) for row in connection.execute(sa.text(sql), {"location_id": location_id, "month": month})]


def map_point(engine: Engine, location_id: int) -> MapPoint | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT id, latitude, longitude, name FROM map_points WHERE id = :id"), {"id": location_id}
        ).first()
    return MapPoint._make(row) if row else None


def nearest_map_point(engine: Engine, latitude: float, longitude: float, max_distance_m: float = 20_000) -> MapPoint | None:
    """The map point nearest (haversine) to a position, or None when none lies within ``max_distance_m``.

    Widens a latitude/longitude window until it holds a point, then once more to the found
    distance, so a nearer point just outside the first window is never missed.
    """
    _check_coordinates(latitude, longitude, "position")
    radius = 250.0
    sql = sa.text(
        "SELECT id, latitude, longitude, name FROM map_points "
        "WHERE latitude BETWEEN :south AND :north AND longitude BETWEEN :west AND :east"
    )
    with engine.connect() as connection:
        while True:
            box = Circle(latitude, longitude, radius).bounding_box()
            points = [MapPoint._make(row) for row in connection.execute(sql, box._asdict())]
            if points:
                best = min(points, key=lambda p: (haversine_m(latitude, longitude, p.latitude, p.longitude), p.id))
                distance = haversine_m(latitude, longitude, best.latitude, best.longitude)
                if distance <= radius:
                    return best if distance <= max_distance_m else None
                radius = distance  # a nearer point may sit in the corners outside this window
                continue
            if radius >= max_distance_m:
                return None
            radius = min(radius * 4, max_distance_m)


def crimes_no_location(engine: Engine, force_code: str, month: str, category: str | None = None) -> list[StreetCrime]:
    """Crimes of ``month`` that ``force_code`` published without a location."""
    sql = f"SELECT {_CRIME_COLUMNS} FROM {_CRIME_FROM} WHERE c.month = :month AND c.force_code = :force AND c.latitude IS NULL"
    params = {"month": month, "force": force_code}
    if _category_filter(category):
        sql += " AND c.category = :category"
        params["category"] = category
    with engine.connect() as connection:
        return [StreetCrime._make(row) for row in connection.execute(sa.text(sql + " ORDER BY c.id"), params)]


def crime_by_persistent_id(engine: Engine, persistent_id: str) -> StreetCrime | None:
    """The crime with this 64-hex persistent id; None for "" (anti-social behaviour has none)."""
    if not persistent_id:
        return None
    # A crime's persistent id is its (unique) crime_key; rows without one have generated keys.
    sql = f"SELECT {_CRIME_COLUMNS} FROM {_CRIME_FROM} WHERE c.crime_key = :pid AND c.persistent_id = :pid"
    with engine.connect() as connection:
        row = connection.execute(sa.text(sql), {"pid": persistent_id}).first()
    return StreetCrime._make(row) if row else None


def outcomes_for_crime(engine: Engine, persistent_id: str) -> list[CrimeOutcome]:
    """Every recorded outcome of a crime, oldest first.

    When no outcomes file has been loaded for it, the street file's "Last outcome category"
    is the one outcome on record, dated by its outcome month (or the crime's month).
    """
    from watchhouse.crimes.categories import outcome_code

    crime = crime_by_persistent_id(engine, persistent_id)
    if crime is None:
        return []
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT outcome_code, outcome_type, month FROM outcomes WHERE crime_key = :key ORDER BY month, id"),
            {"key": persistent_id},
        ).all()
    if rows:
        return [CrimeOutcome(code, name, month) for code, name, month in rows]
    if crime.outcome_category:
        name = crime.outcome_category
        return [CrimeOutcome(outcome_code(name), name, crime.outcome_month or crime.month)]
    return []


def stops_within(engine: Engine, area: Area, month: str) -> list[Stop]:
    with engine.connect() as connection:
        ids = _ids_within(connection, "stops", area, {"month": month})
        if not ids:
            return []
        statement = sa.text(f"SELECT {_STOP_COLUMNS} FROM stops WHERE id IN :ids ORDER BY id").bindparams(
            sa.bindparam("ids", expanding=True)
        )
        return [Stop._make(row) for row in connection.execute(statement, {"ids": ids})]


def count_stops_within(engine: Engine, area: Area, month: str) -> int:
    with engine.connect() as connection:
        return len(_ids_within(connection, "stops", area, {"month": month}))


def stops_by_force(engine: Engine, force_code: str, month: str, *, located: bool | None = None) -> list[Stop]:
    """Stops a force published for ``month``; ``located`` False keeps only those without a location."""
    sql = f"SELECT {_STOP_COLUMNS} FROM stops WHERE month = :month AND force_code = :force"
    if located is False:
        sql += " AND latitude IS NULL"
    elif located is True:
        sql += " AND latitude IS NOT NULL"
    with engine.connect() as connection:
        return [Stop._make(row) for row in connection.execute(sa.text(sql + " ORDER BY id"), {"month": month, "force": force_code})]


def latest_month(engine: Engine) -> str | None:
    """The newest month with street crimes, as YYYY-MM; None when nothing is loaded."""
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT max(month) FROM crimes")).scalar()


def has_month(engine: Engine, month: str) -> bool:
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT 1 FROM crimes WHERE month = :month LIMIT 1"), {"month": month}).first() is not None


def months_available(engine: Engine) -> list[MonthAvailability]:
    """Months with street crimes, newest first, each with the forces that published stops that month."""
    with engine.connect() as connection:
        months = connection.execute(sa.text("SELECT DISTINCT month FROM crimes ORDER BY month DESC")).scalars().all()
        stop_rows = connection.execute(sa.text("SELECT DISTINCT month, force_code FROM stops ORDER BY force_code")).all()
    forces_by_month: dict[str, list[str]] = {}
    for month, force in stop_rows:
        forces_by_month.setdefault(month, []).append(force)
    return [MonthAvailability(month, forces_by_month.get(month, [])) for month in months]


def last_updated(engine: Engine) -> str | None:
    """As data.police.uk: the newest month's first day, YYYY-MM-01 (the day carries no meaning)."""
    month = latest_month(engine)
    return f"{month}-01" if month else None


def categories_in_month(engine: Engine, month: str) -> list[str]:
    """Category slugs that have at least one crime in ``month``."""
    with engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT DISTINCT category FROM crimes WHERE month = :month ORDER BY category"), {"month": month}
        ).scalars().all()


def force_has_crimes(engine: Engine, force_code: str) -> bool:
    with engine.connect() as connection:
        return connection.execute(
            sa.text("SELECT 1 FROM crimes WHERE force_code = :force LIMIT 1"), {"force": force_code}
        ).first() is not None


def data_version(engine: Engine) -> int:
    """A counter that changes whenever crimes, outcomes, stops or map points change (see crimes_0002)."""
    with engine.connect() as connection:
        return connection.execute(sa.text("SELECT version FROM crimes_data_version WHERE id = 1")).scalar_one()
