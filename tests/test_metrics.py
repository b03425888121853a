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
    mase_with_scale,
    rmse,
    rmsse,
    scaled_errors,
    seasonal_naive_scale,
    seasonal_naive_scales,
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


@settings(max_examples=50, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=40),
    season=st.integers(1, 8),
    cuts=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=6),
)
def test_seasonal_naive_scales_of_many_windows_match_a_plain_loop(values, season, cuts):
    y = np.asarray(values)
    starts = [min(a, b, len(y)) for a, b in cuts]
    ends = [min(max(a, b), len(y)) for a, b in cuts]
    expected = []
    for start, end in zip(starts, ends, strict=True):
        window = y[start:end]
        expected.append(np.mean(np.abs(window[season:] - window[:-season])) if len(window) > season else np.nan)
    np.testing.assert_allclose(seasonal_naive_scales(y, starts, ends, season), expected, rtol=1e-9, atol=1e-9)


def test_mase_with_scale_divides_each_error_by_its_own_fold_scale():
    true, pred = [1.0, 2.0, 10.0, 10.0], [2.0, 4.0, 13.0, 9.0]
    scale = [1.0, 1.0, 3.0, 3.0]  # two folds of two points, scales 1 and 3
    np.testing.assert_allclose(scaled_errors(true, pred, scale), [1.0, 2.0, 1.0, 1 / 3])
    assert mase_with_scale(true, pred, scale) == pytest.approx((1 + 2 + 1 + 1 / 3) / 4)
    assert mase_with_scale(true, pred, 2.0) == pytest.approx((1 + 2 + 3 + 1) / 4 / 2)
    # a constant training window (scale 0) or a window too short for one (NaN) has no MASE
    assert math.isnan(mase_with_scale(true, pred, [1.0, 1.0, 0.0, 0.0]))
    assert math.isnan(mase_with_scale(true, pred, [1.0, 1.0, np.nan, np.nan]))
    assert math.isnan(mase_with_scale([], [], 1.0))
    with pytest.raises(ConfigError, match="season must be at least 1"):
        seasonal_naive_scale([1.0, 2.0], 0)


def test_winkler_score_refuses_a_coverage_outside_zero_and_one():
    for coverage in (0.0, 1.0, 80, True):
        with pytest.raises(ConfigError, match="coverage must be a number strictly between 0 and 1"):
            winkler_score([1.0], lower=[0.0], upper=[2.0], coverage=coverage)


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


def test_a_zero_scale_gives_nan_terms_without_a_numpy_warning():
    """A constant training window has no MASE scale; its points drop out of the average
    silently (no RuntimeWarning reaching the user of a panel report)."""
    import warnings

    from tsforecast.evaluation.metrics import mase_with_scale, scaled_errors

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        terms = scaled_errors([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], [0.0, 0.0, 2.0])
    assert not np.isfinite(terms[:2]).any() and terms[2] == pytest.approx(0.0)
    assert np.isnan(mase_with_scale([1.0, 2.0], [1.0, 2.5], [0.0, 1.0]))
    with pytest.raises(ConfigError):
        mase_with_scale([1.0, 2.0], [1.0], 0.0)  # mismatched lengths are an error, whatever the scale


# integers: an exact zero scale is then exactly zero for the loop and the function alike
@given(st.lists(st.integers(0, 100), min_size=3, max_size=30), st.lists(st.floats(-50, 50), min_size=1, max_size=8),
       st.integers(1, 2))
def test_rmsse_matches_a_naive_loop(train, errors, season):
    """RMSSE (M5): RMSE over the root mean squared seasonal difference of the training data."""
    true = [train[-1] + e for e in errors]
    pred = [train[-1]] * len(errors)
    diffs = [(train[i] - train[i - season]) ** 2 for i in range(season, len(train))]
    scale = sum(diffs) / len(diffs) if diffs else 0.0
    got = rmsse(true, pred, y_train=train, season=season)
    if not diffs or scale == 0:
        assert math.isnan(got)
    else:
        expected = math.sqrt(sum(e * e for e in errors) / len(errors) / scale)
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_rmsse_prefers_the_rate_to_zero_on_intermittent_demand():
    """Why intermittent demand is scored with squared errors too: MAE prefers forecasting 0."""
    train = [0, 0, 4, 0, 0, 0, 4, 0, 0, 4] * 3
    test = [0, 0, 4, 0, 0, 4, 0, 0]
    rate = [sum(train) / len(train)] * len(test)
    zero = [0.0] * len(test)
    assert mase(test, zero, y_train=train) < mase(test, rate, y_train=train)
    assert rmsse(test, rate, y_train=train) < rmsse(test, zero, y_train=train)
    with pytest.raises(ConfigError, match="y_train"):
        rmsse(test, rate)
