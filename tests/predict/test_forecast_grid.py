import numpy as np
import pytest
import shapely

from watchhouse.predict.grid import StudyAreaError, build_grid, utm_crs_for


def test_utm_zone_follows_the_data_north_and_south():
    assert utm_crs_for(np.array([-1.55]), np.array([53.8])).to_epsg() == 32630  # Leeds
    assert utm_crs_for(np.array([-46.63]), np.array([-23.55])).to_epsg() == 32723  # São Paulo
    assert utm_crs_for(np.array([151.2]), np.array([-33.87])).to_epsg() == 32756  # Sydney


def test_data_straddling_the_antimeridian_is_refused_clearly():
    with pytest.raises(StudyAreaError, match="antimeridian"):
        utm_crs_for(np.array([179.9, -179.9]), np.array([-17.0, -17.1]))


def test_cells_cover_the_convex_hull_and_areas_are_clipped():
    rng = np.random.default_rng(0)
    lon = -46.63 + rng.normal(0, 0.02, 500)
    lat = -23.55 + rng.normal(0, 0.02, 500)
    grid = build_grid(lon, lat, 200)
    cells = grid.polygons_metric()
    union = shapely.union_all(cells)
    assert union.covers(grid.hull.buffer(-1e-6))
    assert grid.area.sum() == pytest.approx(grid.study_area_m2, rel=1e-9)
    assert np.all(grid.area <= 200 * 200 + 1e-6)
    x, y = grid.projection.to_metric(lon, lat)
    assert np.all(grid.cell_of(x, y) >= 0)
    rings = grid.corner_rings_wgs84()
    assert rings.shape == (grid.n_cells, 5, 2)
    assert np.allclose(rings[:, 0], rings[:, 4])
    assert abs(rings[..., 0].mean() + 46.63) < 0.05 and abs(rings[..., 1].mean() + 23.55) < 0.05


def test_events_at_one_point_get_a_buffered_study_area_with_a_note():
    grid = build_grid(np.full(5, -1.55), np.full(5, 53.8), 200)
    assert grid.study_area_m2 > 0 and grid.n_cells >= 1
    assert "single point or line" in grid.notes[0]


def test_no_events_is_an_empty_study_area_error():
    with pytest.raises(StudyAreaError, match="empty"):
        build_grid(np.array([]), np.array([]), 200)


def test_absurd_grids_are_refused():
    with pytest.raises(StudyAreaError, match="cells"):
        build_grid(np.array([-10.0, 10.0, 0.0]), np.array([40.0, 40.0, 55.0]), 10)
