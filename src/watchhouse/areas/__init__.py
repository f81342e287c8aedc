"""Areas: force -> district (local authority) -> neighbourhood -> LSOA, with boundaries.

Other capabilities call these functions; none reads the ``areas`` table itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchhouse.exports import lazy_exports

if TYPE_CHECKING:
    from sqlalchemy import Engine

_getattr, _lazy_names = lazy_exports(
    __name__,
    {
        "DISTRICT": "model",
        "FORCE": "model",
        "LEVELS": "model",
        "LSOA": "model",
        "NEIGHBOURHOOD": "model",
        "Area": "model",
        "AreasError": "model",
        "area_path": "read",
        "areas_at_level": "read",
        "boundary_feature": "read",
        "boundary_geometry": "read",
        "boundary_points": "read",
        "children": "read",
        "forces": "read",
        "get_area": "read",
        "locate_neighbourhood": "read",
        "lsoa_codes_in": "read",
        "neighbourhoods": "read",
    },
)


def __getattr__(name: str):
    return _getattr(name)


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


__all__ = sorted([*_lazy_names, "derive_approximate_boundaries", "import_geojson", "load_lookup"])
