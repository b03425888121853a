"""Conditional-sum-of-squares fits of seasonal ARMA models, for ranking candidate orders.

This is the approximation R's ``forecast::auto.arima`` (``approximation=TRUE``, its default for
series longer than 150 points or seasons longer than 12) and statsforecast use while searching
orders: residuals come from filtering the series through ``AR(B) / MA(B)`` with zero
pre-sample values (:func:`scipy.signal.lfilter`), the parameters minimise their sum of squares
(:func:`scipy.optimize.least_squares`), and the information criterion is computed from the
residual variance. Each candidate costs milliseconds instead of the exact state-space
likelihood's seconds; the chosen model is then fitted by exact maximum likelihood.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import lfilter

__all__ = ["CSSFit", "fit_css", "information_criterion", "roots_outside_unit_circle"]

# R's auto.arima rejects candidates with a root this close to the unit circle.
_MIN_ROOT_MODULUS = 1.01


@dataclass(frozen=True)
class CSSFit:
    """Result of one conditional-sum-of-squares fit."""

    sigma2: float  # residual variance over the conditioned-on sample
    n_params: int  # estimated coefficients, the innovation variance included
    n_used: int  # residuals the sum of squares runs over
    admissible: bool  # AR stationary and MA invertible, away from the unit circle
    # regression coefficients (mean first when fitted), then AR, seasonal AR, MA, seasonal MA
    coefficients: np.ndarray = field(default_factory=lambda: np.zeros(0))


def _lag_polynomial(coefficients: np.ndarray, step: int, sign: float) -> np.ndarray:
    """``1 + sign * (c1 B^step + c2 B^(2 step) + ...)`` as an array of lag coefficients
    (``[1]`` when there are no coefficients: a non-seasonal model has ``m = 0``)."""
    if not len(coefficients):
        return np.ones(1)
    poly = np.zeros(len(coefficients) * step + 1)
    poly[0] = 1.0
    poly[step::step] = sign * coefficients
    return poly


def roots_outside_unit_circle(poly: np.ndarray) -> bool:
    """Whether every root of a lag polynomial (constant term first) lies beyond
    ``_MIN_ROOT_MODULUS``: stationary AR, invertible MA, away from the unit circle."""
    trimmed = np.trim_zeros(poly, "b")
    if len(trimmed) <= 1:
        return True
    return bool(np.all(np.abs(np.roots(trimmed[::-1])) > _MIN_ROOT_MODULUS))


def fit_css(
    z: np.ndarray,
    p: int,
    q: int,
    P: int,
    Q: int,
    m: int,
    constant: bool,
    exog: np.ndarray | None = None,
) -> CSSFit:
    """Fit ARMA(p,q)(P,Q)[m] with an optional mean and regressors to ``z`` by CSS."""
    n_exog = 0 if exog is None else exog.shape[1]
    sizes = (int(constant), n_exog, p, P, q, Q)
    offsets = np.cumsum((0, *sizes))
    n_conditioned = p + m * P

    def polynomials(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        part = [theta[offsets[i] : offsets[i + 1]] for i in range(len(sizes))]
        ar = np.polymul(_lag_polynomial(part[2], 1, -1.0), _lag_polynomial(part[3], m, -1.0))
        ma = np.polymul(_lag_polynomial(part[4], 1, 1.0), _lag_polynomial(part[5], m, 1.0))
        return ar, ma

    def residuals(theta: np.ndarray) -> np.ndarray:
        level = z - (theta[0] if constant else 0.0)
        if n_exog:
            level = level - exog @ theta[offsets[1] : offsets[2]]
        ar, ma = polynomials(theta)
        return lfilter(ar, ma, level)[n_conditioned:]

    start = np.zeros(offsets[-1])
    if constant or n_exog:
        # the regression part starts from least squares, the ARMA part from zero
        design = np.column_stack([np.ones(len(z))] * constant + ([exog] if n_exog else []))
        start[: offsets[2]] = np.linalg.lstsq(design, z, rcond=None)[0]
    n_used = len(z) - n_conditioned
    if len(start) == 0:
        resid = residuals(start)
        return CSSFit(float(resid @ resid / n_used), 1, n_used, True, start)
    with np.errstate(over="ignore", invalid="ignore"):
        # "trf", not MINPACK's "lm": lm's steps depend on where numpy happened to allocate its
        # work arrays, so the same fit could end 1e-9 apart from one call to the next, the
        # order search then ranked candidates differently at the last digits and the forecasts
        # of one command differed between runs (benchmarks/README.md); trf gives the same
        # solution whatever the memory state, and was faster here (auto_arima on 1,356 days
        # of ridership: 5-6 s against 7.5-8.5 s a fit)
        solution = least_squares(residuals, start, method="trf")
    resid = solution.fun
    ar, ma = polynomials(solution.x)
    admissible = bool(np.all(np.isfinite(resid))) and roots_outside_unit_circle(ar) and roots_outside_unit_circle(ma)
    return CSSFit(float(resid @ resid / n_used), len(start) + 1, n_used, admissible, solution.x)


def information_criterion(fit: CSSFit, n_effective: int, name: str) -> float:
    """AIC, AICc, BIC or HQIC from the CSS residual variance (inf when inadmissible).

    As in R's auto.arima, every candidate is scored on the same ``n_effective`` (the length of
    the differenced series), so candidates that condition on more lags are not favoured.
    """
    if not fit.admissible or not np.isfinite(fit.sigma2) or fit.sigma2 <= 0:
        return np.inf
    k, n = fit.n_params, n_effective
    fit_term = n * np.log(fit.sigma2)
    if name == "aic":
        return fit_term + 2 * k
    if name == "aicc":
        return fit_term + 2 * k + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else np.inf)
    if name == "bic":
        return fit_term + k * np.log(n)
    if name == "hqic":
        return fit_term + 2 * k * np.log(np.log(n))
    raise ValueError(f"unknown information criterion {name!r}")
