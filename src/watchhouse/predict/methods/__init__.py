"""The forecasting methods, by the name used on the command line (``--method NAME``).

Each takes the history, as-of (days) and horizon (days) and returns per-cell scores for
[as_of, as_of + horizon), higher meaning riskier. Baselines return a raster; ``auto`` also
returns the blend it chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from watchhouse.predict.history import History
from watchhouse.predict.methods.auto import auto_forecast
from watchhouse.predict.methods.counts import long_run_counts, recent_counts
from watchhouse.predict.methods.kde import kernel_density
from watchhouse.predict.methods.prospective import prospective_hotspots
from watchhouse.predict.methods.sepp import fit_on_history, self_exciting


def _auto(history: History, as_of: float, horizon: float) -> tuple[np.ndarray, dict]:
    scores, choice = auto_forecast(history, as_of, horizon)
    return scores, {
        "blend": choice.weights,
        "inner_windows": choice.inner_windows,
        "inner_hit_rate_5pct": choice.inner_hit_rate,
        "near_repeat": choice.near_repeat,
        "description": choice.describe(),
    }


def _sepp_details(history: History, as_of: float) -> dict:
    fit = fit_on_history(history, as_of)  # memoised: the scores used the same fit
    return {
        "branching": fit.branching,
        "decay_days": 1 / fit.decay_per_day,
        "bandwidth_m": fit.bandwidth_m,
        "triggered_share": fit.triggered_share,
        "fitted_events": fit.n_events,
    }


@dataclass(frozen=True)
class Method:
    name: str
    summary: str
    raster_scores: Callable[[History, float, float], np.ndarray] | None = None
    cell_scores: Callable[[History, float, float], tuple[np.ndarray, dict]] | None = None
    details: Callable[[History, float], dict] | None = None

    def score_cells(self, history: History, as_of: float, horizon: float) -> tuple[np.ndarray, dict]:
        """Per-kept-cell scores and what the method wants said about them."""
        if self.cell_scores is not None:
            return self.cell_scores(history, as_of, horizon)
        scores = history.grid.cells_from_raster(self.raster_scores(history, as_of, horizon))
        return scores, (self.details(history, as_of) if self.details else {})


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("auto", "blend of long-run, recent, kernel, prospective and near-repeat components tuned by "
               "backtesting on inner windows before as-of (default)", cell_scores=_auto),
        Method("recent", "event counts per cell over the last 28 days", recent_counts),
        Method("long-run", "event counts per cell over the last 365 days", long_run_counts),
        Method("kde", "retrospective Gaussian kernel density of the last 365 days (bandwidth 1.5 cells)", kernel_density),
        Method("prospective", "prospective hotspotting (Bowers, Johnson and Pease 2004): 400 m, 8 weeks",
               prospective_hotspots),
        Method("sepp", "self-exciting point process (Mohler et al.), background + near-repeats fitted by EM",
               self_exciting, details=_sepp_details),
    )
}


def get_method(name: str) -> Method:
    key = name.strip().lower().replace("_", "-")
    aliases = {"longrun": "long-run", "long": "long-run", "recent-counts": "recent", "etas": "sepp",
               "prospective-hotspots": "prospective", "kernel-density": "kde"}
    key = aliases.get(key, key)
    if key not in METHODS:
        raise KeyError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[key]
