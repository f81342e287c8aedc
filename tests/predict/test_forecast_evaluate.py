import numpy as np
import pytest

from watchhouse.predict.evaluate import accuracy, flag_cells


def test_hit_rate_and_pai_on_a_hand_made_grid():
    # Ten equal cells; the two riskiest hold 6 of the 10 crimes in the window.
    area = np.full(10, 100.0)
    scores = np.array([9, 8, 1, 1, 1, 1, 1, 1, 1, 1], dtype=float)
    crimes = np.array([4, 2, 0, 1, 0, 1, 0, 1, 0, 1], dtype=float)
    result = accuracy(scores, crimes, area, coverage=0.2)
    assert result.flagged_share == pytest.approx(0.2)
    assert result.hit_rate == pytest.approx(0.6)
    # PAI = (6/10) / (200/1000) = 3
    assert result.pai == pytest.approx(3.0)


def test_flagged_area_never_exceeds_the_coverage_and_uses_clipped_areas():
    area = np.array([100.0, 50.0, 100.0, 100.0])  # the second cell is half outside the study area
    scores = np.array([4.0, 3.0, 2.0, 1.0])
    flagged = flag_cells(scores, area, coverage=0.5)  # 175 m^2 allowed
    assert flagged.tolist() == [True, True, False, False]
    result = accuracy(scores, np.array([1.0, 1.0, 1.0, 1.0]), area, coverage=0.5)
    assert result.flagged_share == pytest.approx(150 / 350)
    assert result.pai == pytest.approx((2 / 4) / (150 / 350))


def test_at_least_one_cell_is_flagged_and_ties_do_not_follow_numbering():
    area = np.full(4, 100.0)
    assert flag_cells(np.zeros(4), area, coverage=0.01).sum() == 1
    many = flag_cells(np.zeros(1000), np.full(1000, 1.0), coverage=0.1)
    # A tie-break by index would flag exactly the first 100 cells.
    assert many.sum() == 100 and not many[:100].all()


def test_coverage_must_be_a_share():
    with pytest.raises(ValueError, match="coverage"):
        flag_cells(np.ones(3), np.ones(3), 1.5)
