"""Where a force's crimes fall, summarised per LSOA: what areas needs to draw approximate boundaries."""

from __future__ import annotations

import math
from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy import Engine

from watchhouse.crimes.tables import crimes


def lsoa_map_points(engine: Engine, force_code: str) -> dict[str, list[tuple[float, float, int]]]:
    """Each LSOA's distinct crime map points as (lat, lng, crimes there), over every month held."""
    query = (
        sa.select(crimes.c.lsoa_code, crimes.c.latitude, crimes.c.longitude, sa.func.count())
        .where(
            crimes.c.force_code == force_code,
            crimes.c.latitude.is_not(None),
            crimes.c.longitude.is_not(None),
            crimes.c.lsoa_code.is_not(None),
            crimes.c.lsoa_code != "",
        )
        .group_by(crimes.c.lsoa_code, crimes.c.latitude, crimes.c.longitude)
    )
    points: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    with engine.connect() as connection:
        for lsoa_code, latitude, longitude, count in connection.execute(query):
            points[lsoa_code].append((latitude, longitude, count))
    return dict(points)


def lsoa_point_centroids(engine: Engine, force_code: str) -> dict[str, tuple[float, float, int]]:
    """Each LSOA's centroid of its distinct crime map points, as (lat, lng, crimes in the LSOA).

    Points count once each: a snap point with many crimes says little more about where the
    LSOA lies than one with a single crime.
    """
    return centroids_of(lsoa_map_points(engine, force_code))


def centroids_of(map_points: dict[str, list[tuple[float, float, int]]]) -> dict[str, tuple[float, float, int]]:
    """``lsoa_point_centroids`` for map points already read with ``lsoa_map_points``."""
    centroids: dict[str, tuple[float, float, int]] = {}
    for lsoa_code, points in map_points.items():
        # fsum is exact, so the centroid does not depend on the order the database returns rows.
        latitude = math.fsum(point[0] for point in points) / len(points)
        longitude = math.fsum(point[1] for point in points) / len(points)
        centroids[lsoa_code] = (latitude, longitude, sum(point[2] for point in points))
    return centroids


def forces_with_located_crimes(engine: Engine) -> list[str]:
    """police.uk ids of the forces that have at least one crime with a map point."""
    query = sa.select(crimes.c.force_code).where(crimes.c.latitude.is_not(None)).distinct().order_by(crimes.c.force_code)
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())
