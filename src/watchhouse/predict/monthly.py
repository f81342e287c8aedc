"""Monthly mode: forecasts of next month's count per area (e.g. police.uk months by LSOA).

data.police.uk publishes street-level crime by month only, so there are no timestamps to
model near-repeats; what is left is the split between a place's long-run level and its
recent months. ``forecast_monthly`` offers the two and a blend whose weight is tuned on the
months before the target (hits in the top areas, pooled), as the grid ``auto`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MONTHLY_METHODS = ("recent", "long-run", "auto")
RECENT_MONTHS = 3
LONG_RUN_MONTHS = 12
BLEND_WEIGHTS = tuple(np.round(np.linspace(0, 1, 11), 2))
CLOSE_ENOUGH = 0.005


class MonthlyError(ValueError):
    """The monthly counts cannot support the forecast asked for."""


def count_matrix(frame, area: str = "lsoa", month: str = "month", count: str | None = None):
    """Areas x consecutive months of counts (rows of events, or a count column), missing months as 0."""
    import pandas as pd

    if area not in frame.columns or month not in frame.columns:
        raise MonthlyError(f"monthly counts need columns {area!r} and {month!r}; got {', '.join(frame.columns)}")
    months = pd.PeriodIndex(frame[month].astype(str), freq="M")
    values = frame[count] if count else pd.Series(1, index=frame.index)
    table = pd.DataFrame({"area": frame[area].to_numpy(), "month": months, "n": values.to_numpy()})
    matrix = table.pivot_table(index="area", columns="month", values="n", aggfunc="sum", fill_value=0)
    full = pd.period_range(matrix.columns.min(), matrix.columns.max(), freq="M")
    return matrix.reindex(columns=full, fill_value=0).astype(float)


def _mean_of_last(values: np.ndarray, upto: int, months: int) -> np.ndarray:
    lo = max(0, upto - months)
    return values[:, lo:upto].mean(axis=1)


@dataclass(frozen=True)
class MonthlyForecast:
    target_month: object  # pandas Period
    expected: object  # pandas Series: expected count per area
    method: str
    recent_weight: float  # 0 = long-run only, 1 = recent only


def _top_share_hits(score: np.ndarray, outcome: np.ndarray, share: float) -> float:
    k = max(1, int(round(share * len(score))))
    return float(outcome[np.argsort(-score, kind="stable")[:k]].sum())


def tune_recent_weight(values: np.ndarray, upto: int, inner_months: int = 12, shares=(0.05, 0.1, 0.2)) -> float:
    """Weight of recent months that caught most crime in the top areas over the months before ``upto``.

    Hits are pooled over several shares of areas, which steadies the choice on few areas.
    """
    targets = [m for m in range(upto - inner_months, upto) if m - 1 >= 1]
    if len(targets) < 2:
        return 0.0
    hits = {
        w: sum(
            _top_share_hits(
                w * _mean_of_last(values, m, RECENT_MONTHS) + (1 - w) * _mean_of_last(values, m, LONG_RUN_MONTHS),
                values[:, m],
                share,
            )
            for m in targets
            for share in shares
        )
        for w in BLEND_WEIGHTS
    }
    # Long-run unless recent months are clearly better: noise between close weights is common.
    best = max(hits.values())
    return float(min(w for w, h in hits.items() if h >= best * (1 - CLOSE_ENOUGH)))


def forecast_monthly(matrix, target_month, method: str = "auto") -> MonthlyForecast:
    """Expected count per area for ``target_month`` from the months strictly before it."""
    import pandas as pd

    if method not in MONTHLY_METHODS:
        raise MonthlyError(f"unknown monthly method {method!r}; choose one of {', '.join(MONTHLY_METHODS)}")
    target = pd.Period(target_month, freq="M")
    upto = int(np.searchsorted(matrix.columns.to_numpy(), target))
    if upto == 0:
        raise MonthlyError(f"no months before {target}: the counts start at {matrix.columns.min()}")
    values = matrix.to_numpy(dtype=float)
    weight = {"recent": 1.0, "long-run": 0.0}.get(method)
    if weight is None:
        weight = tune_recent_weight(values, upto)
    expected = weight * _mean_of_last(values, upto, RECENT_MONTHS) + (1 - weight) * _mean_of_last(
        values, upto, LONG_RUN_MONTHS
    )
    return MonthlyForecast(target, pd.Series(expected, index=matrix.index, name="expected"), method, weight)
