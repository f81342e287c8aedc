"""Patrol plan for 200 hotspots and 50 neighbourhoods: solve time and harm prevented vs the naive plan.

Run by hand: .venv/bin/python bench/patrols_plan.py [--seeds 5]

Hotspots are synthetic: expected crime counts drawn from a lognormal (crime concentrates at a
few places) and a harm weight per cell from a second lognormal (the category mix differs from
place to place), so count and harm rankings partly disagree as they do in real data. The
naive plan ranks by count, the optimal plan by harm with diminishing returns and min cover.

Then the same through the whole pipeline: the synthetic city of watchhouse.predict.synthetic,
a 7-day forecast (200 m cells) from watchhouse.predict.forecast_grid, harm weights from the
events' categories, 200 candidate hotspots and 50 k-means neighbourhoods (plan_from_forecast).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from watchhouse.patrols import Hotspot, plan_patrols


def synthetic_hotspots(seed: int, n_hotspots: int = 200, n_neighbourhoods: int = 50) -> list[Hotspot]:
    rng = np.random.default_rng(seed)
    counts = rng.lognormal(mean=0.0, sigma=1.0, size=n_hotspots)
    weights = rng.lognormal(mean=0.0, sigma=1.0, size=n_hotspots)
    neighbourhood = rng.integers(0, n_neighbourhoods, size=n_hotspots)
    neighbourhood[:n_neighbourhoods] = np.arange(n_neighbourhoods)  # every neighbourhood has a hotspot
    return [
        Hotspot(f"cell-{i}", f"nbhd-{neighbourhood[i]:02d}", harm=float(counts[i] * weights[i]), count=float(counts[i]))
        for i in range(n_hotspots)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--officers", type=int, default=20)
    parser.add_argument("--hours-per-shift", type=float, default=8.0)
    parser.add_argument("--min-visits", type=int, default=2)
    parser.add_argument("--method", default="long-run", help="forecast method for the pipeline run")
    args = parser.parse_args()

    plan_patrols(synthetic_hotspots(99), None, args.hours_per_shift, args.officers)  # load HiGHS once
    times, ratios = [], []
    print(f"{'seed':>4} {'status':>8} {'wall s':>7} {'solve s':>7} {'visits':>6} {'optimal':>9} {'naive':>9} "
          f"{'ratio':>6} {'naive nbhds below cover':>24}")
    for seed in range(args.seeds):
        hotspots = synthetic_hotspots(seed)
        started = time.perf_counter()
        plan = plan_patrols(hotspots, None, args.hours_per_shift, args.officers,
                            min_visits_per_neighbourhood=args.min_visits)
        wall = time.perf_counter() - started
        times.append(wall)
        ratios.append(plan.gain_over_naive)
        print(f"{seed:>4} {plan.status:>8} {wall:>7.3f} {plan.solve_seconds:>7.3f} {plan.optimal.visits_total:>6} "
              f"{plan.optimal.expected_harm_prevented:>9.2f} {plan.naive.expected_harm_prevented:>9.2f} "
              f"{plan.gain_over_naive:>6.3f} {len(plan.naive.neighbourhoods_below_cover):>24}")
    print(f"200 hotspots, 50 neighbourhoods, {args.officers} officers x {args.hours_per_shift:g} h, "
          f"min {args.min_visits} visits per neighbourhood")
    print(f"solve time: median {statistics.median(times):.3f} s, max {max(times):.3f} s (target < 2 s, optimal)")
    print(f"expected harm prevented, optimal / naive: median {statistics.median(ratios):.3f}, "
          f"min {min(ratios):.3f}")
    pipeline(args)


def pipeline(args) -> None:
    import datetime as dt
    import tempfile
    from pathlib import Path

    from watchhouse.patrols.from_forecast import plan_from_forecast
    from watchhouse.predict import forecast_grid
    from watchhouse.predict.synthetic import SyntheticCity, generate, write_events_csv

    with tempfile.TemporaryDirectory() as folder:
        events_path, forecast_path = Path(folder) / "events.csv", Path(folder) / "forecast.geojson"
        events = generate(SyntheticCity()).events
        write_events_csv(events, events_path)
        forecast = forecast_grid(events, dt.datetime(2021, 7, 1), 7, cell_size=200, method=args.method)
        forecast.write_geojson(forecast_path)
        started = time.perf_counter()
        result = plan_from_forecast(forecast_path, args.hours_per_shift, args.officers, events_path=events_path,
                                    hotspots=200, clusters=50, min_visits_per_neighbourhood=args.min_visits)
        wall = time.perf_counter() - started
    plan = result.plan
    print(f"\npipeline: synthetic city, {len(result.cells)} forecast cells ({args.method}), "
          f"{len(plan.hotspots)} candidate hotspots, {len(plan.neighbourhoods)} neighbourhoods")
    print(f"solve {plan.solve_seconds:.3f} s ({plan.status}); whole plan_from_forecast {wall:.2f} s")
    print(f"expected harm prevented optimal {plan.optimal.expected_harm_prevented:.4g}, naive "
          f"{plan.naive.expected_harm_prevented:.4g}, ratio {plan.gain_over_naive:.3f}; naive leaves "
          f"{len(plan.naive.neighbourhoods_below_cover)} neighbourhoods below {args.min_visits} visits")
    print(f"fairness: patrol hours out of line with harm {result.fairness.hours_dissimilarity:.1%}, "
          f"flagged area {result.fairness.flagged_dissimilarity:.1%}")


if __name__ == "__main__":
    main()
