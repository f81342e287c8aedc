"""Square grid cells over the study area, in the UTM zone of the events' centroid.

The study area is the convex hull of the events in metres; the grid keeps every cell that
intersects it. Scores are computed on the full rectangular raster (so smoothing is a filter)
and read back for the kept cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

MAX_CELLS = 3_000_000


class StudyAreaError(ValueError):
    """No usable study area: no events, a span the projection cannot handle, or too many cells."""


def utm_crs_for(lon: np.ndarray, lat: np.ndarray):
    """The UTM zone (WGS84) of the events' centroid; refuses data straddling the antimeridian."""
    from pyproj import CRS

    if len(lon) == 0:
        raise StudyAreaError("no events with valid coordinates: the study area is empty")
    span = float(np.max(lon) - np.min(lon))
    if span > 180:
        raise StudyAreaError(
            f"events span {span:.0f} degrees of longitude (they straddle the antimeridian or cover half "
            "the globe); a single UTM projection cannot hold them: split the data by region"
        )
    centre_lon, centre_lat = float(np.mean(lon)), float(np.mean(lat))
    zone = int(np.floor((centre_lon + 180) / 6)) % 60 + 1
    return CRS.from_epsg((32600 if centre_lat >= 0 else 32700) + zone)


@dataclass(frozen=True)
class Projection:
    crs: object

    @cached_property
    def _forward(self):
        from pyproj import Transformer

        return Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    @cached_property
    def _inverse(self):
        from pyproj import Transformer

        return Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)

    def to_metric(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._forward.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x), np.asarray(y)

    def to_wgs84(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        lon, lat = self._inverse.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(lon), np.asarray(lat)


@dataclass(frozen=True)
class Grid:
    projection: Projection
    cell_size: float
    x0: float
    y0: float
    nx: int
    ny: int
    hull: object  # shapely Polygon in metres: the study area
    ix: np.ndarray  # column of each kept cell
    iy: np.ndarray  # row of each kept cell
    area: np.ndarray  # area of each kept cell inside the study area, m^2
    notes: tuple[str, ...] = ()

    @property
    def n_cells(self) -> int:
        return len(self.ix)

    @property
    def study_area_m2(self) -> float:
        return float(self.hull.area)

    @property
    def raster_shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    @cached_property
    def raster_index(self) -> np.ndarray:
        return self.iy * self.nx + self.ix

    @cached_property
    def _cell_of_raster(self) -> np.ndarray:
        lookup = np.full(self.nx * self.ny, -1, dtype=np.int64)
        lookup[self.raster_index] = np.arange(self.n_cells)
        return lookup

    def raster_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat raster index of metric points; -1 outside the raster."""
        col = np.floor((np.asarray(x) - self.x0) / self.cell_size).astype(np.int64)
        row = np.floor((np.asarray(y) - self.y0) / self.cell_size).astype(np.int64)
        inside = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return np.where(inside, row * self.nx + col, -1)

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Kept-cell index of metric points; -1 outside the study grid."""
        flat = self.raster_of(x, y)
        return np.where(flat >= 0, self._cell_of_raster[np.maximum(flat, 0)], -1)

    def cells_from_raster(self, raster: np.ndarray) -> np.ndarray:
        return raster.reshape(-1)[self.raster_index]

    def polygons_metric(self) -> np.ndarray:
        import shapely

        x = self.x0 + self.ix * self.cell_size
        y = self.y0 + self.iy * self.cell_size
        return shapely.box(x, y, x + self.cell_size, y + self.cell_size)

    def corner_rings_wgs84(self) -> np.ndarray:
        """(n_cells, 5, 2) lon/lat rings, corners projected once for the whole raster."""
        xs = self.x0 + np.arange(self.nx + 1) * self.cell_size
        ys = self.y0 + np.arange(self.ny + 1) * self.cell_size
        gx, gy = np.meshgrid(xs, ys)
        lon, lat = self.projection.to_wgs84(gx.ravel(), gy.ravel())
        lon = lon.reshape(gx.shape)
        lat = lat.reshape(gx.shape)
        ix, iy = self.ix, self.iy
        corners = [(iy, ix), (iy, ix + 1), (iy + 1, ix + 1), (iy + 1, ix), (iy, ix)]
        return np.stack([np.stack([lon[r, c], lat[r, c]], axis=-1) for r, c in corners], axis=1)

    def polygons_wgs84(self) -> np.ndarray:
        import shapely

        return shapely.polygons(self.corner_rings_wgs84())


def convex_hull(x: np.ndarray, y: np.ndarray):
    """Shapely convex hull of many points.

    Points strictly inside the octagon of the extreme points (least and greatest x, y, x + y and
    x - y) cannot be vertices of the hull, so they are dropped first (Akl and Toussaint 1978):
    that leaves shapely a few thousand points instead of 10^5, without importing scipy.
    """
    import shapely

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if len(x) >= 16:
        extremes = np.unique(
            [f(v) for v in (x, y, x + y, x - y) for f in (np.argmin, np.argmax)]
        )
        octagon = shapely.convex_hull(shapely.multipoints(np.column_stack([x[extremes], y[extremes]])))
        if octagon.area > 0:
            shapely.prepare(octagon)
            # contains_xy is true only strictly inside; points on the octagon's edge are kept.
            keep = ~shapely.contains_xy(octagon, x, y)
            keep[extremes] = True
            x, y = x[keep], y[keep]
    return shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))


def build_grid(lon: np.ndarray, lat: np.ndarray, cell_size: float = 200.0) -> Grid:
    """Grid over the convex hull of the points (a point or a line is buffered by one cell)."""
    import shapely

    if not cell_size > 0:
        raise StudyAreaError(f"cell size must be positive, got {cell_size}")
    cell_size = float(cell_size)
    projection = Projection(utm_crs_for(lon, lat))
    x, y = projection.to_metric(lon, lat)
    hull = convex_hull(x, y)
    notes: list[str] = []
    if hull.area <= 0:
        hull = hull.buffer(cell_size)
        notes.append(
            "the events lie on a single point or line (study area 0 m^2); "
            f"the study area is that shape buffered by one cell ({cell_size:g} m)"
        )
    minx, miny, maxx, maxy = hull.bounds
    x0 = np.floor(minx / cell_size) * cell_size
    y0 = np.floor(miny / cell_size) * cell_size
    nx = max(1, int(np.ceil((maxx - x0) / cell_size)))
    ny = max(1, int(np.ceil((maxy - y0) / cell_size)))
    if nx * ny > MAX_CELLS:
        raise StudyAreaError(
            f"a {cell_size:g} m grid over this study area has {nx * ny} cells (limit {MAX_CELLS}); "
            "use a larger --cell-size or a smaller region"
        )
    iy, ix = np.divmod(np.arange(nx * ny), nx)
    boxes = shapely.box(x0 + ix * cell_size, y0 + iy * cell_size, x0 + (ix + 1) * cell_size, y0 + (iy + 1) * cell_size)
    shapely.prepare(hull)
    keep = shapely.intersects(hull, boxes)
    area = np.full(int(keep.sum()), cell_size * cell_size, dtype=float)
    kept_boxes = boxes[keep]
    inside = shapely.contains_properly(hull, kept_boxes)
    area[~inside] = shapely.area(shapely.intersection(kept_boxes[~inside], hull))
    return Grid(projection, float(cell_size), float(x0), float(y0), nx, ny, hull, ix[keep], iy[keep], area, tuple(notes))
