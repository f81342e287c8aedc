"""Retrospective kernel density: a year of events smoothed with a Gaussian kernel.

Events are binned to the grid first, so the density costs one filter pass over the raster
(no per-event kernel sums), which is what makes it cheap enough to tune in the backtest.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from watchhouse.predict.history import History


def smooth(raster: np.ndarray, bandwidth_m: float, cell_size: float) -> np.ndarray:
    """Gaussian smoothing of a (ny, nx) raster; mass leaving the raster is lost, as for a kernel."""
    sigma = bandwidth_m / cell_size
    if sigma < 0.05:
        return raster
    return gaussian_filter(raster, sigma=sigma, mode="constant", truncate=3.0)


def kernel_density(
    history: History, as_of: float, horizon: float, days: float = 365, bandwidth_m: float | None = None
) -> np.ndarray:
    """Gaussian KDE of the last ``days`` of events; bandwidth defaults to 1.5 cells."""
    cell = history.grid.cell_size
    return smooth(history.raster_counts(as_of - days, as_of), bandwidth_m or 1.5 * cell, cell)
