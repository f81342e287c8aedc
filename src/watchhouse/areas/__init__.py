"""Areas: force -> district (local authority) -> neighbourhood -> LSOA, with boundaries.

Other capabilities call these functions; none reads the ``areas`` table itself.
"""

from __future__ import annotations

from sqlalchemy import Engine

from watchhouse.areas.model import DISTRICT, FORCE, LEVELS, LSOA, NEIGHBOURHOOD, Area, AreasError
from watchhouse.areas.read import (
    area_path,
    areas_at_level,
    boundary_feature,
    boundary_geometry,
    boundary_points,
    children,
    forces,
    get_area,
    locate_neighbourhood,
    lsoa_codes_in,
    neighbourhoods,
)


def load_lookup(engine: Engine, *, forces: set[str] | None = None) -> int:
    """Load (or refresh) the hierarchy of ``forces`` (police.uk ids; all when None) from the
    lookup and census population crime-sim-toolkit ships. Returns how many areas, at every
    level, those forces now have. Re-running changes nothing unless the files changed."""
    from watchhouse.areas.lookup import load

    return load(engine, forces=forces).areas


def derive_approximate_boundaries(engine: Engine, force_code: str) -> int:
    """Approximate display polygons for a force from its crimes' map points (Voronoi cells of
    LSOA point centroids clipped to the force's hull, dissolved upwards). Returns how many
    areas got a polygon."""
    from watchhouse.areas.boundaries import derive

    return derive(engine, force_code).areas_with_boundary


def import_geojson(
    engine: Engine,
    path,
    *,
    force_code: str,
    id_property: str | None = None,
    name_property: str | None = None,
) -> int:
    """Replace a force's neighbourhoods with real boundaries from a WGS84 GeoJSON
    FeatureCollection; re-parents the force's LSOAs. Returns the number of neighbourhoods."""
    from watchhouse.areas.geojson_import import import_neighbourhoods

    return import_neighbourhoods(
        engine, path, force_code=force_code, id_property=id_property, name_property=name_property
    ).neighbourhoods


__all__ = [
    "DISTRICT",
    "FORCE",
    "LEVELS",
    "LSOA",
    "NEIGHBOURHOOD",
    "Area",
    "AreasError",
    "area_path",
    "areas_at_level",
    "boundary_feature",
    "boundary_geometry",
    "boundary_points",
    "children",
    "derive_approximate_boundaries",
    "forces",
    "get_area",
    "import_geojson",
    "load_lookup",
    "locate_neighbourhood",
    "lsoa_codes_in",
    "neighbourhoods",
]
