"""The runaway feedback loop (Ensign et al., 2018): training on what patrols find vs on public reports.

Run by hand: .venv/bin/python bench/feedback_runaway.py [--seeds 10] [--rounds 200]

Five areas with known true rates of publicly reported offences and of offences only found by
patrols (drugs, weapons). Each round patrols follow the forecast; the forecast is retrained on
either what patrols discover or (the Watchhouse default) public reports only. Divergence is the
total-variation distance between the patrol shares and what the same allocator does when given
the true rates (0 = patrols go where the truth warrants, 1 = completely elsewhere), averaged over
the last tenth of rounds. Two allocators: in proportion to the forecast (target = true shares),
and through the HiGHS patrol optimiser.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from watchhouse.patrols import Hotspot, plan_patrols
from watchhouse.predict.feedback import proportional_allocation, simulate_feedback

REPORTED_RATES = [30.0, 25.0, 20.0, 15.0, 10.0]
FOUND_RATES = [6.0, 5.0, 4.0, 3.0, 2.0]


def optimiser_allocation(forecast: np.ndarray) -> np.ndarray:
    """Patrol shares from the shift optimiser, treating each area as one hotspot."""
    hotspots = [Hotspot(f"area-{i}", f"area-{i}", harm=float(v)) for i, v in enumerate(forecast)]
    plan = plan_patrols(hotspots, None, hours_per_shift=8, officers=3, max_visits_per_hotspot=57,
                        min_visits_per_neighbourhood=0, visit_effect=0.02)
    visits = np.array([plan.optimal.visits[h.id] for h in hotspots], dtype=float)
    return visits / visits.sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    true = np.add(REPORTED_RATES, FOUND_RATES)
    print(f"true shares of offending: {np.round(true / true.sum(), 3).tolist()}; optimiser on the truth: "
          f"{np.round(optimiser_allocation(true), 3).tolist()}")
    for label, allocate, seeds in (("proportional", proportional_allocation, args.seeds),
                                   ("optimiser", optimiser_allocation, max(1, args.seeds // 2))):
        finals: dict[str, list[float]] = {}
        last_shares: dict[str, np.ndarray] = {}
        for training in ("discovered", "recorded", "reported"):
            runs = [simulate_feedback(REPORTED_RATES, FOUND_RATES, training=training, rounds=args.rounds,
                                      allocate=allocate, seed=seed) for seed in range(seeds)]
            finals[training] = [run.final_divergence for run in runs]
            last_shares[training] = runs[0].patrol_shares[-1]
        print(f"\nallocation {label} ({seeds} seeds x {args.rounds} rounds)")
        for training, values in finals.items():
            print(f"  trained on {training:<10} final divergence mean {statistics.mean(values):.3f} "
                  f"(max {max(values):.3f}); last patrol shares seed 0: {np.round(last_shares[training], 3).tolist()}")
        ratio = statistics.mean(finals["discovered"]) / statistics.mean(finals["reported"])
        print(f"  runaway ratio, discovered / reported (default): {ratio:.1f}x")


if __name__ == "__main__":
    main()
