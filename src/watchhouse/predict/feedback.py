"""Fairness and the runaway feedback loop.

What the forecasts are trained on
---------------------------------
Some offences reach police records because the public report them (burglary, violence, theft);
others only because officers find them while patrolling: drug possession, possession of
weapons, and finds from stop and search. Counts of the second kind measure where police
already were, not where crime is. A forecast trained on them sends patrols back to the same
places, which find more, which raises the forecast there: the runaway feedback loop of
Ensign, Friedler, Neville, Scheidegger and Venkatasubramanian, "Runaway Feedback Loops in
Predictive Policing" (FAT* 2018). The Cambridge Crime Harm Index excludes the same offences
for the same reason. So by default Watchhouse trains on publicly reported offences. Which
offences are proactive is stated once, in the harm table (``proactive_categories``, police.uk
slugs, and ``proactive_keywords`` for other feeds, in ``harm_weights.yaml``);
``is_proactive`` and ``reported_mask`` (here, and in ``watchhouse.predict.harm``) read it, and
every helper that trains or weights should use them rather than keep its own list.

``simulate_feedback`` reproduces the loop on areas with known true rates; ``district_fairness``
reports how flagged area and patrol hours fall across districts against their share of harm.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from watchhouse.predict.harm import HarmTable, category_key, is_proactive, load_harm_table, reported_mask

Training = Literal["reported", "recorded", "discovered"]
# Categories the simulation's records carry: one the public reports, one patrols find.
REPORTED_CATEGORY = "Burglary"
FOUND_CATEGORY = "Drugs"


def __getattr__(name: str):
    # The lists live in the harm table; these names read them, so no second copy can drift.
    if name == "PROACTIVE_CATEGORIES":
        return load_harm_table().proactive_categories
    if name == "PROACTIVE_KEYWORDS":
        return load_harm_table().proactive_keywords
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["HarmTable", "category_key", "is_proactive", "reported_mask"]


# --- the feedback-loop simulation -------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackTrajectory:
    """Patrol shares per round of one simulated run, and how far they drift from the truth."""

    training: str
    patrol_shares: np.ndarray  # rounds x areas
    true_shares: np.ndarray  # areas: each area's share of all true offences
    target_shares: np.ndarray  # areas: what the allocator gives when fed the true rates

    @property
    def divergence(self) -> np.ndarray:
        """Total-variation distance between patrol shares and the target shares, per round (0..1).

        The target is the allocation the true rates warrant under the same allocator (for the
        proportional allocator, the true shares), so a concentrating allocator such as the
        patrol optimiser is judged against its own choice on the truth, not against proportionality.
        """
        return 0.5 * np.abs(self.patrol_shares - self.target_shares).sum(axis=1)

    @property
    def final_divergence(self) -> float:
        """Mean divergence over the last tenth of the rounds (one round is noisy)."""
        tail = max(1, len(self.patrol_shares) // 10)
        return float(self.divergence[-tail:].mean())


def simulate_feedback(
    reported_rates: Sequence[float],
    found_rates: Sequence[float],
    *,
    training: Training = "reported",
    rounds: int = 200,
    memory: float = 0.1,
    allocate: Callable[[np.ndarray], np.ndarray] | None = None,
    seed: int = 0,
) -> FeedbackTrajectory:
    """Run the patrol -> data -> forecast -> patrol loop on areas with known true rates.

    Each round, area a has ``Poisson(reported_rates[a])`` offences reported by the public
    (recorded as ``REPORTED_CATEGORY``) whatever the patrols do, and ``found_rates[a]``
    proactive offences of which patrols find ``Poisson(found_rates[a] * share[a] * n_areas)``
    (recorded as ``FOUND_CATEGORY``): finds scale with patrol presence, and an even spread of
    patrols finds each area's true rate. The forecast is an exponentially
    weighted count per area (``memory`` = weight of the newest round) of the training data:
    ``reported`` (the default: the records ``reported_mask`` keeps), ``recorded`` (everything)
    or ``discovered`` (only what patrols find, Ensign et al.'s setting). ``allocate`` turns
    the forecast into patrol shares (default: in proportion to the forecast; pass one built
    on ``watchhouse.patrols.plan_patrols`` to close the loop through the optimiser).
    Round 0 patrols evenly.
    """
    reported = np.asarray(reported_rates, dtype=float)
    found = np.asarray(found_rates, dtype=float)
    if reported.shape != found.shape or reported.ndim != 1 or len(reported) < 2:
        raise ValueError("reported_rates and found_rates must be equal-length sequences over at least 2 areas")
    if (reported < 0).any() or (found < 0).any() or reported.sum() + found.sum() <= 0:
        raise ValueError("true rates must be >= 0 and not all zero")
    if training not in ("reported", "recorded", "discovered"):
        raise ValueError(f"training must be reported, recorded or discovered, got {training!r}")
    if training == "reported" and reported.sum() <= 0:
        raise ValueError("training on reported crime needs some reported crime")
    if not 0 < memory <= 1:
        raise ValueError(f"memory must be in (0, 1], got {memory!r}")

    rng = np.random.default_rng(seed)
    n_areas = len(reported)
    shares = np.full(n_areas, 1.0 / n_areas)
    forecast: np.ndarray | None = None
    history = np.empty((rounds, n_areas))
    # The records carry categories, and the default training goes through the same filter as
    # real data: reported_mask drops what the harm table's proactive_categories names.
    categories = np.array([REPORTED_CATEGORY, FOUND_CATEGORY], dtype=object)
    kept = {"reported": reported_mask(categories), "recorded": np.array([True, True]),
            "discovered": ~reported_mask(categories)}[training]
    for round_number in range(rounds):
        history[round_number] = shares
        records = np.stack([rng.poisson(reported), rng.poisson(found * shares * n_areas)])  # category x area
        observed = records[kept].sum(axis=0)
        forecast = observed.astype(float) if forecast is None else (1 - memory) * forecast + memory * observed
        shares = _patrol_shares(forecast, allocate or proportional_allocation)
    truth = reported + found
    return FeedbackTrajectory(
        training=training,
        patrol_shares=history,
        true_shares=truth / truth.sum(),
        target_shares=_patrol_shares(truth, allocate or proportional_allocation),
    )


def proportional_allocation(forecast: np.ndarray) -> np.ndarray:
    return forecast / forecast.sum()


def _patrol_shares(forecast: np.ndarray, allocate: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    if forecast.sum() <= 0:  # nothing seen anywhere yet: spread evenly
        return np.full(len(forecast), 1.0 / len(forecast))
    shares = np.asarray(allocate(forecast), dtype=float)
    if shares.shape != forecast.shape or (shares < 0).any() or not math.isclose(shares.sum(), 1.0, rel_tol=1e-6):
        raise ValueError("allocate must return one non-negative share per area, summing to 1")
    return shares


# --- fairness across districts -------------------------------------------------------------


@dataclass(frozen=True)
class DistrictShare:
    district: str
    harm_share: float
    flagged_area_share: float
    patrol_hours_share: float
    patrol_hours: float

    @property
    def hours_to_harm(self) -> float:
        """Patrol-hours share over harm share: 1 is proportionate, above 1 over-patrolled."""
        return self.patrol_hours_share / self.harm_share if self.harm_share > 0 else math.inf if self.patrol_hours_share else 1.0

    @property
    def flagged_to_harm(self) -> float:
        return self.flagged_area_share / self.harm_share if self.harm_share > 0 else math.inf if self.flagged_area_share else 1.0


@dataclass(frozen=True)
class FairnessReport:
    districts: list[DistrictShare]

    @property
    def hours_dissimilarity(self) -> float:
        """Share of patrol hours that would have to move between districts to match harm (0..1)."""
        return 0.5 * sum(abs(d.patrol_hours_share - d.harm_share) for d in self.districts)

    @property
    def flagged_dissimilarity(self) -> float:
        """Share of flagged area that would have to move between districts to match harm (0..1)."""
        return 0.5 * sum(abs(d.flagged_area_share - d.harm_share) for d in self.districts)

    def most_out_of_line(self, n: int = 5) -> list[DistrictShare]:
        """Districts whose patrol share differs most from their harm share."""
        return sorted(self.districts, key=lambda d: -abs(d.patrol_hours_share - d.harm_share))[:n]


def district_fairness(
    districts: Sequence[str],
    harm: Sequence[float],
    patrol_hours: Sequence[float],
    flagged: Sequence[bool],
    area: Sequence[float] | None = None,
) -> FairnessReport:
    """Each district's share of harm, of flagged area and of patrol hours, from per-cell values.

    One entry per cell (or any unit): its district, its expected harm, the patrol hours
    planned there, whether the forecast flagged it as a hotspot, and its area (default 1, for
    equal grid cells).
    """
    n = len(districts)
    area_values = np.ones(n) if area is None else np.asarray(area, dtype=float)
    harm_values = np.asarray(harm, dtype=float)
    hours_values = np.asarray(patrol_hours, dtype=float)
    flagged_values = np.asarray(flagged, dtype=bool)
    for name, values in (("harm", harm_values), ("patrol_hours", hours_values), ("flagged", flagged_values),
                         ("area", area_values)):
        if len(values) != n:
            raise ValueError(f"{name} has {len(values)} values for {n} districts entries")
    for name, values in (("harm", harm_values), ("patrol_hours", hours_values), ("area", area_values)):
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if len(bad):
            raise ValueError(f"{name} must be finite and >= 0; entry {int(bad[0])} is {values[bad[0]]!r}")
    totals = {
        "harm": harm_values.sum(),
        "flagged": (area_values * flagged_values).sum(),
        "hours": hours_values.sum(),
    }
    by_district: dict[str, np.ndarray] = {}
    for i, district in enumerate(districts):
        sums = by_district.setdefault(str(district), np.zeros(3))
        sums += (harm_values[i], area_values[i] * flagged_values[i], hours_values[i])

    def share(value: float, total: float) -> float:
        return float(value / total) if total > 0 else 0.0

    return FairnessReport(
        [
            DistrictShare(
                district=name,
                harm_share=share(sums[0], totals["harm"]),
                flagged_area_share=share(sums[1], totals["flagged"]),
                patrol_hours_share=share(sums[2], totals["hours"]),
                patrol_hours=float(sums[2]),
            )
            for name, sums in sorted(by_district.items())
        ]
    )

