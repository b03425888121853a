"""Scores of probabilistic forecasts: pinball (quantile) loss and CRPS.

Point metrics live in :mod:`tsforecast.evaluation.metrics`; these take a forecast *distribution*, as
quantiles at given levels or as sample paths. Lower is better for both; both are in the
data's units, and CRPS reduces to the absolute error for a point forecast.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from tsforecast.core.errors import ConfigError
from tsforecast.core.params import check_quantiles

__all__ = ["pinball_loss", "pinball_losses", "crps_from_quantiles", "crps_from_samples"]


def _quantile_inputs(
    y_true: ArrayLike, y_quantiles: ArrayLike, quantiles: Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    true = np.asarray(y_true, dtype="float64").reshape(-1)
    levels = np.asarray(quantiles, dtype="float64")
    values = np.asarray(y_quantiles, dtype="float64")
    # no points: numpy cannot infer the columns of an empty reshape, and there are none to read
    values = values.reshape(len(true), -1) if true.size or values.size else values.reshape(0, len(levels))
    if check_quantiles(list(levels)) != tuple(levels) or values.shape[1] != len(levels):
        raise ConfigError(
            f"y_quantiles needs one column per level, levels sorted and distinct; got {values.shape[1]} "
            f"columns for levels {list(levels)}."
        )
    return true, values, levels


def pinball_loss(y_true: ArrayLike, y_quantiles: ArrayLike, quantiles: Sequence[float]) -> float:
    """Mean pinball loss over points and levels: for level ``q`` and error ``e = y - f``,
    ``max(q e, (q - 1) e)``. ``y_quantiles`` has one row per point, one column per level."""
    true, values, levels = _quantile_inputs(y_true, y_quantiles, quantiles)
    return float(np.mean(_pinball(true, values, levels))) if true.size else float("nan")


def pinball_losses(y_true: ArrayLike, y_quantiles: ArrayLike, quantiles: Sequence[float]) -> np.ndarray:
    """The pinball loss of each point, averaged over its levels (:func:`pinball_loss` is the
    mean of these): for scoring forecasts one by one as their actuals arrive."""
    true, values, levels = _quantile_inputs(y_true, y_quantiles, quantiles)
    return _pinball(true, values, levels).mean(axis=1) if true.size else np.empty(0)


def _pinball(true: np.ndarray, values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    error = true[:, None] - values
    return np.maximum(levels * error, (levels - 1) * error)


def crps_from_quantiles(y_true: ArrayLike, y_quantiles: ArrayLike, quantiles: Sequence[float]) -> float:
    """CRPS approximated from quantiles: ``CRPS = 2 * integral over q of the pinball loss``,
    integrated over the given levels with trapezoid weights (each level stands for the
    stretch of [0, 1] halfway to its neighbours). Exact in the limit of a dense grid; the
    tails beyond the outermost levels are not scored."""
    true, values, levels = _quantile_inputs(y_true, y_quantiles, quantiles)
    if not true.size:
        return float("nan")
    edges = np.concatenate([[0.0], (levels[1:] + levels[:-1]) / 2, [1.0]])
    weights = np.diff(edges)
    return float(np.mean(2 * _pinball(true, values, levels) @ weights))


def crps_from_samples(y_true: ArrayLike, samples: ArrayLike) -> float:
    """Mean CRPS of sampled forecast distributions: ``E|X - y| - E|X - X'| / 2`` per point,
    with ``samples`` one row per point and one column per draw (the energy form, computed
    from sorted samples in ``O(m log m)``)."""
    true = np.asarray(y_true, dtype="float64").reshape(-1)
    if not true.size:
        return float("nan")
    draws = np.sort(np.asarray(samples, dtype="float64").reshape(len(true), -1), axis=1)
    m = draws.shape[1]
    if m == 0:
        return float("nan")
    spread_weights = (2 * np.arange(1, m + 1) - m - 1) / m**2  # E|X - X'| = 2 * sum w_i x_(i)
    score = np.mean(np.abs(draws - true[:, None]), axis=1) - draws @ spread_weights
    return float(np.mean(score))
