"""Seasonal adjustment by STL, one seasonal period or several (R's ``forecast::mstl``).

:func:`seasonal_adjust` splits a series into one seasonal component per period and the
seasonally adjusted rest (trend plus remainder), so that a model without seasonal states (ETS
on a 52-week year, a trend model under MSTL) can forecast the adjusted series and the seasonal
components be carried forward (:func:`repeat_seasonal`), as statsforecast's ``MSTL`` does with
its trend forecaster. The decomposition is statsmodels' ``STL``, with R's ``mstl`` settings:
seasonal windows 11, 15, 19, ... (``7 + 4 k``, shortest period first), a locally constant
seasonal fit (``seasonal_deg=0``) and two passes when there are several periods.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from tsforecast.core.errors import ConfigError, DataError

__all__ = ["seasonal_adjust", "repeat_seasonal"]


def seasonal_adjust(y: np.ndarray, periods: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal components and the seasonally adjusted series of ``y``.

    Parameters
    ----------
    y
        The series (finite floats).
    periods
        Observations per seasonal cycle, one or several (e.g. ``[48, 336]`` for half-hourly
        data with daily and weekly seasons); each at least 2, and the series at least two
        cycles of the longest.

    Returns
    -------
    (seasonal, adjusted)
        ``seasonal`` of shape ``(len(periods), len(y))``, its rows in the order of
        ``sorted(periods)``; ``adjusted = y - seasonal.sum(axis=0)``.
    """
    from statsmodels.tsa.seasonal import STL

    values = np.asarray(y, dtype="float64")
    ordered = sorted(int(p) for p in periods)
    if not ordered or ordered[0] < 2:
        raise ConfigError(f"seasonal_adjust: periods must be integers of at least 2, got {list(periods)}.")
    if not np.isfinite(values).all():
        raise DataError("seasonal_adjust: the series holds missing or infinite values; fill them first.")
    if len(values) < 2 * ordered[-1]:
        raise DataError(f"seasonal_adjust: a seasonal period of {ordered[-1]} needs at least "
                        f"{2 * ordered[-1]} observations (two cycles); the series has {len(values)}.")
    seasonal = np.zeros((len(ordered), len(values)))
    adjusted = values.copy()
    passes = 1 if len(ordered) == 1 else 2
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for _ in range(passes):
            for i, period in enumerate(ordered):
                adjusted = adjusted + seasonal[i]
                fit = STL(adjusted, period=period, seasonal=7 + 4 * (i + 1), seasonal_deg=0).fit()
                seasonal[i] = np.asarray(fit.seasonal, dtype="float64")
                adjusted = adjusted - seasonal[i]
    return seasonal, adjusted


def repeat_seasonal(seasonal: np.ndarray, period: int, steps: int) -> np.ndarray:
    """The next ``steps`` values of one seasonal component: its last cycle of ``period``
    observations repeated (statsforecast's MSTL forecasts its seasonals this way)."""
    values = np.asarray(seasonal, dtype="float64")
    if len(values) < period:
        raise DataError(f"repeat_seasonal: a component of {len(values)} values holds no full cycle of {period}.")
    cycle = values[len(values) - period:]
    return cycle[np.arange(steps) % period]
