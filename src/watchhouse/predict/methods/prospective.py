"""Prospective hotspotting (Bowers, Johnson and Pease 2004).

Each past event adds 1 / (1 + distance in cells) x 1 / (1 + age in weeks) to every cell within
the bandwidth, for events up to ``weeks`` old: risk spreads to neighbours and fades with time,
the near-repeat pattern of burglary. The paper used 400 m and two months.
"""

from __future__ import annotations

import numpy as np

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
    return spread(weighted.reshape(grid.raster_shape), distance_kernel(bandwidth_m, grid.cell_size))


def spread(raster: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Each cell's value shared to its neighbours by the (odd, symmetric) kernel; zeros beyond the edge.

    The same as ``scipy.ndimage.convolve(raster, kernel, mode="constant")``, as a few shifted
    sums (the kernel has at most a few dozen cells), without importing scipy.ndimage.
    """
    ny, nx = raster.shape
    ry, rx = kernel.shape[0] // 2, kernel.shape[1] // 2
    out = np.zeros(raster.shape, dtype=float)
    for (ky, kx), weight in np.ndenumerate(kernel):
        dy, dx = ky - ry, kx - rx
        if weight == 0 or abs(dy) >= ny or abs(dx) >= nx:
            continue
        # out[i, j] += weight * raster[i - dy, j - dx]
        out[max(0, dy): ny + min(0, dy), max(0, dx): nx + min(0, dx)] += (
            weight * raster[max(0, -dy): ny - max(0, dy), max(0, -dx): nx - max(0, dx)]
        )
    return out
