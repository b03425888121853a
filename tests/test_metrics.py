"""Metrics against hand-computed references and a naive loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.core.errors import ConfigError
from tsforecast.evaluation.metrics import (
    interval_coverage,
    mae,
    mape,
    mase,
    rmse,
    seasonal_naive_scale,
    smape,
    winkler_score,
)
from tsforecast.evaluation.significance import diebold_mariano

TRUE = [10.0, 20.0, 30.0, 0.0]
PRED = [12.0, 18.0, 33.0, 1.0]


def test_hand_computed_values():
    assert mae(TRUE, PRED) == pytest.approx((2 + 2 + 3 + 1) / 4)
    assert rmse(TRUE, PRED) == pytest.approx(math.sqrt((4 + 4 + 9 + 1) / 4))
    # the zero actual is left out of MAPE
    assert mape(TRUE, PRED) == pytest.approx(100 * (0.2 + 0.1 + 0.1) / 3)
    assert smape(TRUE, PRED) == pytest.approx(100 * (4 / 22 + 4 / 38 + 6 / 63 + 2 / 1) / 4)
    assert smape([0.0], [0.0]) == 0.0
    assert math.isnan(mape([0.0, 0.0], [1.0, 2.0]))


def test_mase_scales_by_in_sample_seasonal_naive():
    train = [1.0, 2.0, 4.0, 3.0, 5.0, 7.0]  # season 2 diffs: 3, 1, 1, 4 -> mean 2.25
    assert seasonal_naive_scale(train, 2) == pytest.approx(2.25)
    assert mase([1.0, 2.0], [2.0, 4.5], y_train=train, season=2) == pytest.approx(1.75 / 2.25)
    assert math.isnan(mase([1.0], [2.0], y_train=[3.0, 3.0, 3.0], season=1))
    with pytest.raises(ConfigError, match="y_train"):
        mase([1.0], [1.0])


def test_interval_metrics():
    true = [1.0, 5.0, 10.0]
    lower, upper = [0.0, 6.0, 8.0], [2.0, 7.0, 9.0]
    assert interval_coverage(true, lower=lower, upper=upper) == pytest.approx(1 / 3)
    # alpha = 0.2: widths 2, 1, 1; misses 0, 1 below, 1 above -> penalties 0, 10, 10
    assert winkler_score(true, lower=lower, upper=upper, coverage=0.8) == pytest.approx((2 + 11 + 11) / 3)


def test_length_mismatch_is_clear():
    with pytest.raises(ConfigError, match="3 values but y_pred has 2"):
        mae([1, 2, 3], [1, 2])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6)), min_size=1, max_size=40))
def test_metrics_match_a_naive_loop(pairs):
    true = [a for a, _ in pairs]
    pred = [b for _, b in pairs]
    assert mae(true, pred) == pytest.approx(sum(abs(a - b) for a, b in pairs) / len(pairs), abs=1e-6)
    assert rmse(true, pred) == pytest.approx(math.sqrt(sum((a - b) ** 2 for a, b in pairs) / len(pairs)), abs=1e-6)
    assert 0 <= smape(true, pred) <= 200


def test_diebold_mariano_detects_a_real_difference():
    rng = np.random.default_rng(0)
    small, large = rng.normal(0, 1, 200), rng.normal(0, 3, 200)
    assert diebold_mariano(small, large).p_value < 0.01
    same = diebold_mariano(small, small)
    assert same.p_value == 1.0
    alike = diebold_mariano(rng.normal(0, 1, 200), rng.normal(0, 1, 200))
    assert alike.p_value > 0.01
