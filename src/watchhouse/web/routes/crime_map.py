"""The public crime map: a resident picks a month and a category, sees crimes on a map and
the figures for their neighbourhood.

Every page is server-rendered and works without JavaScript (the figures live at
``/neighbourhoods/{code}``); ``static/js/crime_map.js`` enhances it with a Leaflet map fed by
the JSON under ``/map/``. ``/api`` is the police.uk-compatible API and is not served here.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from urllib.parse import urlparse

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from sqlalchemy import Engine

from watchhouse import areas, config
from watchhouse.crimes import query, stats
from watchhouse.crimes.categories import CRIME_CATEGORIES, NAME_BY_SLUG
from watchhouse.publish import figures
from watchhouse.web.templating import templates

router = APIRouter()

# Grid cells are about this many screen pixels wide; from this zoom on, every map point shows.
_CLUSTER_PIXELS = 56
_MAP_POINT_ZOOM = 15
_BOUNDARY_TOLERANCE_DEGREES = 0.0002  # ~15 m: invisible at neighbourhood zoom, a third of the bytes


class MapProblem(Exception):
    """A request the map cannot answer; ``status`` and ``message`` go back to the reader."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def install(app: FastAPI) -> None:
    app.add_exception_handler(MapProblem, _problem_response)


def _problem_response(request: Request, problem: MapProblem) -> Response:
    path = request.url.path
    if path.startswith("/map/"):
        return JSONResponse({"detail": problem.message}, status_code=problem.status)
    if path.endswith(".csv"):
        return PlainTextResponse(problem.message + "\n", status_code=problem.status)
    return templates.TemplateResponse(
        request, "crime_map/problem.html", {"status": problem.status, "message": problem.message}, status_code=problem.status
    )


def _number(value: int | float | None) -> str:
    return "no data" if value is None else f"{value:,}"


def _rate(value: float | None) -> str:
    return "not available" if value is None else f"{value:,.1f}"


def _signed(value: int | None) -> str:
    if value is None:
        return "no data"
    return f"+{value:,}" if value > 0 else f"{value:,}".replace("-", "\u2212")


def _percent(value: float | None) -> str:
    if value is None:
        return ""
    sign = "+" if value > 0 else "\u2212" if value < 0 else ""
    return f"{sign}{abs(value):,.0f}%"


def _month_name(month: str) -> str:
    import calendar

    year, number = month.split("-")
    return f"{calendar.month_name[int(number)]} {year}"


LEVEL_NAMES = {
    areas.FORCE: "Police force area",
    areas.DISTRICT: "District (local authority)",
    areas.NEIGHBOURHOOD: "Neighbourhood",
    areas.LSOA: "Small area (LSOA)",
}


def trend_chart(trend: list[figures.MonthTotal], width: int = 360, height: int = 170) -> dict:
    """Geometry of the trend chart, in SVG user units: months on a true time axis, so months
    with no data loaded leave a gap (joined by a dashed line) instead of sitting side by side."""
    # Room on the left for the counts and on the right for half the last month's label.
    left, right, top, bottom = 44, width - 30, 12, height - 26
    ordinals = [int(p.month[:4]) * 12 + int(p.month[5:]) - 1 for p in trend]
    peak = max((p.total for p in trend), default=0)
    step = _nice_step(peak / 4) if peak else 1
    top_value = step * max(1, -(-peak // step))
    span = (max(ordinals) - min(ordinals)) if len(ordinals) > 1 else 0

    def x(ordinal: int) -> float:
        if span == 0:
            return round((left + right) / 2, 1)
        return round(left + (ordinal - min(ordinals)) * (right - left) / span, 1)

    def y(value: int) -> float:
        return round(bottom - value * (bottom - top) / top_value, 1)

    points = [{"x": x(o), "y": y(p.total), "month": p.month, "total": p.total} for o, p in zip(ordinals, trend)]
    segments = [
        {"x1": a["x"], "y1": a["y"], "x2": b["x"], "y2": b["y"], "gap": ob - oa > 1}
        for (a, oa), (b, ob) in zip(zip(points, ordinals), zip(points[1:], ordinals[1:]))
    ]
    label_every = max(1, len(points) // 6)
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": right,
        "points": points,
        "segments": segments,
        "has_gaps": any(segment["gap"] for segment in segments),
        "y_ticks": [{"value": value, "y": y(value)} for value in range(0, top_value + 1, step)],
        "x_labels": [
            {"x": point["x"], "text": _short_month(point["month"])}
            for index, point in enumerate(points)
            if index % label_every == 0 or index == len(points) - 1
        ],
    }


def _nice_step(raw: float) -> int:
    """1, 2 or 5 times a power of ten, at least ``raw`` (and at least 1)."""
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            if factor * magnitude >= raw:
                return factor * magnitude
        magnitude *= 10


def _short_month(month: str) -> str:
    import calendar

    return f"{calendar.month_abbr[int(month[5:])]} {month[:4]}"


templates.env.globals.update(level_names=LEVEL_NAMES, trend_chart=trend_chart)
templates.env.filters.update(number=_number, rate=_rate, signed=_signed, percent=_percent, month_name=_month_name)


def _engine(request: Request) -> Engine:
    return request.app.state.engine


# ------------------------------------------------------------------------------- checking input


def _checked_category(category: str) -> str:
    if category not in NAME_BY_SLUG:
        known = ", ".join(slug for slug, _name in CRIME_CATEGORIES)
        raise MapProblem(400, f"unknown category {category!r}: use one of {known}")
    return category


def _checked_month(months: list[str], month: str | None, where: str = "") -> str:
    if month is None or month == "":
        if not months:
            place = f" for {where}" if where else ""
            raise MapProblem(404, f"no crimes are loaded{place} yet: run `watchhouse ingest police-uk PATH` first")
        return months[-1]
    try:
        stats.check_month(month)
    except ValueError as error:
        raise MapProblem(400, f"month: {error}") from None
    if month not in months:
        raise MapProblem(404, f"no crimes are loaded for {month}; loaded months: {', '.join(months) or 'none'}")
    return month


def _checked_force(engine: Engine, force: str | None) -> areas.Area:
    if force:
        found = areas.get_area(engine, force)
        if found is None or found.level != areas.FORCE:
            raise MapProblem(404, f"no force has id {force!r}")
        return found
    known = areas.forces(engine)
    if not known:
        raise MapProblem(404, "no areas are loaded yet: run `watchhouse demo --no-serve` or load the lookup first")
    if len(known) == 1:
        return known[0]
    latest = query.latest_month(engine)
    with_crimes = set(stats.forces_in_month(engine, latest)) if latest else set()
    return next((each for each in known if each.code in with_crimes), known[0])


def _forces_with_crimes(engine: Engine, month: str) -> list[areas.Area]:
    """Forces worth offering in the picker: those with an area hierarchy and crimes in ``month``."""
    publishing = set(stats.forces_in_month(engine, month))
    return [force for force in areas.forces(engine) if force.code in publishing]


def _area_figures(engine: Engine, code: str, month: str | None) -> figures.AreaFigures:
    try:
        return figures.area_figures(engine, code, month or None)
    except figures.AreaNotFound:
        raise MapProblem(404, f"no neighbourhood or other area has code {code!r}") from None
    except figures.MonthNotAvailable as error:
        raise MapProblem(404, str(error)) from None
    except ValueError as error:
        raise MapProblem(400, f"month: {error}") from None


# ----------------------------------------------------------------------------------------- pages


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def crime_map_page(
    request: Request,
    month: str | None = None,
    category: str = "all-crime",
    force: str | None = None,
    area: str | None = None,
):
    engine = _engine(request)
    category = _checked_category(category)
    chosen_force = _checked_force(engine, force)
    months = figures.available_months(engine, chosen_force.code)
    month = _checked_month(months, month, chosen_force.name)
    selected = _area_figures(engine, area, month) if area else None
    tile_url = config.tile_url()
    return templates.TemplateResponse(
        request,
        "crime_map/index.html",
        {
            "force": chosen_force,
            "forces": _forces_with_crimes(engine, month) or [chosen_force],
            "months": list(reversed(months)),
            "month": month,
            "categories": CRIME_CATEGORIES,
            "category": category,
            "figures": selected,
            "force_bounds": figures.area_bounds(chosen_force),
            "tile_url": tile_url,
            "tile_attribution": _tile_attribution(tile_url),
        },
    )


@router.get("/neighbourhoods", response_class=HTMLResponse, include_in_schema=False)
def neighbourhood_search_page(
    request: Request, q: str = "", month: str | None = None, force: str | None = None
):
    engine = _engine(request)
    chosen_force = _checked_force(engine, force)
    month = _checked_month(figures.available_months(engine, chosen_force.code), month, chosen_force.name)
    places = figures.searchable_areas(engine, chosen_force.code)
    matches = figures.match_areas(places, q) if q.strip() else places
    return templates.TemplateResponse(
        request,
        "crime_map/search.html",
        {"q": q, "matches": matches, "month": month, "force": chosen_force, "searched": bool(q.strip())},
    )


@router.get("/neighbourhoods/{code}.csv", include_in_schema=False)
def neighbourhood_figures_csv(request: Request, code: str, month: str | None = None):
    engine = _engine(request)
    area = _area_figures(engine, code, month)  # validates code and month with the page's messages
    body = figures.figures_csv(engine, code, month or None)
    filename = f"watchhouse-{area.area.code}-{month or 'all-months'}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/neighbourhoods/{code}", response_class=HTMLResponse, include_in_schema=False)
def neighbourhood_figures_page(request: Request, code: str, month: str | None = None):
    selected = _area_figures(_engine(request), code, month)
    return templates.TemplateResponse(
        request,
        "crime_map/figures_page.html",
        {"figures": selected, "children": areas.children(_engine(request), code)},
    )


# ------------------------------------------------------------------------------ data for the map


@router.get("/map/figures/{code}", response_class=HTMLResponse, include_in_schema=False)
def figures_panel(request: Request, code: str, month: str | None = None, category: str = "all-crime"):
    """The figures panel alone, for the map page to show without reloading."""
    category = _checked_category(category)
    selected = _area_figures(_engine(request), code, month)
    return templates.TemplateResponse(
        request, "crime_map/_figures.html", {"figures": selected, "heading_level": 2, "category": category}
    )


@router.get("/map/points", include_in_schema=False)
def crime_points(
    request: Request,
    month: str | None = None,
    category: str = "all-crime",
    bbox: str | None = Query(None, description="west,south,east,north in degrees, as Leaflet's toBBoxString"),
    zoom: int = Query(10, ge=0, le=22),
):
    """Crimes for the map, grouped so a whole force is a few hundred features.

    Below zoom 15 crimes are grouped on a grid about 56 screen pixels wide, each group at its
    members' mean position: ``[lat, lng, count]``. From zoom 15 each police.uk map point is
    one feature: ``[lat, lng, count, name, {category: count}]``.
    """
    engine = _engine(request)
    category = _checked_category(category)
    month = _checked_month(stats.months_with_crimes(engine), month)
    box = _parse_bbox(bbox) if bbox else None
    version = query.data_version(engine)
    etag = f'W/"{version}-{month}-{category}-{bbox}-{zoom}"'
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    cell = None if zoom >= _MAP_POINT_ZOOM else _CLUSTER_PIXELS * 360 / (256 * 2**zoom)
    slug = None if category == "all-crime" else category
    points = stats.point_counts(engine, month, slug, box, cell)
    if cell is None:
        features = [
            [round(p.latitude, 6), round(p.longitude, 6), p.count, p.name or "", p.categories] for p in points
        ]
    else:
        features = [[round(p.latitude, 5), round(p.longitude, 5), p.count] for p in points]
    body = {
        "month": month,
        "category": category,
        "grouping": "map-point" if cell is None else "grid",
        "cell_degrees": cell,
        "total": sum(p.count for p in points),
        "unlocated": stats.unlocated_count(engine, month, slug),
        "points": features,
    }
    return Response(
        json.dumps(body, separators=(",", ":")),
        media_type="application/json",
        headers={"ETag": etag, "Cache-Control": "no-cache"},
    )


@router.get("/map/boundaries", include_in_schema=False)
def neighbourhood_boundaries(request: Request, force: str | None = None):
    """The force's neighbourhoods and districts as GeoJSON, simplified for drawing."""
    engine = _engine(request)
    chosen_force = _checked_force(engine, force)
    body, etag = figures.boundaries_geojson(engine, chosen_force.code, _BOUNDARY_TOLERANCE_DEGREES)
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        # A force's boundaries are a few hundred kB of text and a quarter of that gzipped.
        return Response(
            _gzipped(etag, body), media_type="application/geo+json", headers={**headers, "Content-Encoding": "gzip"}
        )
    return Response(body, media_type="application/geo+json", headers=headers)


@lru_cache(maxsize=16)
def _gzipped(etag: str, body: str) -> bytes:
    """Compressed once per version of the boundaries (the ETag names the version)."""
    return gzip.compress(body.encode(), compresslevel=6)


def _parse_bbox(raw: str) -> stats.BoundingBox:
    try:
        west, south, east, north = (float(part) for part in raw.split(","))
    except ValueError:
        raise MapProblem(400, f"bbox must be west,south,east,north in degrees, got {raw!r}") from None
    try:
        return stats.BoundingBox(
            south=max(south, -90.0), west=max(west, -180.0), north=min(north, 90.0), east=min(east, 180.0)
        )
    except ValueError as error:
        raise MapProblem(400, f"bbox: {error}") from None


def _tile_attribution(tile_url: str) -> str:
    if not tile_url:
        return ""
    host = urlparse(tile_url.replace("{s}", "a")).hostname or "the tile server"
    if "openstreetmap" in host:
        return "Map data © OpenStreetMap contributors"
    return f"Map tiles: {host}"
