"""Nelder-Mead for the ETS likelihood, compiled with the objective so that a fit never
returns to Python between evaluations (statsforecast's C++ optimiser does the same)."""

from __future__ import annotations

import math

import numba
import numpy as np

from tsforecast.models.ets.likelihood import ADDITIVE, NONE, objective

__all__ = ["nelder_mead"]


@numba.njit(cache=True, error_model="numpy")
def nelder_mead(x0, y, error, trend, season, damped, m, lower, upper, box_lower, box_upper,
                tol, max_iter):
    """Minimise :func:`objective` from ``x0`` by Nelder-Mead with adaptive coefficients (Gao and
    Han 2012) inside the box ``box_lower``/``box_upper`` (points outside are clamped, as
    statsforecast does). Stops when the simplex's values differ by a standard deviation below
    ``tol`` or after ``max_iter`` iterations; returns (best point, its value, iterations)."""
    n = x0.shape[0]
    work = np.empty(3 * y.shape[0] + 8 + 2 * m + 6)
    step_alpha, step_gamma = 1.0, 1.0 + 2.0 / n
    step_rho, step_sigma = 0.75 - 1.0 / (2.0 * n), 1.0 - 1.0 / n
    simplex = np.empty((n + 1, n))
    values = np.empty(n + 1)
    for i in range(n + 1):
        for j in range(n):
            simplex[i, j] = min(max(x0[j], box_lower[j]), box_upper[j])
        if i > 0:
            v = simplex[i, i - 1]
            v = 1e-4 if v == 0.0 else v * 1.05
            simplex[i, i - 1] = min(max(v, box_lower[i - 1]), box_upper[i - 1])
        values[i] = objective(simplex[i], y, error, trend, season, damped, m, lower, upper, work)
    centroid = np.empty(n)
    trial = np.empty(n)
    trial2 = np.empty(n)
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        order = np.argsort(values)
        best, worst, second = order[0], order[n], order[n - 1]
        finite = True
        mean = 0.0
        for i in range(n + 1):
            if not math.isfinite(values[i]):
                finite = False
            mean += values[i]
        if finite:
            mean /= n + 1
            spread = 0.0
            for i in range(n + 1):
                spread += (values[i] - mean) ** 2
            if math.sqrt(spread / (n + 1)) < tol:
                break
        for j in range(n):
            total = 0.0
            for i in range(n + 1):
                if i != worst:
                    total += simplex[i, j]
            centroid[j] = total / n
        for j in range(n):
            trial[j] = min(max(centroid[j] + step_alpha * (centroid[j] - simplex[worst, j]), box_lower[j]),
                           box_upper[j])
        f_r = objective(trial, y, error, trend, season, damped, m, lower, upper, work)
        if values[best] <= f_r < values[second]:
            simplex[worst] = trial
            values[worst] = f_r
            continue
        if f_r < values[best]:
            for j in range(n):
                trial2[j] = min(max(centroid[j] + step_gamma * (trial[j] - centroid[j]), box_lower[j]),
                                box_upper[j])
            f_e = objective(trial2, y, error, trend, season, damped, m, lower, upper, work)
            if f_e < f_r:
                simplex[worst] = trial2
                values[worst] = f_e
            else:
                simplex[worst] = trial
                values[worst] = f_r
            continue
        if values[second] <= f_r < values[worst]:
            for j in range(n):
                trial2[j] = min(max(centroid[j] + step_rho * (trial[j] - centroid[j]), box_lower[j]),
                                box_upper[j])
            f_c = objective(trial2, y, error, trend, season, damped, m, lower, upper, work)
            if f_c <= f_r:
                simplex[worst] = trial2
                values[worst] = f_c
                continue
        else:
            for j in range(n):
                trial2[j] = min(max(centroid[j] - step_rho * (trial[j] - centroid[j]), box_lower[j]),
                                box_upper[j])
            f_c = objective(trial2, y, error, trend, season, damped, m, lower, upper, work)
            if f_c < values[worst]:
                simplex[worst] = trial2
                values[worst] = f_c
                continue
        for i in range(n + 1):  # shrink towards the best point
            if i == best:
                continue
            for j in range(n):
                simplex[i, j] = min(max(simplex[best, j] + step_sigma * (simplex[i, j] - simplex[best, j]),
                                        box_lower[j]), box_upper[j])
            values[i] = objective(simplex[i], y, error, trend, season, damped, m, lower, upper, work)
    best = np.argmin(values)
    return simplex[best].copy(), values[best], iterations


def _load_compiled() -> None:
    """Load (or compile) the optimiser at import, as :mod:`~tsforecast.models.ets.likelihood`
    does its kernels: numba reads its cache with pickle."""
    y = np.array([10.0, 12.0, 11.0, 13.0, 12.0, 14.0])
    bounds = np.array([1e-4, 1e-4, 1e-4, 0.8]), np.array([0.9999, 0.9999, 0.9999, 0.98])
    nelder_mead(np.array([0.3, 10.0]), y, ADDITIVE, NONE, NONE, False, 1, *bounds, np.array([1e-4, -np.inf]),
                np.array([0.9999, np.inf]), 1e-4, 2)


_load_compiled()
