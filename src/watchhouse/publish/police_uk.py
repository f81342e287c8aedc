"""The data.police.uk-compatible API: parameters, limits and serialised answers.

The web routes (``watchhouse.web.routes.police_api``) only move requests in and bytes out;
everything the real API decides is decided here: how parameters are read, which status a
bad one gets (400 malformed, 404 unknown or unpublished, 503 over 10,000 crimes), and the
JSON. Crime answers are cached as serialised bytes per data version (see ``cache``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import orjson
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from watchhouse import areas
from watchhouse.crimes import query
from watchhouse.crimes.categories import CRIME_CATEGORIES, NAME_BY_SLUG
from watchhouse.publish import shapes
from watchhouse.publish.cache import cache_for

MAX_SEARCH_CRIMES = 10_000
MAX_GET_URL_LENGTH = 4094
MAX_LOCATION_ID = 2**31 - 1
STOP_STREET_SNAP_M = 500.0
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PoliceApiError(HTTPException):
    """An answer the real API gives as a status code; the message says which parameter and why."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(status_code=status_code, detail=message)


def dumps(value) -> bytes:
    # orjson: profiling showed json.dumps at ~25 us per crime, most of a cold 1,600-crime answer.
    return orjson.dumps(value)


# ---------------------------------------------------------------- parameters


def _number(params: Mapping[str, str], name: str) -> float:
    raw = params.get(name)
    if raw is None or not raw.strip():
        raise PoliceApiError(400, f"missing parameter {name}")
    try:
        value = float(raw)
    except ValueError:
        raise PoliceApiError(400, f"parameter {name}={raw!r} is not a number") from None
    if not math.isfinite(value):
        raise PoliceApiError(400, f"parameter {name}={raw!r} is not a finite number")
    return value


def point(params: Mapping[str, str]) -> tuple[float, float]:
    lat, lng = _number(params, "lat"), _number(params, "lng")
    if not -90 <= lat <= 90:
        raise PoliceApiError(400, f"parameter lat={params['lat']} is outside -90..90")
    if not -180 <= lng <= 180:
        raise PoliceApiError(400, f"parameter lng={params['lng']} is outside -180..180")
    return lat, lng


def polygon(text: str) -> query.Polygon:
    """``lat,lng:lat,lng:...`` as data.police.uk takes it; the ring closes itself."""
    vertices = []
    for index, pair in enumerate(text.strip().strip(":").split(":"), start=1):
        parts = pair.split(",")
        if len(parts) != 2:
            raise PoliceApiError(400, f"poly point {index} {pair!r} is not lat,lng")
        try:
            lat, lng = float(parts[0]), float(parts[1])
        except ValueError:
            raise PoliceApiError(400, f"poly point {index} {pair!r} is not two numbers") from None
        vertices.append((lat, lng))
    try:
        return query.Polygon(tuple(vertices))
    except ValueError as error:
        raise PoliceApiError(400, f"poly: {error}") from None


def search_area(params: Mapping[str, str]) -> query.Area:
    """``poly=`` when given, else the one-mile circle around ``lat``/``lng``."""
    if params.get("poly"):
        return polygon(params["poly"])
    if params.get("lat") is None and params.get("lng") is None:
        raise PoliceApiError(400, "give lat and lng, or poly")
    lat, lng = point(params)
    return query.Circle(lat, lng)


def month(engine: Engine, raw: str | None) -> str:
    """The ``date`` parameter: YYYY-MM, defaulting to the latest month; 404 when it has no data."""
    if raw is None or not raw.strip():
        latest = query.latest_month(engine)
        if latest is None:
            raise PoliceApiError(404, "no crime data has been published yet")
        return latest
    match = _MONTH.match(raw.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise PoliceApiError(400, f"parameter date={raw!r} is not a month as YYYY-MM")
    value = raw.strip()
    if not query.has_month(engine, value):
        raise PoliceApiError(404, f"no crime data published for {value}")
    return value


def category(slug: str) -> str:
    if slug not in NAME_BY_SLUG:
        raise PoliceApiError(404, f"unknown crime category {slug!r}; see /api/crime-categories")
    return slug


# ---------------------------------------------------------------- crimes


def _refuse_over_limit(count: int, what: str) -> None:
    if count > MAX_SEARCH_CRIMES:
        raise PoliceApiError(503, f"the area holds {count} {what}, over the limit of {MAX_SEARCH_CRIMES}; search a smaller area")


def _crime_fragments(engine: Engine, ids: list[int]) -> dict[int, bytes]:
    return {crime.id: dumps(shapes.crime(crime)) for crime in query.crimes_by_ids(engine, ids)}


def _crimes_array(engine: Engine, version: int, ids: list[int]) -> bytes:
    fragments = cache_for(engine).fragments_for(version, ids, lambda missing: _crime_fragments(engine, missing))
    return b"[" + b",".join(fragments) + b"]"


def street_crimes_json(engine: Engine, category_slug: str, params: Mapping[str, str]) -> bytes:
    """crimes-street/{category}: the crimes within one mile of lat/lng, or within poly."""
    slug = category(category_slug)
    area = search_area(params)
    raw_date = params.get("date")
    version = query.data_version(engine)

    def build() -> bytes:
        when = month(engine, raw_date)
        ids = query.street_crime_ids(engine, area, when, slug)
        _refuse_over_limit(len(ids), "crimes")
        return _crimes_array(engine, version, ids)

    return cache_for(engine).response(version, ("crimes-street", slug, area, raw_date), build)


def _location_id(engine: Engine, params: Mapping[str, str]) -> int | None:
    """``location_id``, or the nearest map point to ``lat``/``lng``; None when there is none near."""
    raw = params.get("location_id")
    if raw is not None and raw.strip():
        try:
            location_id = int(raw)
        except ValueError:
            raise PoliceApiError(400, f"parameter location_id={raw!r} is not an integer") from None
        # Ids are positive 32-bit integers; a larger one names no location (and overflows the database).
        return location_id if 1 <= location_id <= MAX_LOCATION_ID else None
    if params.get("lat") is None and params.get("lng") is None:
        raise PoliceApiError(400, "give location_id, or lat and lng")
    lat, lng = point(params)
    nearest = query.nearest_map_point(engine, lat, lng)
    return nearest.id if nearest else None


def crimes_at_location_json(engine: Engine, params: Mapping[str, str]) -> bytes:
    when = month(engine, params.get("date"))
    location_id = _location_id(engine, params)
    if location_id is None:
        return b"[]"
    version = query.data_version(engine)

    def build() -> bytes:
        return _crimes_array(engine, version, [c.id for c in query.crimes_at_location(engine, location_id, when)])

    return cache_for(engine).response(version, ("crimes-at-location", location_id, when), build)


def _names_nothing(identifier: str) -> bool:
    """True for an id no record can have: control characters (PostgreSQL cannot even compare a NUL)."""
    return any(ord(character) < 32 or ord(character) == 127 for character in identifier)


def _known_force(engine: Engine, force_code: str):
    if _names_nothing(force_code):
        return None
    area = areas.get_area(engine, force_code)
    if area is not None and area.level == areas.FORCE:
        return area
    return None


def _require_force(engine: Engine, params: Mapping[str, str]) -> str:
    force_code = (params.get("force") or "").strip()
    if not force_code:
        raise PoliceApiError(400, "missing parameter force")
    if _known_force(engine, force_code) is None and (
        _names_nothing(force_code) or not query.force_has_crimes(engine, force_code)
    ):
        raise PoliceApiError(404, f"unknown force {force_code!r}; see /api/forces")
    return force_code


def crimes_no_location_json(engine: Engine, params: Mapping[str, str]) -> bytes:
    slug = category(params.get("category") or "all-crime")
    force_code = _require_force(engine, params)
    when = month(engine, params.get("date"))
    version = query.data_version(engine)

    def build() -> bytes:
        return dumps([shapes.crime(c) for c in query.crimes_no_location(engine, force_code, when, slug)])

    return cache_for(engine).response(version, ("crimes-no-location", force_code, slug, when), build)


def outcomes_for_crime_json(engine: Engine, persistent_id: str) -> bytes:
    wanted = persistent_id.strip().lower()
    crime = None if _names_nothing(wanted) else query.crime_by_persistent_id(engine, wanted)
    if crime is None:
        raise PoliceApiError(404, f"no crime with persistent id {persistent_id!r}")
    return dumps(shapes.outcomes_for_crime(crime, query.outcomes_for_crime(engine, crime.persistent_id)))


def outcomes_at_location_json(engine: Engine, params: Mapping[str, str]) -> bytes:
    """The latest outcomes of ``date``'s crimes at a location_id, within one mile of lat/lng, or within poly."""
    when = month(engine, params.get("date"))
    if params.get("location_id"):
        location_id = _location_id(engine, params)
        crimes = query.crimes_at_location(engine, location_id, when) if location_id else []
    else:
        area = search_area(params)
        ids = query.street_crime_ids(engine, area, when)
        _refuse_over_limit(len(ids), "crimes")
        crimes = query.crimes_by_ids(engine, ids)
    return dumps([shapes.outcome_at_location(c) for c in crimes if c.outcome_category])


# ---------------------------------------------------------------- stops


def _stops_json(engine: Engine, stops: list[query.Stop]) -> bytes:
    items = []
    for stop in stops:
        street = None
        if stop.latitude is not None and stop.longitude is not None:
            street = query.nearest_map_point(engine, stop.latitude, stop.longitude, max_distance_m=STOP_STREET_SNAP_M)
        items.append(shapes.stop(stop, street))
    return dumps(items)


def stops_street_json(engine: Engine, params: Mapping[str, str]) -> bytes:
    area = search_area(params)
    when = month(engine, params.get("date"))
    version = query.data_version(engine)

    def build() -> bytes:
        _refuse_over_limit(query.count_stops_within(engine, area, when), "stops")
        return _stops_json(engine, query.stops_within(engine, area, when))

    return cache_for(engine).response(version, ("stops-street", area, when), build)


def stops_force_json(engine: Engine, params: Mapping[str, str], *, located: bool | None = None) -> bytes:
    force_code = _require_force(engine, params)
    when = month(engine, params.get("date"))
    version = query.data_version(engine)

    def build() -> bytes:
        return _stops_json(engine, query.stops_by_force(engine, force_code, when, located=located))

    return cache_for(engine).response(version, ("stops-force", force_code, when, located), build)


# ---------------------------------------------------------------- availability


def crime_categories_json(engine: Engine, params: Mapping[str, str]) -> bytes:
    """The published categories, plus any historic one the month's crimes use."""
    raw = params.get("date")

    def build() -> bytes:
        listed = list(CRIME_CATEGORIES)
        if raw:
            when = month(engine, raw)
            known = {slug for slug, _ in listed}
            listed += [(s, NAME_BY_SLUG.get(s, s)) for s in query.categories_in_month(engine, when) if s not in known]
        return dumps([{"url": slug, "name": name} for slug, name in listed])

    return cache_for(engine).response(query.data_version(engine), ("crime-categories", raw), build)


def crimes_street_dates_json(engine: Engine) -> bytes:
    def build() -> bytes:
        return dumps([{"date": m.month, "stop-and-search": m.stop_and_search_forces} for m in query.months_available(engine)])

    return cache_for(engine).response(query.data_version(engine), ("crimes-street-dates",), build)


def crime_last_updated_json(engine: Engine) -> bytes:
    def build() -> bytes:
        updated = query.last_updated(engine)
        if updated is None:
            raise PoliceApiError(404, "no crime data has been published yet")
        return dumps({"date": updated})

    return cache_for(engine).response(query.data_version(engine), ("crime-last-updated",), build)


# ---------------------------------------------------------------- forces and neighbourhoods


def forces_json(engine: Engine) -> bytes:
    return dumps([shapes.force_summary(force) for force in areas.forces(engine)])


def _force(engine: Engine, force_code: str):
    force = _known_force(engine, force_code)
    if force is None:
        raise PoliceApiError(404, f"unknown force {force_code!r}; see /api/forces")
    return force


def force_json(engine: Engine, force_code: str) -> bytes:
    return dumps(shapes.force_detail(_force(engine, force_code)))


def neighbourhoods_json(engine: Engine, force_code: str) -> bytes:
    _force(engine, force_code)
    return dumps([shapes.neighbourhood_summary(n) for n in areas.neighbourhoods(engine, force_code)])


def _neighbourhood(engine: Engine, force_code: str, code: str):
    force = _force(engine, force_code)
    area = None if _names_nothing(code) else areas.get_area(engine, code)
    if area is None or area.level != areas.NEIGHBOURHOOD or area.force_code != force_code:
        raise PoliceApiError(404, f"force {force_code!r} has no neighbourhood {code!r}; see /api/{force_code}/neighbourhoods")
    return force, area


def neighbourhood_json(engine: Engine, force_code: str, code: str) -> bytes:
    force, area = _neighbourhood(engine, force_code, code)
    return dumps(shapes.neighbourhood_detail(area, force))


def boundary_json(engine: Engine, force_code: str, code: str) -> bytes:
    _neighbourhood(engine, force_code, code)
    return dumps(shapes.boundary(areas.boundary_points(engine, code)))


def locate_neighbourhood_json(engine: Engine, params: Mapping[str, str]) -> bytes:
    raw = params.get("q")
    if not raw:
        raise PoliceApiError(400, "missing parameter q=lat,lng")
    parts = raw.split(",")
    if len(parts) != 2:
        raise PoliceApiError(400, f"parameter q={raw!r} is not lat,lng")
    lat, lng = point({"lat": parts[0], "lng": parts[1]})
    found = areas.locate_neighbourhood(engine, lat, lng)
    if found is None:
        raise PoliceApiError(404, f"no neighbourhood contains {lat},{lng}")
    return dumps({"force": found.force_code, "neighbourhood": found.code})
