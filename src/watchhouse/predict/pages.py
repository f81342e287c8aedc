"""What the analysts' prediction pages show, from the data they are given: a next-week forecast
with the top hotspots per neighbourhood, the tension indicators and a patrol plan.

The store holds police.uk months without times of day or dates, which cannot feed a weekly
grid forecast, near-repeats or weekly tension tests. So the pages forecast from timestamped
events: an EVENTS.csv named by ``WATCHHOUSE_PREDICT_EVENTS`` when a force has one, otherwise
the synthetic city of ``watchhouse.predict.synthetic`` (and the page says which). Training
leaves out offences mostly found by patrols (``reported_only``), and the page says so.

The patrol and tension services read files, so the events and each forecast are written once
to a cache directory, keyed by the data version and the parameters; forecasts are kept in
memory too, since the automatic method takes seconds. ``WATCHHOUSE_PREDICT_NEIGHBOURHOODS`` names a
GeoJSON of neighbourhood polygons; without it, stand-in areas are drawn from clusters of the events,
and every page uses the same polygons, so a neighbourhood's name means the same place on each.

Public: ``prediction_data() -> PredictionData``, ``page_forecast(ForecastRequest) -> PageForecast``
(``top_per_neighbourhood(n)``, ``map_geojson(n)``), ``page_patrol_plan(request, hours_per_shift,
officers, ...) -> ForecastPlan``, ``page_tension(period, alpha) -> TensionReport``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

EVENTS_ENV = "WATCHHOUSE_PREDICT_EVENTS"
NEIGHBOURHOODS_ENV = "WATCHHOUSE_PREDICT_NEIGHBOURHOODS"
SYNTHETIC_DAYS = 2 * 365
SYNTHETIC_PROACTIVE_MIX = {"drugs": 0.05, "possession-of-weapons": 0.01}
STAND_IN_NEIGHBOURHOODS = 20
TENSION_BASELINE_PERIODS = 26
STAND_IN_MARGIN_DEGREES = 0.01  # about 1 km: the stand-in polygons reach a little past the outermost events
FLAGGED_SHARE = 0.05  # the forecast map shows the riskiest 5% of cells, the usual PAI coverage
CACHE_SIZE = 16


@dataclass(frozen=True)
class ForecastRequest:
    horizon_days: int = 7
    cell_size: int = 200
    method: str = "auto"
    category: str | None = None
    by_harm: bool = False  # scores as expected crime harm (weighted events) instead of expected crimes


@dataclass(frozen=True)
class PredictionData:
    """The events the pages forecast from, and words saying what they are."""

    events: object  # watchhouse.predict.Events
    description: str
    synthetic: bool
    version: str  # changes whenever the events change
    skipped_summary: str | None
    given_neighbourhoods: Path | None  # polygons named by WATCHHOUSE_PREDICT_NEIGHBOURHOODS

    @cached_property
    def neighbourhoods_path(self) -> Path:
        """Neighbourhood polygons every page uses, so a name means the same place on each."""
        if self.given_neighbourhoods is not None:
            return self.given_neighbourhoods
        return _write_once(_cache_dir() / f"neighbourhoods-{self.version}.geojson", lambda partial: partial.write_text(
            json.dumps(stand_in_neighbourhoods(self.events.lon, self.events.lat))))

    @property
    def neighbourhood_source(self) -> str:
        if self.given_neighbourhoods is not None:
            return f"neighbourhood polygons from {self.given_neighbourhoods.name}"
        return (f"{STAND_IN_NEIGHBOURHOODS} stand-in neighbourhoods (k-means clusters of the event locations, "
                "drawn as the area nearest each cluster's centre): these events come with no neighbourhood polygons")

    @cached_property
    def as_of(self) -> dt.datetime:
        """Midnight after the last event: the forecast is for the week that follows the data."""
        from watchhouse.predict.events import datetime_from_days

        last = datetime_from_days(float(self.events.t.max()))
        return dt.datetime.combine(last.date() + dt.timedelta(days=1), dt.time())

    @cached_property
    def categories(self) -> list[str]:
        return sorted({str(c) for c in self.events.category})

    @cached_property
    def proactive_left_out(self) -> dict[str, int]:
        """Categories (and event counts) that reported-only training leaves out."""
        from watchhouse.predict.harm import load_harm_table

        table = load_harm_table()
        names, counts = np.unique(self.events.category.astype(str), return_counts=True)
        return {str(n): int(c) for n, c in zip(names, counts) if table.is_proactive(str(n))}

    @cached_property
    def events_csv(self) -> Path:
        from watchhouse.predict.synthetic import write_events_csv

        return _write_once(_cache_dir() / f"events-{self.version}.csv",
                           lambda partial: write_events_csv(self.events, partial))


@dataclass(frozen=True)
class NeighbourhoodHotspot:
    neighbourhood: str
    cell_id: str
    expected: float  # expected crimes in the window
    rank: int  # across the whole study area, 1 = riskiest
    lon: float
    lat: float


@dataclass(frozen=True)
class PageForecast:
    data: PredictionData
    request: ForecastRequest
    forecast: object  # watchhouse.predict.Forecast
    geojson_path: Path
    neighbourhood: np.ndarray  # per cell, as the patrol plan names them; None outside every polygon
    centroids: np.ndarray  # per cell (lon, lat)
    seconds: float

    @cached_property
    def ranked(self) -> np.ndarray:
        return self.forecast.ranked()

    @cached_property
    def flagged(self) -> np.ndarray:
        """Indices of the riskiest ``FLAGGED_SHARE`` of cells."""
        return self.ranked[: max(1, int(round(FLAGGED_SHARE * len(self.ranked))))]

    @cached_property
    def expected_total(self) -> float:
        return float(self.forecast.scores.sum())

    @cached_property
    def flagged_expected_share(self) -> float:
        total = self.expected_total
        return float(self.forecast.scores[self.flagged].sum() / total) if total > 0 else 0.0

    def top_per_neighbourhood(self, per_neighbourhood: int = 3) -> dict[str, list[NeighbourhoodHotspot]]:
        """Each neighbourhood's riskiest cells, neighbourhoods ordered by their top cell's rank."""
        rank = np.empty(len(self.ranked), dtype=int)
        rank[self.ranked] = np.arange(1, len(self.ranked) + 1)
        out: dict[str, list[NeighbourhoodHotspot]] = {}
        for index in self.ranked:
            name = self.neighbourhood[index]
            if name is None or len(out.get(name, [])) >= per_neighbourhood:
                continue
            lon, lat = self.centroids[index]
            out.setdefault(name, []).append(NeighbourhoodHotspot(
                str(name), str(index), float(self.forecast.scores[index]), int(rank[index]), float(lon), float(lat)))
        return out

    def map_geojson(self, per_neighbourhood: int = 3) -> dict:
        """The flagged cells and each neighbourhood's top cells, for the map (not the whole grid)."""
        rings = self.forecast.grid.corner_rings_wgs84()
        rank = np.empty(len(self.ranked), dtype=int)
        rank[self.ranked] = np.arange(1, len(self.ranked) + 1)
        flagged = set(self.flagged.tolist())
        tops = self.top_per_neighbourhood(per_neighbourhood).values()
        neighbourhood_top = {int(h.cell_id) for hotspots in tops for h in hotspots}
        features = []
        for index in sorted(flagged | neighbourhood_top, key=lambda i: rank[i]):
            features.append({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [np.round(rings[index], 6).tolist()]},
                "properties": {
                    "cell_id": int(index), "expected": round(float(self.forecast.scores[index]), 4),
                    "rank": int(rank[index]), "neighbourhood": self.neighbourhood[index],
                    "flagged": index in flagged, "neighbourhood_top": index in neighbourhood_top,
                },
            })
        return {"type": "FeatureCollection", "features": features,
                "properties": {"cells": len(self.ranked), "flagged": len(flagged),
                               "as_of": self.forecast.as_of.isoformat(), "horizon_days": self.forecast.horizon_days}}


class _Lru:
    """Least-recently-used results; a key being worked out is worked out once, later askers wait."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.lock = threading.Lock()
        self.pending: dict = {}

    def get_or_make(self, key, make):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            key_lock = self.pending.setdefault(key, threading.Lock())
        with key_lock:  # other keys stay fast while this one is made
            with self.lock:
                if key in self.items:
                    return self.items[key]
            try:
                value = make()
            finally:
                with self.lock:
                    self.pending.pop(key, None)
            with self.lock:
                self.items[key] = value
                while len(self.items) > self.size:
                    self.items.popitem(last=False)
        return value


def _write_once(path: Path, write) -> Path:
    """Write ``path`` through a private temporary name, so readers never see half a file."""
    if not path.exists():
        partial = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.partial")
        write(partial)
        partial.replace(path)
    return path


_data_cache = _Lru(4)
_forecast_cache = _Lru(CACHE_SIZE)
_report_cache = _Lru(CACHE_SIZE)


def _cache_dir() -> Path:
    default = Path(tempfile.gettempdir()) / f"watchhouse-predict-{os.getuid()}"
    path = Path(os.environ.get("WATCHHOUSE_PREDICT_CACHE") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _file_version(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def prediction_data() -> PredictionData:
    """The events named by ``WATCHHOUSE_PREDICT_EVENTS``, or the synthetic city."""
    from watchhouse.predict import EventsError

    events_path = os.environ.get(EVENTS_ENV, "").strip()
    neighbourhoods = os.environ.get(NEIGHBOURHOODS_ENV, "").strip()
    neighbourhoods_path = Path(neighbourhoods) if neighbourhoods else None
    if neighbourhoods_path is not None and not neighbourhoods_path.is_file():
        raise PredictionSetupError(f"{NEIGHBOURHOODS_ENV}={neighbourhoods}: no such neighbourhoods file")
    if not events_path:
        return _data_cache.get_or_make(("synthetic", neighbourhoods_path), lambda: _synthetic(neighbourhoods_path))
    path = Path(events_path)
    if not path.is_file():
        raise PredictionSetupError(f"{EVENTS_ENV}={events_path}: no such events file")
    version = _file_version(path)

    def load() -> PredictionData:
        from watchhouse.predict import load_events

        try:
            events, skipped = load_events(path)
        except EventsError as error:
            raise PredictionSetupError(f"{EVENTS_ENV}: {error}") from None
        summary = skipped.summary(path.name) if skipped.total_skipped else None
        return PredictionData(events, f"the events file {path.name} ({len(events):,} events with date and time)",
                              False, version, summary, neighbourhoods_path)

    return _data_cache.get_or_make((version, neighbourhoods_path), load)


def _synthetic(neighbourhoods_path: Path | None) -> PredictionData:
    from watchhouse.predict.synthetic import DEFAULT_CATEGORY_MIX, SyntheticCity, generate

    # Offences found by patrolling are in real data; without them the page could not show
    # reported-only training leaving anything out.
    mix = dict(DEFAULT_CATEGORY_MIX, **SYNTHETIC_PROACTIVE_MIX)
    city = SyntheticCity(days=SYNTHETIC_DAYS, category_mix=mix)
    generated = generate(city)
    version = hashlib.sha256(repr(city).encode()).hexdigest()[:16]
    description = (f"a synthetic city of {len(generated.events):,} made-up events over {city.days // 365} years "
                   f"around ({city.centre_lat:.4f}, {city.centre_lon:.4f}), with near-repeats and seasons; "
                   "no real crime. Set WATCHHOUSE_PREDICT_EVENTS to an EVENTS.csv to forecast real events.")
    return PredictionData(generated.events, description, True, version, None, neighbourhoods_path)


class PredictionSetupError(RuntimeError):
    """The data the pages were pointed at cannot be used; the message names the setting."""


def page_forecast(request: ForecastRequest, data: PredictionData | None = None) -> PageForecast:
    """The forecast for the window after the data, trained on reported offences only; cached."""
    data = data or prediction_data()
    key = (data.version, data.neighbourhoods_path, request)
    return _forecast_cache.get_or_make(key, lambda: _make_forecast(data, request))


def _make_forecast(data: PredictionData, request: ForecastRequest) -> PageForecast:
    import time

    from watchhouse.patrols.inputs import locate, read_forecast, read_neighbourhoods
    from watchhouse.predict import forecast_grid

    started = time.perf_counter()
    forecast = forecast_grid(data.events, data.as_of, request.horizon_days, cell_size=request.cell_size,
                             method=request.method, category=request.category, reported_only=True,
                             weight_by_harm=request.by_harm)
    digest = hashlib.sha256(repr((data.version, request)).encode()).hexdigest()[:16]
    path = _write_once(_cache_dir() / f"forecast-{digest}.geojson", forecast.write_geojson)
    # Cells placed exactly as plan_from_forecast places them: from the same file and polygons.
    cells = read_forecast(path)
    names = locate(cells.centroids, read_neighbourhoods(data.neighbourhoods_path))
    return PageForecast(data, request, forecast, path, names, cells.centroids, time.perf_counter() - started)


def page_patrol_plan(request: ForecastRequest, hours_per_shift: float, officers: int, *, visit_minutes: float,
                     min_visits_per_neighbourhood: int, max_visits_per_hotspot: int | None,
                     data: PredictionData | None = None):
    """``plan_from_forecast`` on the page's forecast, harm weighted by the reported events."""
    from watchhouse.patrols.from_forecast import plan_from_forecast

    if request.by_harm:
        raise ValueError("the patrol plan weights a count forecast by harm itself; give a forecast of crimes")
    data = data or prediction_data()
    forecast = page_forecast(request, data)
    key = ("plan", data.version, data.neighbourhoods_path, request, hours_per_shift, officers, visit_minutes,
           min_visits_per_neighbourhood, max_visits_per_hotspot)
    return _report_cache.get_or_make(key, lambda: plan_from_forecast(
        forecast.geojson_path, hours_per_shift, officers,
        neighbourhoods_path=data.neighbourhoods_path, events_path=data.events_csv,
        min_visits_per_neighbourhood=min_visits_per_neighbourhood, max_visits_per_hotspot=max_visits_per_hotspot,
        visit_minutes=visit_minutes))


def tension_as_of(data: PredictionData, period: str) -> dt.date:
    """Start of the period the data's last day falls in, so the period tested is the last complete one
    (weeks run Monday to Sunday, as pandas' weekly periods do)."""
    last_day = data.as_of.date() - dt.timedelta(days=1)
    if period == "week":
        return last_day - dt.timedelta(days=last_day.weekday()) if data.as_of.weekday() != 0 else data.as_of.date()
    return last_day.replace(day=1) if data.as_of.day != 1 else data.as_of.date()


def page_tension(period: str = "week", alpha: float = 0.01, data: PredictionData | None = None):
    """``tension_report`` for the last complete period of the data, in the page's neighbourhoods."""
    from watchhouse.patrols.tension_report import tension_report

    data = data or prediction_data()
    key = ("tension", data.version, data.neighbourhoods_path, period, alpha)
    as_of = tension_as_of(data, period)
    return _report_cache.get_or_make(key, lambda: tension_report(
        events=_tension_events_csv(data, period, as_of), neighbourhoods_path=data.neighbourhoods_path,
        period=period, as_of=as_of.isoformat(), alpha=alpha, baseline_periods=TENSION_BASELINE_PERIODS))


def tension_history_start(period: str, as_of: dt.date) -> dt.date:
    """First day the tension page counts from: half a year past the baseline, for the false-alarm backtest."""
    weeks = TENSION_BASELINE_PERIODS + 26 if period == "week" else 0
    months = TENSION_BASELINE_PERIODS + 6 if period == "month" else 0
    start = as_of - dt.timedelta(weeks=weeks)
    if months:
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - months, 12)
        start = dt.date(year, month + 1, 1)
    return start


def _tension_events_csv(data: PredictionData, period: str, as_of: dt.date) -> Path:
    """The events since ``tension_history_start``: counting every event of a long history per
    period is the slow part of the tension report, and older periods are never tested."""
    from watchhouse.predict.events import days_since_epoch
    from watchhouse.predict.synthetic import write_events_csv

    start = tension_history_start(period, as_of)
    kept = data.events.subset(data.events.t >= days_since_epoch(dt.datetime.combine(start, dt.time())))
    return _write_once(_cache_dir() / f"tension-{data.version}-{start.isoformat()}.csv",
                       lambda partial: write_events_csv(kept, partial))


def stand_in_neighbourhoods(lon: np.ndarray, lat: np.ndarray, count: int = STAND_IN_NEIGHBOURHOODS) -> dict:
    """GeoJSON of ``count`` areas: k-means clusters of the distinct event locations, each drawn as the
    part of the events' hull (plus a margin) nearer its centre than any other's."""
    import shapely

    from watchhouse.patrols.inputs import cluster_names

    points = np.unique(np.round(np.column_stack([lon, lat]), 5), axis=0)
    names = cluster_names(points, count)
    labels = sorted(set(names))
    centres = np.array([points[names == name].mean(axis=0) for name in labels])
    hull = shapely.convex_hull(shapely.multipoints(points)).buffer(STAND_IN_MARGIN_DEGREES)
    regions = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(centres), extend_to=hull))
    features = []
    for name, centre in zip(labels, centres):
        region = next(r for r in regions if r.covers(shapely.Point(centre)))
        shape = shapely.intersection(region, hull)
        features.append({"type": "Feature", "properties": {"name": name},
                         "geometry": json.loads(shapely.to_geojson(shapely.set_precision(shape, 1e-6)))})
    return {"type": "FeatureCollection", "features": features}
