"""The numerics of the four Theta models of Fiorucci, Pellegrini, Louzada, Petropoulos and
Koehler (2016, "Models for optimising the theta method and their relationship to state space
models", IJF), compiled with numba: the state recursion, its forecast and a Nelder-Mead fit.

Every model forecasts ``mu_t = level_{t-1} + (1 - 1/theta) (A (1-alpha)^t + B (1 - (1-alpha)^(t+1)) / alpha)``:
simple exponential smoothing (``level``, weight ``alpha``) plus a share of the linear trend
``A + B t``. The *standard* models (STM, OTM) take ``A`` and ``B`` from a least-squares line
through the whole series; the *dynamic* ones (DSTM, DOTM) update them with each observation
(the line through the values so far). STM and DSTM fix ``theta = 2`` (the classic Theta
method); OTM and DOTM estimate it (>= 1). The initial level and ``alpha`` are estimated in all
four. Fits minimise the sum of squared one-step errors from the fourth observation on (the
first three only start the dynamic line), divided by the series' mean absolute value, as
statsforecast's ``AutoTheta`` does, with its starting point (level ``y_0 / 2``, alpha 0.5,
theta 2), bounds (alpha in [0.1, 0.99], theta >= 1) and Nelder-Mead settings, so the same
model on the same data lands on the same numbers.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["DOTM", "DSTM", "MODEL_NAMES", "OTM", "STM", "fit_theta_model", "theta_forecast", "theta_paths",
           "theta_states"]

STM, OTM, DSTM, DOTM = 0, 1, 2, 3
#: the models by code, in the order they are tried
MODEL_NAMES = ("STM", "OTM", "DSTM", "DOTM")
# statsforecast's search: bounds per parameter (initial level, alpha, theta) and its
# Nelder-Mead settings (first step 5% of each start value, 1e-4 where it is zero)
_LOWER = np.array([-1e10, 0.1, 1.0])
_UPPER = np.array([1e10, 0.99, 1e10])
_STEP, _ZERO_STEP, _TOL, _MAX_ITER = 0.05, 1e-4, 1e-4, 1000
_TINY = 1e-10


@numba.njit(cache=True)
def theta_states(y, model, level0, alpha, theta):
    """Run the recursion over ``y``: returns (states of shape (n, 5): level, running mean,
    A, B, one-step forecast mu; one-step errors; the fit's objective, the sum of squared
    errors from the fourth on over the mean absolute value of ``y``)."""
    n = y.shape[0]
    states = np.empty((n, 5))
    errors = np.empty(n)
    dynamic = model >= DSTM
    if dynamic:
        a, b, mu = y[0], 0.0, y[0]
    else:
        # the least-squares line through (t, y_t), t = 1..n
        mean = 0.0
        weighted = 0.0
        for t in range(n):
            mean += y[t]
            weighted += y[t] * (t + 1)
        mean /= n
        weighted /= n
        b = 6.0 * (2.0 * weighted - (n + 1) * mean) / (n * n - 1.0)
        a = mean - (n + 1) * b / 2.0
        mu = level0 + (1.0 - 1.0 / theta) * (a + b)
    states[0, 0] = alpha * y[0] + (1.0 - alpha) * level0
    states[0, 1] = y[0]
    states[0, 2] = a
    states[0, 3] = b
    states[0, 4] = mu
    errors[0] = y[0] - mu
    for i in range(1, n):
        _step(states, i, dynamic, alpha, theta, y[i])
        errors[i] = y[i] - states[i, 4]
    scale = 0.0
    for t in range(n):
        scale += abs(y[t])
    scale = max(scale / n, _TINY)
    total = 0.0
    for t in range(3, n):
        total += errors[t] ** 2
    return states, errors, total / scale


@numba.njit(cache=True)
def _one_step(level, a, b, i, alpha, theta):
    """``mu_i``, the forecast of observation ``i`` from the state after observation ``i - 1``
    (the module docstring's formula; the one place it is written)."""
    return level + (1.0 - 1.0 / theta) * (a * (1.0 - alpha) ** i + b * (1.0 - (1.0 - alpha) ** (i + 1)) / alpha)


@numba.njit(cache=True)
def _step(states, i, dynamic, alpha, theta, value):
    """Row ``i`` of ``states`` from row ``i - 1`` and the observation ``value`` (its forecast
    first, in column 4)."""
    level, mean, a, b = states[i - 1, 0], states[i - 1, 1], states[i - 1, 2], states[i - 1, 3]
    states[i, 4] = _one_step(level, a, b, i, alpha, theta)
    states[i, 0] = alpha * value + (1.0 - alpha) * level
    states[i, 1] = (i * mean + value) / (i + 1)
    if dynamic:
        states[i, 3] = ((i - 1) * b + 6.0 * (value - mean) / (i + 1)) / (i + 2)
        states[i, 2] = states[i, 1] - states[i, 3] * (i + 2) / 2.0
    else:
        states[i, 2] = a
        states[i, 3] = b


@numba.njit(cache=True)
def theta_paths(last, n, model, alpha, theta, shocks):
    """Paths after ``n`` observations whose last state row is ``last``: the recursion
    continued, each step's one-step forecast plus its shock (``shocks``, shape (horizon,
    paths)) standing in for the observation. Zero shocks give the point forecasts."""
    horizon, count = shocks.shape
    out = np.empty((horizon, count))
    work = np.empty((n + horizon, 5))
    for p in range(count):
        work[n - 1] = last
        for j in range(horizon):
            i = n + j
            value = _one_step(work[i - 1, 0], work[i - 1, 2], work[i - 1, 3], i, alpha, theta) + shocks[j, p]
            _step(work, i, model >= DSTM, alpha, theta, value)
            out[j, p] = value
    return out


def theta_forecast(last: np.ndarray, n: int, model: int, alpha: float, theta: float, horizon: int) -> np.ndarray:
    """The ``horizon`` point forecasts after ``n`` observations whose last state row is ``last``
    (:func:`theta_paths` without shocks)."""
    return theta_paths(last, n, model, alpha, theta, np.zeros((horizon, 1)))[:, 0]


@numba.njit(cache=True)
def _objective(x, free, fixed, y, model):
    params = fixed.copy()
    k = 0
    for j in range(3):
        if free[j]:
            params[j] = x[k]
            k += 1
    value = theta_states(y, model, params[0], params[1], params[2])[2]
    return value if math.isfinite(value) else np.inf


@numba.njit(cache=True)
def _nelder_mead(x0, lower, upper, free, fixed, y, model):
    """statsforecast's bounded Nelder-Mead with adaptive coefficients (Gao and Han 2012):
    the simplex perturbs coordinate ``i`` of vertex ``i``; points are clamped into the box;
    it stops when the vertices' values have a standard deviation below the tolerance."""
    n = x0.shape[0]
    gamma, rho, sigma = 1.0 + 2.0 / n, 0.75 - 1.0 / (2.0 * n), 1.0 - 1.0 / n
    simplex = np.empty((n + 1, n))
    for i in range(n + 1):
        for j in range(n):
            simplex[i, j] = min(max(x0[j], lower[j]), upper[j])
    for i in range(n):
        v = simplex[i, i]
        v = _ZERO_STEP if v == 0.0 else v * (1.0 + _STEP)
        simplex[i, i] = min(max(v, lower[i]), upper[i])
    values = np.empty(n + 1)
    for i in range(n + 1):
        values[i] = _objective(simplex[i], free, fixed, y, model)
    best = 0
    for _ in range(_MAX_ITER):
        order = np.argsort(values, kind="mergesort")
        best, worst, second = order[0], order[n], order[n - 1]
        if np.std(values) < _TOL:
            break
        centroid = (simplex.sum(axis=0) - simplex[worst]) / n
        reflected = np.minimum(np.maximum(2.0 * centroid - simplex[worst], lower), upper)
        f_r = _objective(reflected, free, fixed, y, model)
        if values[best] <= f_r < values[second]:
            simplex[worst], values[worst] = reflected, f_r
            continue
        if f_r < values[best]:
            expanded = np.minimum(np.maximum(centroid + gamma * (reflected - centroid), lower), upper)
            f_e = _objective(expanded, free, fixed, y, model)
            if f_e < f_r:
                simplex[worst], values[worst] = expanded, f_e
            else:
                simplex[worst], values[worst] = reflected, f_r
            continue
        if values[second] <= f_r < values[worst]:
            outside = np.minimum(np.maximum(centroid + rho * (reflected - centroid), lower), upper)
            f_c = _objective(outside, free, fixed, y, model)
            if f_c <= f_r:
                simplex[worst], values[worst] = outside, f_c
                continue
        else:
            inside = np.minimum(np.maximum(centroid - rho * (reflected - centroid), lower), upper)
            f_c = _objective(inside, free, fixed, y, model)
            if f_c < values[worst]:
                simplex[worst], values[worst] = inside, f_c
                continue
        for i in range(n + 1):  # shrink towards the best vertex
            if i != best:
                simplex[i] = np.minimum(np.maximum(simplex[best] + sigma * (simplex[i] - simplex[best]), lower),
                                        upper)
                values[i] = _objective(simplex[i], free, fixed, y, model)
    # the vertex ranked best at the last ordering, as statsforecast returns it
    return simplex[best].copy()


def fit_theta_model(y: np.ndarray, model: int) -> tuple[float, float, float]:
    """Estimate (initial level, alpha, theta) of ``model`` (a code: :data:`STM` ...) on ``y``
    (float64, at least 4 values); theta stays 2 for STM and DSTM."""
    fixed = np.array([y[0] / 2.0, 0.5, 2.0])
    free = np.array([True, True, model in (OTM, DOTM)])
    x = _nelder_mead(fixed[free], _LOWER[free], _UPPER[free], free, fixed, y, model)
    params = fixed.copy()
    params[free] = x
    return float(params[0]), float(params[1]), float(params[2])


def _load_compiled() -> None:
    """Load (or, the first time, compile) every kernel now, at import, with the argument types
    the estimator uses: numba reads its on-disk cache with pickle, and loading a model file must
    never unpickle anything (``tests/test_persistence.py`` refuses pickle after the imports)."""
    y = np.array([10.0, 12.0, 11.0, 13.0, 12.0, 14.0])
    for model in (STM, DOTM):
        level0, alpha, theta = fit_theta_model(y, model)
        states = theta_states(y, model, level0, alpha, theta)[0]
        theta_forecast(states[-1], y.shape[0], model, alpha, theta, 2)
        theta_forecast(states[-1], y.shape[0], model, np.float64(alpha), np.float64(theta), 2)


_load_compiled()
