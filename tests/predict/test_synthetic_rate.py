import numpy as np

from watchhouse.predict.grid import build_grid
from watchhouse.predict.history import build_history
from watchhouse.predict.synthetic import SyntheticCity, generate, stationary_rate


def test_stationary_rate_is_the_generators_long_run_share_per_cell():
    city = SyntheticCity(days=365, background_per_day=30, seed=5)
    events = generate(city).events
    grid = build_grid(events.lon, events.lat, 200.0)
    rate = stationary_rate(city, grid)
    assert rate.shape == grid.raster_shape
    assert 0.98 < rate.sum() <= 1.0 + 1e-9
    observed = build_history(events, grid).raster_counts(-np.inf, np.inf)
    assert np.corrcoef(observed.ravel(), rate.ravel())[0, 1] > 0.95
    # Another seed draws other places: the truth is the city's own, not any heavy-tailed map.
    other = stationary_rate(SyntheticCity(days=365, background_per_day=30, seed=6), grid)
    assert np.corrcoef(observed.ravel(), other.ravel())[0, 1] < 0.5
