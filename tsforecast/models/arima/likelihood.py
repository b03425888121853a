"""The exact Gaussian likelihood of a stationary ARMA, compiled with numba.

The ML step of :mod:`tsforecast.models.arima.mle` evaluates this likelihood some sixty times a
fit. statsmodels' general Kalman filter spends about 2 ms on each for two years of daily data
(BLAS calls on small dense matrices at every step); this filter knows the ARMA's companion
structure, so a step is O(r^2) scalar work for a state of ``r = max(p, q + 1)`` and the whole
evaluation takes a few hundredths of that. It is the filter of R's ``ARIMA_Like`` for an
ARMA (the caller differences first), with the innovation variance concentrated out, started
either from the exact stationary state covariance or from a diffuse state (observations whose
variance is still above R's 1e4 carry no weight). Its value equals statsmodels' concentrated
log-likelihood with the matching start (``tests/test_arima_mle.py``).
"""

from __future__ import annotations

import warnings

import numba
import numpy as np
from scipy.linalg import LinAlgWarning, solve_discrete_lyapunov

__all__ = ["arma_polynomials", "concentrated_loglike"]


def arma_polynomials(
    ar: np.ndarray, ma: np.ndarray, seasonal_ar: np.ndarray, seasonal_ma: np.ndarray, season: int
) -> tuple[np.ndarray, np.ndarray]:
    """Expanded coefficients ``phi`` (``y_t = sum phi_i y_{t-i} + ...``) and ``theta``
    (``... + e_t + sum theta_j e_{t-j}``) of the multiplicative seasonal ARMA."""
    ar_poly = np.r_[1.0, -np.asarray(ar, dtype="float64")]
    ma_poly = np.r_[1.0, np.asarray(ma, dtype="float64")]
    if len(seasonal_ar):
        seasonal = np.zeros(len(seasonal_ar) * season + 1)
        seasonal[0] = 1.0
        seasonal[season::season] = -np.asarray(seasonal_ar, dtype="float64")
        ar_poly = np.convolve(ar_poly, seasonal)
    if len(seasonal_ma):
        seasonal = np.zeros(len(seasonal_ma) * season + 1)
        seasonal[0] = 1.0
        seasonal[season::season] = np.asarray(seasonal_ma, dtype="float64")
        ma_poly = np.convolve(ma_poly, seasonal)
    return -ar_poly[1:], ma_poly[1:]


def _stationary_covariance(phi: np.ndarray, theta: np.ndarray, r: int) -> np.ndarray:
    """State covariance at the start: the solution of ``P = T P T' + R R'``."""
    transition = np.zeros((r, r))
    transition[: len(phi), 0] = phi
    transition[np.arange(r - 1), np.arange(1, r)] = 1.0
    selection = np.zeros(r)
    selection[0] = 1.0
    selection[1 : len(theta) + 1] = theta
    return solve_discrete_lyapunov(transition, np.outer(selection, selection))


_DIFFUSE_GAIN = 1e4  # R's ARIMA_Like threshold


@numba.njit(cache=True)
def _filter(y: np.ndarray, phi: np.ndarray, theta: np.ndarray, P: np.ndarray) -> tuple[float, float, int]:
    """Sum of squared standardised innovations, sum of log variances, and their count."""
    r = P.shape[0]
    p, q = phi.shape[0], theta.shape[0]
    R = np.zeros(r)
    R[0] = 1.0
    for j in range(q):
        R[j + 1] = theta[j]
    a = np.zeros(r)
    af = np.zeros(r)
    Pf = np.empty((r, r))
    M = np.empty((r, r))
    ssq = 0.0
    sumlog = 0.0
    nu = 0
    for t in range(y.shape[0]):
        F = P[0, 0]
        v = y[t] - a[0]
        if F <= 0.0 or not np.isfinite(F):
            return np.nan, np.nan, 0
        if F < _DIFFUSE_GAIN:  # observations still explained by the diffuse start carry no weight
            ssq += v * v / F
            sumlog += np.log(F)
            nu += 1
        # filtered state and covariance: a + P z v / F, P - P z z' P / F (z = e_1)
        for i in range(r):
            af[i] = a[i] + P[i, 0] * v / F
        for i in range(r):
            for j in range(r):
                Pf[i, j] = P[i, j] - P[i, 0] * P[0, j] / F
        # predicted: T af, T Pf T' + R R' with T the companion matrix (phi in column 0)
        for i in range(r):
            a[i] = (phi[i] * af[0] if i < p else 0.0) + (af[i + 1] if i + 1 < r else 0.0)
        for i in range(r):
            for j in range(r):
                M[i, j] = (phi[i] * Pf[0, j] if i < p else 0.0) + (Pf[i + 1, j] if i + 1 < r else 0.0)
        for i in range(r):
            for j in range(r):
                P[i, j] = (M[i, 0] * phi[j] if j < p else 0.0) + (M[i, j + 1] if j + 1 < r else 0.0) + R[i] * R[j]
    return ssq, sumlog, nu


def concentrated_loglike(
    y: np.ndarray, phi: np.ndarray, theta: np.ndarray, diffuse: float | None = None
) -> tuple[float, float]:
    """R's ``arima`` objective ``0.5 * (log(s2) + sumlog / n)`` and ``s2``, the innovation
    variance that maximises the likelihood, for the zero-mean stationary ARMA (``phi``,
    ``theta``) of ``y``. The objective is ``inf`` where the likelihood cannot be computed (a
    non-stationary AR part)."""
    r = max(len(phi), len(theta) + 1)
    phi = np.ascontiguousarray(phi, dtype="float64")
    theta = np.ascontiguousarray(theta, dtype="float64")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # near a unit root the Lyapunov system is ill-conditioned; the optimiser only needs
        # the value, and R's Gardner recursion is no better conditioned there
        warnings.simplefilter("ignore", LinAlgWarning)
        try:
            P = np.eye(r) * diffuse if diffuse else _stationary_covariance(phi, theta, r)
        except (np.linalg.LinAlgError, ValueError):
            return np.inf, np.nan
        if not np.all(np.isfinite(P)):
            return np.inf, np.nan
        ssq, sumlog, nu = _filter(np.ascontiguousarray(y, dtype="float64"), phi, theta, np.array(P))
        if nu == 0 or not np.isfinite(ssq) or ssq <= 0:
            return np.inf, np.nan
        s2 = ssq / nu
        return 0.5 * (np.log(s2) + sumlog / nu), s2
