"""Geometry plumbing: WGS84 <-> British National Grid, and compact GeoJSON text.

Areas are stored in WGS84 (what maps and the police.uk API speak); distances, buffers and
tessellations are done on the British National Grid (EPSG:27700), where a unit is a metre.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import shapely
from pyproj import Transformer

# 1e-6 degrees is about 0.1 m: finer than any boundary we hold, and keeps the text small.
WGS84_PRECISION = 1e-6


@cache
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def _reproject(geometry, source: int, target: int):
    transformer = _transformer(source, target)

    def move(coordinates: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, move)


def to_metric(geometry):
    """WGS84 (x=lng, y=lat) to British National Grid metres."""
    return _reproject(geometry, 4326, 27700)


def to_wgs84(geometry):
    return _reproject(geometry, 27700, 4326)


def geojson_text(wgs84_geometry) -> str:
    """Canonical GeoJSON: the same shape always gives the same text (so unchanged areas are not
    rewritten), with exterior rings anticlockwise as RFC 7946 asks."""
    canonical = shapely.normalize(shapely.set_precision(wgs84_geometry, WGS84_PRECISION))
    return shapely.to_geojson(shapely.orient_polygons(canonical, exterior_cw=False))


def inside_point(geometry) -> shapely.Point:
    """The centroid when it lies inside the shape, otherwise a point guaranteed to be inside."""
    centroid = geometry.centroid
    return centroid if geometry.covers(centroid) else geometry.representative_point()
