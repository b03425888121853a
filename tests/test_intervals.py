"""Interval bounds, recorded quantile levels and the normal z: one rule each
(tsforecast.evaluation.intervals)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from tsforecast.evaluation.intervals import (
    QUANTILE_LEVELS,
    central_coverage,
    interval_bounds,
    interval_columns,
    normal_z,
    quantile_levels,
)


def test_bounds_are_the_rounded_tails_of_the_central_interval():
    assert interval_bounds(0.8) == (0.1, 0.9)  # not 0.09999999999999998
    assert interval_bounds(0.95) == (0.025, 0.975)
    assert interval_bounds(0.5) == (0.25, 0.75)


def test_levels_add_the_coverage_bounds_to_the_recorded_ones():
    assert quantile_levels(0.8) == QUANTILE_LEVELS  # its bounds are recorded already
    levels = quantile_levels(0.7)
    assert levels == tuple(sorted((*QUANTILE_LEVELS, 0.15, 0.85)))
    recorded, lower_at, upper_at = interval_columns(0.7)
    assert recorded == levels and (levels[lower_at], levels[upper_at]) == (0.15, 0.85)


@settings(max_examples=100, deadline=None)
@given(st.floats(1e-6, 1 - 1e-6))
def test_normal_z_is_the_normal_quantile_of_the_upper_bound(coverage):
    z = normal_z(coverage)
    assert z == pytest.approx(norm.ppf(0.5 + coverage / 2), rel=1e-12)
    # the central interval [-z, z] holds the coverage
    assert norm.cdf(z) - norm.cdf(-z) == pytest.approx(coverage, abs=1e-9)


def test_normal_z_takes_arrays():
    np.testing.assert_allclose(normal_z(np.array([0.8, 0.95])), [1.2815515655446004, 1.959963984540054])


def test_central_coverage_inverts_the_bounds_on_every_recorded_level():
    for level in QUANTILE_LEVELS:
        if level != 0.5:
            coverage = central_coverage(level)
            assert level in interval_bounds(coverage)
    assert central_coverage(0.9) == central_coverage(0.1) == 0.8


def test_normal_quantiles_equal_the_bounds_of_the_normal_interval_bit_for_bit():
    from tsforecast.evaluation.intervals import normal_interval, normal_quantiles
    from tsforecast.models import base

    mean, sigma = np.array([10.0, -3.0, 0.0]), np.array([1.0, 2.5, 0.0])
    levels = quantile_levels(0.7)
    quantiles = normal_quantiles(mean, sigma, levels)
    for coverage in (0.5, 0.7, 0.8, 0.9, 0.95):
        lower, upper = normal_interval(mean, sigma, coverage)
        low_at, up_at = (levels.index(b) for b in interval_bounds(coverage))
        np.testing.assert_array_equal(quantiles[:, low_at], lower)
        np.testing.assert_array_equal(quantiles[:, up_at], upper)
    np.testing.assert_array_equal(quantiles[:, levels.index(0.5)], mean)
    # the models' old import path names the same functions
    assert (base.normal_interval, base.normal_quantiles) == (normal_interval, normal_quantiles)
