"""Small synthetic cities shared by the prediction tests (generated once per session)."""

from __future__ import annotations

import datetime as dt

import pytest

from watchhouse.predict.synthetic import SyntheticCity, generate, write_events_csv


@pytest.fixture(scope="session")
def leeds_like():
    """About 10,000 events over 400 days around Leeds, with known near-repeat parameters."""
    return generate(SyntheticCity(days=400, background_per_day=20, start=dt.date(2020, 1, 1), seed=3))


@pytest.fixture(scope="session")
def small_city():
    """A quick city for command-line tests: about 2,500 events over 200 days."""
    return generate(SyntheticCity(days=200, background_per_day=10, radius_m=3000, start=dt.date(2021, 1, 1), seed=5))


@pytest.fixture(scope="session")
def small_city_csv(small_city, tmp_path_factory):
    path = tmp_path_factory.mktemp("events") / "events.csv"
    write_events_csv(small_city.events, path)
    return path
