"""The runaway feedback loop through the real forecasting engine (watchhouse.predict.forecast_grid).

Run by hand: .venv/bin/python bench/feedback_forecast_loop.py [--weeks 40] [--method recent] [--seeds 2]

Four districts side by side, each 1.2 km square with 30 places where its offences happen. Each
week the public reports Poisson(r) offences per district, whatever patrols do, and patrols find
Poisson(d x patrol share x 4) drug offences (d: the rate an even spread of patrols would find).
Every week a 7-day forecast is made on 200 m cells from the events so far, trained either on
what patrols discovered or on the default (records kept by watchhouse.predict.feedback.reported_mask,
i.e. without PROACTIVE_CATEGORIES); next week's patrols go to districts in proportion to the sum of
their cells' scores. Divergence: total-variation distance between patrol shares and the districts'
true shares of offending, averaged over the last quarter of the weeks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics

import numpy as np

from watchhouse.predict import Events, forecast_grid
from watchhouse.predict.events import days_since_epoch
from watchhouse.predict.feedback import reported_mask
from watchhouse.predict.grid import build_grid

REPORTED_PER_WEEK = np.array([24.0, 18.0, 12.0, 6.0])
FOUND_PER_WEEK = np.array([6.0, 4.5, 3.0, 1.5])
WEST, SOUTH = -1.60, 53.79
WIDTH_DEG = 0.018  # about 1.2 km of longitude at this latitude
HEIGHT_DEG = 0.0108  # about 1.2 km of latitude
START = dt.datetime(2024, 1, 1)
WARM_UP_WEEKS = 8


def run(training: str, weeks: int, method: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = len(REPORTED_PER_WEEK)
    places = [
        np.column_stack([WEST + WIDTH_DEG * (a + rng.uniform(0.05, 0.95, 30)), SOUTH + HEIGHT_DEG * rng.uniform(0.05, 0.95, 30)])
        for a in range(n)
    ]
    corners_lon = np.array([WEST, WEST + n * WIDTH_DEG, WEST, WEST + n * WIDTH_DEG])
    corners_lat = np.array([SOUTH, SOUTH, SOUTH + HEIGHT_DEG, SOUTH + HEIGHT_DEG])
    grid = build_grid(corners_lon, corners_lat, 200.0)
    centre_lon = np.array([ring[:4, 0].mean() for ring in grid.corner_rings_wgs84()])
    district_of_cell = np.clip(((centre_lon - WEST) // WIDTH_DEG).astype(int), 0, n - 1)

    columns: dict[str, list] = {"lon": [], "lat": [], "t": [], "category": []}
    shares = np.full(n, 1.0 / n)
    history = []
    for week in range(WARM_UP_WEEKS + weeks):
        if week >= WARM_UP_WEEKS:
            history.append(shares)
        week_start = days_since_epoch(START) + 7 * week
        for district in range(n):
            for category, count in (("Burglary", rng.poisson(REPORTED_PER_WEEK[district])),
                                    ("Drugs", rng.poisson(FOUND_PER_WEEK[district] * shares[district] * n))):
                chosen = places[district][rng.integers(0, 30, count)]
                columns["lon"].extend(chosen[:, 0] + rng.normal(0, 0.0003, count))
                columns["lat"].extend(chosen[:, 1] + rng.normal(0, 0.0002, count))
                columns["t"].extend(week_start + rng.uniform(0, 7, count))
                columns["category"].extend([category] * count)
        if week < WARM_UP_WEEKS - 1:
            continue
        category = np.array(columns["category"], dtype=object)
        kept = {"discovered": ~reported_mask(category), "default": reported_mask(category)}[training]
        events = Events.from_arrays(np.arange(len(category)).astype(str)[kept], np.array(columns["lon"])[kept],
                                    np.array(columns["lat"])[kept], np.array(columns["t"])[kept], category[kept])
        as_of = START + dt.timedelta(days=7 * (week + 1))
        scores = forecast_grid(events, as_of, 7, cell_size=200, method=method, grid=grid).scores
        by_district = np.bincount(district_of_cell, weights=scores, minlength=n)
        shares = by_district / by_district.sum() if by_district.sum() > 0 else np.full(n, 1.0 / n)
    return np.array(history)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=40)
    parser.add_argument("--method", default="recent")
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    truth = REPORTED_PER_WEEK + FOUND_PER_WEEK
    true_shares = truth / truth.sum()
    print(f"true shares of offending: {np.round(true_shares, 3).tolist()}; method {args.method}, "
          f"{args.weeks} weeks after {WARM_UP_WEEKS} weeks of even patrols, {args.seeds} seed(s)")
    finals = {}
    for training in ("discovered", "default"):
        divergences, last = [], None
        for seed in range(args.seeds):
            shares = run(training, args.weeks, args.method, seed)
            tail = max(1, len(shares) // 4)
            divergences.append(float((0.5 * np.abs(shares[-tail:] - true_shares).sum(axis=1)).mean()))
            last = shares[-1]
        finals[training] = statistics.mean(divergences)
        print(f"trained on {training:<10} final divergence {finals[training]:.3f}; last patrol shares seed "
              f"{args.seeds - 1}: {np.round(last, 3).tolist()}")
    print(f"runaway ratio, discovered / default: {finals['discovered'] / max(finals['default'], 1e-9):.1f}x")


if __name__ == "__main__":
    main()
