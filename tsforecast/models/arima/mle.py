"""Exact maximum likelihood for (seasonal) ARIMA the way R's ``arima(method = "CSS-ML")`` does it.

statsmodels' own ``fit`` runs L-BFGS on the full, undifferenced state-space model (a state
of ``d + D s + max(p + s P, q + s Q + 1)``, 15 for the default daily SARIMA) with the
innovation variance as a parameter, from its own start values. This module estimates the same
model the way R's ``stats::arima`` and statsforecast do, which is several times cheaper:

1. Difference the series and the regressors (trend terms included) once: the likelihood of
   an ARIMA is the likelihood of the differenced series under an ARMA, so the state shrinks
   to ``max(p + s P, q + s Q + 1)``. That ARMA starts from its stationary distribution (the
   exact likelihood) when there is a mean, drift or regressor, and diffuse otherwise
   (``_DIFFUSE_START`` below says why).
2. Start from conditional-sum-of-squares estimates (:func:`~tsforecast.models.arima.css.fit_css`).
3. Maximise the likelihood with the variance concentrated out, AR blocks
   reparameterised through partial autocorrelations (``tanh``, R's ``partrans``), MA free,
   regression coefficients on R's scale (10 standard errors), with R's BFGS and stopping rule
   (:func:`~tsforecast.models.arima.bfgs.vmmin`); a non-invertible MA is then flipped to its
   invertible twin (same likelihood, R's ``maInvert``).
4. Filter the full model once with those parameters, which gives the state forecasting and
   :meth:`~tsforecast.Forecaster.update` start from.

The likelihood is evaluated by a compiled ARMA Kalman filter
(:mod:`tsforecast.models.arima.likelihood`); only the optimiser loop is Python.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from statsmodels.tsa.arima.model import ARIMA as _SMARIMA

from tsforecast.models.arima.bfgs import vmmin
from tsforecast.models.arima.css import fit_css
from tsforecast.models.arima.kalman import arima_terms
from tsforecast.models.arima.likelihood import arma_polynomials, concentrated_loglike

__all__ = ["fit_css_ml", "partrans", "inverse_partrans", "invert_ma", "is_stationary", "INITIAL_STATES"]

# Variance of the ARMA state at the start when the model is differenced and has no regression
# terms: a diffuse start, so the first r differenced observations only pin the state down (a
# likelihood conditional on them, statsmodels' choice when stationarity is not enforced).
# On differenced data it keeps the seasonal MA off the unit circle more often than the exact
# stationary start (station panel MASE 1.0084 against 1.0139; equal on the accuracy suite).
# With a mean, drift or regressors the exact start is used: a diffuse start absorbs the level,
# and the mean of a near-unit-root ARMA is then estimated badly (nile ARMA(2,1): MASE 1.37
# against 0.72).
_DIFFUSE_START = 1e6
_DIFFUSE_MAX_SHARE = 0.05  # largest share of the differenced sample the diffuse start may spend

def partrans(raw: np.ndarray) -> np.ndarray:
    """AR coefficients from unconstrained values: ``tanh`` gives partial autocorrelations in
    (-1, 1), Durbin-Levinson turns them into a stationary AR polynomial (R's ``partrans``)."""
    new = np.tanh(np.asarray(raw, dtype="float64"))
    for j in range(1, len(new)):
        a = new[j]
        new[:j] = new[:j] - a * new[:j][::-1]
    return new


def inverse_partrans(coefficients: np.ndarray) -> np.ndarray:
    """The unconstrained values :func:`partrans` maps to ``coefficients`` (stationary)."""
    phi = np.asarray(coefficients, dtype="float64").copy()
    for j in range(len(phi) - 1, 0, -1):
        a = phi[j]
        phi[:j] = (phi[:j] + a * phi[:j][::-1]) / (1 - a * a)
    return np.arctanh(phi)


def is_stationary(phi: np.ndarray) -> bool:
    """Whether ``y_t = sum phi_i y_{t-i} + ...`` is stationary: every eigenvalue of the
    companion matrix (an inverse root of the AR polynomial) inside the unit circle."""
    phi = np.asarray(phi, dtype="float64")
    if not len(phi):
        return True
    if not np.all(np.isfinite(phi)):
        return False
    companion = np.eye(len(phi), k=-1)
    companion[0] = phi
    return bool(np.all(np.abs(np.linalg.eigvals(companion)) < 1.0))


def invert_ma(theta: np.ndarray) -> np.ndarray:
    """Reflect roots of ``1 + theta_1 B + ...`` inside the unit circle to their inverses, which
    leaves the autocovariances (and so the likelihood) unchanged (R's ``maInvert``)."""
    theta = np.asarray(theta, dtype="float64")
    nonzero = np.flatnonzero(theta)
    if not len(nonzero):
        return theta
    q0 = nonzero[-1] + 1
    roots = np.roots(np.r_[1.0, theta[:q0]][::-1])
    inside = np.abs(roots) < 1
    if not inside.any():
        return theta
    if q0 == 1:
        return np.r_[1 / theta[0], np.zeros(len(theta) - 1)]
    roots[inside] = 1 / roots[inside]
    poly = np.ones(1, dtype=complex)
    for root in roots:
        poly = np.r_[poly, 0] - np.r_[0, poly] / root
    return np.r_[poly[1:].real, np.zeros(len(theta) - q0)]


def _difference(values: np.ndarray, d: int, D: int, s: int) -> np.ndarray:
    out = values
    for _ in range(D):
        out = out[s:] - out[:-s]
    for _ in range(d):
        out = out[1:] - out[:-1]
    return out


class _Layout:
    """Where each block sits in statsmodels' parameter vector (regression, AR, MA, seasonal
    AR, seasonal MA; the variance is concentrated out) and how the optimiser sees it."""

    def __init__(self, k_reg: int, p: int, q: int, P: int, Q: int, reg_scale: np.ndarray) -> None:
        sizes = (k_reg, p, q, P, Q)
        edges = np.cumsum((0, *sizes))
        self.reg, self.ar, self.ma, self.sar, self.sma = (
            slice(edges[i], edges[i + 1]) for i in range(5)
        )
        self.size = int(edges[-1])
        self.reg_scale = reg_scale

    def to_model(self, u: np.ndarray) -> np.ndarray:
        params = np.array(u, dtype="float64")
        params[self.reg] = u[self.reg] * self.reg_scale
        params[self.ar] = partrans(u[self.ar])
        params[self.sar] = partrans(u[self.sar])
        return params

    def from_model(self, params: np.ndarray) -> np.ndarray:
        u = np.array(params, dtype="float64")
        u[self.reg] = params[self.reg] / self.reg_scale
        u[self.ar] = inverse_partrans(params[self.ar])
        u[self.sar] = inverse_partrans(params[self.sar])
        u[self.ma] = invert_ma(params[self.ma])
        u[self.sma] = invert_ma(params[self.sma])
        return u


def _regression_start(z: np.ndarray, regressors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares coefficients of the differenced regressors and 10 standard errors (R's
    ``parscale`` for them)."""
    coefficients, *_ = np.linalg.lstsq(regressors, z, rcond=None)
    resid = z - regressors @ coefficients
    dof = max(len(z) - regressors.shape[1], 1)
    covariance = np.linalg.pinv(regressors.T @ regressors) * (resid @ resid / dof)
    scale = 10 * np.sqrt(np.clip(np.diag(covariance), 0, None))
    return coefficients, np.where(scale > 0, scale, 1.0)


INITIAL_STATES = ("auto", "stationary", "diffuse")


def fit_css_ml(
    full: _SMARIMA, *, start_params: np.ndarray | None = None, initial_state: str = "auto"
) -> Any | None:
    """Fit the statsmodels ARIMA ``full`` by CSS-ML (module docstring); returns its filter
    results at the estimates, or None when this route does not apply (missing values, a
    regressor that differencing wipes out, too few observations, a likelihood that cannot be
    computed at the start), in which case the caller uses statsmodels' own fit. A
    non-stationary AR start from CSS (where R stops) is replaced by zeros.

    ``start_params`` (statsmodels' full parameter vector, e.g. a previous fit's) replaces the
    CSS start. ``initial_state`` is how the differenced ARMA starts: ``"auto"`` (diffuse when
    the model is differenced and has no regression terms, stationary otherwise: see
    ``_DIFFUSE_START``), or either one everywhere (for comparisons).
    """
    if initial_state not in INITIAL_STATES:
        raise ValueError(f"initial_state must be one of {INITIAL_STATES}, not {initial_state!r}")
    terms = arima_terms(full)
    (p, d, q), (P, D, Q, s) = terms.order, terms.seasonal_order
    y, regressors = full.endog[:, 0], full.exog  # regressors: trend terms first, then the user's
    if not np.all(np.isfinite(y)) or (regressors is not None and not np.all(np.isfinite(regressors))):
        return None
    z = _difference(np.asarray(y, dtype="float64"), d, D, s)
    k_reg = 0 if regressors is None else regressors.shape[1]
    z_reg = None if not k_reg else _difference(np.asarray(regressors, dtype="float64"), d, D, s)
    if len(z) <= k_reg + p + q + s * (P + Q) + 1:
        return None
    if k_reg and (np.linalg.matrix_rank(z_reg) < k_reg):
        return None
    reg_start, reg_scale = (np.zeros(0), np.ones(0)) if not k_reg else _regression_start(z, z_reg)
    layout = _Layout(k_reg, p, q, P, Q, reg_scale)
    if start_params is not None and len(start_params) == layout.size + 1:
        start = np.asarray(start_params[:-1], dtype="float64")
    else:
        flat = np.r_[reg_start, np.zeros(layout.size - k_reg)]  # regression by least squares
        css = fit_css(z, p, q, P, Q, s if (P or Q) else 1, False, z_reg).coefficients
        if len(css) == layout.size:
            # fit_css orders regression, AR, seasonal AR, MA, seasonal MA; statsmodels puts MA first
            edges = np.cumsum((0, k_reg, p, P, q, Q))
            blocks = [css[edges[i]:edges[i + 1]] for i in range(5)]
            start = np.concatenate([blocks[0], blocks[1], blocks[3], blocks[2], blocks[4]])
        else:
            start = flat
        if not np.all(np.isfinite(start)):
            start = flat
    for block in (layout.ar, layout.sar):
        if not is_stationary(start[block]):
            start[block] = 0.0  # R stops here ("non-stationary AR part from CSS"); start flat
    season = s if (P or Q) else 1
    # the diffuse start spends the first r observations on pinning the state down: only
    # where that is a small share of the sample (a weekly season of 52 on four years: a third)
    state_size = max(p + P * season, q + Q * season + 1)
    diffuse = initial_state == "diffuse" or (initial_state == "auto" and d + D > 0 and not k_reg
                                             and state_size <= _DIFFUSE_MAX_SHARE * len(z))
    start_variance = _DIFFUSE_START if diffuse else None

    def objective(u: np.ndarray) -> tuple[float, float]:
        # R's armafn: 0.5 * (log(s2) + sumlog / n), the concentrated -loglik / n up to a constant
        if np.any(np.abs(np.tanh(u[layout.ar])) >= 1) or np.any(np.abs(np.tanh(u[layout.sar])) >= 1):
            return np.inf, np.nan
        params = layout.to_model(u)
        resid = z - z_reg @ params[layout.reg] if k_reg else z
        phi, theta = arma_polynomials(params[layout.ar], params[layout.ma], params[layout.sar],
                                      params[layout.sma], season)
        return concentrated_loglike(resid, phi, theta, start_variance)

    try:
        u, _ = vmmin(lambda v: objective(v)[0], layout.from_model(start))
    except ArithmeticError:
        return None
    params = layout.to_model(u)
    params[layout.ma] = invert_ma(params[layout.ma])
    params[layout.sma] = invert_ma(params[layout.sma])
    value, scale = objective(layout.from_model(params))
    if not np.isfinite(value):
        return None
    try:
        results = full.filter(np.r_[params, scale], cov_type="none", low_memory=True)
    except (np.linalg.LinAlgError, ValueError):
        return None
    if not np.isfinite(results.llf):
        return None
    return results
