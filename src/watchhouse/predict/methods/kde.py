"""Retrospective kernel density: a year of events smoothed with a Gaussian kernel.

Events are binned to the grid first, so the density costs one filter pass over the raster
(no per-event kernel sums), which is what makes it cheap enough to tune in the backtest. The
filter is written with numpy (shifted sums along each axis, the same truncated, normalised
kernel as ``scipy.ndimage.gaussian_filter``): importing scipy.ndimage costs the command line
more than all the filtering a forecast does.
"""

from __future__ import annotations

import numpy as np

from watchhouse.predict.history import History


def smooth(raster: np.ndarray, bandwidth_m: float, cell_size: float) -> np.ndarray:
    """Gaussian smoothing of a (ny, nx) raster; mass leaving the raster is lost, as for a kernel."""
    sigma = bandwidth_m / cell_size
    if sigma < 0.05:
        return raster
    return gaussian_filter(raster, sigma)


def shifted_sum(raster: np.ndarray, weights: np.ndarray, axis: int) -> np.ndarray:
    """Correlate ``raster`` along ``axis`` with the odd-length ``weights`` (centre in the middle); zeros beyond the edge."""
    radius = len(weights) // 2
    size = raster.shape[axis]
    out = np.zeros(raster.shape, dtype=float)
    for offset, weight in zip(range(-radius, radius + 1), weights):
        if weight == 0 or abs(offset) >= size:
            continue
        target = [slice(None)] * raster.ndim
        source = [slice(None)] * raster.ndim
        # out[i] += weight * raster[i + offset]
        target[axis] = slice(max(0, -offset), size - max(0, offset))
        source[axis] = slice(max(0, offset), size - max(0, -offset))
        out[tuple(target)] += weight * raster[tuple(source)]
    return out


def gaussian_filter(raster: np.ndarray, sigma: float, truncate: float = 3.0) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter(raster, sigma, mode="constant", truncate=truncate)`` for 2-D rasters."""
    radius = int(truncate * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    weights = np.exp(-0.5 * offsets**2 / sigma**2)
    weights /= weights.sum()
    raster = np.asarray(raster, dtype=float)
    return shifted_sum(shifted_sum(raster, weights, 0), weights, 1)


def kernel_density(
    history: History, as_of: float, horizon: float, days: float = 365, bandwidth_m: float | None = None
) -> np.ndarray:
    """Gaussian KDE of the last ``days`` of events; bandwidth defaults to 1.5 cells."""
    cell = history.grid.cell_size
    return smooth(history.raster_counts(as_of - days, as_of), bandwidth_m or 1.5 * cell, cell)
