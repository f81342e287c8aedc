"""Every method must beat random placement on synthetic data with real structure."""

from __future__ import annotations

import numpy as np
import pytest

from watchhouse.predict import METHODS, forecast_grid
from watchhouse.predict.backtest import run_backtest
from watchhouse.predict.events import datetime_from_days


@pytest.fixture(scope="module")
def backtest(leeds_like):
    return run_backtest(leeds_like.events, n_origins=6, horizon_days=7, coverages=(0.05,), cell_size=200)


@pytest.mark.parametrize("method", list(METHODS))
def test_method_beats_random_placement(backtest, method):
    # Random flagging of 5% of the area catches about 5% of crime: PAI about 1.
    score = backtest.score(method, 0.05)
    assert score.pai > 3.0, f"{method}: PAI {score.pai:.2f}"
    assert backtest.score(method, 0.05, "harm").pai > 2.0


def test_auto_is_at_least_as_good_as_prospective_hotspotting(backtest):
    assert backtest.score("auto", 0.05).pai >= backtest.score("prospective", 0.05).pai


def test_forecast_grid_public_api(leeds_like):
    events = leeds_like.events
    as_of = datetime_from_days(events.t[-1] - 30)
    result = forecast_grid(events, as_of, 7, cell_size=250, method="sepp")
    assert len(result.scores) == result.grid.n_cells == len(result.cells_wgs84) == len(result.cells_metric)
    assert result.details["branching"] > 0
    geojson = result.to_geojson()
    assert len(geojson["features"]) == result.grid.n_cells
    harm = forecast_grid(events, as_of, 7, method="long-run", weight_by_harm=True)
    count = forecast_grid(events, as_of, 7, method="long-run")
    assert harm.scores.sum() > count.scores.sum()
    assert np.argmax(harm.scores) >= 0


def test_auto_scores_are_expected_events_in_the_window(leeds_like):
    events = leeds_like.events
    as_of = datetime_from_days(events.t[-1] - 30)
    result = forecast_grid(events, as_of, 7)
    last_year = (events.t >= events.t[-1] - 30 - 365) & (events.t < events.t[-1] - 30)
    observed_days = min(365, events.t[-1] - 30 - events.t[0])
    assert result.scores.sum() == pytest.approx(last_year.sum() * 7 / observed_days, rel=0.01)
    assert set(result.details["blend"]) <= {
        "long-run all", "long-run 365d", "decayed long-run 180d", "decayed long-run 365d", "decayed long-run 730d",
        "smoothed long-run", "same season", "recent 28d", "recent 7d", "prospective", "near-repeat",
    }
    assert sum(result.details["blend"].values()) == pytest.approx(1.0)


def test_reported_only_leaves_out_proactive_offences(leeds_like):
    import dataclasses

    events = leeds_like.events
    as_of = datetime_from_days(events.t[-1] - 30)
    drugs = np.where(np.arange(len(events)) % 5 == 0, "Drugs", events.category)
    with_drugs = dataclasses.replace(events, category=drugs.astype(object))
    everything = forecast_grid(with_drugs, as_of, 7, method="long-run")
    reported = forecast_grid(with_drugs, as_of, 7, method="long-run", reported_only=True)
    assert reported.history_events < everything.history_events
    assert reported.history_events == pytest.approx(everything.history_events * 0.8, rel=0.02)
    assert reported.details["reported_only"] is True


def test_aggregate_to_areas_shares_cells_by_overlap(leeds_like):
    import shapely

    events = leeds_like.events
    result = forecast_grid(events, datetime_from_days(events.t[-1] - 30), 7, method="long-run")
    # Split the study area into two halves along its middle easting: their sums add up to the total
    # of the cells inside the study area, and an area far away gets nothing.
    minx, miny, maxx, maxy = result.grid.hull.bounds
    mid = (minx + maxx) / 2
    halves_metric = [shapely.box(minx - 1, miny - 1, mid, maxy + 1), shapely.box(mid, miny - 1, maxx + 1, maxy + 1)]
    to_wgs84 = result.grid.projection.to_wgs84
    halves = [shapely.transform(h.segmentize(50), lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1])))
              for h in halves_metric]
    far_away = shapely.box(10.0, 10.0, 10.01, 10.01)
    sums = result.aggregate_to(halves + [far_away])
    assert sums[2] == 0
    assert sums[0] > 0 and sums[1] > 0
    assert sums[0] + sums[1] == pytest.approx(result.scores.sum(), rel=0.01)
