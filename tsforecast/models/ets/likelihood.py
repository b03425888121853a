"""The ETS state-space recursion and its concentrated likelihood, compiled with numba.

One recursion serves every form of R's ``forecast::ets`` (``etscalc``): error ``A``/``M``,
trend ``N``/``A`` (damped or not), season ``N``/``A``/``M``. Given the data, the states move
the same way whatever the error type (Hyndman et al. 2008, ch. 2); the error type changes only
the residual (``y - f`` or ``(y - f) / f``) and the likelihood. Components are coded as
integers: 0 none, 1 additive, 2 multiplicative; the seasonal vector ``s`` holds the most recent
seasonal state first, so ``s[m - 1]`` is the one the next observation uses (R's and
statsmodels' ``initial_seasonal.0 .. m-1`` order).

The likelihood with the variance concentrated out is R's ``n log(SSE) + 2 sum(log|f|)``
(the second term for multiplicative errors only); :func:`gaussian_loglike` turns it into the
Gaussian log-likelihood statsmodels' ``ETSModel.loglike`` reports
(``tests/test_ets_likelihood.py``
compares the two; statsmodels smooths a multiplicative season differently, see ``_step``).
:func:`~tsforecast.models.ets.optimizer.nelder_mead` minimises it inside the usual and
admissible bounds (R's ``bounds = "both"``) without leaving compiled code: a fit of fifteen
forms is a few thousand recursions, each a few microseconds.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = ["filter_series", "forecast_states", "simulate_paths", "objective", "gaussian_loglike", "admissible",
           "NONE", "ADDITIVE", "MULTIPLICATIVE"]

NONE, ADDITIVE, MULTIPLICATIVE = 0, 1, 2
_TOL = 1e-10  # R's: a state this close to zero is treated as zero (no division by it)
_HUGE = 1e10


@numba.njit(cache=True, error_model="numpy")
def _step(y, level, slope, s, head, m, trend, season, alpha, beta, gamma, phi, holt_winters):
    """Move the states over one observation ``y``. The seasonals are a ring: ``s[(head + j) % m]``
    is the ``j``-th most recent, so a step overwrites the oldest instead of shifting ``m``
    values. Returns the new level, slope and head. ``holt_winters`` updates a multiplicative
    season with ``y / l_t`` as statsmodels' ``ETSModel`` smooths (model files saved before the
    compiled likelihood); otherwise ``y / (l_{t-1} + phi b_{t-1})``, the state-space form."""
    oldest_at = head - 1 if head > 0 else m - 1
    if trend == NONE:
        q = level
        phi_b = 0.0
    else:
        phi_b = phi * slope
        q = level + phi_b
    if season == NONE:
        p = y
    elif season == ADDITIVE:
        p = y - s[oldest_at]
    else:
        p = _HUGE if abs(s[oldest_at]) < _TOL else y / s[oldest_at]
    new_level = q + alpha * (p - q)
    # R's b = phi_b + (beta / alpha) (r - phi_b) with r = new_level - level: r - phi_b = alpha (p - q)
    new_slope = phi_b + beta * (p - q) if trend != NONE else 0.0
    if season != NONE:
        oldest = s[oldest_at]
        if season == ADDITIVE:
            s[oldest_at] = oldest + gamma * (y - q - oldest)
        elif holt_winters:
            star = gamma / (1.0 - alpha)
            s[oldest_at] = star * y / new_level + (1.0 - star) * oldest
        else:
            t = _HUGE if abs(q) < _TOL else y / q
            s[oldest_at] = oldest + gamma * (t - oldest)
        head = oldest_at
    return new_level, new_slope, head


@numba.njit(cache=True, error_model="numpy")
def _one_step(level, slope, s, head, m, trend, season, phi):
    f = level + phi * slope if trend != NONE else level
    if season == ADDITIVE:
        f += s[head - 1 if head > 0 else m - 1]
    elif season == MULTIPLICATIVE:
        f *= s[head - 1 if head > 0 else m - 1]
    return f


@numba.njit(cache=True, error_model="numpy")
def filter_series(y, params, error, trend, season, m, fitted, resid, final, holt_winters=False):
    """Run the recursion over ``y`` from the initial states in the full parameter vector
    ``params`` = (alpha, beta, gamma, phi, level, slope, s_0 .. s_{m-1}).

    Writes the one-step forecasts to ``fitted``, the residuals to ``resid`` and the states after
    the last observation (level, slope, seasonals most recent first) to ``final``; returns
    (SSE, sum of log|f|).
    """
    alpha, beta, gamma, phi = params[0], params[1], params[2], params[3]
    level, slope = params[4], params[5]
    s = params[6:6 + m].copy()
    head = 0
    sse = 0.0
    sumlog = 0.0
    for i in range(y.shape[0]):
        f = _one_step(level, slope, s, head, m, trend, season, phi)
        if error == ADDITIVE:
            e = y[i] - f
        else:
            e = (y[i] - f) / (f + _TOL if abs(f) < _TOL else f)
            sumlog += math.log(abs(f)) if f != 0.0 else math.log(1e-8)
        fitted[i] = f
        resid[i] = e
        sse += e * e
        level, slope, head = _step(y[i], level, slope, s, head, m, trend, season, alpha, beta, gamma, phi,
                                   holt_winters)
    final[0] = level
    final[1] = slope
    for j in range(m):
        final[2 + j] = s[(head + j) % m]
    return sse, sumlog


@numba.njit(cache=True, error_model="numpy")
def forecast_states(final, m, trend, season, phi, horizon):
    """Point forecasts ``horizon`` steps from the states ``final`` (level, slope, seasonals)."""
    out = np.empty(horizon)
    level, slope = final[0], final[1]
    damp = 0.0
    power = 1.0
    for i in range(horizon):
        power *= phi
        damp += power
        f = level + damp * slope if trend != NONE else level
        if season != NONE:
            j = m - 1 - (i % m)
            f = f + final[2 + j] if season == ADDITIVE else f * final[2 + j]
        out[i] = f
    return out


@numba.njit(cache=True, error_model="numpy")
def simulate_paths(final, params, error, trend, season, m, errors):
    """Sample paths, shape ``errors.shape`` (horizon, paths): each step draws
    ``y = f + e`` (additive error) or ``y = f (1 + e)`` (multiplicative) with ``e`` from
    ``errors`` and moves the states over it, as statsmodels' ``ETSResults.simulate`` does."""
    alpha, beta, gamma, phi = params[0], params[1], params[2], params[3]
    horizon, n = errors.shape
    out = np.empty((horizon, n))
    s = np.empty(max(m, 1))
    for k in range(n):
        level, slope = final[0], final[1]
        s[:m] = final[2:2 + m]
        head = 0
        for t in range(horizon):
            f = _one_step(level, slope, s, head, m, trend, season, phi)
            y = f + errors[t, k] if error == ADDITIVE else f * (1.0 + errors[t, k])
            out[t, k] = y
            level, slope, head = _step(y, level, slope, s, head, m, trend, season, alpha, beta, gamma, phi, False)
    return out


@numba.njit(cache=True)
def _roots_inside(coef, radius):
    """Whether every root of ``sum coef[k] z^k`` lies within ``radius`` (Schur-Cohn test: the
    reflection coefficients of the scaled polynomial, O(d^2) with no eigenvalue solver)."""
    d = coef.shape[0] - 1
    a = np.empty(d + 1)
    scale = 1.0
    for k in range(d + 1):
        a[k] = coef[k] * scale
        scale *= radius
    while d > 0:
        if a[d] == 0.0:
            return False
        k = a[0] / a[d]
        if abs(k) >= 1.0:
            return False
        # (a_d p(z) - a_0 p*(z)) / z, with p* the reversed polynomial: degree one lower
        b = np.empty(d)
        for j in range(d):
            b[j] = a[d] * a[j + 1] - a[0] * a[d - 1 - j]
        if b[d - 1] == 0.0:
            return False
        # rescaled to a monic polynomial: unscaled, the coefficients square at every step and
        # underflow within a season's worth of steps
        a = b / b[d - 1]
        d -= 1
    return True


@numba.njit(cache=True)
def admissible(alpha, beta, gamma, phi, trend, season, m):
    """R's admissible region of the smoothing parameters (Hyndman et al. 2008, ch. 10):
    the discount matrix's eigenvalues inside the unit circle (to R's 1e-10)."""
    if trend == NONE:
        beta = 0.0
    if phi < 0.0 or phi > 1.0 + 1e-8:
        return False
    if season == NONE or m <= 1:
        if alpha < 1.0 - 1.0 / phi or alpha > 1.0 + 1.0 / phi:
            return False
        if trend != NONE and (beta < alpha * (phi - 1.0) or beta > (1.0 + phi) * (2.0 - alpha)):
            return False
        return True
    if gamma < max(1.0 - 1.0 / phi - alpha, 0.0) or gamma > 1.0 + 1.0 / phi - alpha:
        return False
    if alpha < 1.0 - 1.0 / phi - gamma * (1.0 - m + phi + phi * m) / (2.0 * phi * m):
        return False
    if beta < -(1.0 - phi) * (gamma / m + alpha):
        return False
    # the characteristic polynomial R builds (lowest degree first)
    poly = np.empty(m + 2)
    poly[0] = phi * (1.0 - alpha - gamma)
    poly[1] = alpha + beta - alpha * phi + gamma - 1.0
    for j in range(2, m):
        poly[j] = alpha + beta - alpha * phi
    poly[m] = alpha + beta - phi
    poly[m + 1] = 1.0
    return _roots_inside(poly, 1.0 + 1e-10)


@numba.njit(cache=True, error_model="numpy")
def _unpack(x, error, trend, season, damped, m, full):
    """Free parameters ``x`` (alpha, [beta], [gamma], [phi], level, [slope], s_0 .. s_{m-2})
    into the full vector; the last seasonal state makes the seasonals sum to 0 (additive) or
    ``m`` (multiplicative), R's normalisation. Returns False for a multiplicative seasonal
    state below zero."""
    j = 0
    full[0] = x[j]
    j += 1
    full[1] = 0.0
    full[2] = 0.0
    full[3] = 1.0
    if trend != NONE:
        full[1] = x[j]
        j += 1
    if season != NONE:
        full[2] = x[j]
        j += 1
    if damped:
        full[3] = x[j]
        j += 1
    full[4] = x[j]
    j += 1
    full[5] = 0.0
    if trend != NONE:
        full[5] = x[j]
        j += 1
    if season != NONE:
        total = 0.0
        for k in range(m - 1):
            full[6 + k] = x[j + k]
            total += x[j + k]
        full[6 + m - 1] = (m if season == MULTIPLICATIVE else 0.0) - total
        if season == MULTIPLICATIVE:
            for k in range(m):
                if full[6 + k] < 0.0:
                    return False
    return True


@numba.njit(cache=True, error_model="numpy")
def objective(x, y, error, trend, season, damped, m, lower, upper, work):
    """R's ``lik`` for the free parameters ``x``: ``n log(SSE) + 2 sum log|f|``, infinite
    outside the usual bounds (``lower``/``upper`` of alpha, beta, gamma, phi; beta <= alpha,
    gamma <= 1 - alpha) or the admissible region. ``work`` is scratch of length ``3 n + 8 + 2 m``."""
    n = y.shape[0]
    full = work[: 6 + m]
    if not _unpack(x, error, trend, season, damped, m, full):
        return np.inf
    alpha, beta, gamma, phi = full[0], full[1], full[2], full[3]
    if alpha < lower[0] or alpha > upper[0]:
        return np.inf
    if trend != NONE and (beta < lower[1] or beta > upper[1] or beta > alpha):
        return np.inf
    if season != NONE and (gamma < lower[2] or gamma > upper[2] or gamma > 1.0 - alpha):
        return np.inf
    if damped and (phi < lower[3] or phi > upper[3]):
        return np.inf
    if not admissible(alpha, beta, gamma, phi, trend, season, m):
        return np.inf
    rest = work[6 + m:]
    sse, sumlog = filter_series(y, full, error, trend, season, m, rest[:n], rest[n:2 * n], rest[2 * n:2 * n + 2 + m],
                                False)
    lik = n * math.log(sse if sse > 0.0 else sse + 1e-8)
    if error == MULTIPLICATIVE:
        lik += 2.0 * sumlog
    if not math.isfinite(lik):
        return np.inf
    return max(lik, -1e10)


def gaussian_loglike(sse: float, sumlog: float, n: int, multiplicative_error: bool) -> float:
    """The Gaussian log-likelihood with the variance concentrated out (``SSE / n``), as
    statsmodels' ``ETSModel.loglike``: ``-n/2 (log(2 pi SSE / n) + 1) - sum log|f|``."""
    value = -0.5 * n * (math.log(2.0 * math.pi * sse / n) + 1.0)
    return value - sumlog if multiplicative_error else value


def _load_compiled() -> None:
    """Load (or, the first time, compile) every kernel now, at import, with the argument types
    the estimator uses: numba reads its on-disk cache with pickle, and loading a model file must
    never unpickle anything (``tests/test_persistence.py`` refuses pickle after the imports)."""
    y = np.array([10.0, 12.0, 11.0, 13.0, 12.0, 14.0])
    full = np.array([0.5, 0.1, 0.1, 0.9, 10.0, 0.5, 1.0, 1.0])
    fitted, resid, final = np.empty(6), np.empty(6), np.empty(4)
    for holt_winters in (False, True):
        filter_series(y, full, ADDITIVE, ADDITIVE, MULTIPLICATIVE, 2, fitted, resid, final, holt_winters)
    forecast_states(final, 2, ADDITIVE, MULTIPLICATIVE, 0.9, 3)
    simulate_paths(final, full, ADDITIVE, ADDITIVE, MULTIPLICATIVE, 2, np.zeros((3, 2)))


_load_compiled()
