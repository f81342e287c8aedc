"""The forecast path avoids importing scipy and pandas; its numpy versions must agree with them."""

import numpy as np
import pytest
import shapely
from scipy.ndimage import convolve
from scipy.ndimage import gaussian_filter as scipy_gaussian
from scipy.spatial import cKDTree

from watchhouse.predict.events import _read_pandas, _read_fast, load_events
from watchhouse.predict.grid import convex_hull
from watchhouse.predict.methods.kde import gaussian_filter
from watchhouse.predict.methods.prospective import distance_kernel, spread
from watchhouse.predict.methods.sepp import pairs_within


@pytest.mark.parametrize("shape", [(40, 55), (3, 2), (1, 1), (7, 30)])
def test_gaussian_filter_and_spread_match_scipy(shape):
    raster = np.random.default_rng(1).poisson(1.0, shape).astype(float)
    for sigma in (0.3, 0.5, 1.5, 2.0, 4.0):
        assert np.allclose(gaussian_filter(raster, sigma), scipy_gaussian(raster, sigma, mode="constant", truncate=3.0))
    for bandwidth in (200, 400, 1000):
        kernel = distance_kernel(bandwidth, 200)
        assert np.allclose(spread(raster, kernel), convolve(raster, kernel, mode="constant"))


@pytest.mark.parametrize("n, radius", [(0, 1.0), (1, 5.0), (2, 5.0), (500, 50.0), (3000, 30.0), (4000, 400.0)])
def test_pairs_within_finds_exactly_the_kd_tree_pairs(n, radius):
    rng = np.random.default_rng(n)
    x, y = rng.normal(0, 3000, n), rng.normal(0, 3000, n)
    if n > 100:  # repeated locations, as geocoded crime has
        x[:50], y[:50] = x[50:100], y[50:100]
    ours = pairs_within(x, y, radius)
    theirs = cKDTree(np.column_stack([x, y])).query_pairs(radius, output_type="ndarray") if n else np.empty((0, 2))
    assert len(ours) == len(theirs)
    assert set(map(tuple, ours.tolist())) == set(map(tuple, np.sort(theirs, axis=1).astype(int).tolist()))


@pytest.mark.parametrize("n", [1, 2, 3, 10, 20, 5000])
def test_convex_hull_is_the_hull_of_all_points(n):
    rng = np.random.default_rng(n)
    x, y = rng.normal(0, 5000, n), rng.standard_t(2, n) * 3000
    assert convex_hull(x, y).equals(shapely.convex_hull(shapely.multipoints(np.column_stack([x, y]))))


def test_fast_reader_agrees_with_pandas_reader(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "ID, Lon ,lat,occurred_at,category,extra\n"
        '1,-1.55,53.80,2021-01-01T10:00:00,"burglary, dwelling",x\n'
        "2,,53.80,2021-01-01 11:30,burglary,x\n"
        "3, -1.5 ,95.0,2021-01-01T12:00:00.250,,x\n"
        "4,abc,53.8,2021-01-02,robbery,x\n"
        ",-1.56,53.81,,robbery,x\n"
    )
    fast, slow = _read_fast(path), _read_pandas(path)
    assert fast is not None
    from watchhouse.predict.events import _parse_times_fast

    fast["occurred_at"] = _parse_times_fast(fast["occurred_at"])
    for column in ("lon", "lat", "occurred_at"):
        np.testing.assert_allclose(fast[column], slow[column], equal_nan=True)
    assert fast["category"].tolist() == slow["category"].tolist()
    assert fast["id"].tolist() == slow["id"].tolist()
    events, report = load_events(path)
    assert list(events.category) == ["burglary, dwelling"] and report.read == 5


def test_ragged_rows_fall_back_to_the_pandas_reader(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("id,lon,lat,occurred_at,category\n1,-1.55,53.8,2021-01-01,a\n2,-1.55,53.8,2021-01-02,a,extra\n")
    assert _read_fast(path) is None


@pytest.mark.parametrize("n, distance, lag, first_child", [(3000, 300.0, 30.0, 0), (3000, 300.0, 30.0, 1500), (600, 400.0, 20.0, 10)])
def test_near_repeat_pairs_are_the_close_earlier_events(n, distance, lag, first_child):
    from watchhouse.predict.methods.sepp import candidate_pairs

    rng = np.random.default_rng(n + first_child)
    t = np.sort(rng.random(n) * 365)
    x, y = rng.normal(0, 3000, n), rng.normal(0, 3000, n)
    x[:40], y[:40] = x[40:80], y[40:80]
    t[5] = t[4]  # simultaneous events are not each other's parents
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(distance, output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    later = t[a] > t[b]
    parent, child = np.where(later, b, a), np.where(later, a, b)
    gap = t[child] - t[parent]
    keep = (gap > 0) & (gap <= lag) & (child >= first_child)
    expected = set(zip(parent[keep].tolist(), child[keep].tolist()))
    got_parent, got_child = candidate_pairs(x, y, t, distance, lag, first_child=first_child)
    assert len(got_parent) == len(expected) > 0
    assert set(zip(got_parent.tolist(), got_child.tolist())) == expected
