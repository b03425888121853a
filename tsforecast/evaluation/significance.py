"""Is one model's accuracy really different from another's? The Diebold-Mariano test."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["DieboldMarianoResult", "diebold_mariano", "loss_differential_test", "origin_lags"]


@dataclass(frozen=True)
class DieboldMarianoResult:
    """Test statistic, two-sided p-value and mean loss difference (negative: first is better)."""

    statistic: float
    p_value: float
    mean_difference: float
    n: int


def origin_lags(horizon: int, step: int) -> int:
    """Autocovariance lags of a per-origin loss differential: forecasts from origins ``step``
    apart share ``horizon - step`` target timestamps, so origins fewer than
    ``ceil(horizon / step)`` apart are correlated."""
    return max(math.ceil(horizon / step) - 1, 0)


def loss_differential_test(differential: ArrayLike, lags: int = 0) -> DieboldMarianoResult:
    """Diebold-Mariano test that the mean of a loss differential series ``d_t`` is zero.

    ``d_t`` must be in time order. The long-run variance uses autocovariances up to ``lags``
    (rectangular kernel, as Diebold and Mariano; the lag-0 variance where that comes out
    non-positive), the statistic has the Harvey-Leybourne-Newbold small-sample correction and
    is compared with a Student t distribution with n - 1 degrees of freedom.
    """
    d = np.asarray(differential, dtype="float64").reshape(-1)
    n = d.size
    mean = float(d.mean()) if n else float("nan")
    if n < 3:
        return DieboldMarianoResult(float("nan"), float("nan"), mean, n)
    centred = d - mean
    lags = min(max(lags, 0), n - 1)
    gamma = [float(np.dot(centred[k:], centred[: n - k]) / n) for k in range(lags + 1)]
    variance = (gamma[0] + 2 * sum(gamma[1:])) / n
    if variance <= 0:
        variance = gamma[0] / n
    if variance <= 0:
        # identical losses: no evidence of a difference
        return DieboldMarianoResult(0.0, 1.0, mean, n)
    h = lags + 1
    correction = np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    statistic = mean / np.sqrt(variance) * correction
    p_value = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return DieboldMarianoResult(float(statistic), p_value, mean, n)


def diebold_mariano(
    errors_a: ArrayLike, errors_b: ArrayLike, *, horizon: int = 1, power: int = 2
) -> DieboldMarianoResult:
    """The classical test on one sequence of ``horizon``-step forecast errors of two models.

    ``errors_a`` and ``errors_b`` are errors on the same target times, in time order, each
    made ``horizon`` steps ahead; the loss is ``|e|**power`` and overlapping h-step forecasts
    make ``d_t`` autocorrelated up to lag ``horizon - 1``.
    """
    a = np.abs(np.asarray(errors_a, dtype="float64")) ** power
    b = np.abs(np.asarray(errors_b, dtype="float64")) ** power
    return loss_differential_test(a - b, lags=horizon - 1)
