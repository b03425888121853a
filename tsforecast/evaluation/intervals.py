"""Central intervals and the quantile levels that bound them: one place for each rule.

A central interval holding ``coverage`` of a forecast distribution is bounded by its
``(1 - coverage) / 2`` and ``(1 + coverage) / 2`` quantiles. Those levels are rounded to 12
decimals everywhere (:func:`interval_bounds`), so that ``0.8`` always gives the levels ``0.1``
and ``0.9`` that the forecast frame's columns (``q0.1``, ``q0.9``) and the recorded
:data:`QUANTILE_LEVELS` use, never ``0.09999999999999998``. The normal quantile of a coverage
(:func:`normal_z`) is written once here too, with the intervals and quantiles of normal
forecast distributions built on it (:func:`normal_interval`, :func:`normal_quantiles`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from scipy.special import ndtri

__all__ = [
    "QUANTILE_LEVELS", "interval_bounds", "central_coverage", "quantile_levels", "interval_columns", "normal_z",
    "normal_interval", "normal_quantiles",
]

#: forecast quantiles every backtest records: the bounds of the 50, 80, 90 and 95% central
#: intervals and the median, for pinball loss, CRPS and the calibration of several levels
QUANTILE_LEVELS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)

# decimals the bounds are rounded to: far below any level a user writes, far above the
# floating-point noise of 1 - coverage
_DECIMALS = 12


def interval_bounds(coverage: float) -> tuple[float, float]:
    """The quantile levels ``(lower, upper)`` of the central interval holding ``coverage``
    (``0.8`` -> ``(0.1, 0.9)``), rounded so equal coverages give equal levels."""
    return round((1 - coverage) / 2, _DECIMALS), round((1 + coverage) / 2, _DECIMALS)


def central_coverage(level: float) -> float:
    """The coverage of the central interval that quantile ``level`` bounds, ``|2 level - 1|``
    (``0.9`` and ``0.1`` -> ``0.8``), rounded as :func:`interval_bounds` rounds, so the two
    are inverses on the recorded levels."""
    return round(abs(2 * level - 1), _DECIMALS)


def quantile_levels(coverage: float) -> tuple[float, ...]:
    """:data:`QUANTILE_LEVELS` plus the bounds of the ``coverage`` interval, sorted."""
    return tuple(sorted(set(QUANTILE_LEVELS) | set(interval_bounds(coverage))))


def interval_columns(coverage: float) -> tuple[tuple[float, ...], int, int]:
    """The quantile levels a backtest records (:func:`quantile_levels`), and the positions of
    the ``coverage`` interval's bounds among them."""
    levels = quantile_levels(coverage)
    lower, upper = interval_bounds(coverage)
    return levels, levels.index(lower), levels.index(upper)


def normal_z(coverage: float | np.ndarray) -> float | np.ndarray:
    """The standard normal quantile bounding the central interval that holds ``coverage``:
    ``Phi^-1(0.5 + coverage / 2)`` (1.2816 for 0.8). ``coverage`` may be a float or an array.

    ``scipy.special.ndtri`` is ``scipy.stats.norm.ppf``'s kernel without its argument checks
    (the same numbers, bit for bit, at a fraction of the cost on the hot path)."""
    return ndtri(0.5 + coverage / 2)


def normal_interval(
    mean: np.ndarray, sigma: np.ndarray, coverage: float
) -> tuple[np.ndarray, np.ndarray]:
    """Central interval of a normal forecast distribution holding ``coverage`` of its mass."""
    z = normal_z(coverage)
    return mean - z * sigma, mean + z * sigma


def normal_quantiles(mean: np.ndarray, sigma: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Quantiles ``levels`` of normal forecast distributions, shape ``(len(mean), len(levels))``:
    exactly the bounds :func:`normal_interval` gives for the central interval holding
    ``|2q - 1|`` (so an interval and the quantiles of its bounds agree to the last bit), and
    the mean at 0.5."""
    z = _standard_normal_quantiles(tuple(float(q) for q in levels))
    return np.asarray(mean)[:, None] + np.asarray(sigma)[:, None] * z[None, :]


@functools.lru_cache(maxsize=64)
def _standard_normal_quantiles(levels: tuple[float, ...]) -> np.ndarray:
    """The z of each level, as :func:`normal_interval` computes it for the interval it bounds."""
    coverage = np.array([central_coverage(level) for level in levels])
    z = np.where(np.asarray(levels) < 0.5, -1.0, 1.0) * normal_z(coverage)
    z[np.asarray(levels) == 0.5] = 0.0
    z.flags.writeable = False  # shared by every caller
    return z
