"""Approximate display polygons for a force that has not imported its real boundaries.

Police.uk publishes each crime at an anonymised map point tagged with the LSOA it lies in.
The centroid of an LSOA's map points stands in for the LSOA; a Voronoi tessellation of those
centroids, clipped to the force's crime hull, gives each LSOA a cell, and the cells dissolve
into neighbourhoods, districts and the force. Every such polygon is marked approximate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import shapely
from sqlalchemy import Engine

from watchhouse.areas import spatial
from watchhouse.areas.geometry import geojson_text, inside_point, to_metric, to_wgs84
from watchhouse.areas.model import DISTRICT, FORCE, LSOA, NEIGHBOURHOOD, AreasError
from watchhouse.areas.rows import Changes, read_rows, write_changes
from watchhouse.crimes.geography import centroids_of, lsoa_map_points

# Map points sit on streets; the outermost ones are not the force's edge. Half a kilometre
# beyond the hull keeps edge LSOAs from being clipped through their own points.
HULL_BUFFER_METRES = 500.0
# Snapping unions to a centimetre grid removes floating-point slivers between adjacent cells.
UNION_GRID_METRES = 0.01


@dataclass(frozen=True)
class DerivedBoundaries:
    force_code: str
    areas_with_boundary: int
    lsoas_with_crimes: int
    lsoas_without_crimes: int
    crimes_outside_force_lsoas: int
    changes: Changes


def _voronoi_cells(sites: list[shapely.Point], hull) -> list:
    """One cell per site, in site order, clipped to the hull."""
    if len(sites) == 1:
        return [hull]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(sites), extend_to=hull, ordered=True)
    cells = list(cells.geoms)
    if len(cells) != len(sites):
        raise AreasError(f"Voronoi tessellation gave {len(cells)} cells for {len(sites)} distinct sites")
    return [cell.intersection(hull) for cell in cells]


def _distinct_sites(points: list[shapely.Point]) -> list[shapely.Point]:
    # Two LSOAs cannot share a map point, but two centroids can coincide; a millimetre apart
    # they each still get a cell.
    seen: set[tuple[float, float]] = set()
    distinct = []
    for point in points:
        x, y = point.x, point.y
        while (x, y) in seen:
            x += 0.001
        seen.add((x, y))
        distinct.append(shapely.Point(x, y))
    return distinct


def _set_approximate(rows: list[dict], metric_geometries: list, source: str) -> None:
    """Store each geometry on its row, converted to WGS84 together (one projection call)."""
    if not rows:
        return
    wgs84 = to_wgs84(np.array(metric_geometries, dtype=object))
    for row, geometry in zip(rows, wgs84):
        centre = inside_point(geometry)
        row.update(
            boundary_geojson=geojson_text(geometry),
            boundary_approximate=True,
            boundary_source=source,
            centre_lat=round(centre.y, 6),
            centre_lng=round(centre.x, 6),
        )


def _dissolve(cells: list):
    # Cells of one tessellation form a coverage (they meet edge to edge without overlapping),
    # which GEOS dissolves far faster than a general union; fall back when clipping broke that.
    union = shapely.coverage_union_all(cells)
    if union.is_valid:
        return union
    return shapely.union_all(cells, grid_size=UNION_GRID_METRES)


def _ancestors(rows: dict[str, dict], row: dict) -> list[str]:
    found: list[str] = []
    parent = rows.get(row["parent_code"]) if row["parent_code"] else None
    while parent is not None and parent["code"] not in found:
        found.append(parent["code"])
        parent = rows.get(parent["parent_code"]) if parent["parent_code"] else None
    return found


def _clear(row: dict) -> None:
    row.update(boundary_geojson=None, boundary_approximate=True, boundary_source=None, centre_lat=None, centre_lng=None)


def derive(engine: Engine, force_code: str) -> DerivedBoundaries:
    with engine.connect() as connection:
        before = read_rows(connection, [force_code])
    lsoa_rows = {code: row for code, row in before.items() if row["level"] == LSOA}
    if not lsoa_rows:
        raise AreasError(f"force {force_code!r} has no LSOAs: run `watchhouse areas load-lookup` first")

    map_points = lsoa_map_points(engine, force_code)
    centroids = centroids_of(map_points)
    crimes_outside = sum(count for code, points in map_points.items() if code not in lsoa_rows for *_, count in points)
    lsoa_codes = sorted(code for code in centroids if code in lsoa_rows)
    if not lsoa_codes:
        raise AreasError(f"force {force_code!r} has no located crimes in its LSOAs: ingest its street crimes first")

    point_count = sum(len(map_points[code]) for code in lsoa_codes)
    hull_points = shapely.multipoints(
        np.array([(lng, lat) for code in lsoa_codes for lat, lng, _count in map_points[code]])
    )
    hull = to_metric(hull_points).convex_hull.buffer(HULL_BUFFER_METRES)
    centroid_points = to_metric(shapely.points(np.array([(centroids[c][1], centroids[c][0]) for c in lsoa_codes])))
    sites = _distinct_sites(list(centroid_points))
    cells = dict(zip(lsoa_codes, _voronoi_cells(sites, hull)))
    crimes_used = sum(centroids[code][2] for code in lsoa_codes)
    source = (
        f"approximate: Voronoi cells of {len(lsoa_codes)} LSOA centroids of {point_count} police.uk "
        f"map points ({crimes_used} crimes), clipped to the force's crime hull + {HULL_BUFFER_METRES:g} m"
    )

    after = {code: dict(row) for code, row in before.items()}
    cells_by_area: dict[str, list] = defaultdict(list)
    lsoas_with_cells = []
    for code, row in after.items():
        if row["level"] != LSOA:
            continue
        if code not in cells:
            _clear(row)
            continue
        lsoas_with_cells.append(row)
        for ancestor in _ancestors(after, row):
            cells_by_area[ancestor].append(cells[code])
    _set_approximate(lsoas_with_cells, [cells[row["code"]] for row in lsoas_with_cells], source)
    for row in lsoas_with_cells:
        # An LSOA's centre is its points' centroid, the site its cell was grown from.
        latitude, longitude, _count = centroids[row["code"]]
        row["centre_lat"], row["centre_lng"] = round(latitude, 6), round(longitude, 6)

    dissolved_rows, dissolved = [], []
    for code, row in after.items():
        if row["level"] == LSOA:
            continue
        if row["level"] == NEIGHBOURHOOD and not row["boundary_approximate"]:
            continue  # a real, imported boundary stays
        if row["level"] in (NEIGHBOURHOOD, DISTRICT, FORCE) and cells_by_area.get(code):
            dissolved_rows.append(row)
            dissolved.append(_dissolve(cells_by_area[code]))
        else:
            _clear(row)
    _set_approximate(dissolved_rows, dissolved, source)

    with engine.begin() as connection:
        # Re-read inside the write transaction: another writer may have changed the force meanwhile.
        current = read_rows(connection, [force_code])
        if current != before:
            raise AreasError(f"the areas of force {force_code!r} changed while deriving boundaries; run again")
        changes = write_changes(connection, before, after)
    if changes.total:
        spatial.invalidate(engine)
    return DerivedBoundaries(
        force_code=force_code,
        areas_with_boundary=sum(1 for row in after.values() if row["boundary_geojson"]),
        lsoas_with_crimes=len(lsoa_codes),
        lsoas_without_crimes=len(lsoa_rows) - len(lsoa_codes),
        crimes_outside_force_lsoas=crimes_outside,
        changes=changes,
    )
