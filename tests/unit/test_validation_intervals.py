"""Confidence intervals the gates judge by: known values and the behaviour at the edges."""

from __future__ import annotations

import numpy as np
import pytest

from accrete.validation.intervals import (
    auc_interval,
    difference_interval,
    percentile_interval,
    wilson_interval,
)


def test_wilson_interval_known_value():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)
    assert wilson_interval(0, 100)[0] == 0.0 and wilson_interval(0, 100)[1] > 0.0


def test_difference_interval_holds_the_difference_and_shrinks_with_rows():
    low, high = difference_interval(60, 1_000, 40, 1_000)
    assert low < 0.02 < high
    assert low > 0  # 6% against 4% on 1,000 rows each is a real difference
    wide_low, wide_high = difference_interval(6, 100, 4, 100)
    assert wide_low < 0 < wide_high and wide_high - wide_low > high - low


def test_auc_interval_narrows_with_rows_and_stays_in_bounds():
    low, high = auc_interval(0.6, 1_000, 1_000)
    assert low < 0.6 < high and low > 0.5
    assert auc_interval(0.6, 50, 50)[0] < 0.5
    assert auc_interval(1.0, 10, 10)[1] == 1.0


def test_percentile_interval_brackets_the_quantile():
    values = np.arange(10_000, dtype=float)
    low, high = percentile_interval(values, 0.05)
    assert low < 500 < high and high - low < 100
