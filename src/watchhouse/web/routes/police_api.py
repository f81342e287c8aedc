"""``/api``: the data.police.uk-compatible public API (paths, parameters, JSON and errors).

Thin: each route hands its parameters to ``watchhouse.publish.police_uk`` in a worker thread
and returns the bytes it gets. ``install(app)`` adds the per-client rate limit and the
over-long-URL check, both for ``/api`` only. ``/api/{force}/{neighbourhood}`` matches only
data.police.uk force ids, so it cannot shadow a fixed ``/api/...`` path another router adds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor

from watchhouse.areas.force_facts import POLICE_UK_FORCES
from watchhouse.config import rate_limit
from watchhouse.crimes.categories import CRIME_CATEGORIES
from watchhouse.publish import police_uk
from watchhouse.publish.cache import MIN_GZIP_BYTES, gzipped
from watchhouse.publish.rate_limit import LeakyBucketLimiter, retry_after_header

API_PREFIX = "/api"


class PoliceForceId(Convertor):
    """A path segment that is one of data.police.uk's force ids (areas accepts no others)."""

    regex = "|".join(re.escape(force) for force in sorted(POLICE_UK_FORCES, key=len, reverse=True))

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("police_force", PoliceForceId())


# ---------------------------------------------------------------- OpenAPI description
# The routes read their parameters from the request themselves (so errors keep the real API's
# statuses and words, not FastAPI's 422), so the schema is described here, with the limits the
# publish module enforces: clients and Schemathesis then see what is accepted.

_ERROR_BODY = {"application/json": {"schema": {"type": "object", "properties": {"detail": {"type": "string"}},
                                               "required": ["detail"]}}}
_ERRORS = {
    400: "A parameter is missing or malformed, or a GET URL is over 4,094 characters; `detail` says which",
    404: "Unknown force, neighbourhood, category or crime, or a month without data",
    429: "Over the rate limit for this client address; see Retry-After",
    503: "The search holds over 10,000 crimes or stops; search a smaller area",
}


def _responses(*statuses: int) -> dict:
    return {status: {"description": _ERRORS[status], "content": _ERROR_BODY} for status in (*statuses, 429)}


def _query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


_LAT = {"type": "number", "minimum": -90, "maximum": 90}
_LNG = {"type": "number", "minimum": -180, "maximum": 180}
_NUMBER = r"-?[0-9]{1,3}(\.[0-9]{1,8})?"
_POLY = {"type": "string", "maxLength": police_uk.MAX_GET_URL_LENGTH,
         "pattern": f"^{_NUMBER},{_NUMBER}(:{_NUMBER},{_NUMBER}){{2,}}$"}
_FIELDS = {
    "lat": _query("lat", _LAT, "Latitude of the centre of a one-mile search (with lng)"),
    "lng": _query("lng", _LNG, "Longitude of the centre of a one-mile search (with lat)"),
    "poly": _query("poly", _POLY, "A polygon as lat,lng:lat,lng:... (at least 3 points); closes itself"),
    "date": _query("date", {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
                   "Month as YYYY-MM; the latest month with data when omitted"),
    "location_id": _query("location_id", {"type": "integer", "minimum": 1, "maximum": police_uk.MAX_LOCATION_ID},
                          "A map point id from a crime's location.street.id"),
    "force": _query("force", {"type": "string", "enum": sorted(POLICE_UK_FORCES)}, "A force id from /api/forces",
                    required=True),
    "category": _query("category", {"type": "string", "enum": [slug for slug, _ in CRIME_CATEGORIES]},
                       "A crime category slug from /api/crime-categories (default all-crime)"),
    "q": _query("q", {"type": "string", "pattern": f"^{_NUMBER},{_NUMBER}$"}, "lat,lng", required=True),
}


def _query_doc(*names: str, form: bool = False) -> dict:
    """openapi_extra for a route taking ``names`` in the query (and, for POST, in a form body)."""
    parameters = [_FIELDS[name] for name in names]
    extra: dict = {"parameters": parameters}
    if form:
        extra["requestBody"] = {"required": False, "content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {p["name"]: p["schema"] for p in parameters}}}}}
    return extra


# Path parameters: the schema's limits only (json_schema_extra); the publish module answers 404 itself.
ForceId = Annotated[str, Path(description="A force id from /api/forces",
                              json_schema_extra={"enum": sorted(POLICE_UK_FORCES)})]
NeighbourhoodId = Annotated[str, Path(description="A neighbourhood id from /api/{force}/neighbourhoods",
                                      json_schema_extra={"minLength": 1, "maxLength": 100})]
CategorySlug = Annotated[str, Path(description="A crime category slug from /api/crime-categories",
                                   json_schema_extra={"enum": [slug for slug, _ in CRIME_CATEGORIES]})]
PersistentId = Annotated[str, Path(description="A crime's persistent_id (64 hexadecimal characters)",
                                   json_schema_extra={"maxLength": 100})]
router = APIRouter(prefix=API_PREFIX, tags=["police.uk-compatible API"])


def _accepts_gzip(request: Request) -> bool:
    return "gzip" in request.headers.get("accept-encoding", "").lower()


def _encode(body: bytes, gzip_ok: bool) -> tuple[bytes, dict[str, str]]:
    if gzip_ok and len(body) >= MIN_GZIP_BYTES:
        return gzipped(body), {"content-encoding": "gzip", "vary": "Accept-Encoding"}
    return body, {"vary": "Accept-Encoding"}


def _json(body: bytes, headers: dict[str, str]) -> Response:
    return Response(content=body, media_type="application/json", headers=headers)


async def _answer(request: Request, produce: Callable, *args, form: bool = False) -> Response:
    """Run ``produce(engine, *args, params)`` off the event loop; POST form fields join the query."""
    params = dict(request.query_params)
    if form and request.method == "POST":
        params.update({key: value for key, value in (await request.form()).items() if isinstance(value, str)})

    def respond():
        return _encode(produce(request.app.state.engine, *args, params), _accepts_gzip(request))

    return _json(*await run_in_threadpool(respond))


async def _plain(request: Request, produce: Callable, *args) -> Response:
    def respond():
        return _encode(produce(request.app.state.engine, *args), _accepts_gzip(request))

    return _json(*await run_in_threadpool(respond))


@router.get("/forces", responses=_responses(), summary="All forces: [{id, name}]")
async def forces(request: Request) -> Response:
    return await _plain(request, police_uk.forces_json)


@router.get("/forces/{force}", responses=_responses(404), summary="One force: {id, name, description, telephone, url, engagement_methods}")
async def force(request: Request, force: ForceId) -> Response:
    return await _plain(request, police_uk.force_json, force)


@router.get("/crime-categories", responses=_responses(400, 404), openapi_extra=_query_doc("date"), summary="Crime categories [{url, name}] for ?date=YYYY-MM")
async def crime_categories(request: Request) -> Response:
    return await _answer(request, police_uk.crime_categories_json)


@router.get("/crime-last-updated", responses=_responses(404), summary="{date}: the newest month's first day")
async def crime_last_updated(request: Request) -> Response:
    return await _plain(request, police_uk.crime_last_updated_json)


@router.get("/crimes-street-dates", responses=_responses(), summary="Months with data, newest first, with stop-and-search forces")
async def crimes_street_dates(request: Request) -> Response:
    return await _plain(request, police_uk.crimes_street_dates_json)


_CRIMES_STREET = dict(
    summary="Crimes within one mile of ?lat=&lng= or within ?poly=lat,lng:lat,lng:... (also a POST form)",
    description=(
        "Within one mile: haversine distance on the WGS84 mean-radius sphere (6,371,008.8 m) from the "
        "point to the crime's map point at most 1,609.344 m. Within poly: inside or on the ring its "
        "points make, joined by straight lines in latitude/longitude. `date` is YYYY-MM, the latest "
        "month when omitted. 400 for malformed parameters or a GET URL over 4,094 characters, 404 for "
        "an unknown category or a month without data, 503 when the search holds over 10,000 crimes."
    ),
    responses=_responses(400, 404, 503),
)


@router.get("/crimes-street/{category}", **_CRIMES_STREET, openapi_extra=_query_doc("lat", "lng", "poly", "date"))
@router.post("/crimes-street/{category}", **_CRIMES_STREET, openapi_extra=_query_doc("lat", "lng", "poly", "date", form=True))
async def crimes_street(request: Request, category: CategorySlug) -> Response:
    return await _answer(request, police_uk.street_crimes_json, category, form=True)


@router.get("/crimes-at-location", responses=_responses(400, 404), openapi_extra=_query_doc("location_id", "lat", "lng", "date"), summary="Crimes at ?location_id= or the map point nearest ?lat=&lng=")
@router.post("/crimes-at-location", responses=_responses(400, 404), openapi_extra=_query_doc("location_id", "lat", "lng", "date", form=True), summary="Crimes at ?location_id= or the map point nearest ?lat=&lng=")
async def crimes_at_location(request: Request) -> Response:
    return await _answer(request, police_uk.crimes_at_location_json, form=True)


@router.get("/crimes-no-location", responses=_responses(400, 404), openapi_extra=_query_doc("category", "force", "date"), summary="Crimes a force published without a location: ?category=&force=[&date=]")
async def crimes_no_location(request: Request) -> Response:
    return await _answer(request, police_uk.crimes_no_location_json)


@router.get("/outcomes-for-crime/{persistent_id}", responses=_responses(404), summary="{crime, outcomes[]} for a 64-hex persistent id")
async def outcomes_for_crime(request: Request, persistent_id: PersistentId) -> Response:
    return await _plain(request, police_uk.outcomes_for_crime_json, persistent_id)


@router.get("/outcomes-at-location", responses=_responses(400, 404, 503), openapi_extra=_query_doc("location_id", "lat", "lng", "poly", "date"), summary="Latest outcomes at ?location_id=, ?lat=&lng= or ?poly=")
@router.post("/outcomes-at-location", responses=_responses(400, 404, 503), openapi_extra=_query_doc("location_id", "lat", "lng", "poly", "date", form=True), summary="Latest outcomes at ?location_id=, ?lat=&lng= or ?poly=")
async def outcomes_at_location(request: Request) -> Response:
    return await _answer(request, police_uk.outcomes_at_location_json, form=True)


@router.get("/locate-neighbourhood", responses=_responses(400, 404), openapi_extra=_query_doc("q"), summary="{force, neighbourhood} containing ?q=lat,lng")
async def locate_neighbourhood(request: Request) -> Response:
    return await _answer(request, police_uk.locate_neighbourhood_json)


@router.get("/stops-street", responses=_responses(400, 404, 503), openapi_extra=_query_doc("lat", "lng", "poly", "date"), summary="Stops within one mile of ?lat=&lng= or within ?poly=")
@router.post("/stops-street", responses=_responses(400, 404, 503), openapi_extra=_query_doc("lat", "lng", "poly", "date", form=True), summary="Stops within one mile of ?lat=&lng= or within ?poly=")
async def stops_street(request: Request) -> Response:
    return await _answer(request, police_uk.stops_street_json, form=True)


def _stops_of_force(located: bool | None) -> Callable:
    def produce(engine, params):
        return police_uk.stops_force_json(engine, params, located=located)

    return produce


@router.get("/stops-no-location", responses=_responses(400, 404), openapi_extra=_query_doc("force", "date"), summary="Stops a force published without a location: ?force=[&date=]")
async def stops_no_location(request: Request) -> Response:
    return await _answer(request, _stops_of_force(False))


@router.get("/stops-force", responses=_responses(400, 404), openapi_extra=_query_doc("force", "date"), summary="All stops a force published: ?force=[&date=]")
async def stops_force(request: Request) -> Response:
    return await _answer(request, _stops_of_force(None))


# "/api/{force}/neighbourhoods" before "/api/{force}/{neighbourhood}".
@router.get("/{force:police_force}/neighbourhoods", responses=_responses(404), summary="A force's neighbourhoods: [{id, name}]")
async def neighbourhoods(request: Request, force: ForceId) -> Response:
    return await _plain(request, police_uk.neighbourhoods_json, force)


@router.get("/{force:police_force}/{neighbourhood}/boundary", responses=_responses(404), summary="A neighbourhood's boundary: [{latitude, longitude}]")
async def boundary(request: Request, force: ForceId, neighbourhood: NeighbourhoodId) -> Response:
    return await _plain(request, police_uk.boundary_json, force, neighbourhood)


@router.get("/{force:police_force}/{neighbourhood}", responses=_responses(404), summary="One neighbourhood: {id, name, description, population, centre, ...}")
async def neighbourhood(request: Request, force: ForceId, neighbourhood: NeighbourhoodId) -> Response:
    return await _plain(request, police_uk.neighbourhood_json, force, neighbourhood)


async def _reply(send, status: int, message: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = police_uk.dumps({"detail": message})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


class PoliceApiGuard:
    """ASGI middleware for ``/api``: 429 past the leaky bucket, 400 for a GET URL over 4,094 characters."""

    def __init__(self, app, *, limiter: LeakyBucketLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                client = scope.get("client")
                wait = self.limiter.retry_after(client[0] if client else "unknown")
                if wait is not None:
                    limit = self.limiter.limit
                    await _reply(
                        send,
                        429,
                        f"rate limit: {limit.rate:g} requests/s with bursts of {limit.burst}; retry after {wait:.2f}s",
                        [(b"retry-after", retry_after_header(wait).encode())],
                    )
                    return
                if scope["method"] == "GET":
                    query_string = scope.get("query_string", b"")
                    length = len(scope.get("raw_path") or path.encode()) + (1 + len(query_string) if query_string else 0)
                    if length > police_uk.MAX_GET_URL_LENGTH:
                        await _reply(
                            send,
                            400,
                            f"GET URL of {length} characters is over {police_uk.MAX_GET_URL_LENGTH}; send poly in a POST form body",
                        )
                        return
        await self.app(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_middleware(PoliceApiGuard, limiter=LeakyBucketLimiter(rate_limit()))
