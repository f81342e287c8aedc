"""Tension indicators: measured false-alarm rate against the nominal alpha, and power on injected rises.

Run by hand: .venv/bin/python bench/patrols_tension_calibration.py [--series 100]

1. Null synthetic weekly series (104 weeks, no rise): Poisson, and negative binomial with
   overdispersion 2 and 4, at several means. Every period from week 9 on is tested against its
   own previous 26 weeks, as in watchhouse.predict.tension.backtest_false_alarms. The peer is a
   plain Poisson exceedance test on the baseline mean (no overdispersion), run on the same series.
2. Power: the chance of flagging a latest week raised 1.5, 2 and 3 times.
3. History: weekly counts of violence and anti-social behaviour per area (k-means clusters)
   from three years of the synthetic city of watchhouse.predict.synthetic (seasonal, self-
   exciting, no injected rise), and the police.uk sample (three Julys: not testable).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy import stats

from watchhouse.predict.tension import (
    DEFAULT_BASELINE_PERIODS,
    DEFAULT_MIN_BASELINE_PERIODS,
    DEFAULT_MIN_COUNT,
    backtest_false_alarms,
    count_exceedance_many,
    share_exceedance,
    tension_counts,
    tension_indicators,
)


def negative_binomial(rng, mean, phi, size):
    if phi == 1:
        return rng.poisson(mean, size)
    r = mean / (phi - 1)
    return rng.negative_binomial(r, r / (r + mean), size)


def plain_poisson_rate(series, alpha) -> float:
    tests = alarms = 0
    for values in series:
        counts = np.asarray(values, dtype=float)
        for end in range(DEFAULT_MIN_BASELINE_PERIODS, len(counts)):
            mean = counts[max(0, end - DEFAULT_BASELINE_PERIODS):end].mean()
            p_value = stats.poisson.sf(counts[end] - 1, max(mean, 1e-9))
            tests += 1
            alarms += bool(p_value < alpha and counts[end] >= DEFAULT_MIN_COUNT)
    return alarms / tests


def null_rates(args) -> None:
    rng = np.random.default_rng(1)
    print(f"1. false alarms on null series ({args.series} series x 104 weeks per row)")
    print(f"{'model':>10} {'mean':>5} {'alpha':>6} {'watchhouse':>11} {'plain Poisson':>14} {'ratio':>6}")
    for phi in (1.0, 2.0, 4.0):
        for mean in (2.0, 8.0, 25.0):
            series = [negative_binomial(rng, mean, phi, 104) for _ in range(args.series)]
            for alpha in (0.01, 0.05):
                ours = backtest_false_alarms(series, alpha=alpha).rate
                plain = plain_poisson_rate(series, alpha)
                model = "Poisson" if phi == 1 else f"NB phi={phi:g}"
                print(f"{model:>10} {mean:>5g} {alpha:>6g} {ours:>11.4f} {plain:>14.4f} {plain / max(ours, 1e-9):>6.1f}")


def share_null_rates(args) -> None:
    """The repeat-locations share test on null series: binomial, and beta-binomial (clustered)."""
    rng = np.random.default_rng(3)
    print(f"\n1b. false alarms of the share test on null series ({args.series} series x 60 weeks, alpha 0.01)")
    for label, rho in (("binomial", 0.0), ("beta-binomial rho=0.05", 0.05)):
        for crimes, share in ((20, 0.2), (80, 0.3)):
            tests = alarms = 0
            for _ in range(args.series):
                totals = rng.poisson(crimes, 60)
                shares = rng.beta(share * (1 - rho) / rho, (1 - share) * (1 - rho) / rho, 60) if rho else np.full(60, share)
                hits = rng.binomial(totals, shares)
                for end in range(DEFAULT_MIN_BASELINE_PERIODS, 60):
                    start = max(0, end - DEFAULT_BASELINE_PERIODS)
                    _, _, p_value = share_exceedance(hits[start:end], totals[start:end], hits[end], totals[end])
                    tests += 1
                    alarms += bool(p_value < 0.01 and hits[end] >= DEFAULT_MIN_COUNT)
            print(f"   {label:<24} {crimes:>3} crimes/week, share {share:.1f}: false-alarm rate {alarms / tests:.4f} "
                  f"over {tests} tests")


def power(args) -> None:
    rng = np.random.default_rng(2)
    print("\n2. power: share of raised latest weeks flagged (alpha 0.01, 26-week baseline)")
    print(f"{'phi':>4} {'mean':>5} {'x1.5':>6} {'x2':>6} {'x3':>6}")
    for phi in (1.5, 2.0):
        for mean in (5.0, 10.0, 30.0):
            cells = []
            for factor in (1.5, 2.0, 3.0):
                baselines = np.stack([negative_binomial(rng, mean, phi, 26) for _ in range(args.series * 4)])
                latest = negative_binomial(rng, mean * factor, phi, len(baselines))
                _, _, p_values = count_exceedance_many(baselines, latest)
                cells.append(((p_values < 0.01) & (latest >= DEFAULT_MIN_COUNT)).mean())
            print(f"{phi:>4g} {mean:>5g} " + " ".join(f"{c:>6.2f}" for c in cells))


def history() -> None:
    from watchhouse.patrols.inputs import cluster_names
    from watchhouse.predict.synthetic import SyntheticCity, generate
    from watchhouse.sample import street_files

    city = generate(SyntheticCity())
    events = city.events
    frame = pd.DataFrame({"category": events.category, "lon": events.lon, "lat": events.lat,
                          "occurred_at": pd.to_datetime(events.t, unit="D")})
    points = frame[["lon", "lat"]].to_numpy()
    distinct, inverse = np.unique(np.round(points, 6), axis=0, return_inverse=True)
    for clusters in (10, 50):
        frame["area"] = cluster_names(distinct, clusters)[np.ravel(inverse)]
        counts = tension_counts(frame, freq="W")
        counts = counts[counts["period"] != counts["period"].max()]  # the last week is partial
        series = [g["count"].to_numpy() for _, g in counts[counts["total"].isna()].groupby(["area", "indicator"])]
        for alpha in (0.01, 0.05):
            ours = backtest_false_alarms(series, alpha=alpha)
            plain = plain_poisson_rate(series, alpha)
            print(f"\n3. synthetic city history, {clusters} areas, {len(series)} weekly series, alpha {alpha:g}: "
                  f"false-alarm rate {ours.rate:.4f} over {ours.tests} area-weeks "
                  f"(plain Poisson peer {plain:.4f}, ratio {plain / max(ours.rate, 1e-9):.1f})")

    police = pd.concat([pd.read_csv(p, usecols=["Month", "Longitude", "Latitude", "Crime type", "LSOA name"])
                        for p in street_files()]).dropna()
    police = police.rename(columns={"Month": "month", "Longitude": "lon", "Latitude": "lat", "Crime type": "category"})
    police["area"] = police["LSOA name"].str.rsplit(" ", n=1).str[0]  # local authority district
    results = tension_indicators(tension_counts(police))
    tested = sum(r.p_value is not None for r in results)
    print(f"\n   police.uk sample (West Yorkshire, {police['month'].nunique()} months): {len(results)} district "
          f"series, {tested} testable; e.g. {results[0].note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100)
    args = parser.parse_args()
    null_rates(args)
    share_null_rates(args)
    power(args)
    history()


if __name__ == "__main__":
    main()
