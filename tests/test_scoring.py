"""Pinball loss and CRPS (tsforecast.evaluation.scoring) against hand-computed values, the
normal distribution's closed-form CRPS, each other, and their defining properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from tsforecast.core.errors import ConfigError
from tsforecast.evaluation.scoring import crps_from_quantiles, crps_from_samples, pinball_loss

LEVELS = (0.1, 0.5, 0.9)
# levels dense enough for the integral of the pinball loss (step 0.0005, tails below 0.00025)
DENSE = tuple(np.round(np.arange(1, 2000) / 2000, 6))


def normal_crps(y: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The closed form (Gneiting & Raftery 2007): sigma (z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi))."""
    z = (y - mu) / sigma
    return sigma * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / math.sqrt(math.pi))


# ------------------------------------------------------------------ pinball loss
def test_pinball_loss_by_hand():
    # y = 10 against quantiles 8, 10, 13: errors 2, 0, -3 -> 0.1*2, 0, 0.1*3
    assert pinball_loss([10.0], [[8.0, 10.0, 13.0]], LEVELS) == pytest.approx((0.2 + 0.0 + 0.3) / 3)
    # y = 0 against 1, 2, 3 (every quantile above): (1-q)*|e| -> 0.9*1, 0.5*2, 0.1*3
    assert pinball_loss([0.0], [[1.0, 2.0, 3.0]], LEVELS) == pytest.approx((0.9 + 1.0 + 0.3) / 3)
    # both points: the mean over all six (point, level) pairs
    both = pinball_loss([10.0, 0.0], [[8.0, 10.0, 13.0], [1.0, 2.0, 3.0]], LEVELS)
    assert both == pytest.approx((0.5 + 2.2) / 6)


def test_pinball_loss_at_the_median_is_half_the_absolute_error():
    true, pred = np.array([3.0, -1.0, 7.5]), np.array([1.0, 2.0, 7.5])
    assert pinball_loss(true, pred[:, None], [0.5]) == pytest.approx(np.mean(np.abs(true - pred)) / 2)


def test_pinball_loss_penalises_the_side_its_level_says():
    # at the 0.9 quantile a forecast too low costs nine times one as much too high
    low = pinball_loss([10.0], [[9.0]], [0.9])
    high = pinball_loss([10.0], [[11.0]], [0.9])
    assert low == pytest.approx(0.9) and high == pytest.approx(0.1)


def test_levels_must_match_the_columns_and_be_sorted():
    with pytest.raises(ConfigError, match="one column per level"):
        pinball_loss([1.0], [[1.0, 2.0]], LEVELS)
    with pytest.raises(ConfigError, match="one column per level"):
        crps_from_quantiles([1.0], [[1.0, 2.0, 3.0]], (0.9, 0.5, 0.1))


def test_no_points_score_nan():
    assert math.isnan(pinball_loss([], np.empty((0, 3)), LEVELS))
    assert math.isnan(crps_from_quantiles([], np.empty((0, 3)), LEVELS))
    assert math.isnan(crps_from_samples([], np.empty((0, 5))))


# ------------------------------------------------------------------ CRPS of a normal
MU = np.array([0.0, 10.0, -5.0, 100.0, 3.0])
SIGMA = np.array([1.0, 2.0, 0.5, 30.0, 4.0])
Y = np.array([0.3, 7.0, -5.1, 160.0, 3.0])  # within a sigma, beyond it, two sigmas out, at the mean


def test_crps_from_samples_of_a_normal_matches_the_closed_form():
    draws = MU[:, None] + SIGMA[:, None] * np.random.default_rng(0).standard_normal((len(MU), 40_000))
    expected = normal_crps(Y, MU, SIGMA)
    for k in range(len(Y)):
        # one point at a time: each within about 1% (Monte Carlo error of 40,000 draws)
        assert crps_from_samples(Y[k : k + 1], draws[k : k + 1]) == pytest.approx(expected[k], rel=0.015)
    assert crps_from_samples(Y, draws) == pytest.approx(expected.mean(), rel=0.01)


def test_crps_from_quantiles_of_a_normal_matches_the_closed_form():
    levels = np.asarray(DENSE)
    quantiles = MU[:, None] + SIGMA[:, None] * norm.ppf(levels)[None, :]
    expected = normal_crps(Y, MU, SIGMA)
    for k in range(len(Y)):
        assert crps_from_quantiles(Y[k : k + 1], quantiles[k : k + 1], DENSE) == pytest.approx(expected[k], rel=2e-3)


def test_a_coarse_grid_of_quantiles_scores_close_to_the_closed_form_but_not_on_it():
    # the nine levels a backtest records: the tails beyond 2.5% and 97.5% are not scored
    levels = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)
    quantiles = MU[:, None] + SIGMA[:, None] * norm.ppf(levels)[None, :]
    coarse = crps_from_quantiles(Y, quantiles, levels)
    exact = normal_crps(Y, MU, SIGMA).mean()
    assert coarse == pytest.approx(exact, rel=0.15) and coarse != pytest.approx(exact, rel=1e-3)


def test_the_two_crps_forms_agree_on_a_skewed_distribution():
    # gamma draws per point; the quantile form reads the samples' own empirical quantiles
    rng = np.random.default_rng(1)
    shape = np.array([0.7, 2.0, 5.0])
    draws = rng.gamma(shape[:, None], 3.0, size=(3, 40_000))
    y = np.array([0.5, 6.0, 30.0])
    quantiles = np.quantile(draws, DENSE, axis=1).T
    assert crps_from_quantiles(y, quantiles, DENSE) == pytest.approx(crps_from_samples(y, draws), rel=5e-3)


def test_crps_of_a_point_forecast_is_the_absolute_error():
    y, f = np.array([3.0, -2.0, 10.0]), np.array([5.0, -2.0, 4.0])
    assert crps_from_samples(y, np.repeat(f[:, None], 7, axis=1)) == pytest.approx(np.mean(np.abs(y - f)))
    # symmetric levels: 2 * integral of the pinball loss of a constant is |e|
    symmetric = (0.1, 0.3, 0.5, 0.7, 0.9)
    assert crps_from_quantiles(y, np.repeat(f[:, None], 5, axis=1), symmetric) == pytest.approx(
        np.mean(np.abs(y - f)))


# ------------------------------------------------------------------ properties
finite = st.floats(-1e4, 1e4, allow_nan=False)


@st.composite
def forecasts(draw):
    """(actuals, sample draws, sorted quantile values at LEVELS) for a few points."""
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 12))
    y = np.array(draw(st.lists(finite, min_size=n, max_size=n)))
    samples = np.array(draw(st.lists(st.lists(finite, min_size=m, max_size=m), min_size=n, max_size=n)))
    quantiles = np.sort(np.array(draw(st.lists(st.lists(finite, min_size=3, max_size=3), min_size=n,
                                                       max_size=n))), axis=1)
    return y, samples, quantiles


@settings(max_examples=100, deadline=None)
@given(forecasts())
def test_scores_are_never_negative(case):
    y, samples, quantiles = case
    tolerance = 1e-9 * (1 + np.abs(samples).max() + np.abs(y).max())  # rounding of the sorted-sample form
    assert crps_from_samples(y, samples) >= -tolerance
    assert crps_from_quantiles(y, quantiles, LEVELS) >= 0
    assert pinball_loss(y, quantiles, LEVELS) >= 0


@settings(max_examples=100, deadline=None)
@given(st.lists(finite, min_size=1, max_size=8), st.integers(1, 10))
def test_a_perfect_point_forecast_scores_zero(values, m):
    y = np.array(values)
    exact = np.repeat(y[:, None], m, axis=1)
    assert crps_from_samples(y, exact) == pytest.approx(0.0, abs=1e-9)
    assert crps_from_quantiles(y, exact[:, :1].repeat(3, axis=1), LEVELS) == 0.0
    assert pinball_loss(y, exact[:, :1].repeat(3, axis=1), LEVELS) == 0.0


@settings(max_examples=100, deadline=None)
@given(forecasts(), st.floats(1e-3, 1e3), finite)
def test_scores_scale_with_the_data_and_ignore_a_shift(case, factor, shift):
    y, samples, quantiles = case
    for score, args in ((crps_from_samples, (samples,)), (crps_from_quantiles, (quantiles, LEVELS)),
                        (pinball_loss, (quantiles, LEVELS))):
        base = score(y, *args)
        scaled = score(factor * y, *(factor * a if isinstance(a, np.ndarray) else a for a in args))
        shifted = score(y + shift, *(a + shift if isinstance(a, np.ndarray) else a for a in args))
        size = 1e-9 * (1 + np.abs(y).max() + np.abs(args[0]).max() + abs(shift))
        assert scaled == pytest.approx(factor * base, rel=1e-9, abs=factor * size)
        assert shifted == pytest.approx(base, rel=1e-9, abs=size * 10)
