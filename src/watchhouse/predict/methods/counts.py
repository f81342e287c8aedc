"""Counts per cell over a trailing window: the analyst's hotspot map in its plainest form."""

from __future__ import annotations

import numpy as np

from watchhouse.predict.history import History


def trailing_counts(history: History, as_of: float, horizon: float, days: float) -> np.ndarray:
    """Events per cell in [as_of - days, as_of); the future is assumed to look like that window."""
    return history.raster_counts(as_of - days, as_of)


def recent_counts(history: History, as_of: float, horizon: float) -> np.ndarray:
    return trailing_counts(history, as_of, horizon, days=28)


def long_run_counts(history: History, as_of: float, horizon: float) -> np.ndarray:
    return trailing_counts(history, as_of, horizon, days=365)


def decayed_counts(history: History, as_of: float, half_lives_days: tuple[float, ...]) -> list[np.ndarray]:
    """Counts where an event's weight halves every half-life: long memory with recent emphasis.

    Rolling forward from an earlier as-of only needs the events in between (the old sums just
    decay), so successive origins, as in the auto method's inner windows, cost little.
    """
    grid = history.grid
    key = ("decayed", tuple(half_lives_days))
    previous = history.memo.get(key)
    if previous is not None and previous[0] <= as_of:
        since, rasters = previous[0], previous[1]
    else:
        since, rasters = -np.inf, [np.zeros(grid.nx * grid.ny) for _ in half_lives_days]
    part = history.window(since, as_of)
    age = as_of - history.t[part]
    updated = []
    for half_life, old in zip(half_lives_days, rasters):
        rate = np.log(2) / half_life
        fresh = np.bincount(
            history.raster[part], weights=history.weight[part] * np.exp(-rate * age), minlength=grid.nx * grid.ny
        )
        carried = old * np.exp(-rate * (as_of - since)) if np.isfinite(since) else old
        updated.append(carried + fresh)
    history.memo[key] = (as_of, updated)
    return [raster.reshape(grid.raster_shape) for raster in updated]


def same_season_counts(history: History, as_of: float, horizon: float, years: int = 5) -> np.ndarray:
    """Counts in the same weeks of earlier years (a week either side): places busy only in summer, say."""
    total = np.zeros(history.grid.raster_shape)
    for year in range(1, years + 1):
        start = as_of - 365.25 * year
        total += history.raster_counts(start - 7.0, start + horizon + 7.0)
    return total
