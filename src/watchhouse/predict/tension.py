"""Community tension indicators: has anti-social behaviour, violence, hate crime or repeat
victimisation of places risen significantly in a neighbourhood, against its own history?

The test
--------
For a count indicator the latest period's count y is compared with the previous
``baseline_periods`` periods y_1..y_n of the same area (no seasonal model: a baseline of the
last 26 weeks or 24 months is the default). The count is judged against the predictive
distribution of a quasi-Poisson model fitted to the baseline, as in the Farrington family of
outbreak-detection algorithms used by public-health surveillance (Farrington et al. 1996;
Noufaily et al. 2013 use the negative binomial the same way):

- expected count  mu = (sum(y_i) + 0.5) / n   (the Jeffreys-prior posterior mean, so an area
  whose baseline is all zeros still has a small expectation rather than zero);
- overdispersion  phi = max(1, Pearson chi^2 / (n - 1)) from the baseline;
- predictive variance V = phi * mu * (1 + 1/n)  (the 1/n term is the uncertainty of mu; with
  phi = 1 this is exactly the Gamma-Poisson posterior predictive);
- p-value = P(Y >= y) for Y negative binomial with mean mu and variance V, averaged over the
  sampling distribution of phi (phi * (n - 1) / chi^2_{n-1} at 16 quantiles, each at least 1),
  because a phi estimated from a few periods is often too small and would raise false alarms.

The latest period is flagged when p < ``alpha`` and y >= ``min_count`` (a rise to one or two
incidents is not reported as tension, however unlikely). ``alpha`` is the nominal false-alarm
rate per area, indicator and period: with 50 areas and 4 indicators at alpha = 0.01 expect
about 2 false flags a period. ``backtest_false_alarms`` measures the real rate by applying
the test to every past period of a history. Measured at alpha = 0.01 with a 26-week baseline
(bench/patrols_tension_calibration.py): 0.2-0.4% on Poisson series (conservative), 0.9-1.0% on
negative-binomial series with overdispersion 2, 1.2-1.7% with overdispersion 4, and 0.65-1.0%
on three years of the synthetic city's weekly counts; a plain Poisson test on the same series
gives 2-9 times as many false alarms. Power at overdispersion 1.5 and a mean of 10 a week:
13% for a 1.5-fold rise, 42% for 2-fold, 91% for 3-fold.

For the share indicator (repeat locations: the share of crimes at map points with two or more
crimes in the period) the count of such crimes k out of the period's crimes m is compared
with the pooled baseline share p by a beta-binomial exceedance test whose intra-period
correlation rho is estimated by moments from the baseline periods (rho = 0: binomial), again
averaged over the sampling distribution of the dispersion. Measured at alpha = 0.01: 0.05-0.4%
false alarms on binomial series, 0.5-1.1% on beta-binomial series with rho = 0.05.

A series whose baseline has fewer than ``min_baseline_periods`` periods is not tested and is
never flagged; the indicator says so. The bundled police.uk sample (three Julys) is such a
case: two earlier Julys are no baseline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from watchhouse.predict.feedback import category_key

COUNT_TEST = "quasi-Poisson predictive exceedance (negative binomial, dispersion from baseline)"
SHARE_TEST = "beta-binomial exceedance of the share against the pooled baseline share"
DEFAULT_ALPHA = 0.01
DEFAULT_BASELINE_PERIODS = 26
DEFAULT_MIN_BASELINE_PERIODS = 8
DEFAULT_MIN_COUNT = 3
PHI_QUANTILES = (np.arange(16) + 0.5) / 16

# Indicator -> data.police.uk category slugs (or other feeds' categories, slugified) counted in
# it. Hate crime has no police.uk category; it is reported only when the events carry one.
INDICATOR_CATEGORIES: dict[str, frozenset[str]] = {
    "anti-social-behaviour": frozenset({"anti-social-behaviour"}),
    "violence": frozenset({"violent-crime", "violence-and-sexual-offences", "violence-against-the-person"}),
    "hate-crime": frozenset({"hate-crime", "racially-or-religiously-aggravated-offences", "hate-incident"}),
}
REPEAT_LOCATIONS = "repeat-locations"


@dataclass(frozen=True)
class Indicator:
    area: str
    indicator: str
    period: str  # the latest period, the one tested
    latest: float  # its count (share indicators: its share)
    expected: float | None  # the baseline's expectation (share indicators: the baseline share)
    p_value: float | None
    flagged: bool
    test: str
    baseline_periods: int
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Latest over expected: how big the rise is, beside how unlikely."""
        if self.expected is None or self.expected <= 0:
            return None
        return self.latest / self.expected


def count_exceedance(baseline: Sequence[float], latest: float) -> tuple[float, float, float]:
    """(expected, overdispersion phi, p-value of a count at least ``latest``) for one count series."""
    expected, phi, p_value = count_exceedance_many(np.asarray(baseline, dtype=float)[None, :], np.array([latest]))
    return float(expected[0]), float(phi[0]), float(p_value[0])


def count_exceedance_many(baselines: np.ndarray, latest: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The count test for many series at once: ``baselines`` is (series x n periods)."""
    from scipy import stats

    history = np.asarray(baselines, dtype=float)
    n = history.shape[1]
    if n < 2:
        raise ValueError("a count exceedance test needs at least 2 baseline periods")
    mean = history.mean(axis=1)
    expected = (history.sum(axis=1) + 0.5) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        raw_phi = np.where(mean > 0, ((history - mean[:, None]) ** 2).sum(axis=1) / mean / (n - 1), 1.0)
    phi = np.maximum(1.0, raw_phi)
    # phi is estimated from n periods; the p-value averages over its sampling distribution
    # (phi_hat * (n - 1) / chi2_{n-1}, at PHI_QUANTILES), as a t-test does for a variance.
    scale = (n - 1) / stats.chi2.ppf(PHI_QUANTILES, n - 1)
    phis = np.maximum(1.0, phi[:, None] * scale[None, :])
    variance = phis * expected[:, None] * (1.0 + 1.0 / n)
    size = expected[:, None] ** 2 / (variance - expected[:, None])
    tail = stats.nbinom.sf(np.ceil(np.asarray(latest, dtype=float))[:, None] - 1, size, expected[:, None] / variance)
    return expected, phi, tail.mean(axis=1)


def share_exceedance(baseline_hits: Sequence[float], baseline_totals: Sequence[float],
                     hits: float, total: float) -> tuple[float, float, float]:
    """(baseline share, intra-period correlation rho, p-value of at least ``hits`` of ``total``)."""
    from scipy import stats

    k = np.asarray(baseline_hits, dtype=float)
    m = np.asarray(baseline_totals, dtype=float)
    used = m > 0
    k, m = k[used], m[used]
    if len(m) < 2:
        raise ValueError("a share exceedance test needs at least 2 baseline periods with crimes")
    share = (k.sum() + 0.5) / (m.sum() + 1.0)
    # Quasi-binomial dispersion of the baseline; period i's variance is inflated by
    # 1 + (m_i - 1) * rho, so rho = (dispersion - 1) / mean(m_i - 1).
    dispersion = max(1.0, float((((k - m * share) ** 2) / (m * share * (1 - share))).sum()) / (len(m) - 1))
    spread = float(np.mean(m - 1))
    rho = min(0.99, (dispersion - 1) / spread) if spread > 0 else 0.0
    if total <= 0:
        return float(share), rho, 1.0
    # As in the count test, average over the sampling distribution of the dispersion.
    dispersions = np.maximum(1.0, dispersion * (len(m) - 1) / stats.chi2.ppf(PHI_QUANTILES, len(m) - 1))
    rhos = np.minimum(0.99, (dispersions - 1) / spread) if spread > 0 else np.zeros(len(PHI_QUANTILES))
    at_least = math.ceil(hits) - 1
    tails = [
        stats.binom.sf(at_least, int(total), share) if r <= 0
        else stats.betabinom.sf(at_least, int(total), share * (1 - r) / r, (1 - share) * (1 - r) / r)
        for r in rhos
    ]
    return float(share), rho, float(np.mean(tails))


def tension_indicators(
    counts_by_area_period,
    *,
    alpha: float = DEFAULT_ALPHA,
    baseline_periods: int = DEFAULT_BASELINE_PERIODS,
    min_baseline_periods: int = DEFAULT_MIN_BASELINE_PERIODS,
    min_count: int = DEFAULT_MIN_COUNT,
) -> list[Indicator]:
    """Test the latest period of every (area, indicator) series against its own baseline.

    ``counts_by_area_period`` is either a DataFrame with columns ``area, indicator, period,
    count`` and optionally ``total`` (when present and not null for an indicator, ``count`` is
    the numerator of a share and the share test is used), or a mapping ``(area, indicator) ->
    counts`` (oldest first; a pandas Series keeps its index as period labels). In a DataFrame a
    period without a row for a series counts 0; the periods are all those the frame names.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if min_baseline_periods < 2:
        raise ValueError("min_baseline_periods must be at least 2")
    if baseline_periods < min_baseline_periods:
        raise ValueError(f"baseline_periods ({baseline_periods}) is shorter than min_baseline_periods ({min_baseline_periods})")
    results = []
    for (area, indicator), series in _series(counts_by_area_period):
        results.append(_test_latest(area, indicator, series, alpha, baseline_periods, min_baseline_periods, min_count))
    return results


@dataclass(frozen=True)
class _Series:
    periods: list[str]
    counts: np.ndarray
    totals: np.ndarray | None


def _series(data) -> Iterable[tuple[tuple[str, str], _Series]]:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        missing = {"area", "indicator", "period", "count"} - set(data.columns)
        if missing:
            raise ValueError(f"counts need columns area, indicator, period, count; missing {', '.join(sorted(missing))}")
        if data.empty:
            return
        bad = data["count"].isna() | (pd.to_numeric(data["count"], errors="coerce") < 0)
        if bad.any():
            row = data.index[bad.to_numpy()][0]
            raise ValueError(f"count must be a number >= 0; row {row!r} has {data.loc[row, 'count']!r}")
        periods = sorted(data["period"].astype(str).unique())
        has_totals = "total" in data.columns
        for (area, indicator), group in data.groupby(["area", "indicator"], sort=True):
            by_period = group.assign(period=group["period"].astype(str)).groupby("period")
            counts = by_period["count"].sum().reindex(periods, fill_value=0).to_numpy(dtype=float)
            totals = None
            if has_totals and group["total"].notna().any():
                totals = by_period["total"].sum().reindex(periods, fill_value=0).to_numpy(dtype=float)
            yield (str(area), str(indicator)), _Series(periods, counts, totals)
        return
    if isinstance(data, Mapping):
        for key, values in data.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValueError(f"mapping keys must be (area, indicator) pairs, got {key!r}")
            labels = [str(p) for p in values.index] if isinstance(values, pd.Series) else [str(i) for i in range(len(values))]
            counts = np.asarray(values, dtype=float)
            if counts.ndim != 1 or np.isnan(counts).any() or (counts < 0).any():
                raise ValueError(f"series {key!r}: counts must be a flat sequence of numbers >= 0")
            yield (str(key[0]), str(key[1])), _Series(labels, counts, None)
        return
    raise TypeError("counts_by_area_period must be a pandas DataFrame or a mapping (area, indicator) -> counts")


def _test_latest(area, indicator, series: _Series, alpha, baseline_periods, min_baseline_periods, min_count) -> Indicator:
    if len(series.counts) == 0:
        return Indicator(area, indicator, "", 0.0, None, None, False, "none", 0, "no periods")
    latest_index = len(series.counts) - 1
    start = max(0, latest_index - baseline_periods)
    baseline = slice(start, latest_index)
    n_baseline = latest_index - start
    period = series.periods[latest_index]
    test = COUNT_TEST if series.totals is None else SHARE_TEST
    latest_count = float(series.counts[latest_index])
    latest_value = latest_count
    if series.totals is not None:
        total = float(series.totals[latest_index])
        latest_value = latest_count / total if total > 0 else 0.0
    if n_baseline < min_baseline_periods:
        return Indicator(area, indicator, period, latest_value, None, None, False, test, n_baseline,
                         f"baseline too short to test: {n_baseline} earlier period(s), need {min_baseline_periods}")
    if series.totals is None:
        expected, phi, p_value = count_exceedance(series.counts[baseline], latest_count)
        note = f"overdispersion {phi:.2f}"
    else:
        if (series.totals[baseline] > 0).sum() < min_baseline_periods:
            return Indicator(area, indicator, period, latest_value, None, None, False, test, n_baseline,
                             f"too few baseline periods with any crime to test (need {min_baseline_periods})")
        expected, rho, p_value = share_exceedance(series.counts[baseline], series.totals[baseline], latest_count,
                                                  float(series.totals[latest_index]))
        note = f"intra-period correlation {rho:.3f}; {latest_count:g} of {series.totals[latest_index]:g} crimes"
    flagged = p_value < alpha and latest_count >= min_count
    return Indicator(area, indicator, period, latest_value, expected, p_value, flagged, test, n_baseline, note)


# --- measuring the false-alarm rate ---------------------------------------------------------


@dataclass(frozen=True)
class AlarmBacktest:
    tests: int
    alarms: int
    alpha: float

    @property
    def rate(self) -> float:
        return self.alarms / self.tests if self.tests else math.nan


def backtest_false_alarms(
    series: Iterable[Sequence[float]],
    *,
    alpha: float = DEFAULT_ALPHA,
    baseline_periods: int = DEFAULT_BASELINE_PERIODS,
    min_baseline_periods: int = DEFAULT_MIN_BASELINE_PERIODS,
    min_count: int = DEFAULT_MIN_COUNT,
) -> AlarmBacktest:
    """Apply the count test to every past period of each series, as if it had been the latest.

    On series with no rise in them every alarm is false, so ``rate`` is the false-alarm rate;
    on real history it is an upper bound (some alarms may be real rises).
    """
    tests = alarms = 0
    for values in series:
        counts = np.asarray(values, dtype=float)
        ends = np.arange(min_baseline_periods, len(counts))
        if len(ends) == 0:
            continue
        # Group periods by baseline length (short only at the start) to test them in one call.
        lengths = np.minimum(ends, baseline_periods)
        for length in np.unique(lengths):
            chosen = ends[lengths == length]
            windows = np.stack([counts[end - length:end] for end in chosen])
            _, _, p_values = count_exceedance_many(windows, counts[chosen])
            tests += len(chosen)
            alarms += int(((p_values < alpha) & (counts[chosen] >= min_count)).sum())
    return AlarmBacktest(tests=tests, alarms=alarms, alpha=alpha)


# --- counts from events -------------------------------------------------------------------


def tension_counts(events, freq: str = "W") -> "pd.DataFrame":  # noqa: F821
    """Long table ``area, indicator, period, count, total`` for ``tension_indicators``.

    ``events`` is a DataFrame with columns ``area, category, lon, lat`` and either
    ``occurred_at`` (timestamps; ``freq`` "W" for weeks Monday-Sunday or "M" for months) or
    ``month`` ("YYYY-MM", police.uk style, always monthly). Every period in which the data
    have any event appears for every area, with 0 where that area had none; a period with no
    event anywhere is taken as not covered by the data (the police.uk sample holds three Julys,
    not three years of months) and left out rather than counted as zero. Rows without an
    area, a category or a time are left out (count them before calling if they matter).
    Indicators: those of ``INDICATOR_CATEGORIES`` whose categories occur in the events, and
    ``repeat-locations`` (share of crimes, anti-social behaviour excluded, at map points with
    two or more crimes in the same area and period).
    """
    import pandas as pd

    frame = events.copy()
    if "month" in frame.columns:
        frame["period"] = pd.PeriodIndex(frame["month"].astype(str).str.slice(0, 7), freq="M")
    elif "occurred_at" in frame.columns:
        if freq not in ("W", "M"):
            raise ValueError(f"freq must be 'W' (weeks) or 'M' (months), got {freq!r}")
        stamps = pd.to_datetime(frame["occurred_at"], errors="coerce")
        frame = frame[stamps.notna()]
        frame["period"] = stamps[stamps.notna()].dt.to_period("W-SUN" if freq == "W" else "M")
    else:
        raise ValueError("events need an 'occurred_at' or a 'month' column")
    frame = frame[frame["area"].notna() & frame["category"].notna()]
    if frame.empty:
        raise ValueError("no events with an area, a category and a time")
    frame["key"] = [category_key(str(c)) for c in frame["category"]]
    labels = sorted({_period_label(p) for p in frame["period"].unique()})
    areas = sorted(frame["area"].astype(str).unique())
    frame["area"] = frame["area"].astype(str)
    frame["label"] = frame["period"].map(_period_label)
    grid = pd.MultiIndex.from_product([areas, labels], names=["area", "period"])

    tables = []
    for indicator, categories in INDICATOR_CATEGORIES.items():
        chosen = frame[frame["key"].isin(categories)]
        if chosen.empty:
            continue
        counts = chosen.groupby(["area", "label"]).size().rename_axis(["area", "period"]).reindex(grid, fill_value=0)
        tables.append(counts.rename("count").reset_index().assign(indicator=indicator, total=np.nan))
    crimes = frame[frame["key"] != "anti-social-behaviour"].copy()
    if not crimes.empty:
        crimes["point"] = list(zip(crimes["lon"].round(6), crimes["lat"].round(6)))
        per_point = crimes.groupby(["area", "label", "point"]).size()
        repeats = per_point[per_point >= 2].groupby(level=["area", "label"]).sum()
        totals = per_point.groupby(level=["area", "label"]).sum()
        repeats = repeats.rename_axis(["area", "period"]).reindex(grid, fill_value=0)
        totals = totals.rename_axis(["area", "period"]).reindex(grid, fill_value=0)
        tables.append(pd.DataFrame({"count": repeats, "total": totals}).reset_index().assign(indicator=REPEAT_LOCATIONS))
    result = pd.concat(tables, ignore_index=True)
    return result[["area", "indicator", "period", "count", "total"]]


def _period_label(period) -> str:
    """Weeks by their Monday (``2021-07-05``), months as ``2021-07``: both sort as text."""
    if period.freqstr.startswith("W"):
        return period.start_time.date().isoformat()
    return str(period)
