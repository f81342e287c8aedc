"""Patrol allocation: place one shift's patrol visits where they prevent the most harm.

The model
---------
Hotspot *h* carries ``harm``: the harm expected there during the shift if nobody patrols
(forecast score x crime-harm weight). A visit of ``visit_minutes`` (the Koper curve: 10-15
minute visits at random intervals give the longest residual deterrence) prevents a share
``visit_effect`` of the harm still left, so the v-th visit prevents
``harm * e * (1 - e) ** (v - 1)`` and n visits prevent ``harm * (1 - (1 - e) ** n)``.

That curve is concave in n, so one 0/1 variable per possible visit (x[h, v], v = 1..K) with
the v-th visit's gain as its objective coefficient models it exactly: a hotspot's increments
have identical constraint coefficients and falling gains, so an optimum taking n of them takes
the first n (swapping a later one for an earlier one never loses). Rows forcing that order
would be redundant and, measured, make HiGHS ten times slower. Constraints: the shift's visit budget (each officer fits
``floor(patrol minutes / (visit + travel minutes))`` visits), at least M visits in every
neighbourhood, at most K per hotspot. HiGHS solves it as a MIP to proven optimality.

Beside it the naive plan an analyst's hotspot map gives: cells ranked by crime count, one
visit each down the list, a second round when every cell has one, until the time runs out;
it ignores harm and the neighbourhood cover. Both are scored with the same curve.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_VISIT_MINUTES = 15.0
DEFAULT_TRAVEL_MINUTES = 10.0
# Share of the harm still left at a hotspot that one visit prevents. Hotspot-policing trials
# report falls of the order of 10-30% for a course of visits; 0.25 per visit with diminishing
# returns is an assumption to be set from local evaluation, hence a parameter.
DEFAULT_VISIT_EFFECT = 0.25
# Koper: a visit at least every two hours keeps the residual deterrence going; more than one
# visit per two hours of shift adds little, so that is the default cap per hotspot.
KOPER_INTERVAL_HOURS = 2.0


class InfeasiblePlan(ValueError):
    """The constraints cannot all hold; the message names the shortfall."""


@dataclass(frozen=True)
class Hotspot:
    """A candidate place to patrol (usually a forecast grid cell)."""

    id: str
    neighbourhood: str
    harm: float
    count: float | None = None  # expected crimes, unweighted; the naive plan ranks by it
    geometry: Any = None  # GeoJSON geometry dict, carried through to the output

    @property
    def crime_count(self) -> float:
        return self.harm if self.count is None else self.count


@dataclass(frozen=True)
class Allocation:
    """Visits per hotspot and what they achieve under the diminishing-returns curve."""

    visits: dict[str, int]
    visits_by_neighbourhood: dict[str, int]
    hours_used: float
    expected_harm_prevented: float
    harm_at_visited_hotspots: float
    neighbourhoods_below_cover: list[str]

    @property
    def visits_total(self) -> int:
        return sum(self.visits.values())


@dataclass(frozen=True)
class PatrolPlan:
    optimal: Allocation
    naive: Allocation
    hotspots: list[Hotspot]
    neighbourhoods: list[str]
    hours_available: float
    visit_budget: int
    min_visits_per_neighbourhood: int
    max_visits_per_hotspot: int
    visit_minutes: float
    travel_minutes: float
    visit_effect: float
    status: str
    solve_seconds: float
    total_harm: float = field(default=0.0)

    @property
    def gain_over_naive(self) -> float:
        """Expected harm prevented by the optimal plan divided by the naive plan's."""
        if self.naive.expected_harm_prevented <= 0:
            return math.inf if self.optimal.expected_harm_prevented > 0 else 1.0
        return self.optimal.expected_harm_prevented / self.naive.expected_harm_prevented

    def to_geojson(self, include_unvisited: bool = False) -> dict:
        features = []
        for hotspot in self.hotspots:
            visits = self.optimal.visits.get(hotspot.id, 0)
            naive_visits = self.naive.visits.get(hotspot.id, 0)
            if not include_unvisited and visits == 0 and naive_visits == 0:
                continue
            features.append(
                {
                    "type": "Feature",
                    "id": hotspot.id,
                    "geometry": hotspot.geometry,
                    "properties": {
                        "hotspot": hotspot.id,
                        "neighbourhood": hotspot.neighbourhood,
                        "harm": hotspot.harm,
                        "count": hotspot.crime_count,
                        "visits": visits,
                        "naive_visits": naive_visits,
                        "patrol_minutes": visits * (self.visit_minutes + self.travel_minutes),
                        "expected_harm_prevented": harm_prevented(hotspot.harm, visits, self.visit_effect),
                    },
                }
            )
        return {
            "type": "FeatureCollection",
            "features": features,
            "properties": {
                "status": self.status,
                "hours_available": self.hours_available,
                "hours_used": self.optimal.hours_used,
                "expected_harm_prevented": self.optimal.expected_harm_prevented,
                "naive_expected_harm_prevented": self.naive.expected_harm_prevented,
                "naive_hours_used": self.naive.hours_used,
                "gain_over_naive": self.gain_over_naive,
                "visit_minutes": self.visit_minutes,
                "travel_minutes": self.travel_minutes,
                "visit_effect": self.visit_effect,
                "min_visits_per_neighbourhood": self.min_visits_per_neighbourhood,
                "max_visits_per_hotspot": self.max_visits_per_hotspot,
            },
        }


def harm_prevented(harm: float, visits: int, visit_effect: float) -> float:
    """Expected harm prevented at a hotspot by ``visits`` visits: harm * (1 - (1 - e)^n)."""
    return harm * (1.0 - (1.0 - visit_effect) ** visits)


def default_max_visits(hours_per_shift: float) -> int:
    return max(1, math.floor(hours_per_shift / KOPER_INTERVAL_HOURS))


def visits_per_officer(hours_per_shift: float, visit_minutes: float, travel_minutes: float, overhead_share: float) -> int:
    patrol_minutes = hours_per_shift * 60.0 * (1.0 - overhead_share)
    return math.floor(patrol_minutes / (visit_minutes + travel_minutes) + 1e-9)


def plan_patrols(
    hotspots: Iterable[Hotspot],
    neighbourhoods: Iterable[str] | None,
    hours_per_shift: float,
    officers: int,
    *,
    visit_minutes: float = DEFAULT_VISIT_MINUTES,
    travel_minutes: float = DEFAULT_TRAVEL_MINUTES,
    overhead_share: float = 0.0,
    min_visits_per_neighbourhood: int = 1,
    max_visits_per_hotspot: int | None = None,
    visit_effect: float = DEFAULT_VISIT_EFFECT,
    time_limit_seconds: float = 30.0,
) -> PatrolPlan:
    """Optimal patrol visits for one shift, with the naive plan beside it.

    ``neighbourhoods`` lists every neighbourhood that must get ``min_visits_per_neighbourhood``
    visits (None: those the hotspots name). ``overhead_share`` is the share of the shift lost
    to briefings, breaks and calls; ``travel_minutes`` is added to every visit.
    Raises ``InfeasiblePlan`` naming the shortfall, ``ValueError`` for malformed input.
    """
    hotspots = list(hotspots)
    _validate(hotspots, hours_per_shift, officers, visit_minutes, travel_minutes, overhead_share,
              min_visits_per_neighbourhood, max_visits_per_hotspot, visit_effect)
    names = _neighbourhood_names(hotspots, neighbourhoods)
    cap = default_max_visits(hours_per_shift) if max_visits_per_hotspot is None else max_visits_per_hotspot
    per_officer = visits_per_officer(hours_per_shift, visit_minutes, travel_minutes, overhead_share)
    budget = per_officer * officers
    hours_available = officers * hours_per_shift * (1.0 - overhead_share)
    minutes_per_visit = visit_minutes + travel_minutes
    _check_feasible(hotspots, names, budget, cap, min_visits_per_neighbourhood, minutes_per_visit,
                    hours_available, officers, per_officer)

    started = time.perf_counter()
    visits, status = _solve(hotspots, names, budget, cap, min_visits_per_neighbourhood, visit_effect,
                            time_limit_seconds)
    solve_seconds = time.perf_counter() - started

    def allocation(visit_counts: Mapping[str, int]) -> Allocation:
        return _score(hotspots, names, visit_counts, minutes_per_visit, visit_effect, min_visits_per_neighbourhood)

    return PatrolPlan(
        optimal=allocation(visits),
        naive=allocation(naive_visits(hotspots, budget, cap)),
        hotspots=hotspots,
        neighbourhoods=names,
        hours_available=hours_available,
        visit_budget=budget,
        min_visits_per_neighbourhood=min_visits_per_neighbourhood,
        max_visits_per_hotspot=cap,
        visit_minutes=visit_minutes,
        travel_minutes=travel_minutes,
        visit_effect=visit_effect,
        status=status,
        solve_seconds=solve_seconds,
        total_harm=float(sum(h.harm for h in hotspots)),
    )


def naive_visits(hotspots: Sequence[Hotspot], budget: int, cap: int) -> dict[str, int]:
    """Cells by crime count, one visit each down the list, round after round, until time runs out."""
    ranked = sorted(hotspots, key=lambda h: (-h.crime_count, h.id))
    visits = dict.fromkeys((h.id for h in hotspots), 0)
    left = budget
    for _ in range(cap):
        for hotspot in ranked:
            if left == 0:
                return visits
            visits[hotspot.id] += 1
            left -= 1
    return visits


def _validate(hotspots, hours_per_shift, officers, visit_minutes, travel_minutes, overhead_share,
              min_visits, max_visits, visit_effect) -> None:
    if not hotspots:
        raise ValueError("no hotspots to patrol: the forecast gave no cells")
    if not (hours_per_shift > 0 and math.isfinite(hours_per_shift)):
        raise ValueError(f"hours per shift must be a positive number, got {hours_per_shift!r}")
    if int(officers) != officers or officers < 1:
        raise ValueError(f"officers must be a whole number of at least 1, got {officers!r}")
    if not visit_minutes > 0:
        raise ValueError(f"visit minutes must be positive, got {visit_minutes!r}")
    if travel_minutes < 0:
        raise ValueError(f"travel minutes cannot be negative, got {travel_minutes!r}")
    if not 0 <= overhead_share < 1:
        raise ValueError(f"overhead share must be in [0, 1), got {overhead_share!r}")
    if min_visits < 0 or int(min_visits) != min_visits:
        raise ValueError(f"minimum visits per neighbourhood must be a whole number >= 0, got {min_visits!r}")
    if max_visits is not None and (max_visits < 1 or int(max_visits) != max_visits):
        raise ValueError(f"maximum visits per hotspot must be a whole number >= 1, got {max_visits!r}")
    if not 0 < visit_effect <= 1:
        raise ValueError(f"visit effect must be in (0, 1], got {visit_effect!r}")
    seen: set[str] = set()
    for hotspot in hotspots:
        if hotspot.id in seen:
            raise ValueError(f"hotspot {hotspot.id!r} appears twice")
        seen.add(hotspot.id)
        if not (math.isfinite(hotspot.harm) and hotspot.harm >= 0):
            raise ValueError(f"hotspot {hotspot.id!r}: harm must be a finite number >= 0, got {hotspot.harm!r}")


def _neighbourhood_names(hotspots: Sequence[Hotspot], neighbourhoods: Iterable[str] | None) -> list[str]:
    named = list(dict.fromkeys(h.neighbourhood for h in hotspots))
    if neighbourhoods is None:
        return named
    names = list(dict.fromkeys(neighbourhoods))
    known = set(names)
    for hotspot in hotspots:
        if hotspot.neighbourhood not in known:
            raise ValueError(f"hotspot {hotspot.id!r} is in neighbourhood {hotspot.neighbourhood!r}, "
                             "which is not in the list of neighbourhoods")
    return names


def _check_feasible(hotspots, names, budget, cap, min_visits, minutes_per_visit, hours_available,
                    officers, per_officer) -> None:
    if per_officer == 0:
        raise InfeasiblePlan(
            f"{hours_available / officers:.2f} patrol hours per officer cannot fit one visit of "
            f"{minutes_per_visit:g} minutes with travel; lengthen the shift or shorten the visits"
        )
    if min_visits == 0:
        return
    per_neighbourhood = Counter(h.neighbourhood for h in hotspots)
    short = [(n, per_neighbourhood[n]) for n in names if per_neighbourhood[n] * cap < min_visits]
    if short:
        listed = ", ".join(f"{name!r} ({count} hotspot{'s' if count != 1 else ''})" for name, count in short[:5])
        more = f" and {len(short) - 5} more" if len(short) > 5 else ""
        raise InfeasiblePlan(
            f"{len(short)} neighbourhood(s) cannot get {min_visits} visits with at most {cap} per hotspot: "
            f"{listed}{more}; add candidate hotspots there, raise the cap or lower the minimum cover"
        )
    needed = min_visits * len(names)
    if needed > budget:
        shortfall_visits = needed - budget
        shortfall_hours = shortfall_visits * minutes_per_visit / 60.0
        extra_officers = math.ceil(shortfall_visits / per_officer)
        raise InfeasiblePlan(
            f"minimum cover needs {needed} visits ({min_visits} in each of {len(names)} neighbourhoods, "
            f"{needed * minutes_per_visit / 60.0:.1f} h at {minutes_per_visit:g} min per visit with travel) "
            f"but {officers} officer(s) have {hours_available:.1f} patrol hours, room for {budget} visits: "
            f"short by {shortfall_visits} visits ({shortfall_hours:.1f} h, about {extra_officers} more officer(s))"
        )


def _solve(hotspots, names, budget, cap, min_visits, visit_effect, time_limit_seconds) -> tuple[dict[str, int], str]:
    import highspy
    from scipy import sparse

    n_hotspots = len(hotspots)
    harm = np.array([h.harm for h in hotspots], dtype=float)
    # Column j = hotspot j // cap, visit number j % cap + 1.
    visit_index = np.tile(np.arange(cap), n_hotspots)
    hotspot_index = np.repeat(np.arange(n_hotspots), cap)
    gains = harm[hotspot_index] * visit_effect * (1.0 - visit_effect) ** visit_index
    n_cols = n_hotspots * cap

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lower: list[float] = []
    upper: list[float] = []

    # Row 0: the shift's visit budget.
    rows.append(np.zeros(n_cols, dtype=int))
    cols.append(np.arange(n_cols))
    vals.append(np.ones(n_cols))
    lower.append(-highspy.kHighsInf)
    upper.append(float(budget))
    row = 1
    if min_visits > 0:
        position = {name: i for i, name in enumerate(names)}
        neighbourhood_of_col = np.array([position[hotspots[j].neighbourhood] for j in hotspot_index])
        rows.append(row + neighbourhood_of_col)
        cols.append(np.arange(n_cols))
        vals.append(np.ones(n_cols))
        lower.extend([float(min_visits)] * len(names))
        upper.extend([highspy.kHighsInf] * len(names))
        row += len(names)
    matrix = sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(row, n_cols)
    )
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = row
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = gains
    lp.col_lower_ = np.zeros(n_cols)
    lp.col_upper_ = np.ones(n_cols)
    lp.row_lower_ = np.array(lower)
    lp.row_upper_ = np.array(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols

    solver = _quiet_highs(highspy)
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("mip_rel_gap", 0.0)
    solver.setOptionValue("mip_abs_gap", 1e-9)
    solver.setOptionValue("time_limit", float(time_limit_seconds))
    solver.passModel(lp)
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasiblePlan("HiGHS found the patrol constraints infeasible")
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"HiGHS stopped without a proven optimum: {solver.modelStatusToString(status)}")
    chosen = np.rint(np.asarray(solver.getSolution().col_value)).astype(int)
    per_hotspot = chosen.reshape(n_hotspots, cap).sum(axis=1)
    return {h.id: int(v) for h, v in zip(hotspots, per_hotspot)}, "optimal"


def _quiet_highs(highspy):
    """A Highs instance; its first construction prints a banner on the C stdout, which would
    end up in the middle of the CLI's table, so that one construction writes to /dev/null."""
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _score(hotspots, names, visits, minutes_per_visit, visit_effect, min_visits) -> Allocation:
    by_neighbourhood = dict.fromkeys(names, 0)
    prevented = 0.0
    at_visited = 0.0
    for hotspot in hotspots:
        n = visits.get(hotspot.id, 0)
        by_neighbourhood[hotspot.neighbourhood] += n
        prevented += harm_prevented(hotspot.harm, n, visit_effect)
        if n:
            at_visited += hotspot.harm
    total = sum(visits.values())
    return Allocation(
        visits=dict(visits),
        visits_by_neighbourhood=by_neighbourhood,
        hours_used=total * minutes_per_visit / 60.0,
        expected_harm_prevented=prevented,
        harm_at_visited_hotspots=at_visited,
        neighbourhoods_below_cover=[n for n, v in by_neighbourhood.items() if v < min_visits],
    )
