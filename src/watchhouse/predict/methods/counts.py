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
