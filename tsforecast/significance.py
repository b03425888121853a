"""Is one model's accuracy really different from another's? The Diebold-Mariano test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

__all__ = ["DieboldMarianoResult", "diebold_mariano"]


@dataclass(frozen=True)
class DieboldMarianoResult:
    """Test statistic, two-sided p-value and mean loss difference (negative: first is better)."""

    statistic: float
    p_value: float
    mean_difference: float
    n: int


def diebold_mariano(
    errors_a: ArrayLike, errors_b: ArrayLike, *, horizon: int = 1, power: int = 2
) -> DieboldMarianoResult:
    """Diebold-Mariano test of equal accuracy with the Harvey-Leybourne-Newbold correction.

    ``errors_a`` and ``errors_b`` are forecast errors on the same points in time order. The
    loss is ``|e|**power``; the long-run variance of the loss difference uses autocovariances
    up to lag ``horizon - 1`` (h-step forecasts overlap), and the statistic is compared with a
    Student t distribution with n - 1 degrees of freedom.
    """
    a = np.abs(np.asarray(errors_a, dtype="float64")) ** power
    b = np.abs(np.asarray(errors_b, dtype="float64")) ** power
    d = a - b
    n = d.size
    mean = float(d.mean()) if n else float("nan")
    if n < 3:
        return DieboldMarianoResult(float("nan"), float("nan"), mean, n)
    centred = d - mean
    lags = min(max(horizon - 1, 0), n - 1)
    gamma = [float(np.dot(centred[k:], centred[: n - k]) / n) for k in range(lags + 1)]
    variance = (gamma[0] + 2 * sum(gamma[1:])) / n
    if variance <= 0:
        # the truncated long-run variance can come out non-positive; fall back to the
        # lag-0 variance, as common implementations do
        variance = gamma[0] / n
    if variance <= 0:
        # identical losses: no evidence of a difference
        return DieboldMarianoResult(0.0, 1.0, mean, n)
    statistic = mean / np.sqrt(variance)
    h = lags + 1
    correction = np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    statistic *= correction
    p_value = float(2 * stats.t.sf(abs(statistic), df=n - 1))
    return DieboldMarianoResult(float(statistic), p_value, mean, n)
