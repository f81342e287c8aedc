"""The history a method may look at: events in metres, on the grid, sorted by time.

Every method receives a ``History`` and an ``as_of``; it reads events through ``window`` or
``upto``, which cut at ``as_of`` (strictly before), so no method can see the future.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from watchhouse.predict.events import Events
from watchhouse.predict.grid import Grid


@dataclass(frozen=True)
class History:
    grid: Grid
    t: np.ndarray  # days, sorted
    x: np.ndarray  # metres
    y: np.ndarray
    raster: np.ndarray  # flat raster index
    cell: np.ndarray  # kept-cell index
    weight: np.ndarray  # 1 per event, or its harm weight
    source_index: np.ndarray  # position of each event in the Events it was built from
    # Per-history memo for costly fits (the SEPP EM), keyed by as-of: the backtest reuses them.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.t)

    def upto(self, as_of: float) -> int:
        """Number of events strictly before ``as_of`` (they are the first ones)."""
        return int(np.searchsorted(self.t, as_of, side="left"))

    def window(self, start: float, end: float) -> slice:
        """Events with start <= t < end."""
        return slice(int(np.searchsorted(self.t, start, side="left")), int(np.searchsorted(self.t, end, side="left")))

    def raster_counts(self, start: float, end: float, weights: np.ndarray | None = None) -> np.ndarray:
        """Weighted event counts per raster cell for start <= t < end, as a (ny, nx) array."""
        part = self.window(start, end)
        w = self.weight[part] if weights is None else weights
        counts = np.bincount(self.raster[part], weights=w, minlength=self.grid.nx * self.grid.ny)
        return counts.reshape(self.grid.raster_shape)

    def cell_counts(self, start: float, end: float) -> np.ndarray:
        part = self.window(start, end)
        return np.bincount(self.cell[part], weights=self.weight[part], minlength=self.grid.n_cells)


def build_history(events: Events, grid: Grid, weights: np.ndarray | None = None) -> History:
    """Place events on the grid; events outside it are left out (they lie outside the study area)."""
    x, y = grid.projection.to_metric(events.lon, events.lat)
    cell = grid.cell_of(x, y)
    raster = grid.raster_of(x, y)
    inside = cell >= 0
    w = np.ones(len(events)) if weights is None else np.asarray(weights, dtype=float)
    return History(
        grid, events.t[inside], x[inside], y[inside], raster[inside], cell[inside], w[inside], np.flatnonzero(inside)
    )
