from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from watchhouse.predict.tension import (
    COUNT_TEST,
    REPEAT_LOCATIONS,
    SHARE_TEST,
    backtest_false_alarms,
    count_exceedance,
    tension_counts,
    tension_indicators,
)


def _negative_binomial(rng, mean, phi, size):
    r = mean / (phi - 1)
    return rng.negative_binomial(r, r / (r + mean), size)


def test_false_alarm_rate_on_overdispersed_null_series_is_near_nominal():
    rng = np.random.default_rng(7)
    series = [_negative_binomial(rng, mean, 2.0, 104) for mean in np.tile([2.0, 8.0, 25.0], 25)]
    result = backtest_false_alarms(series, alpha=0.01)
    assert result.tests == 75 * (104 - 8)
    assert 0.004 <= result.rate <= 0.02


def test_false_alarm_rate_on_poisson_null_series_does_not_exceed_nominal():
    rng = np.random.default_rng(8)
    series = [rng.poisson(mean, 104) for mean in np.tile([3.0, 12.0], 30)]
    assert backtest_false_alarms(series, alpha=0.01).rate <= 0.01


def test_injected_rises_are_detected():
    rng = np.random.default_rng(9)
    detected = 0
    trials = 60
    for _ in range(trials):
        history = list(_negative_binomial(rng, 10.0, 1.5, 26))
        latest = int(_negative_binomial(rng, 30.0, 1.5, 1)[0])  # a 3-fold rise
        result = tension_indicators({("Headingley", "violence"): history + [latest]})[0]
        detected += result.flagged
    assert detected / trials >= 0.75  # measured power at this size: about 0.89


def test_no_rise_no_flag_and_fields_filled():
    history = [10, 12, 9, 11, 10, 8, 13, 10, 11, 9, 10, 12]
    result = tension_indicators({("Armley", "anti-social-behaviour"): pd.Series(history + [11], index=[f"w{i:02d}" for i in range(13)])})[0]
    assert result.area == "Armley" and result.indicator == "anti-social-behaviour"
    assert result.period == "w12"
    assert result.latest == 11
    assert result.expected == pytest.approx((sum(history) + 0.5) / 12)
    assert 0.2 < result.p_value < 0.8
    assert not result.flagged
    assert result.test == COUNT_TEST
    assert result.baseline_periods == 12


def test_a_jump_is_flagged_with_a_small_p_value():
    result = tension_indicators({("Armley", "violence"): [10, 12, 9, 11, 10, 8, 13, 10, 11, 9, 10, 12, 40]})[0]
    assert result.flagged
    assert result.p_value < 1e-4
    assert result.ratio == pytest.approx(40 / result.expected)


def test_rises_to_one_or_two_incidents_are_not_flagged():
    result = tension_indicators({("Quiet", "violence"): [0] * 12 + [2]})[0]
    assert result.p_value < 0.01
    assert not result.flagged


def test_overdispersed_history_needs_a_bigger_rise():
    steady = [10] * 6 + [9, 11] * 3
    volatile = [2, 18, 5, 15, 1, 19, 8, 12, 3, 17, 6, 14]
    _, phi_steady, p_steady = count_exceedance(steady, 20)
    _, phi_volatile, p_volatile = count_exceedance(volatile, 20)
    assert phi_volatile > 3 > phi_steady
    assert p_steady < 0.02 < 0.05 < p_volatile


def test_short_baseline_is_not_tested_and_says_so():
    # police.uk sample: three Julys only.
    frame = pd.DataFrame(
        {"area": "Leeds 001", "indicator": "violence", "period": ["2016-07", "2017-07", "2018-07"], "count": [5, 6, 40]}
    )
    result = tension_indicators(frame)[0]
    assert not result.flagged
    assert result.p_value is None and result.expected is None
    assert "baseline too short" in result.note and "2 earlier period(s), need 8" in result.note


def test_dataframe_fills_missing_periods_with_zero_and_rejects_bad_counts():
    periods = [f"2024-{m:02d}" for m in range(1, 13)]
    frame = pd.concat([
        pd.DataFrame({"area": "A", "indicator": "violence", "period": periods[::2], "count": 4}),
        pd.DataFrame({"area": "B", "indicator": "violence", "period": periods, "count": 1}),
    ])
    result = tension_indicators(frame)[0]
    assert result.area == "A" and result.period == "2024-12" and result.latest == 0
    assert result.baseline_periods == 11
    assert result.expected == pytest.approx((4 * 6 + 0.5) / 11)
    with pytest.raises(ValueError, match="missing count"):
        tension_indicators(pd.DataFrame({"area": ["A"], "indicator": ["x"], "period": ["p"]}))
    with pytest.raises(ValueError, match="count must be a number >= 0"):
        tension_indicators(pd.DataFrame({"area": ["A"], "indicator": ["x"], "period": ["p"], "count": [-1]}))


def _events(rng, weeks, rise_week=None):
    rows = []
    start = pd.Timestamp("2024-01-01")  # a Monday
    for week in range(weeks):
        for area, lon0 in (("North", -1.55), ("South", -1.50)):
            n_violence = rng.poisson(6 if not (area == "North" and week == rise_week) else 24)
            n_asb = rng.poisson(5)
            n_repeat = rng.poisson(2)
            for i in range(n_violence):
                rows.append((area, "Violence and sexual offences", lon0 + rng.uniform(0, 0.01), 53.8 + rng.uniform(0, 0.01),
                             start + pd.Timedelta(days=7 * week + rng.integers(0, 7))))
            for i in range(n_asb):
                rows.append((area, "anti-social-behaviour", lon0, 53.8, start + pd.Timedelta(days=7 * week + 1)))
            for i in range(n_repeat):  # two burglaries at the same map point
                rows += [(area, "burglary", lon0 + 0.02, 53.82, start + pd.Timedelta(days=7 * week + 2))] * 2
    return pd.DataFrame(rows, columns=["area", "category", "lon", "lat", "occurred_at"])


def test_weekly_counts_from_events_and_a_flag_in_the_right_place():
    rng = np.random.default_rng(3)
    events = _events(rng, weeks=30, rise_week=29)
    counts = tension_counts(events, freq="W")
    assert set(counts["indicator"]) == {"violence", "anti-social-behaviour", REPEAT_LOCATIONS}
    assert counts["period"].nunique() == 30
    assert counts["period"].min() == "2024-01-01"
    results = {(r.area, r.indicator): r for r in tension_indicators(counts)}
    assert results[("North", "violence")].flagged
    assert not results[("South", "violence")].flagged
    repeat = results[("South", REPEAT_LOCATIONS)]
    assert repeat.test == SHARE_TEST
    assert 0 <= repeat.latest <= 1 and repeat.expected is not None
    # Hate crime has no category in these events, so it is not invented.
    assert all(r.indicator != "hate-crime" for r in results.values())


def test_monthly_counts_from_police_uk_months():
    events = pd.DataFrame(
        {
            "area": ["A", "A", "A", "B"],
            "category": ["Anti-social behaviour", "Burglary", "Burglary", "Violence and sexual offences"],
            "lon": [-1.5, -1.4, -1.4, -1.3],
            "lat": [53.8, 53.7, 53.7, 53.6],
            "month": ["2016-07", "2017-07", "2017-07", "2018-07"],
        }
    )
    counts = tension_counts(events)
    # Months with no event anywhere are gaps in the data, not zeros.
    assert sorted(counts["period"].unique()) == ["2016-07", "2017-07", "2018-07"]
    violence_a = counts[(counts.indicator == "violence") & (counts.area == "A")]
    assert violence_a["count"].tolist() == [0, 0, 0]  # A had none in months B had some
    repeat = counts[(counts.indicator == REPEAT_LOCATIONS) & (counts.area == "A") & (counts.period == "2017-07")]
    assert repeat[["count", "total"]].to_numpy().tolist() == [[2, 2]]
    results = tension_indicators(counts)
    assert results and all(not r.flagged and "baseline too short" in r.note for r in results)


def test_share_test_false_alarms_and_detection():
    from watchhouse.predict.tension import share_exceedance

    rng = np.random.default_rng(11)
    tests = alarms = 0
    for _ in range(30):
        totals = rng.poisson(40, 40)
        hits = rng.binomial(totals, rng.beta(0.25 * 19, 0.75 * 19, 40))  # clustered: rho = 0.05
        for end in range(8, 40):
            _, _, p_value = share_exceedance(hits[max(0, end - 26):end], totals[max(0, end - 26):end], hits[end], totals[end])
            tests += 1
            alarms += p_value < 0.01
    assert alarms / tests <= 0.02
    totals = np.full(26, 40)
    hits = rng.binomial(totals, 0.25)
    share, rho, p_value = share_exceedance(hits, totals, 30, 40)  # 75% at repeat points against 25%
    assert share == pytest.approx(0.25, abs=0.03)
    assert p_value < 1e-6
