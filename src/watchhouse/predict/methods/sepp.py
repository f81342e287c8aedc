"""Self-exciting point process in the style of Mohler et al. (2011, 2015).

Intensity at cell k and time t: a steady background mu_k plus, for each earlier event j,
theta * omega * exp(-omega (t - t_j)) * N(x - x_j; sigma^2): every crime briefly raises the
risk nearby (near-repeats). theta is the branching ratio (expected direct offspring per event),
1/omega the mean delay in days, sigma the spatial reach in metres. They are fitted by
expectation-maximisation over pairs of events closer than ``max_distance_m`` and
``max_lag_days`` (found by bucketing points in squares of the search radius, so the cost follows
the pairs, not n^2; numpy only, as importing scipy.spatial would cost the command line more).

For the forecast the background is the long-run rate per cell times the share of events the
fit does not attribute to triggering: crime concentrates stubbornly at a few places, and a
year of counts estimates that better than the EM's own background over a shorter window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from watchhouse.predict.history import History
from watchhouse.predict.methods.kde import gaussian_filter, smooth

FIT_DAYS = 365.0
# Bounds that keep the fit (the costliest step of an automatic forecast) to about half a second.
# The pair count is exact; 450,000 matches what the earlier sampled estimate let through. Fewer
# was tried: with 150,000-300,000 pairs the synthetic fit covers only a few weeks, its branching
# ratio comes out up to 0.43 (truth 0.30) and the SEPP baseline loses 4-5% of its PAI.
MAX_FIT_EVENTS = 20_000
PAIR_BUDGET = 450_000
MIN_BUDGET_EVENTS = 2_000  # the pair budget never leaves fewer events than this to fit on
BUDGET_BLOCK = 1_500  # children whose pairs are found at a time while filling the budget
MIN_FIT_EVENTS = 30


@dataclass(frozen=True)
class SeppFit:
    branching: float  # theta
    decay_per_day: float  # omega
    bandwidth_m: float  # sigma
    triggered_share: float  # share of the fitted events attributed to triggering
    n_events: int
    n_pairs: int
    iterations: int


def pairs_within(x: np.ndarray, y: np.ndarray, radius: float) -> np.ndarray:
    """(m, 2) index pairs i < j of points at most ``radius`` apart (as ``cKDTree.query_pairs``).

    Points are sorted into squares of side ``radius``; a pair can only join a square to itself
    or to one of its eight neighbours, and half of those (four offsets plus the square itself)
    see every pair once. Each point's candidates in a neighbouring square are a contiguous run
    of the sorted order, so the candidate pairs are built with repeat and cumsum, not loops.
    """
    n = len(x)
    if n < 2 or not radius > 0:
        return np.empty((0, 2), dtype=np.int64)
    col = np.floor((x - x.min()) / radius).astype(np.int64)
    row = np.floor((y - y.min()) / radius).astype(np.int64) + 1
    stride = int(row.max()) + 2  # rows 1..max: a neighbour row (+-1) never wraps into another column
    key = col * stride + row
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    xs, ys = x[order], y[order]
    position = np.arange(n)
    found = []
    for d_col, d_row in ((0, 0), (1, -1), (1, 0), (1, 1), (0, 1)):
        if d_col == 0 and d_row == 0:
            start = position + 1  # later points of the same square
            end = np.searchsorted(sorted_key, sorted_key, side="right")
        else:
            target = sorted_key + d_col * stride + d_row
            start = np.searchsorted(sorted_key, target, side="left")
            end = np.searchsorted(sorted_key, target, side="right")
        counts = np.maximum(end - start, 0)
        total = int(counts.sum())
        if total == 0:
            continue
        first = np.repeat(position, counts)
        # Within each point's run: start, start + 1, ..., end - 1.
        run_start = np.repeat(start - np.cumsum(counts) + counts, counts)
        second = run_start + np.arange(total)
        close = (xs[first] - xs[second]) ** 2 + (ys[first] - ys[second]) ** 2 <= radius * radius
        found.append(np.column_stack([first[close], second[close]]))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = order[np.concatenate(found)]
    return np.sort(pairs, axis=1)


def candidate_pairs(x, y, t, max_distance_m: float, max_lag_days: float, first_child: int = 0):
    """(parent, child) index pairs with 0 < t_child - t_parent <= max_lag and distance <= max_distance,
    for children from index ``first_child`` on (``t`` sorted; earlier events may be parents).

    Events are sorted by square of side max_distance and, within a square, by time (a stable
    sort of time-sorted events). A child's possible parents in one of the nine squares around
    it are then one contiguous run, the events of the lag window before it, found by a binary
    search on (square, time): the candidates are close in time as well as in space, so far
    fewer than all pairs within the distance.
    """
    n = len(t)
    empty = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if n < 2 or first_child >= n:
        return empty
    t = np.asarray(t, dtype=float)
    col = np.floor((x - x.min()) / max_distance_m).astype(np.int64) + 1
    row = np.floor((y - y.min()) / max_distance_m).astype(np.int64) + 1
    stride = int(row.max()) + 2  # neighbour rows (+-1) never wrap into another column
    square = col * stride + row
    t0 = float(t.min())
    span = float(t.max()) - t0 + max_lag_days + 1.0
    order = np.argsort(square, kind="stable")  # stable: time order kept within a square
    composite = square[order] * span + (t[order] - t0)
    children = np.arange(first_child, n)
    child_key = square[children]
    child_time = t[children] - t0
    found_parent, found_child = [], []
    for d_col in (-1, 0, 1):
        for d_row in (-1, 0, 1):
            base = (child_key + d_col * stride + d_row) * span
            start = np.searchsorted(composite, base + child_time - max_lag_days, side="left")
            end = np.searchsorted(composite, base + child_time, side="left")  # strictly earlier
            counts = np.maximum(end - start, 0)
            total = int(counts.sum())
            if total == 0:
                continue
            child = np.repeat(children, counts)
            parent = order[np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(total)]
            close = (x[parent] - x[child]) ** 2 + (y[parent] - y[child]) ** 2 <= max_distance_m**2
            found_parent.append(parent[close])
            found_child.append(child[close])
    if not found_parent:
        return empty
    parent, child = np.concatenate(found_parent), np.concatenate(found_child)
    lag = t[child] - t[parent]
    keep = (lag > 0) & (lag <= max_lag_days)  # guards the float composite key at the window's edges
    return parent[keep], child[keep]


class _FineKernel:
    """Leave-one-out Gaussian kernel density at each point from the other points, exact, over close pairs."""

    def __init__(self, x: np.ndarray, y: np.ndarray, bandwidth_m: float):
        pairs = pairs_within(x, y, 3 * bandwidth_m)
        self.a, self.b = pairs[:, 0], pairs[:, 1]
        d2 = (x[self.a] - x[self.b]) ** 2 + (y[self.a] - y[self.b]) ** 2
        self.kernel = np.exp(-d2 / (2 * bandwidth_m**2)) / (2 * np.pi * bandwidth_m**2)
        self.n = len(x)

    def density(self, weights: np.ndarray) -> np.ndarray:
        return np.bincount(self.a, weights=weights[self.b] * self.kernel, minlength=self.n) + np.bincount(
            self.b, weights=weights[self.a] * self.kernel, minlength=self.n
        )


class _BroadKernel:
    """Gaussian kernel density on a raster of bandwidth/2 cells (cheap at city scale), own point left out."""

    def __init__(self, x: np.ndarray, y: np.ndarray, bandwidth_m: float):
        cell = bandwidth_m / 2
        x0, y0 = float(x.min()), float(y.min())
        nx = int((x.max() - x0) // cell) + 1
        ny = int((y.max() - y0) // cell) + 1
        self.shape = (ny, nx)
        self.flat = ((y - y0) // cell).astype(np.int64) * nx + ((x - x0) // cell).astype(np.int64)
        self.per_m2 = 1.0 / cell**2
        delta = np.zeros((25, 25))
        delta[12, 12] = 1.0
        self.self_weight = gaussian_filter(delta, 2.0)[12, 12]

    def density(self, weights: np.ndarray) -> np.ndarray:
        raster = np.bincount(self.flat, weights=weights, minlength=self.shape[0] * self.shape[1])
        smoothed = gaussian_filter(raster.reshape(self.shape), 2.0)
        return np.maximum(smoothed.reshape(-1)[self.flat] - self.self_weight * weights, 0.0) * self.per_m2


def fit_sepp(
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    start: float,
    end: float,
    max_distance_m: float = 500.0,
    max_lag_days: float = 60.0,
    min_bandwidth_m: float = 10.0,
    background_bandwidths_m: tuple[float, float] = (30.0, 500.0),
    max_iterations: int = 40,
    tolerance: float = 2e-3,
    start_from: SeppFit | None = None,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> SeppFit:
    """EM fit on events with start <= t < end (t sorted); earlier events up to max_lag_days act as parents only.
    ``pairs``: the (parent, child) indices ``candidate_pairs`` gives for these children, if known.

    The background is a kernel density of the events weighted by their probability of being
    background (stochastic declustering, as Mohler et al. 2011), constant in time over the
    window: a mixture of a fine kernel (the places where crime concentrates) and a broad one
    (so scattered events keep some background), with the mixture weight set by the EM. Each
    event's own weight is left out, or every event would explain itself as background.
    """
    first, last = int(np.searchsorted(t, start)), int(np.searchsorted(t, end))
    n_children = last - first
    if pairs is None:
        pairs = candidate_pairs(x[:last], y[:last], t[:last], max_distance_m, max_lag_days, first_child=first)
    parent, child = pairs
    child = child - first
    lag = t[child + first] - t[parent]
    dist2 = (x[child + first] - x[parent]) ** 2 + (y[child + first] - y[parent]) ** 2
    duration = end - start
    window = slice(first, last)
    fine = _FineKernel(x[window], y[window], background_bandwidths_m[0])
    broad = _BroadKernel(x[window], y[window], background_bandwidths_m[1])
    # Offspring of each potential parent that could be seen inside the window and the lag cut.
    seen_from = np.maximum(start - t[:last], 0.0)
    seen_to = np.minimum(end - t[:last], max_lag_days)

    theta, omega, sigma2, fine_share = 0.2, 0.1, 200.0**2, 0.5
    if start_from is not None and start_from.branching > 0:  # warm start: successive origins differ little
        theta, omega, sigma2 = start_from.branching, start_from.decay_per_day, start_from.bandwidth_m**2
    p_background = np.full(n_children, 1 - theta)
    share = 0.0
    for iteration in range(1, max_iterations + 1):
        trig = (theta * omega / (2 * np.pi * sigma2)) * np.exp(-omega * lag - dist2 / (2 * sigma2))
        fine_density = fine.density(p_background) / duration
        broad_density = broad.density(p_background) / duration
        background = fine_share * fine_density + (1 - fine_share) * broad_density
        intensity = np.maximum(background + np.bincount(child, weights=trig, minlength=n_children), 1e-300)
        p_trig = trig / intensity[child]
        p_background = background / intensity
        triggered = p_trig.sum()
        from_fine = fine_share * fine_density / np.maximum(background, 1e-300)
        fine_share = float(np.clip(np.sum(p_background * from_fine) / max(p_background.sum(), 1e-9), 0.01, 0.99))
        exposure = np.sum(np.exp(-omega * seen_from) - np.exp(-omega * seen_to))
        if triggered <= 1e-9:
            new_theta, new_omega, new_sigma2 = 0.0, omega, sigma2
        else:
            new_theta = min(triggered / max(exposure, 1e-9), 0.95)
            new_omega = float(np.clip(triggered / np.sum(p_trig * lag), 1.0 / 365.0, 24.0))
            new_sigma2 = max(np.sum(p_trig * dist2) / (2 * triggered), min_bandwidth_m**2)
        change = max(
            abs(new_theta - theta) / max(theta, 0.02),
            abs(new_omega - omega) / omega,
            abs(new_sigma2 - sigma2) / sigma2,
        )
        theta, omega, sigma2 = new_theta, new_omega, new_sigma2
        share = triggered / max(n_children, 1)
        if change < tolerance:
            break
    return SeppFit(
        branching=float(theta),
        decay_per_day=float(omega),
        bandwidth_m=float(np.sqrt(sigma2)),
        triggered_share=float(share),
        n_events=int(n_children),
        n_pairs=int(len(child)),
        iterations=iteration,
    )


def fit_on_history(history: History, as_of: float) -> SeppFit:
    """Fit on the last year before as_of, on the most recent events when the year is large."""
    key = ("sepp", as_of)
    if key in history.memo:
        return history.memo[key]
    max_lag = 60.0
    upto = history.upto(as_of)
    first = history.upto(as_of - FIT_DAYS)
    n_fit = min(upto - first, MAX_FIT_EVENTS)
    grid = history.grid
    max_distance = max(500.0, 2.5 * grid.cell_size)
    start = float(history.t[upto - n_fit]) if n_fit > 0 else as_of - FIT_DAYS
    lo = history.upto(start - max_lag)
    t, x, y = history.t[lo:upto], history.x[lo:upto], history.y[lo:upto]
    pairs = None
    if n_fit > MIN_BUDGET_EVENTS:
        # Dense data: keep the most recent events whose pairs fit the budget. Pairs are found for
        # the newest children first, a block at a time, so the search stops near the budget.
        first_child = len(t) - n_fit
        searched = len(t)  # pairs are known for the children from here on
        found: list[tuple[np.ndarray, np.ndarray]] = []
        count = 0
        while searched > first_child and (count <= PAIR_BUDGET or len(t) - searched < MIN_BUDGET_EVENTS):
            block = max(first_child, searched - BUDGET_BLOCK)
            found.append(candidate_pairs(x[:searched], y[:searched], t[:searched], max_distance, max_lag,
                                         first_child=block))
            count += len(found[-1][1])
            searched = block
        parent = np.concatenate([p for p, _ in found])
        child = np.concatenate([c for _, c in found])
        cut = searched
        if count > PAIR_BUDGET:
            # pairs_from[i]: pairs whose child is event i or later.
            pairs_from = np.cumsum(np.bincount(child, minlength=len(t))[::-1])[::-1]
            cut = min(max(int(np.argmax(pairs_from <= PAIR_BUDGET)), searched), len(t) - MIN_BUDGET_EVENTS)
            # Simultaneous events all in or all out (the fit cuts its window by time): move past them.
            if cut > 0 and t[cut - 1] == t[cut]:
                cut = int(np.searchsorted(t, t[cut], side="right"))
        # The fit's children are those from its start time on; the pairs are reused when they
        # cover exactly those children (not when ties at the first child's time blur the edge).
        if cut < len(t) and int(np.searchsorted(t, t[cut], side="left")) == cut >= searched:
            start = float(t[cut])
            n_fit = len(t) - cut
            keep = child >= cut
            shift = history.upto(start - max_lag) - lo
            lo += shift
            t, x, y = t[shift:], x[shift:], y[shift:]
            pairs = (parent[keep] - shift, child[keep] - shift)
    if n_fit < MIN_FIT_EVENTS:
        # Too few recent events to separate near-repeats from background: assume none.
        fit = SeppFit(0.0, 1.0, grid.cell_size, 0.0, n_fit, 0, 0)
        history.memo[key] = fit
        return fit
    fit = fit_sepp(t, x, y, start, as_of, max_distance_m=max_distance, max_lag_days=max_lag,
                   min_bandwidth_m=grid.cell_size / 10, start_from=history.memo.get("sepp-latest"), pairs=pairs)
    history.memo[key] = history.memo["sepp-latest"] = fit
    return fit


def triggered_risk(history: History, fit: SeppFit, as_of: float, horizon: float) -> np.ndarray:
    """Expected offspring in [as_of, as_of + horizon) of the events before as_of, per raster cell."""
    reach_days = min(10.0 / fit.decay_per_day, 365.0)
    part = history.window(as_of - reach_days, as_of)
    age = as_of - history.t[part]
    expected = history.weight[part] * fit.branching * (
        np.exp(-fit.decay_per_day * age) - np.exp(-fit.decay_per_day * (age + horizon))
    )
    grid = history.grid
    raster = np.bincount(history.raster[part], weights=expected, minlength=grid.nx * grid.ny)
    return smooth(raster.reshape(grid.raster_shape), fit.bandwidth_m, grid.cell_size)


def background_risk(history: History, fit: SeppFit, as_of: float, horizon: float) -> np.ndarray:
    observed_days = min(FIT_DAYS, as_of - float(history.t[0])) if len(history) else FIT_DAYS
    rate = history.raster_counts(as_of - FIT_DAYS, as_of) / max(observed_days, 1.0)
    return rate * horizon * (1.0 - fit.triggered_share)


def self_exciting(history: History, as_of: float, horizon: float) -> np.ndarray:
    fit = fit_on_history(history, as_of)
    return background_risk(history, fit, as_of, horizon) + triggered_risk(history, fit, as_of, horizon)
