"""Inputs of a patrol plan: forecast cells from GeoJSON, their neighbourhoods, their harm.

The forecast is the ``watchhouse forecast`` output: a FeatureCollection of WGS84 polygons,
each with a numeric ``score``. Neighbourhoods come from a GeoJSON of polygons (a cell belongs
to the one containing its centroid) or, without one, are clusters of cells (k-means on the
centroids), marked as such. Harm per cell is the score times the mean harm weight of the
publicly reported offences recorded in the cell before the forecast's as-of date.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NAME_PROPERTIES = ("name", "neighbourhood", "neighborhood", "district", "id", "code")
# A cell's harm weight is shrunk towards the city-wide mean as if it had this many more
# events at that mean, so one robbery does not make a quiet cell the top priority.
HARM_SHRINKAGE_EVENTS = 5.0


class PatrolInputError(ValueError):
    """A forecast, neighbourhood or events file cannot be used; the message names where."""


@dataclass(frozen=True)
class ForecastCells:
    ids: list[str]
    geometries: list[dict]
    scores: np.ndarray
    centroids: np.ndarray  # (n, 2) lon, lat
    metadata: dict

    def __len__(self) -> int:
        return len(self.ids)


def _read_json(path: Path, what: str) -> object:
    if not path.is_file():
        raise PatrolInputError(f"{path}: no such {what} file")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PatrolInputError(f"{path}: not valid JSON ({error})") from None


def _features(raw: object, path: Path) -> list:
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection" or not isinstance(raw.get("features"), list):
        raise PatrolInputError(f"{path}: expected a GeoJSON FeatureCollection")
    if not raw["features"]:
        raise PatrolInputError(f"{path}: the FeatureCollection has no features")
    return raw["features"]


def _polygon(feature: object, index: int, path: Path):
    import shapely.geometry

    if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
        raise PatrolInputError(f"{path}: feature {index} has no geometry")
    try:
        geometry = shapely.geometry.shape(feature["geometry"])
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise PatrolInputError(f"{path}: feature {index} has an unreadable geometry ({error})") from None
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        raise PatrolInputError(f"{path}: feature {index} is a {geometry.geom_type}, expected a Polygon or MultiPolygon")
    minx, miny, maxx, maxy = geometry.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise PatrolInputError(f"{path}: feature {index} has coordinates outside WGS84 lon/lat ranges")
    return geometry


def read_forecast(path: str | Path) -> ForecastCells:
    """Cells of a forecast GeoJSON; a feature without a finite numeric ``score`` is an error."""
    path = Path(path)
    raw = _read_json(path, "forecast")
    features = _features(raw, path)
    ids, geometries, scores, centroids = [], [], [], []
    for index, feature in enumerate(features):
        polygon = _polygon(feature, index, path)
        properties = feature.get("properties") or {}
        score = properties.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score) or score < 0:
            raise PatrolInputError(f"{path}: feature {index} has score {score!r}; expected a finite number >= 0")
        identifier = properties.get("cell_id", feature.get("id", index))
        ids.append(str(identifier))
        geometries.append(feature["geometry"])
        scores.append(float(score))
        point = polygon.centroid
        centroids.append((point.x, point.y))
    if len(set(ids)) != len(ids):
        ids = [str(i) for i in range(len(ids))]  # ids repeat: fall back to the feature order
    metadata = raw.get("watchhouse") if isinstance(raw.get("watchhouse"), dict) else {}
    return ForecastCells(ids, geometries, np.array(scores), np.array(centroids, dtype=float), metadata)


def read_neighbourhoods(path: str | Path, name_property: str | None = None) -> list[tuple[str, object]]:
    """(name, shapely polygon) per feature; the name from ``name_property`` or a usual property."""
    path = Path(path)
    features = _features(_read_json(path, "neighbourhoods"), path)
    out = []
    for index, feature in enumerate(features):
        polygon = _polygon(feature, index, path)
        properties = feature.get("properties") or {}
        if name_property is not None:
            if properties.get(name_property) in (None, ""):
                raise PatrolInputError(f"{path}: feature {index} has no property {name_property!r}")
            name = properties[name_property]
        else:
            name = next((properties[k] for k in NAME_PROPERTIES if properties.get(k) not in (None, "")),
                        feature.get("id", f"neighbourhood-{index + 1}"))
        out.append((str(name), polygon))
    return out


def locate(points: np.ndarray, areas: list[tuple[str, object]]) -> np.ndarray:
    """Name of the area containing each (lon, lat) point; None outside them all (first area wins)."""
    import shapely

    tree = shapely.STRtree([polygon for _, polygon in areas])
    point_index, area_index = tree.query(shapely.points(points), predicate="intersects")
    names = np.full(len(points), None, dtype=object)
    order = np.lexsort((area_index, point_index))
    point_index, area_index = point_index[order], area_index[order]
    first = np.ones(len(point_index), dtype=bool)
    first[1:] = point_index[1:] != point_index[:-1]
    for p, a in zip(point_index[first], area_index[first]):
        names[p] = areas[a][0]
    return names


def local_metres(points: np.ndarray) -> np.ndarray:
    """(lon, lat) -> metres east and north of their mean; fine for clustering within a city."""
    lat0 = math.radians(float(np.mean(points[:, 1])))
    return np.column_stack(
        [(points[:, 0] - points[:, 0].mean()) * 111_320 * math.cos(lat0), (points[:, 1] - points[:, 1].mean()) * 110_574]
    )


def cluster_names(points: np.ndarray, clusters: int = 50) -> np.ndarray:
    """Stand-in neighbourhoods: k-means of the points (metres) into up to ``clusters`` groups,
    named ``cluster-01``... from north-west to south-east. Deterministic for the same input."""
    from scipy.cluster.vq import kmeans2

    xy = local_metres(points)
    k = max(1, min(clusters, len(np.unique(np.round(xy, 1), axis=0))))
    if k == 1:
        return np.array(["cluster-01"] * len(points), dtype=object)
    centres, labels = kmeans2(xy, k, iter=30, minit="++", seed=0)
    used = np.unique(labels)  # k-means can leave a cluster empty
    order = used[np.lexsort((centres[used, 0], -np.round(centres[used, 1], -2)))]
    rank = {int(label): position for position, label in enumerate(order)}
    width = max(2, len(str(len(used))))
    return np.array([f"cluster-{rank[int(label)] + 1:0{width}d}" for label in labels], dtype=object)


def harm_multipliers(cells: ForecastCells, lon: np.ndarray, lat: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per cell, the mean harm weight of the given events inside it, shrunk towards the mean
    of all of them (``HARM_SHRINKAGE_EVENTS``); cells without events get the overall mean."""
    import shapely

    if len(weights) == 0:
        raise PatrolInputError("no events to take harm weights from (all skipped, proactive or after as-of)")
    overall = float(np.mean(weights))
    polygons = [shapely.geometry.shape(g) for g in cells.geometries]
    tree = shapely.STRtree(polygons)
    event_index, cell_index = tree.query(shapely.points(np.column_stack([lon, lat])), predicate="intersects")
    _, first = np.unique(event_index, return_index=True)  # an event on a shared edge counts once
    event_index, cell_index = event_index[first], cell_index[first]
    sums = np.bincount(cell_index, weights=weights[event_index], minlength=len(cells))
    counts = np.bincount(cell_index, minlength=len(cells))
    return (sums + HARM_SHRINKAGE_EVENTS * overall) / (counts + HARM_SHRINKAGE_EVENTS)
