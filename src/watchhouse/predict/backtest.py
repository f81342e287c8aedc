"""Rolling-origin backtest: every method forecasts each window from the events before it.

The study area is fixed for the whole run as the convex hull of all events (in the UTM zone of
their centroid), so every method and origin is scored on the same cells. Origins are spaced by
the horizon and end with the last full window of the data.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np

from watchhouse.predict.evaluate import flag_cells
from watchhouse.predict.events import Events, datetime_from_days
from watchhouse.predict.forecast import ForecastError, forecast_from_history
from watchhouse.predict.grid import Grid, build_grid
from watchhouse.predict.harm import harm_weights
from watchhouse.predict.history import build_history
from watchhouse.predict.methods import METHODS, get_method

DEFAULT_COVERAGES = (0.01, 0.05, 0.1)


@dataclass
class Score:
    """Pooled over origins: hits and totals summed, flagged share averaged."""

    method: str
    measure: str  # "crimes" or "harm"
    coverage: float
    hits: float = 0.0
    total: float = 0.0
    flagged_share_sum: float = 0.0
    origins: int = 0
    per_origin_pai: list[float] = field(default_factory=list)

    @property
    def hit_rate(self) -> float:
        return self.hits / self.total if self.total > 0 else float("nan")

    @property
    def flagged_share(self) -> float:
        return self.flagged_share_sum / self.origins if self.origins else float("nan")

    @property
    def pai(self) -> float:
        return self.hit_rate / self.flagged_share if self.origins else float("nan")

    def as_dict(self) -> dict:
        return {
            "method": self.method, "measure": self.measure, "coverage": self.coverage,
            "hit_rate": self.hit_rate, "pai": self.pai, "hits": self.hits, "total": self.total,
            "flagged_share": self.flagged_share, "origins": self.origins,
            "pai_per_origin_mean": float(np.nanmean(self.per_origin_pai)) if self.per_origin_pai else float("nan"),
        }


@dataclass
class BacktestResult:
    origins: list[dt.datetime]
    horizon_days: float
    cell_size: float
    n_cells: int
    study_area_m2: float
    scores: list[Score]
    seconds: dict[str, float]
    auto_blends: list[dict]

    def score(self, method: str, coverage: float, measure: str = "crimes") -> Score:
        for s in self.scores:
            if s.method == method and s.measure == measure and abs(s.coverage - coverage) < 1e-12:
                return s
        raise KeyError((method, coverage, measure))

    def as_dict(self) -> dict:
        return {
            "origins": [o.isoformat() for o in self.origins],
            "horizon_days": self.horizon_days,
            "cell_size_m": self.cell_size,
            "cells": self.n_cells,
            "study_area_m2": self.study_area_m2,
            "results": [s.as_dict() for s in self.scores],
            "seconds_per_method": self.seconds,
            "auto_blends": self.auto_blends,
        }


def rolling_origins(events: Events, n_origins: int, horizon_days: float) -> list[float]:
    """Origins spaced by the horizon; the last window ends at midnight after the last event's day."""
    if n_origins < 1:
        raise ForecastError(f"--origins must be at least 1, got {n_origins}")
    data_end = float(np.floor(events.t[-1]) + 1.0)
    last = data_end - horizon_days
    origins = [last - (n_origins - 1 - k) * horizon_days for k in range(n_origins)]
    if origins[0] <= events.t[0]:
        raise ForecastError(
            f"{n_origins} origins of {horizon_days:g} days reach back to {datetime_from_days(origins[0]).date()}, "
            f"before the first event ({datetime_from_days(events.t[0]).date()}): no history for the first origin"
        )
    return origins


def run_backtest(
    events: Events,
    n_origins: int,
    horizon_days: float,
    coverages=DEFAULT_COVERAGES,
    cell_size: float = 200.0,
    methods: list[str] | None = None,
    grid: Grid | None = None,
    progress=None,
) -> BacktestResult:
    if len(events) == 0:
        raise ForecastError("no events to backtest on")
    if not horizon_days > 0:
        raise ForecastError(f"horizon must be a positive number of days, got {horizon_days}")
    names = [get_method(m).name for m in (methods or list(METHODS))]
    origins = rolling_origins(events, n_origins, horizon_days)
    grid = grid or build_grid(events.lon, events.lat, cell_size)
    history = build_history(events, grid)
    harm = harm_weights(events.category)[history.source_index]
    scores = {(m, measure, c): Score(m, measure, c) for m in names for measure in ("crimes", "harm") for c in coverages}
    seconds = {m: 0.0 for m in names}
    blends = []
    study = grid.study_area_m2
    for number, origin in enumerate(origins, 1):
        window = history.window(origin, origin + horizon_days)
        crimes = np.bincount(history.cell[window], minlength=grid.n_cells).astype(float)
        harmed = np.bincount(history.cell[window], weights=harm[window], minlength=grid.n_cells)
        for name in names:
            started = time.perf_counter()
            cell_scores, details = forecast_from_history(history, origin, horizon_days, name)
            seconds[name] += time.perf_counter() - started
            if name == "auto":
                blends.append({"origin": datetime_from_days(origin).isoformat(), "blend": details.get("blend")})
            for coverage in coverages:
                flagged = flag_cells(cell_scores, grid.area, coverage)
                share = float(grid.area[flagged].sum()) / study
                for measure, outcome in (("crimes", crimes), ("harm", harmed)):
                    s = scores[(name, measure, coverage)]
                    hits, total = float(outcome[flagged].sum()), float(outcome.sum())
                    s.hits += hits
                    s.total += total
                    s.flagged_share_sum += share
                    s.origins += 1
                    if total > 0:
                        s.per_origin_pai.append(hits / total / share)
        if progress:
            progress(number, len(origins))
    return BacktestResult(
        origins=[datetime_from_days(o) for o in origins],
        horizon_days=float(horizon_days),
        cell_size=grid.cell_size,
        n_cells=grid.n_cells,
        study_area_m2=study,
        scores=list(scores.values()),
        seconds=seconds,
        auto_blends=blends,
    )


def format_table(result: BacktestResult) -> str:
    coverages = sorted({s.coverage for s in result.scores})
    methods = list(dict.fromkeys(s.method for s in result.scores))
    lines = [
        f"{len(result.origins)} origins from {result.origins[0].date()} to {result.origins[-1].date()}, "
        f"horizon {result.horizon_days:g} days, {result.n_cells} cells of {result.cell_size:g} m, "
        f"study area {result.study_area_m2 / 1e6:.1f} km^2",
    ]
    for measure in ("crimes", "harm"):
        header = f"{measure:<8}{'method':<13}" + "".join(f"{'hit@' + format(c, 'g'):>11}{'PAI@' + format(c, 'g'):>10}" for c in coverages)
        lines += ["", header, "-" * len(header)]
        for m in methods:
            cells = "".join(
                f"{result.score(m, c, measure).hit_rate:>11.3f}{result.score(m, c, measure).pai:>10.2f}" for c in coverages
            )
            lines.append(f"{'':<8}{m:<13}{cells}")
    lines += ["", "seconds per method: " + ", ".join(f"{m} {s:.1f}" for m, s in result.seconds.items())]
    return "\n".join(lines)


def write_csv(result: BacktestResult, path) -> None:
    import csv

    rows = [s.as_dict() for s in result.scores]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def vega_lite_chart(result: BacktestResult) -> dict:
    """Hit rate against area coverage, one line per method, crimes and harm side by side."""
    values = [
        {"method": s.method, "measure": s.measure, "coverage": s.coverage, "hit_rate": s.hit_rate, "pai": s.pai}
        for s in result.scores
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": f"Hit rate against area coverage ({len(result.origins)} origins, {result.horizon_days:g}-day windows)",
        "data": {"values": values},
        "facet": {"column": {"field": "measure", "type": "nominal", "title": None}},
        "spec": {
            "width": 320,
            "height": 240,
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": {"field": "coverage", "type": "quantitative", "title": "share of study area flagged",
                      "axis": {"format": "%"}},
                "y": {"field": "hit_rate", "type": "quantitative", "title": "share of crimes (harm) caught",
                      "axis": {"format": "%"}},
                "color": {"field": "method", "type": "nominal"},
                "tooltip": [{"field": "method"}, {"field": "coverage", "format": ".0%"},
                            {"field": "hit_rate", "format": ".1%"}, {"field": "pai", "format": ".2f"}],
            },
        },
    }


def svg_chart(result: BacktestResult, measure: str = "crimes") -> str:
    """The same chart as a self-contained SVG (no plotting library needed)."""
    width, height, left, right, top, bottom = 660, 380, 60, 130, 40, 55
    rows = [s for s in result.scores if s.measure == measure]
    coverages = sorted({s.coverage for s in rows})
    x_max = max(coverages)
    top_rate = max((s.hit_rate for s in rows if s.hit_rate == s.hit_rate), default=0.0)
    step = next((v for v in (0.02, 0.05, 0.1, 0.2) if top_rate / v <= 6), 0.25)
    y_max = step * max(1, int(np.ceil(top_rate / step)))

    def px(c: float) -> float:
        return left + (width - left - right) * c / x_max

    def py(h: float) -> float:
        return height - bottom - (height - top - bottom) * h / y_max

    palette = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{(left + width - right) / 2}" y="22" text-anchor="middle" font-size="14">'
        f"Hit rate ({measure}) against area coverage, {len(result.origins)} origins</text>",
        f'<line x1="{left}" y1="{py(0)}" x2="{px(x_max)}" y2="{py(0)}" stroke="black"/>',
        f'<line x1="{left}" y1="{py(0)}" x2="{left}" y2="{py(y_max)}" stroke="black"/>',
        f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">share of study area flagged</text>',
        f'<text transform="translate(16 {(top + height - bottom) / 2}) rotate(-90)" text-anchor="middle">'
        f"share of {measure} caught</text>",
    ]
    for c in coverages:
        parts.append(f'<text x="{px(c):.1f}" y="{py(0) + 16:.1f}" text-anchor="middle">{c:.0%}</text>')
    for k in range(int(round(y_max / step)) + 1):
        h = k * step
        parts.append(f'<line x1="{left}" y1="{py(h):.1f}" x2="{px(x_max):.1f}" y2="{py(h):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 6}" y="{py(h) + 4:.1f}" text-anchor="end">{h:.0%}</text>')
    for index, method in enumerate(dict.fromkeys(s.method for s in rows)):
        colour = palette[index % len(palette)]
        points = [(0.0, 0.0)] + [(c, result.score(method, c, measure).hit_rate) for c in coverages]
        path = " ".join(f"{px(c):.1f},{py(h):.1f}" for c, h in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{px(x_max) + 12:.1f}" y="{top + 16 * (index + 1)}" fill="{colour}">{method}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
