"""``forecast_grid``: scores per grid cell for the window [as_of, as_of + horizon)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from watchhouse.predict.events import Events, EventsError, days_since_epoch, parse_as_of
from watchhouse.predict.grid import Grid, build_grid
from watchhouse.predict.history import History, build_history
from watchhouse.predict.methods import get_method


class ForecastError(ValueError):
    """A forecast cannot be made from these inputs (no history before as-of, bad horizon...)."""


@dataclass
class Forecast:
    grid: Grid
    scores: np.ndarray  # per cell, higher is riskier (for count methods, expected events)
    method: str
    as_of: dt.datetime
    horizon_days: float
    category: str | None
    history_events: int
    details: dict = field(default_factory=dict)

    @property
    def cells_metric(self) -> np.ndarray:
        """Shapely polygons in the grid's UTM projection (``grid.projection.crs``)."""
        return self.grid.polygons_metric()

    @property
    def cells_wgs84(self) -> np.ndarray:
        return self.grid.polygons_wgs84()

    def aggregate_to(self, areas_wgs84) -> np.ndarray:
        """Scores summed over areas (LSOAs, neighbourhoods, street buffers): each cell's score is shared
        out by the fraction of its area inside each area. ``areas_wgs84``: shapely polygons in lon/lat."""
        import shapely

        areas = np.asarray(areas_wgs84, dtype=object)
        if len(areas) == 0:
            return np.zeros(0)
        projection = self.grid.projection
        metric = shapely.transform(areas, lambda xy: np.column_stack(projection.to_metric(xy[:, 0], xy[:, 1])))
        cells = self.grid.polygons_metric()
        tree = shapely.STRtree(cells)
        area_index, cell_index = tree.query(metric, predicate="intersects")
        overlap = shapely.area(shapely.intersection(metric[area_index], cells[cell_index]))
        share = overlap / (self.grid.cell_size**2)
        return np.bincount(area_index, weights=share * self.scores[cell_index], minlength=len(areas))

    def ranked(self) -> np.ndarray:
        """Cell indices from riskiest down."""
        return np.lexsort((np.arange(len(self.scores)), -self.scores))

    def to_geojson(self) -> dict:
        """The FeatureCollection as plain Python values (lists, floats), ready for any JSON writer."""
        return self._geojson(numpy_rings=False)

    def _geojson(self, numpy_rings: bool) -> dict:
        # With numpy_rings each ring stays a (5, 2) numpy view, which orjson writes directly:
        # turning 22,000 rings into nested lists cost more than writing them.
        rings = np.ascontiguousarray(np.round(self.grid.corner_rings_wgs84(), 7))
        if not numpy_rings:
            rings = rings.tolist()
        rank = np.empty(len(self.scores), dtype=np.int64)
        rank[self.ranked()] = np.arange(1, len(self.scores) + 1)
        scores = self.scores.astype(float).tolist()
        ranks = rank.tolist()
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [rings[i]]},
                "properties": {"cell_id": i, "score": scores[i], "rank": ranks[i]},
            }
            for i in range(len(scores))
        ]
        return {
            "type": "FeatureCollection",
            "features": features,
            "watchhouse": {
                "method": self.method,
                "as_of": self.as_of.isoformat(),
                "horizon_days": self.horizon_days,
                "window_end": (self.as_of + dt.timedelta(days=self.horizon_days)).isoformat(),
                "category": self.category,
                "cell_size_m": self.grid.cell_size,
                "projection": self.grid.projection.crs.to_string(),
                "study_area_m2": self.grid.study_area_m2,
                "history_events": self.history_events,
                "details": self.details,
            },
        }

    def write_geojson(self, path: str | Path) -> None:
        import orjson  # several times faster than json for a large grid; a dependency already

        Path(path).write_bytes(orjson.dumps(self._geojson(numpy_rings=True), default=_json_default,
                                            option=orjson.OPT_SERIALIZE_NUMPY))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def as_datetime(as_of: dt.datetime | dt.date | str) -> dt.datetime:
    if isinstance(as_of, str):
        return parse_as_of(as_of)
    if isinstance(as_of, dt.datetime):
        return as_of.replace(tzinfo=None)
    return dt.datetime.combine(as_of, dt.time())


def select_history(events: Events, as_of_days: float, category: str | None) -> Events:
    """The events a forecast at as-of may use: strictly before it, of the category if one is given."""
    before = events.before(as_of_days)
    if len(before) == 0:
        first = f"; the first event is at {_iso(events.t[0])}" if len(events) else ""
        raise ForecastError(f"no events before as-of {_iso(as_of_days)}: nothing to learn from{first}")
    if category:
        chosen = before.of_category(category)
        if len(chosen) == 0:
            known = ", ".join(sorted({str(c) for c in before.category})[:12])
            raise ForecastError(f"no events of category {category!r} before as-of; categories present: {known}")
        return chosen
    return before


def _reported(events: Events) -> Events:
    from watchhouse.predict.harm import reported_mask

    kept = events.subset(reported_mask(events.category))
    if len(kept) == 0:
        raise ForecastError("every event before as-of is a proactively found offence (drugs, weapons); none left")
    return kept


def _iso(days: float) -> str:
    return (dt.datetime(1970, 1, 1) + dt.timedelta(days=float(days))).isoformat(timespec="seconds")


def forecast_from_history(history: History, as_of_days: float, horizon_days: float, method: str = "auto") -> tuple[np.ndarray, dict]:
    """Per-cell scores from an already placed history (the backtest calls this for every origin)."""
    return get_method(method).score_cells(history, as_of_days, horizon_days)


def forecast_grid(
    events: Events,
    as_of: dt.datetime | dt.date | str,
    horizon_days: float,
    cell_size: float = 200,
    method: str = "auto",
    category: str | None = None,
    grid: Grid | None = None,
    weight_by_harm: bool = False,
    reported_only: bool = False,
) -> Forecast:
    """Forecast for [as_of, as_of + horizon_days) on cells of ``cell_size`` metres.

    Only events strictly before as-of are used, for the scores and for the study area (their
    convex hull), unless a ``grid`` is given. ``weight_by_harm`` weights each event by its
    crime-harm weight (``watchhouse.predict.harm``), so scores become expected harm.
    ``reported_only`` leaves out offences mostly found by patrols (drugs, weapon possession;
    ``harm.is_proactive``), so the forecast does not follow where police already look.
    """
    if not horizon_days > 0:
        raise ForecastError(f"horizon must be a positive number of days, got {horizon_days}")
    method_obj = get_method(method)
    as_of_dt = as_datetime(as_of)
    as_of_days = days_since_epoch(as_of_dt)
    history_events = select_history(events, as_of_days, category)
    if reported_only:
        history_events = _reported(history_events)
    weights = None
    if weight_by_harm:
        from watchhouse.predict.harm import harm_weights

        weights = harm_weights(history_events.category)
    if grid is None:
        grid = build_grid(history_events.lon, history_events.lat, cell_size)
    history = build_history(history_events, grid, weights)
    if len(history) == 0:
        raise ForecastError("none of the events before as-of lie inside the study area grid")
    scores, details = forecast_from_history(history, as_of_days, float(horizon_days), method_obj.name)
    if grid.notes:
        details = dict(details, notes=list(grid.notes))
    if reported_only:
        details = dict(details, reported_only=True)
    return Forecast(grid, scores, method_obj.name, as_of_dt, float(horizon_days), category, len(history), details)


__all__ = ["Forecast", "ForecastError", "EventsError", "forecast_grid", "forecast_from_history"]
