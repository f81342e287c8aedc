"""Reading the hierarchy: what other capabilities and the web layer call."""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy import Engine

from watchhouse.areas import spatial
from watchhouse.areas.force_facts import FORCE_WEBSITES, NON_EMERGENCY_TELEPHONE
from watchhouse.areas.model import DISTRICT, FORCE, LEVELS, LSOA, NEIGHBOURHOOD, Area, AreasError
from watchhouse.areas.tables import areas


def _area(row) -> Area:
    is_force = row.level == FORCE
    return Area(
        code=row.code,
        level=row.level,
        name=row.name,
        parent_code=row.parent_code,
        force_code=row.force_code,
        population=row.population,
        centre_lat=row.centre_lat,
        centre_lng=row.centre_lng,
        boundary_geojson=row.boundary_geojson,
        boundary_approximate=bool(row.boundary_approximate),
        boundary_source=row.boundary_source,
        description=row.description,
        telephone=NON_EMERGENCY_TELEPHONE if is_force else None,
        url=FORCE_WEBSITES.get(row.code) if is_force else None,
    )


def _select(engine: Engine, *conditions, order=(areas.c.name, areas.c.code)) -> list[Area]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(areas).where(*conditions).order_by(*order))
        return [_area(row) for row in rows]


def forces(engine: Engine) -> list[Area]:
    """Every force with a hierarchy, ordered by police.uk id (as /api/forces lists them)."""
    return _select(engine, areas.c.level == FORCE, order=(areas.c.code,))


def get_area(engine: Engine, code: str) -> Area | None:
    found = _select(engine, areas.c.code == code)
    return found[0] if found else None


def neighbourhoods(engine: Engine, force_code: str) -> list[Area]:
    return _select(engine, areas.c.level == NEIGHBOURHOOD, areas.c.force_code == force_code)


def children(engine: Engine, code: str) -> list[Area]:
    return _select(engine, areas.c.parent_code == code)


def areas_at_level(engine: Engine, level: str, *, force_code: str | None = None) -> list[Area]:
    if level not in LEVELS:
        raise AreasError(f"unknown level {level!r}: one of {', '.join(LEVELS)}")
    conditions = [areas.c.level == level]
    if force_code is not None:
        conditions.append(areas.c.force_code == force_code)
    return _select(engine, *conditions)


def locate_neighbourhood(engine: Engine, lat: float, lng: float) -> Area | None:
    """The neighbourhood whose boundary covers the point, or None outside every known boundary."""
    code = spatial.neighbourhood_code_at(engine, lat, lng)
    return get_area(engine, code) if code is not None else None


def boundary_points(engine: Engine, code: str) -> list[tuple[float, float]]:
    """Exterior ring of the area's largest polygon as (lat, lng); empty when it has no boundary."""
    import shapely

    area = get_area(engine, code)
    if area is None or area.boundary_geojson is None:
        return []
    geometry = shapely.from_geojson(area.boundary_geojson)
    polygons = list(geometry.geoms) if hasattr(geometry, "geoms") else [geometry]
    polygons = [polygon for polygon in polygons if polygon.geom_type == "Polygon" and not polygon.is_empty]
    if not polygons:
        return []
    largest = max(polygons, key=lambda polygon: polygon.area)
    return [(lat, lng) for lng, lat in largest.exterior.coords]


def lsoa_codes_in(engine: Engine, area_code: str) -> list[str]:
    """Codes of the LSOAs inside an area (the area itself if it is an LSOA), sorted."""
    area = get_area(engine, area_code)
    if area is None:
        return []
    with engine.connect() as connection:
        if area.level == LSOA:
            return [area.code]
        if area.level == FORCE:
            query = sa.select(areas.c.code).where(areas.c.level == LSOA, areas.c.force_code == area.code)
        elif area.level == NEIGHBOURHOOD:
            query = sa.select(areas.c.code).where(areas.c.level == LSOA, areas.c.parent_code == area.code)
        elif area.level == DISTRICT:
            # Through its neighbourhoods, plus any LSOA an import left directly under the district.
            neighbourhood_codes = sa.select(areas.c.code).where(
                areas.c.level == NEIGHBOURHOOD, areas.c.parent_code == area.code
            )
            query = sa.select(areas.c.code).where(
                areas.c.level == LSOA,
                sa.or_(areas.c.parent_code.in_(neighbourhood_codes), areas.c.parent_code == area.code),
            )
        else:
            raise AreasError(f"area {area.code} has unknown level {area.level!r}")
        return sorted(connection.execute(query).scalars())


def area_path(engine: Engine, code: str) -> list[Area]:
    """The breadcrumb force -> ... -> the area itself; empty for an unknown code."""
    path: list[Area] = []
    seen: set[str] = set()
    current = get_area(engine, code)
    while current is not None and current.code not in seen:
        path.append(current)
        seen.add(current.code)
        current = get_area(engine, current.parent_code) if current.parent_code else None
    return list(reversed(path))


def boundary_geometry(area: Area):
    """The area's boundary as a shapely geometry (WGS84, x=lng, y=lat), or None."""
    import shapely

    return shapely.from_geojson(area.boundary_geojson) if area.boundary_geojson else None


def boundary_feature(area: Area) -> dict:
    """A GeoJSON Feature for maps: the boundary with the facts a map popup needs."""
    return {
        "type": "Feature",
        "geometry": json.loads(area.boundary_geojson) if area.boundary_geojson else None,
        "properties": {
            "code": area.code,
            "level": area.level,
            "name": area.name,
            "population": area.population,
            "approximate": area.boundary_approximate,
            "source": area.boundary_source,
        },
    }
