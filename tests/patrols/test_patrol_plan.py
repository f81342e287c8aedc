from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from watchhouse.patrols import Hotspot, InfeasiblePlan, harm_prevented, plan_patrols
from watchhouse.patrols.plan import naive_visits


def _brute_force_best(hotspots, budget, cap, min_visits, effect):
    best = -1.0
    neighbourhoods = {h.neighbourhood for h in hotspots}
    for counts in itertools.product(range(cap + 1), repeat=len(hotspots)):
        if sum(counts) > budget:
            continue
        cover = dict.fromkeys(neighbourhoods, 0)
        for hotspot, n in zip(hotspots, counts):
            cover[hotspot.neighbourhood] += n
        if min(cover.values()) < min_visits:
            continue
        value = sum(harm_prevented(h.harm, n, effect) for h, n in zip(hotspots, counts))
        best = max(best, value)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_plan_matches_brute_force_optimum(seed):
    rng = np.random.default_rng(seed)
    hotspots = [
        Hotspot(f"h{i}", f"n{i % 3}", harm=float(rng.lognormal(0, 1))) for i in range(6)
    ]
    # 2 officers x 1.25 h at 25 min per visit = 3 visits each = budget 6; cap 3 by argument.
    plan = plan_patrols(hotspots, None, hours_per_shift=1.25, officers=2, max_visits_per_hotspot=3,
                        min_visits_per_neighbourhood=1, visit_effect=0.4)
    assert plan.visit_budget == 6
    best = _brute_force_best(hotspots, 6, 3, 1, 0.4)
    assert plan.status == "optimal"
    assert plan.optimal.expected_harm_prevented == pytest.approx(best, rel=1e-9)


def test_diminishing_returns_spread_visits_instead_of_stacking():
    # One huge hotspot and a smaller one: with effect 0.5 the 2nd visit to the big one gains
    # 10 * 0.25 = 2.5, the 1st visit to the small one gains 4 * 0.5 = 2: stack twice, then spread.
    hotspots = [Hotspot("big", "a", harm=10.0), Hotspot("small", "a", harm=4.0)]
    plan = plan_patrols(hotspots, None, hours_per_shift=75 / 60, officers=1, travel_minutes=10,
                        max_visits_per_hotspot=5, min_visits_per_neighbourhood=0, visit_effect=0.5)
    assert plan.visit_budget == 3
    assert plan.optimal.visits == {"big": 2, "small": 1}
    assert plan.optimal.expected_harm_prevented == pytest.approx(10 * 0.75 + 4 * 0.5)


def test_marginal_gain_of_each_visit_falls():
    gains = [harm_prevented(8.0, n, 0.3) - harm_prevented(8.0, n - 1, 0.3) for n in range(1, 6)]
    assert all(later < earlier for earlier, later in zip(gains, gains[1:]))
    assert gains[0] == pytest.approx(8.0 * 0.3)


def test_min_cover_and_cap_hold_even_when_harm_is_concentrated():
    hotspots = [Hotspot("hot", "centre", harm=1000.0)] + [
        Hotspot(f"quiet{i}", f"edge{i % 4}", harm=0.01) for i in range(8)
    ]
    plan = plan_patrols(hotspots, None, hours_per_shift=8, officers=2, max_visits_per_hotspot=3,
                        min_visits_per_neighbourhood=2)
    visits = plan.optimal.visits
    assert visits["hot"] == 3
    assert max(visits.values()) <= 3
    for name in ["centre", "edge0", "edge1", "edge2", "edge3"]:
        assert plan.optimal.visits_by_neighbourhood[name] >= 2
    assert plan.optimal.neighbourhoods_below_cover == []
    assert plan.optimal.visits_total <= plan.visit_budget
    assert plan.optimal.hours_used <= plan.hours_available + 1e-9


def test_neighbourhood_without_hotspots_is_infeasible_and_named():
    hotspots = [Hotspot("a1", "Allerton", harm=1.0)]
    with pytest.raises(InfeasiblePlan, match="'Bramley' \\(0 hotspots\\)"):
        plan_patrols(hotspots, ["Allerton", "Bramley"], hours_per_shift=8, officers=1)


def test_min_cover_beyond_hours_names_the_shortfall():
    hotspots = [Hotspot(f"h{i}", f"n{i}", harm=1.0) for i in range(30)]
    # 1 officer x 2 h at 25 min = 4 visits; 30 neighbourhoods x 1 visit needs 30.
    with pytest.raises(InfeasiblePlan) as raised:
        plan_patrols(hotspots, None, hours_per_shift=2, officers=1, min_visits_per_neighbourhood=1)
    message = str(raised.value)
    assert "needs 30 visits" in message
    assert "room for 4 visits" in message
    assert "short by 26 visits" in message
    assert "10.8 h" in message  # 26 x 25 min


def test_shift_too_short_for_one_visit_is_named():
    with pytest.raises(InfeasiblePlan, match="cannot fit one visit of 25 minutes"):
        plan_patrols([Hotspot("a", "n", 1.0)], None, hours_per_shift=0.25, officers=3, min_visits_per_neighbourhood=0)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="officers"):
        plan_patrols([Hotspot("a", "n", 1.0)], None, hours_per_shift=8, officers=0)
    with pytest.raises(ValueError, match="hotspot 'b'.*harm"):
        plan_patrols([Hotspot("a", "n", 1.0), Hotspot("b", "n", math.nan)], None, 8, 1)
    with pytest.raises(ValueError, match="appears twice"):
        plan_patrols([Hotspot("a", "n", 1.0), Hotspot("a", "n", 2.0)], None, 8, 1)
    with pytest.raises(ValueError, match="not in the list"):
        plan_patrols([Hotspot("a", "n", 1.0)], ["m"], 8, 1)


def test_naive_plan_goes_down_the_count_ranking_round_by_round():
    hotspots = [Hotspot(f"h{i}", "n", harm=1.0, count=float(10 - i)) for i in range(4)]
    assert naive_visits(hotspots, budget=3, cap=2) == {"h0": 1, "h1": 1, "h2": 1, "h3": 0}
    assert naive_visits(hotspots, budget=6, cap=2) == {"h0": 2, "h1": 2, "h2": 1, "h3": 1}
    assert naive_visits(hotspots, budget=100, cap=2) == dict.fromkeys(["h0", "h1", "h2", "h3"], 2)


def test_optimal_plan_beats_naive_when_harm_and_count_disagree():
    # Busy cells of low harm (shoplifting) against quieter cells of high harm (violence).
    hotspots = [Hotspot(f"busy{i}", "a", harm=1.0, count=10.0) for i in range(5)] + [
        Hotspot(f"harm{i}", "b", harm=20.0, count=2.0) for i in range(5)
    ]
    plan = plan_patrols(hotspots, None, hours_per_shift=125 / 60, officers=1, max_visits_per_hotspot=1,
                        min_visits_per_neighbourhood=0)
    assert plan.visit_budget == 5
    assert set(plan.naive.visits[h] for h in plan.naive.visits if h.startswith("busy")) == {1}
    assert all(plan.optimal.visits[f"harm{i}"] == 1 for i in range(5))
    assert plan.gain_over_naive == pytest.approx(20.0)
    assert plan.naive.neighbourhoods_below_cover == []


def test_plan_geojson_carries_visits_and_totals():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]]}
    hotspots = [Hotspot("a", "n", 5.0, geometry=square), Hotspot("b", "n", 0.0, geometry=square)]
    plan = plan_patrols(hotspots, None, hours_per_shift=0.5, officers=1, min_visits_per_neighbourhood=0,
                        max_visits_per_hotspot=1)
    collection = plan.to_geojson()
    assert [f["id"] for f in collection["features"]] == ["a"]
    assert collection["features"][0]["properties"]["visits"] == 1
    assert collection["features"][0]["geometry"] == square
    assert collection["properties"]["expected_harm_prevented"] == pytest.approx(5.0 * 0.25)
