"""The EM fit must recover the triggering parameters the generator used."""

import datetime as dt

import numpy as np
import pytest

from watchhouse.predict.grid import Projection, utm_crs_for
from watchhouse.predict.methods.sepp import fit_sepp
from watchhouse.predict.synthetic import SyntheticCity, generate


@pytest.mark.parametrize(
    "truth",
    [
        SyntheticCity(days=330, background_per_day=20, seed=2),
        SyntheticCity(
            centre_lon=-46.63, centre_lat=-23.55, days=330, background_per_day=20, branching=0.45,
            decay_per_day=0.3, bandwidth_m=150, start=dt.date(2022, 3, 1), seed=11,
        ),
    ],
    ids=["leeds", "sao-paulo"],
)
def test_em_recovers_branching_decay_and_bandwidth(truth):
    events = generate(truth).events
    projection = Projection(utm_crs_for(events.lon, events.lat))
    x, y = projection.to_metric(events.lon, events.lat)
    fit = fit_sepp(events.t, x, y, start=events.t[0] + 30, end=events.t[-1])
    assert fit.branching == pytest.approx(truth.branching, abs=0.08)
    assert 1 / fit.decay_per_day == pytest.approx(1 / truth.decay_per_day, rel=0.25)
    assert fit.bandwidth_m == pytest.approx(truth.bandwidth_m, rel=0.2)


def test_without_triggering_the_fit_finds_almost_none():
    events = generate(SyntheticCity(days=200, background_per_day=15, branching=0.0, seed=4)).events
    projection = Projection(utm_crs_for(events.lon, events.lat))
    x, y = projection.to_metric(events.lon, events.lat)
    fit = fit_sepp(events.t, x, y, start=events.t[0] + 30, end=events.t[-1])
    assert fit.branching < 0.06
    assert np.isfinite(fit.decay_per_day) and np.isfinite(fit.bandwidth_m)
