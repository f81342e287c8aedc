from __future__ import annotations

import numpy as np
import pytest

from watchhouse.predict.feedback import (
    PROACTIVE_CATEGORIES,
    district_fairness,
    is_proactive,
    reported_mask,
    simulate_feedback,
)

REPORTED = [30.0, 25.0, 20.0, 15.0, 10.0]
FOUND = [6.0, 5.0, 4.0, 3.0, 2.0]


def test_proactive_categories_match_slugs_and_archive_names():
    assert {"drugs", "possession-of-weapons"} <= PROACTIVE_CATEGORIES
    assert is_proactive("Drugs")
    assert is_proactive("Possession of weapons")
    assert is_proactive("possession-of-weapons")
    assert not is_proactive("Violence and sexual offences")
    assert not is_proactive("burglary")
    assert is_proactive("NARCOTICS") and is_proactive("WEAPONS VIOLATION")  # Chicago's categories
    assert not is_proactive("THEFT") and not is_proactive("ASSAULT")
    mask = reported_mask(["Burglary", "Drugs", None, "Anti-social behaviour", "possession-of-weapons", "NARCOTICS"])
    assert mask.tolist() == [True, False, True, True, False, False]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_on_discovered_crime_runs_away(seed):
    run = simulate_feedback(REPORTED, FOUND, training="discovered", rounds=200, seed=seed)
    # Patrols pile into one area: far from its true 30% share.
    assert run.final_divergence > 0.4
    assert run.patrol_shares[-1].max() > 0.8


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_training_on_reported_crime_tracks_true_shares(seed):
    run = simulate_feedback(REPORTED, FOUND, rounds=200, seed=seed)
    assert run.training == "reported"
    assert run.final_divergence < 0.08
    np.testing.assert_allclose(run.patrol_shares[-20:].mean(axis=0), run.true_shares, atol=0.04)


def test_runaway_happens_even_when_areas_are_identical():
    # Equal true rates: any lasting imbalance is made by the loop itself.
    discovered = [simulate_feedback([10.0] * 4, [5.0] * 4, training="discovered", rounds=300, seed=s) for s in range(4)]
    reported = [simulate_feedback([10.0] * 4, [5.0] * 4, rounds=300, seed=s) for s in range(4)]
    assert np.mean([r.final_divergence for r in discovered]) > 3 * np.mean([r.final_divergence for r in reported])


def test_custom_allocator_is_used_and_checked():
    even = simulate_feedback(REPORTED, FOUND, training="discovered", rounds=50,
                             allocate=lambda forecast: np.full(len(forecast), 1 / len(forecast)))
    assert np.allclose(even.patrol_shares, 0.2)
    with pytest.raises(ValueError, match="summing to 1"):
        simulate_feedback(REPORTED, FOUND, rounds=3, allocate=lambda forecast: forecast)


def test_simulation_rejects_bad_rates():
    with pytest.raises(ValueError, match="equal-length"):
        simulate_feedback([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=">= 0"):
        simulate_feedback([1.0, -2.0], [1.0, 1.0])


def test_district_fairness_shares_and_dissimilarity():
    report = district_fairness(
        districts=["north", "north", "south", "south"],
        harm=[30.0, 10.0, 40.0, 20.0],
        patrol_hours=[4.0, 0.0, 1.0, 0.0],
        flagged=[True, False, True, True],
    )
    by_name = {d.district: d for d in report.districts}
    assert by_name["north"].harm_share == pytest.approx(0.4)
    assert by_name["north"].patrol_hours_share == pytest.approx(0.8)
    assert by_name["north"].flagged_area_share == pytest.approx(1 / 3)
    assert by_name["north"].hours_to_harm == pytest.approx(2.0)
    assert report.hours_dissimilarity == pytest.approx(0.4)
    assert report.flagged_dissimilarity == pytest.approx(0.5 * (abs(1 / 3 - 0.4) + abs(2 / 3 - 0.6)))
    assert report.most_out_of_line(1)[0].district in {"north", "south"}


def test_district_fairness_names_bad_input():
    with pytest.raises(ValueError, match="patrol_hours has 1 values"):
        district_fairness(["a", "b"], [1.0, 1.0], [1.0], [True, False])
    with pytest.raises(ValueError, match="harm must be finite"):
        district_fairness(["a"], [float("nan")], [1.0], [True])


def test_runaway_through_the_patrol_optimiser():
    from watchhouse.patrols import Hotspot, plan_patrols

    def optimiser(forecast):
        hotspots = [Hotspot(f"a{i}", f"a{i}", harm=float(v)) for i, v in enumerate(forecast)]
        plan = plan_patrols(hotspots, None, hours_per_shift=4, officers=3, max_visits_per_hotspot=27,
                            min_visits_per_neighbourhood=0, visit_effect=0.05)
        visits = np.array([plan.optimal.visits[h.id] for h in hotspots], dtype=float)
        return visits / visits.sum()

    discovered = simulate_feedback(REPORTED, FOUND, training="discovered", rounds=80, allocate=optimiser, seed=1)
    reported = simulate_feedback(REPORTED, FOUND, rounds=80, allocate=optimiser, seed=1)
    assert discovered.final_divergence > 0.3
    assert reported.final_divergence < 0.1
    # The target is the optimiser's own choice on the true rates, not proportional shares.
    assert reported.target_shares[0] > reported.true_shares[0]
