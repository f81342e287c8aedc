"""The automatic method: a blend of simple components tuned by backtesting before as-of.

The history before as-of is cut into inner validation windows (the same horizon, rolling back
from as-of). Every component forecasts each inner window from the events before that window
only; a greedy search then builds a non-negative blend of the components (each scaled to sum
to one) that catches the most crimes in the top 5% of the area, pooled over the inner windows.
It starts from the best single component and adds others in small shares only while that
helps by a clear margin, so it settles on "long-run counts plus a little recency or
near-repeat" where the data look like that, and on something else where they do not. Nothing
is set per city: the windows, shares and near-repeat parameters all come from the history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from watchhouse.predict.history import History
from watchhouse.predict.methods import sepp
from watchhouse.predict.methods.counts import decayed_counts, same_season_counts, trailing_counts
from watchhouse.predict.methods.kde import smooth
from watchhouse.predict.methods.prospective import prospective_hotspots

TARGET_COVERAGE = 0.05
BLEND_SHARES = (0.03, 0.07, 0.15, 0.3, 0.5)
MAX_ADDITIONS = 3
# An addition must win this share of the pooled hits: smaller gains are noise at these sizes.
MIN_RELATIVE_GAIN = 0.0015
MIN_HISTORY_DAYS = 28.0
TIE_BREAK_SHARE = 1e-6


@dataclass
class AutoChoice:
    weights: dict[str, float] = field(default_factory=dict)
    inner_windows: int = 0
    inner_hit_rate: float = float("nan")
    single_hit_rates: dict[str, float] = field(default_factory=dict)
    near_repeat: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        blend = " + ".join(f"{w:.2f} {name}" for name, w in sorted(self.weights.items(), key=lambda kv: -kv[1]))
        return f"auto blend: {blend} (hit rate {self.inner_hit_rate:.3f} at 5% over {self.inner_windows} inner windows)"


def _normalised(raster: np.ndarray, history: History) -> np.ndarray:
    cells = history.grid.cells_from_raster(raster)
    total = cells.sum()
    return (cells / total if total > 0 else np.zeros_like(cells)).astype(np.float32)


def _simple_components(history: History, origin: float, horizon: float) -> dict[str, np.ndarray]:
    """Components that do not depend on the near-repeat fit; memoised, as the backtest meets each origin often."""
    key = ("auto-components", origin, horizon)
    if key in history.memo:
        return history.memo[key]
    cell = history.grid.cell_size
    everything = trailing_counts(history, origin, horizon, origin - float(history.t[0]) + 1.0)
    decayed_180, decayed_365, decayed_730 = decayed_counts(history, origin, (180.0, 365.0, 730.0))
    rasters = {
        "long-run all": everything,
        "long-run 365d": trailing_counts(history, origin, horizon, 365),
        "decayed long-run 180d": decayed_180,
        "decayed long-run 365d": decayed_365,
        "decayed long-run 730d": decayed_730,
        "smoothed long-run": smooth(everything, cell / 2, cell),
        "same season": same_season_counts(history, origin, horizon),
        "recent 28d": trailing_counts(history, origin, horizon, 28),
        "recent 7d": trailing_counts(history, origin, horizon, 7),
        "prospective": prospective_hotspots(history, origin, horizon),
    }
    shares = {name: _normalised(raster, history) for name, raster in rasters.items()}
    history.memo[key] = shares
    return shares


def components(history: History, origin: float, horizon: float, fit: sepp.SeppFit | None) -> dict[str, np.ndarray]:
    """Each component's per-cell share of the risk for [origin, origin + horizon)."""
    shares = dict(_simple_components(history, origin, horizon))
    if fit is not None and fit.branching > 0:
        shares["near-repeat"] = _normalised(sepp.triggered_risk(history, fit, origin, horizon), history)
    return shares


def inner_origins(history: History, as_of: float, horizon: float) -> list[float]:
    wanted = int(min(max(math.ceil(182.0 / horizon), 4), 26))
    first_event = float(history.t[0])
    origins = [as_of - k * horizon for k in range(1, wanted + 1)]
    return [o for o in origins if o - first_event >= MIN_HISTORY_DAYS]


class _Scorer:
    """Pooled hits in the top cells of each inner window, for stacked (window, cell) scores.

    Only cells in some component's top 3k in some window can enter a blend's top k in practice,
    so the search runs on those few columns.
    """

    def __init__(self, history: History, outcomes: np.ndarray, stacked: dict[str, np.ndarray], coverage: float):
        grid = history.grid
        self.k = max(1, min(grid.n_cells - 1, int(round(coverage * grid.area.sum() / grid.cell_size**2))))
        reach = min(3 * self.k, grid.n_cells - 1)
        candidates = np.zeros(grid.n_cells, dtype=bool)
        for scores in stacked.values():
            top = np.argpartition(-scores, reach, axis=1)[:, :reach]
            candidates[top.ravel()] = True
        self.columns = np.flatnonzero(candidates)
        self.k = min(self.k, len(self.columns) - 1) if len(self.columns) > 1 else 1
        self.outcomes = outcomes[:, self.columns]
        self.jitter = (np.random.default_rng(7).random(grid.n_cells) * 1e-12)[self.columns]

    def restrict(self, scores: np.ndarray) -> np.ndarray:
        return scores[:, self.columns]

    def hits(self, scores: np.ndarray) -> float:
        top = np.argpartition(-(scores + self.jitter), self.k, axis=1)[:, : self.k]
        return float(np.take_along_axis(self.outcomes, top, axis=1).sum())


def choose_blend(history: History, as_of: float, horizon: float, fit: sepp.SeppFit | None) -> AutoChoice:
    origins = inner_origins(history, as_of, horizon)
    choice = AutoChoice(inner_windows=len(origins))
    if fit is not None:
        choice.near_repeat = {
            "branching": fit.branching, "decay_days": 1 / fit.decay_per_day, "bandwidth_m": fit.bandwidth_m,
        }
    if len(origins) < 2:
        choice.weights = {"long-run all": 1.0}
        return choice
    # Oldest first, so the decayed counts roll forward from one inner origin to the next.
    per_origin = [components(history, o, horizon, fit) for o in sorted(origins)]
    origins = sorted(origins)
    names = list(per_origin[0])
    stacked = {name: np.stack([c[name] for c in per_origin]) for name in names}
    outcomes = np.stack([history.cell_counts(o, o + horizon) for o in origins])
    total = outcomes.sum()
    if total <= 0:
        choice.weights = {"long-run all": 1.0}
        return choice
    scorer = _Scorer(history, outcomes, stacked, TARGET_COVERAGE)
    stacked = {name: scorer.restrict(scores) for name, scores in stacked.items()}
    tie = TIE_BREAK_SHARE * stacked["decayed long-run 730d"]
    single = {name: scorer.hits(stacked[name] + tie) for name in names}
    choice.single_hit_rates = {name: hits / total for name, hits in single.items()}
    best = max(names, key=lambda name: single[name])
    weights = {best: 1.0}
    blend, blend_hits = stacked[best], single[best]
    for _ in range(MAX_ADDITIONS):
        trials = [
            (scorer.hits((1 - share) * blend + share * stacked[name] + tie), name, share)
            for name in names
            for share in BLEND_SHARES
        ]
        trial_hits, name, share = max(trials)
        if trial_hits < blend_hits + MIN_RELATIVE_GAIN * total:
            break
        weights = {n: w * (1 - share) for n, w in weights.items()}
        weights[name] = weights.get(name, 0.0) + share
        blend, blend_hits = (1 - share) * blend + share * stacked[name], trial_hits
    choice.weights = weights
    choice.inner_hit_rate = blend_hits / total
    return choice


def auto_forecast(history: History, as_of: float, horizon: float) -> tuple[np.ndarray, AutoChoice]:
    """Per-cell scores (expected events in the window) and the blend that produced them."""
    fit = sepp.fit_on_history(history, as_of) if history.upto(as_of) >= 50 else None
    choice = choose_blend(history, as_of, horizon, fit)
    now = components(history, as_of, horizon, fit)
    shares = sum(w * now[name] for name, w in choice.weights.items()) + TIE_BREAK_SHARE * now["decayed long-run 730d"]
    # Scale the shares to expected events: the recent rate of events per window of this length.
    recent = history.window(as_of - 365.0, as_of)
    observed_days = min(365.0, as_of - float(history.t[0]))
    per_window = history.weight[recent].sum() * horizon / max(observed_days, 1.0)
    return shares * per_window, choice
