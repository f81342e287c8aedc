import numpy as np
import pandas as pd
import pytest

from watchhouse.predict.monthly import MonthlyError, count_matrix, forecast_monthly


def frame_of(rows):
    return pd.DataFrame(rows, columns=["lsoa", "month"])


def test_count_matrix_fills_missing_months_with_zero():
    matrix = count_matrix(frame_of([("A", "2020-01"), ("A", "2020-01"), ("B", "2020-03")]))
    assert list(matrix.columns.astype(str)) == ["2020-01", "2020-02", "2020-03"]
    assert matrix.loc["A"].tolist() == [2, 0, 0] and matrix.loc["B"].tolist() == [0, 0, 1]


def test_recent_and_long_run_are_the_means_of_their_months():
    months = pd.period_range("2020-01", "2021-01", freq="M")
    matrix = pd.DataFrame([np.arange(13.0), np.ones(13)], index=["A", "B"], columns=months)
    recent = forecast_monthly(matrix, "2021-01", "recent")
    assert recent.expected["A"] == pytest.approx((9 + 10 + 11) / 3)
    long_run = forecast_monthly(matrix, "2021-01", "long-run")
    assert long_run.expected["A"] == pytest.approx(np.arange(12.0).mean())
    assert long_run.expected["B"] == 1


def test_auto_leans_on_recent_months_when_areas_shift_and_on_long_run_when_they_are_stable():
    rng = np.random.default_rng(0)
    months = pd.period_range("2019-01", "2021-12", freq="M")
    stable_level = rng.gamma(1.0, 5.0, 200)
    stable = pd.DataFrame(rng.poisson(np.outer(stable_level, np.ones(len(months)))), columns=months)
    assert forecast_monthly(stable, "2021-12").recent_weight <= 0.3
    # Levels that jump every few months reward recent counts.
    jumps = np.repeat(rng.gamma(1.0, 5.0, (200, len(months) // 4 + 1)), 4, axis=1)[:, : len(months)]
    shifting = pd.DataFrame(rng.poisson(jumps * 4), columns=months)
    assert forecast_monthly(shifting, "2021-12").recent_weight >= 0.6


def test_bad_requests_are_clear_errors():
    matrix = count_matrix(frame_of([("A", "2020-01")]))
    with pytest.raises(MonthlyError, match="no months before"):
        forecast_monthly(matrix, "2019-12")
    with pytest.raises(MonthlyError, match="unknown monthly method"):
        forecast_monthly(matrix, "2020-02", "magic")
    with pytest.raises(MonthlyError, match="columns"):
        count_matrix(pd.DataFrame({"x": [1]}))
