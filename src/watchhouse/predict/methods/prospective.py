"""Prospective hotspotting (Bowers, Johnson and Pease 2004).

Each past event adds 1 / (1 + distance in cells) x 1 / (1 + age in weeks) to every cell within
the bandwidth, for events up to ``weeks`` old: risk spreads to neighbours and fades with time,
the near-repeat pattern of burglary. The paper used 400 m and two months.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import convolve

from watchhouse.predict.history import History


def distance_kernel(bandwidth_m: float, cell_size: float) -> np.ndarray:
    reach = int(np.floor(bandwidth_m / cell_size))
    offsets = np.arange(-reach, reach + 1)
    dx, dy = np.meshgrid(offsets, offsets)
    cells_away = np.hypot(dx, dy)
    return np.where(cells_away * cell_size <= bandwidth_m, 1.0 / (1.0 + cells_away), 0.0)


def prospective_hotspots(
    history: History, as_of: float, horizon: float, bandwidth_m: float = 400.0, weeks: int = 8
) -> np.ndarray:
    part = history.window(as_of - 7.0 * weeks, as_of)
    age_weeks = np.floor((as_of - history.t[part]) / 7.0)
    time_weight = history.weight[part] / (1.0 + age_weeks)
    grid = history.grid
    weighted = np.bincount(history.raster[part], weights=time_weight, minlength=grid.nx * grid.ny)
    # The score is linear in the events, so one convolution of the time-weighted counts suffices.
    kernel = distance_kernel(bandwidth_m, grid.cell_size)
    return convolve(weighted.reshape(grid.raster_shape), kernel, mode="constant")
