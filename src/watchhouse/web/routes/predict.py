"""Analysts' prediction pages (sign-in needed): the next week's forecast map with the top hotspots
per neighbourhood, the community tension indicators, and the patrol plan.

Routes validate, call ``watchhouse.predict.pages`` and render; maps are drawn by
``static/js/predict_map.js`` from the GeoJSON under ``/predict/map/``.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from watchhouse import config
from watchhouse.users import User
from watchhouse.web.auth import page_session
from watchhouse.web.templating import templates

router = APIRouter()
Session = Annotated[tuple[User, str], Depends(page_session)]

HORIZONS = range(1, 29)
CELL_SIZES = range(100, 1001)
PER_NEIGHBOURHOOD = range(1, 11)
ALPHAS = (0.001, 0.005, 0.01, 0.05)


class PredictProblem(Exception):
    """A request the prediction pages cannot answer; ``status`` and ``message`` go back to the reader."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def install(app: FastAPI) -> None:
    app.add_exception_handler(PredictProblem, _problem_response)


def _problem_response(request: Request, problem: PredictProblem) -> Response:
    if request.url.path.startswith("/predict/map/"):
        return JSONResponse({"detail": problem.message}, status_code=problem.status)
    found = getattr(request.state, "predict_session", None)
    return templates.TemplateResponse(request, "predict/problem.html", {
        "status": problem.status, "message": problem.message,
        "user": found[0] if found else None, "csrf": found[1] if found else ""}, status_code=problem.status)


def _integer(params, name: str, allowed: range, default: int | None) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise PredictProblem(400, f"{name} must be a whole number, got {raw[:40]!r}") from None
    if value not in allowed:
        raise PredictProblem(400, f"{name} must be between {allowed.start} and {allowed.stop - 1}, got {value}")
    return value


def _number(params, name: str, low: float, high: float, default: float) -> float:
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise PredictProblem(400, f"{name} must be a number, got {raw[:40]!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise PredictProblem(400, f"{name} must be between {low:g} and {high:g}, got {raw[:40]}")
    return value


def _data():
    from watchhouse.predict.pages import PredictionSetupError, prediction_data

    try:
        return prediction_data()
    except PredictionSetupError as error:
        raise PredictProblem(503, f"The prediction data is not usable: {error}") from None


def _forecast_request(params, data, allow_harm: bool = True):
    from watchhouse.predict import METHODS
    from watchhouse.predict.pages import ForecastRequest

    method = (params.get("method") or "auto").strip()
    if method not in METHODS:
        raise PredictProblem(400, f"method must be one of {', '.join(sorted(METHODS))}, got {method[:40]!r}")
    category = (params.get("category") or "").strip() or None
    if category is not None and category not in data.categories:
        raise PredictProblem(400, f"category {category[:60]!r} is not in the data; "
                                  f"choose one of {', '.join(data.categories)}")
    if category is not None and category in data.proactive_left_out:
        raise PredictProblem(400, f"{category} is found by patrolling, not reported, and is left out of training; "
                                  "choose a reported category")
    rank = (params.get("rank") or "crimes").strip()
    if rank not in ("crimes", "harm") or (rank == "harm" and not allow_harm):
        choices = "crimes or harm" if allow_harm else "crimes (the plan weights by harm itself)"
        raise PredictProblem(400, f"rank must be {choices}, got {rank[:20]!r}")
    return ForecastRequest(horizon_days=_integer(params, "horizon_days", HORIZONS, 7),
                           cell_size=_integer(params, "cell_size", CELL_SIZES, 200), method=method, category=category,
                           by_harm=rank == "harm")


def _page_forecast(request_params, data, allow_harm: bool = True):
    from watchhouse.predict import ForecastError, StudyAreaError
    from watchhouse.predict.pages import page_forecast

    forecast_request = _forecast_request(request_params, data, allow_harm)
    try:
        return page_forecast(forecast_request, data)
    except (ForecastError, StudyAreaError) as error:
        raise PredictProblem(400, f"No forecast for these settings: {error}") from None


_warming = threading.Lock()
_warmed: set[str] = set()


def _warm_reports(data) -> None:
    """After the first forecast page, work out the default tension report and patrol plan in the
    background, so those pages open at once when the analyst gets to them."""
    from watchhouse.predict import pages

    with _warming:
        if data.version in _warmed:
            return
        _warmed.add(data.version)

    def work():
        try:
            pages.page_tension("week", 0.01, data)
            pages.page_patrol_plan(pages.ForecastRequest(), 8, 10, visit_minutes=15, min_visits_per_neighbourhood=1,
                                   max_visits_per_hotspot=None, data=data)
        except Exception:  # the page itself reports any error when it is opened
            pass

    threading.Thread(target=work, name="predict-warm", daemon=True).start()


def _context(request: Request, session, **values) -> dict:
    request.state.predict_session = session
    tile_url = config.tile_url()
    return {"user": session[0], "csrf": session[1], "tile_url": tile_url, "inf": math.inf, **values}


def _render(request: Request, name: str, context: dict) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@router.get("/predict", response_class=HTMLResponse, include_in_schema=False)
def forecast_page(request: Request, session: Session):
    request.state.predict_session = session
    data = _data()
    forecast = _page_forecast(request.query_params, data)
    per_neighbourhood = _integer(request.query_params, "top", PER_NEIGHBOURHOOD, 3)
    _warm_reports(data)
    from watchhouse.predict import METHODS

    query = _forecast_query(forecast.request)
    window_last_day = (forecast.forecast.as_of + dt.timedelta(days=forecast.request.horizon_days - 1)).date()
    return _render(request, "predict/forecast.html", _context(
        request, session, data=data, forecast=forecast, top=forecast.top_per_neighbourhood(per_neighbourhood),
        per_neighbourhood=per_neighbourhood, methods=sorted(METHODS), query=query, window_last_day=window_last_day,
        map_url=f"/predict/map/forecast.geojson?{query}&top={per_neighbourhood}"))


@router.get("/predict/map/forecast.geojson", include_in_schema=False)
def forecast_map(request: Request, session: Session):
    data = _data()
    forecast = _page_forecast(request.query_params, data)
    per_neighbourhood = _integer(request.query_params, "top", PER_NEIGHBOURHOOD, 3)
    return JSONResponse(forecast.map_geojson(per_neighbourhood), headers={"Cache-Control": "private, max-age=300"})


def _forecast_query(forecast_request) -> str:
    from urllib.parse import urlencode

    values = {"horizon_days": forecast_request.horizon_days, "cell_size": forecast_request.cell_size,
              "method": forecast_request.method}
    if forecast_request.category:
        values["category"] = forecast_request.category
    if forecast_request.by_harm:
        values["rank"] = "harm"
    return urlencode(values)


@router.get("/predict/tension", response_class=HTMLResponse, include_in_schema=False)
def tension_page(request: Request, session: Session):
    from watchhouse.patrols.inputs import PatrolInputError
    from watchhouse.predict.pages import page_tension, tension_as_of

    request.state.predict_session = session
    data = _data()
    period = (request.query_params.get("period") or "week").strip()
    if period not in ("week", "month"):
        raise PredictProblem(400, f"period must be week or month, got {period[:20]!r}")
    alpha = _number(request.query_params, "alpha", 0.0001, 0.2, 0.01)
    try:
        report = page_tension(period, alpha, data)
    except (PatrolInputError, ValueError) as error:
        raise PredictProblem(400, f"No tension indicators for these settings: {error}") from None
    indicators = sorted(report.indicators, key=lambda i: (not i.flagged, i.p_value if i.p_value is not None else 2.0,
                                                           i.area, i.indicator))
    return _render(request, "predict/tension.html", _context(
        request, session, data=data, report=report, indicators=indicators, period=period, alpha=alpha,
        alphas=ALPHAS, flagged=[i for i in indicators if i.flagged], tested_until=tension_as_of(data, period)))


def _plan_settings(params) -> dict:
    hours = _number(params, "hours_per_shift", 1, 12, 8)
    officers = _integer(params, "officers", range(1, 201), 10)
    visit_minutes = _number(params, "visit_minutes", 5, 60, 15)
    min_visits = _integer(params, "min_visits", range(0, 21), 1)
    cap = _integer(params, "max_visits", range(1, 21), None)
    return {"hours_per_shift": hours, "officers": officers, "visit_minutes": visit_minutes,
            "min_visits_per_neighbourhood": min_visits, "max_visits_per_hotspot": cap}


def _plan(params, data):
    from watchhouse.patrols import InfeasiblePlan
    from watchhouse.patrols.inputs import PatrolInputError
    from watchhouse.predict.pages import page_patrol_plan

    forecast = _page_forecast(params, data, allow_harm=False)
    settings = _plan_settings(params)
    try:
        plan = page_patrol_plan(forecast.request, settings["hours_per_shift"], settings["officers"],
                                visit_minutes=settings["visit_minutes"],
                                min_visits_per_neighbourhood=settings["min_visits_per_neighbourhood"],
                                max_visits_per_hotspot=settings["max_visits_per_hotspot"], data=data)
    except InfeasiblePlan as error:
        raise PredictProblem(400, f"No plan meets these settings: {error}") from None
    except (PatrolInputError, ValueError) as error:
        raise PredictProblem(400, f"No plan for these settings: {error}") from None
    return forecast, settings, plan


@router.get("/predict/patrols", response_class=HTMLResponse, include_in_schema=False)
def patrols_page(request: Request, session: Session):
    from urllib.parse import urlencode

    request.state.predict_session = session
    data = _data()
    params = request.query_params
    submitted = "officers" in params
    context = {"data": data, "submitted": submitted, "settings": _plan_settings(params), "plan": None}
    if submitted:
        forecast, settings, result = _plan(params, data)
        by_neighbourhood = result.plan.optimal.visits_by_neighbourhood
        naive_by_neighbourhood = result.plan.naive.visits_by_neighbourhood
        query = urlencode({k: v for k, v in params.items() if k in _PLAN_PARAMS})
        context.update(forecast=forecast, plan=result, settings=settings,
                       map_url=f"/predict/map/patrols.geojson?{query}",
                       neighbourhoods=[(name, by_neighbourhood.get(name, 0), naive_by_neighbourhood.get(name, 0))
                                       for name in result.plan.neighbourhoods],
                       districts=sorted(result.fairness.districts, key=lambda d: -d.harm_share))
    return _render(request, "predict/patrols.html", _context(request, session, **context))


_PLAN_PARAMS = ("horizon_days", "cell_size", "method", "category", "hours_per_shift", "officers", "visit_minutes",
                "min_visits", "max_visits")


@router.get("/predict/map/patrols.geojson", include_in_schema=False)
def patrols_map(request: Request, session: Session):
    data = _data()
    _, _, result = _plan(request.query_params, data)
    collection = result.plan.to_geojson(include_unvisited=False)
    return JSONResponse(collection, headers={"Cache-Control": "private, max-age=300"})


@router.get("/predict/map/neighbourhoods.geojson", include_in_schema=False)
def neighbourhoods_map(session: Session):
    """The neighbourhood polygons every prediction page uses, drawn under the cells."""
    data = _data()
    return Response(data.neighbourhoods_path.read_bytes(), media_type="application/geo+json",
                    headers={"Cache-Control": "private, max-age=300"})
