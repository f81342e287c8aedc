"""Import a force's real neighbourhood-team boundaries from GeoJSON.

The imported polygons replace the force's neighbourhoods (approximate MSOAs or an earlier
import) in one transaction. Each LSOA moves to the neighbourhood containing its centre; the
file is checked whole first, and every problem is reported with the feature's index.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import Engine

from watchhouse.areas import spatial
from watchhouse.areas.geometry import geojson_text, inside_point, to_metric
from watchhouse.areas.model import DISTRICT, LSOA, NEIGHBOURHOOD, AreasError
from watchhouse.areas.rows import Changes, blank_row, read_rows, sum_populations, write_changes
from watchhouse.areas.tables import areas

DEFAULT_ID_PROPERTIES = ("id", "code", "neighbourhood_id")
DEFAULT_NAME_PROPERTIES = ("name", "neighbourhood_name", "title")
WGS84_CRS_NAMES = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"}
# Great Britain with a margin, in (lng, lat): what a British force's boundary must fall inside.
GB_BOUNDS = (-9.0, 49.0, 2.5, 61.5)
# An LSOA whose centre falls outside every imported polygon (a gap between two of them, or
# just beyond the edge) joins the nearest neighbourhood within this distance.
NEAREST_NEIGHBOURHOOD_METRES = 500.0
MAX_REPORTED_PROBLEMS = 20


@dataclass(frozen=True)
class ImportedNeighbourhoods:
    force_code: str
    neighbourhoods: int
    replaced: int  # neighbourhoods the force had before
    lsoas_inside: int  # placed by the polygon containing their centre
    lsoas_nearest: int  # centre just outside every polygon: nearest within NEAREST_NEIGHBOURHOOD_METRES
    lsoas_by_neighbours: int  # no centre: placed with most of the LSOAs that shared their old neighbourhood
    lsoas_unplaced: int  # left directly under their district
    changes: Changes


@dataclass(frozen=True)
class _Feature:
    index: int
    code: str
    name: str
    description: str | None
    geometry: object  # shapely Polygon or MultiPolygon, WGS84


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise AreasError(f"{path}: no such file") from None
    except UnicodeDecodeError as error:
        raise AreasError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise AreasError(f"{path}: not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None


def _property(feature: dict, properties: dict, wanted: str | None, defaults: tuple[str, ...], what: str, option: str):
    if wanted is not None:
        value = properties.get(wanted)
        if value is None or str(value).strip() == "":
            raise ValueError(f"property {wanted!r} ({what}) is missing or empty")
        return str(value).strip()
    if what == "id" and feature.get("id") not in (None, ""):
        return str(feature["id"]).strip()
    for name in defaults:
        if properties.get(name) not in (None, ""):
            return str(properties[name]).strip()
    present = ", ".join(sorted(properties)) or "none"
    raise ValueError(f"no {what}: none of {', '.join(defaults)} is set; name the property with {option} (properties present: {present})")


def _check_coordinates(geometry) -> None:
    coordinates = shapely.get_coordinates(geometry)
    if not np.isfinite(coordinates).all():
        raise ValueError("a coordinate is not a finite number")
    lng, lat = coordinates[:, 0], coordinates[:, 1]
    outside = (np.abs(lng) > 180) | (np.abs(lat) > 90)
    if outside.any():
        x, y = coordinates[int(np.argmax(outside))]
        hint = ""
        if 0 <= x <= 700_000 and 0 <= y <= 1_300_000:
            hint = "; it looks like British National Grid metres (EPSG:27700): reproject to WGS84 (EPSG:4326)"
        raise ValueError(f"coordinate ({x:g}, {y:g}) is outside the WGS84 range (longitude ±180, latitude ±90){hint}")
    west, south, east, north = GB_BOUNDS
    in_britain = (lng >= west) & (lng <= east) & (lat >= south) & (lat <= north)
    if not in_britain.all():
        x, y = coordinates[int(np.argmin(in_britain))]
        if west <= y <= east and south <= x <= north:
            raise ValueError(f"coordinate ({x:g}, {y:g}) looks like latitude, longitude; GeoJSON order is longitude, latitude")
        raise ValueError(f"coordinate (longitude {x:g}, latitude {y:g}) is outside Great Britain; is the file in WGS84?")


def _polygonal(geometry):
    """The geometry as a valid Polygon/MultiPolygon, repaired if needed; None when nothing is left."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    if geometry.geom_type == "GeometryCollection":
        parts = [part for part in geometry.geoms if part.geom_type in ("Polygon", "MultiPolygon")]
        geometry = shapely.union_all(parts) if parts else shapely.Polygon()
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty or geometry.area == 0:
        return None
    return geometry


def _feature(index: int, feature: object, id_property: str | None, name_property: str | None) -> _Feature:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("is not a GeoJSON Feature object")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise ValueError("'properties' is not an object")
    code = _property(feature, properties, id_property, DEFAULT_ID_PROPERTIES, "id", "--id-property")
    if any(character in code for character in "/?#%") or len(code) > 64:
        raise ValueError(f"id {code!r} cannot be an API path segment (no / ? # %, at most 64 characters)")
    name = _property(feature, properties, name_property, DEFAULT_NAME_PROPERTIES, "name", "--name-property")
    raw_geometry = feature.get("geometry")
    if not raw_geometry:
        raise ValueError("has no geometry")
    if not isinstance(raw_geometry, dict) or raw_geometry.get("type") not in ("Polygon", "MultiPolygon"):
        kind = raw_geometry.get("type") if isinstance(raw_geometry, dict) else type(raw_geometry).__name__
        raise ValueError(f"geometry is {kind!r}; a neighbourhood must be a Polygon or MultiPolygon")
    try:
        geometry = shape(raw_geometry)
    except Exception as error:  # shapely raises several types for malformed coordinate arrays
        raise ValueError(f"malformed {raw_geometry['type']} coordinates ({error})") from None
    if geometry.is_empty:
        raise ValueError("geometry is empty")
    _check_coordinates(geometry)
    repaired = _polygonal(geometry)
    if repaired is None:
        reason = shapely.is_valid_reason(geometry)
        raise ValueError(f"invalid polygon ({reason}) that cannot be repaired into an area")
    description = properties.get("description")
    return _Feature(index, code, name, str(description) if description else None, repaired)


def read_features(path: Path, *, id_property: str | None = None, name_property: str | None = None) -> list[_Feature]:
    """Parse and check a FeatureCollection; raises AreasError listing every bad feature."""
    document = _read_json(path)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise AreasError(f"{path}: not a GeoJSON FeatureCollection")
    crs_name = ((document.get("crs") or {}).get("properties") or {}).get("name")
    if crs_name and crs_name not in WGS84_CRS_NAMES:
        raise AreasError(f"{path}: declares crs {crs_name!r}; neighbourhood boundaries must be WGS84 (EPSG:4326)")
    raw_features = document.get("features")
    if not isinstance(raw_features, list) or not raw_features:
        raise AreasError(f"{path}: the FeatureCollection has no features")
    problems: list[str] = []
    features: list[_Feature] = []
    first_index_of: dict[str, int] = {}
    for index, raw in enumerate(raw_features):
        try:
            feature = _feature(index, raw, id_property, name_property)
        except ValueError as error:
            problems.append(f"feature {index}: {error}")
            continue
        if feature.code in first_index_of:
            problems.append(f"feature {index}: id {feature.code!r} repeats feature {first_index_of[feature.code]}")
            continue
        first_index_of[feature.code] = index
        features.append(feature)
    if problems:
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = len(problems) - len(shown)
        tail = f"\n  ... and {more} more" if more else ""
        raise AreasError(f"{path}: {len(problems)} bad feature(s):\n  " + "\n  ".join(shown) + tail)
    return features


def _lsoa_centres(engine: Engine, force_code: str, lsoa_rows: dict[str, dict]) -> dict[str, tuple[float, float]]:
    centres = {
        code: (row["centre_lat"], row["centre_lng"])
        for code, row in lsoa_rows.items()
        if row["centre_lat"] is not None and row["centre_lng"] is not None
    }
    if len(centres) < len(lsoa_rows):
        from watchhouse.crimes.geography import lsoa_point_centroids

        for code, (lat, lng, _count) in lsoa_point_centroids(engine, force_code).items():
            if code in lsoa_rows and code not in centres:
                centres[code] = (lat, lng)
    return centres


def _place_lsoas(
    lsoa_rows: dict[str, dict], centres: dict[str, tuple[float, float]], features: list[_Feature]
) -> tuple[dict[str, str], Counter]:
    """LSOA code -> imported neighbourhood code, with a count of how each was placed."""
    how = Counter()
    placement: dict[str, str] = {}
    metric = [to_metric(feature.geometry) for feature in features]
    tree = shapely.STRtree(metric)
    located = [code for code in sorted(lsoa_rows) if code in centres]
    if located:
        points = to_metric(shapely.points(np.array([(centres[c][1], centres[c][0]) for c in located])))
        for code, point in zip(located, points):
            hits = tree.query(point, predicate="covered_by")
            if len(hits):
                # Overlapping polygons: the smallest is the most specific.
                best = min(hits, key=lambda i: (metric[i].area, features[i].code))
                placement[code] = features[best].code
                how["inside"] += 1
                continue
            nearest = tree.query_nearest(point, max_distance=NEAREST_NEIGHBOURHOOD_METRES)
            if len(nearest):
                placement[code] = features[min(nearest, key=lambda i: features[i].code)].code
                how["nearest"] += 1
    # LSOAs without a centre follow most of the LSOAs that shared their previous neighbourhood.
    by_old_parent: dict[str, Counter] = defaultdict(Counter)
    for code, row in lsoa_rows.items():
        if code in placement:
            by_old_parent[row["parent_code"]][placement[code]] += 1
    for code, row in sorted(lsoa_rows.items()):
        if code in placement:
            continue
        votes = by_old_parent.get(row["parent_code"])
        if votes:
            placement[code] = min(votes, key=lambda n: (-votes[n], n))
            how["neighbours"] += 1
        else:
            how["unplaced"] += 1
    return placement, how


def import_neighbourhoods(
    engine: Engine,
    path,
    *,
    force_code: str,
    id_property: str | None = None,
    name_property: str | None = None,
) -> ImportedNeighbourhoods:
    path = Path(path)
    features = read_features(path, id_property=id_property, name_property=name_property)
    source_digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    source = f"imported from {path.name} (sha256 {source_digest})"[:200]

    with engine.begin() as connection:
        before = read_rows(connection, [force_code])
        lsoa_rows = {code: row for code, row in before.items() if row["level"] == LSOA}
        if not lsoa_rows:
            raise AreasError(f"force {force_code!r} has no LSOAs: run `watchhouse areas load-lookup` first")
        old_neighbourhoods = {code for code, row in before.items() if row["level"] == NEIGHBOURHOOD}
        clashes = connection.execute(
            areas.select().with_only_columns(areas.c.code, areas.c.level, areas.c.force_code).where(
                areas.c.code.in_([feature.code for feature in features])
            )
        ).all()
        for clash in clashes:
            if clash.code not in old_neighbourhoods:
                index = next(f.index for f in features if f.code == clash.code)
                raise AreasError(
                    f"{path}: feature {index}: id {clash.code!r} is already the code of {clash.level} "
                    f"{clash.code} of force {clash.force_code}; area codes must be unique (choose another --id-property)"
                )

        centres = _lsoa_centres(engine, force_code, lsoa_rows)
        placement, how = _place_lsoas(lsoa_rows, centres, features)

        def district_of(lsoa: dict) -> str | None:
            parent = before.get(lsoa["parent_code"])
            if parent is None:
                return None
            return parent["code"] if parent["level"] == DISTRICT else parent["parent_code"]

        district_votes: dict[str, Counter] = defaultdict(Counter)
        for code, neighbourhood_code in placement.items():
            district = district_of(lsoa_rows[code])
            if district:
                district_votes[neighbourhood_code][district] += lsoa_rows[code]["population"] or 1

        after = {code: dict(row) for code, row in before.items() if code not in old_neighbourhoods}
        for feature in features:
            row = blank_row(feature.code, NEIGHBOURHOOD, feature.name, force_code)
            votes = district_votes.get(feature.code)
            row["parent_code"] = min(votes, key=lambda d: (-votes[d], d)) if votes else force_code
            centre = inside_point(feature.geometry)
            row.update(
                boundary_geojson=geojson_text(feature.geometry),
                boundary_approximate=False,
                boundary_source=source,
                centre_lat=round(centre.y, 6),
                centre_lng=round(centre.x, 6),
                description=feature.description,
            )
            after[feature.code] = row
        for code, row in after.items():
            if row["level"] != LSOA:
                continue
            if code in placement:
                row["parent_code"] = placement[code]
            else:
                row["parent_code"] = district_of(lsoa_rows[code]) or force_code
        sum_populations(after)
        changes = write_changes(connection, before, after)
    spatial.invalidate(engine)
    return ImportedNeighbourhoods(
        force_code=force_code,
        neighbourhoods=len(features),
        replaced=len(old_neighbourhoods),
        lsoas_inside=how["inside"],
        lsoas_nearest=how["nearest"],
        lsoas_by_neighbours=how["neighbours"],
        lsoas_unplaced=how["unplaced"],
        changes=changes,
    )
