"""ETS forms: which are tried, their parameter bounds and their starting values.

The rules are R's ``forecast::ets`` (and statsforecast's ``AutoETS``, which follows it):

* an additive error never goes with a multiplicative season (numerically unstable), and a
  multiplicative error, trend or season needs strictly positive data;
* trends are none or additive (damped or not): multiplicative trends extrapolate explosively
  and R leaves them out by default;
* the usual bounds: alpha, beta, gamma in [1e-4, 0.9999], beta <= alpha, gamma <= 1 - alpha,
  phi in [0.8, 0.98]; together with the admissible region (R's ``bounds = "both"``);
* starting values: R's ``initparam`` for the smoothing parameters and ``initstate`` for the
  states (a classical decomposition of the first years, a line through the first ten
  seasonally adjusted points).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np

from tsforecast.models.ets.likelihood import ADDITIVE, MULTIPLICATIVE, NONE

__all__ = ["Form", "LOWER", "UPPER", "CODE", "initial_parameters", "initial_states", "free_bounds",
           "parameter_count", "seasonal_estimate"]

#: the usual bounds of alpha, beta, gamma, phi (R's defaults)
LOWER = np.array([1e-4, 1e-4, 1e-4, 0.8])
UPPER = np.array([0.9999, 0.9999, 0.9999, 0.98])
#: component letter -> the likelihood's integer code
CODE = {"N": NONE, "A": ADDITIVE, "M": MULTIPLICATIVE}


class Form(NamedTuple):
    """One ETS form: error, trend, seasonal letters and whether the trend is damped."""

    error: str
    trend: str
    seasonal: str
    damped: bool

    @property
    def label(self) -> str:
        """``"MAdM"``: error, trend (``d`` when damped), seasonal."""
        return self.error + self.trend + ("d" if self.damped else "") + self.seasonal


def parameter_count(form: Form, m: int) -> int:
    """Free parameters of ``form`` with season ``m``: smoothing parameters and initial states
    (``m - 1`` seasonal states: the last one follows from the normalisation)."""
    count = 2  # alpha, level
    if form.trend != "N":
        count += 2 + int(form.damped)
    if form.seasonal != "N":
        count += 1 + m - 1
    return count


def initial_parameters(form: Form, m: int) -> np.ndarray:
    """R's ``initparam``: alpha, [beta], [gamma], [phi] near the low end of their ranges
    (alpha ``0.2 / m`` of its range, beta a tenth of alpha's, gamma a twentieth of
    ``1 - alpha``, phi near its top)."""
    m = m if form.seasonal != "N" else 1
    alpha = LOWER[0] + 0.2 * (UPPER[0] - LOWER[0]) / m
    values = [alpha]
    if form.trend != "N":
        top = min(UPPER[1], alpha)
        values.append(LOWER[1] + 0.1 * (top - LOWER[1]))
    if form.seasonal != "N":
        top = min(UPPER[2], 1 - alpha)
        values.append(LOWER[2] + 0.05 * (top - LOWER[2]))
    if form.damped:
        values.append(LOWER[3] + 0.99 * (UPPER[3] - LOWER[3]))
    return np.array(values)


def _fourier_seasonal(y: np.ndarray, m: int, seasonal: str) -> np.ndarray:
    """Seasonal estimate of fewer than three years: a line plus one pair of Fourier terms
    (R's ``initstate`` for short series)."""
    n = len(y)
    t = np.arange(1, n + 1, dtype="float64")
    design = np.column_stack([np.ones(n), t, np.sin(2 * np.pi * t / m), np.cos(2 * np.pi * t / m)])
    if m == 2:  # sin(pi t) is zero: that column carries nothing
        design = design[:, [0, 1, 3]]
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    line = coef[0] + coef[1] * t
    return y - line if seasonal == "A" else y / line


def seasonal_estimate(y: np.ndarray, m: int, seasonal: str) -> np.ndarray:
    """The seasonal component ``initstate`` starts from: a classical decomposition (moving
    averages) when there are three full seasons, else a line with Fourier terms."""
    if len(y) < 3 * m:
        return _fourier_seasonal(y, m, seasonal)
    from statsmodels.tsa.seasonal import seasonal_decompose

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = seasonal_decompose(y, period=m, model="additive" if seasonal == "A" else "multiplicative")
    return np.asarray(parts.seasonal, dtype="float64")


def initial_states(y: np.ndarray, form: Form, m: int, seasonal: np.ndarray | None) -> np.ndarray:
    """R's ``initstate``: level, [slope], [the first ``m - 1`` seasonal states] (the free
    ones); ``seasonal`` is :func:`seasonal_estimate` of the form's seasonal type."""
    n = len(y)
    states: list[float] = []
    if form.seasonal != "N":
        # the seasonal states at time 0, most recent first: estimates of periods m-1 .. 1
        init = seasonal[1:m][::-1].copy()
        if form.seasonal == "A":
            adjusted = y - seasonal
        else:
            init = np.maximum(init, 1e-2)
            if init.sum() > m:
                init = init / np.sum(init + 1e-2)
            adjusted = y / np.maximum(seasonal, 1e-2)
    else:
        init, adjusted = np.empty(0), y
        m = 1
    first = min(max(10, 2 * m), n)
    if form.trend == "N":
        states.append(float(adjusted[:first].mean()))
    else:
        t = np.arange(1, first + 1, dtype="float64")
        slope, level = np.polyfit(t, adjusted[:first], 1)
        if abs(level + slope) < 1e-8:  # a multiplicative error must not see l0 + b0 = 0
            level, slope = level * (1 + 1e-3), slope * (1 - 1e-3)
        states += [float(level), float(slope)]
    return np.concatenate([states, init])


def free_bounds(form: Form, n_free: int) -> tuple[np.ndarray, np.ndarray]:
    """The box the optimiser moves in: the usual bounds for the smoothing parameters, none
    for the states (the objective refuses what the box cannot express)."""
    lower = np.full(n_free, -np.inf)
    upper = np.full(n_free, np.inf)
    j = 0
    for index, present in enumerate((True, form.trend != "N", form.seasonal != "N", form.damped)):
        if present:
            lower[j], upper[j] = LOWER[index], UPPER[index]
            j += 1
    return lower, upper
