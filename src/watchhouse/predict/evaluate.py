"""Hit rate and Predictive Accuracy Index (Chainey, Tompson and Uhlig 2008) at an area coverage.

Cells are flagged from the highest score down until their area inside the study area would
pass ``coverage`` of the study area. PAI = (hits / all crimes in the window) / (flagged area /
study area). Ties in score are broken by a fixed pseudo-random order of the cells, so a method
with many equal scores (counts of zero) is neither helped nor hurt by the cells' numbering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def tie_break_order(n_cells: int) -> np.ndarray:
    return np.random.default_rng(20080101).permutation(n_cells)


def flag_cells(scores: np.ndarray, cell_area: np.ndarray, coverage: float, tie_break: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the top-scored cells covering at most ``coverage`` of the total area (at least one cell)."""
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    tie = tie_break_order(len(scores)) if tie_break is None else tie_break
    order = np.lexsort((tie, -np.asarray(scores, dtype=float)))
    cumulative = np.cumsum(cell_area[order])
    n_flagged = max(1, int(np.searchsorted(cumulative, coverage * cell_area.sum() * (1 + 1e-9), side="right")))
    mask = np.zeros(len(scores), dtype=bool)
    mask[order[:n_flagged]] = True
    return mask


@dataclass(frozen=True)
class Accuracy:
    coverage: float  # requested share of the study area
    flagged_share: float  # share actually flagged (whole cells)
    hits: float  # crimes (or harm) in flagged cells
    total: float  # crimes (or harm) in the window

    @property
    def hit_rate(self) -> float:
        return self.hits / self.total if self.total > 0 else float("nan")

    @property
    def pai(self) -> float:
        return self.hit_rate / self.flagged_share if self.flagged_share > 0 else float("nan")


def accuracy(scores: np.ndarray, outcome: np.ndarray, cell_area: np.ndarray, coverage: float, study_area: float | None = None) -> Accuracy:
    """Hits of ``outcome`` (crimes or harm per cell in the window) in the cells flagged by ``scores``."""
    flagged = flag_cells(scores, cell_area, coverage)
    study = float(cell_area.sum()) if study_area is None else study_area
    return Accuracy(coverage, float(cell_area[flagged].sum()) / study, float(outcome[flagged].sum()), float(outcome.sum()))
