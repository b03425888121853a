"""Reconciliation: base forecasts of every series of a hierarchy made to add up.

Every method here is a projection ``P`` (bottom series x all series) applied to the base
forecasts ``y_hat`` of all series: the reconciled forecasts are ``S @ P @ y_hat``, which add up
by construction (each row of ``S`` sums bottom series). The methods, with the names
hierarchicalforecast gives them (:mod:`benchmarks.hierarchy_peers` checks they agree to 1e-6):

* ``bottom_up`` (``BottomUp``): the bottom forecasts, summed.
* ``top_down`` (``TopDown(method="forecast_proportions")``, Athanasopoulos et al. 2009): the
  total's forecast split down the tree level by level, each child taking its base forecast's
  share of its siblings' (an equal share where the siblings' forecasts sum to about 0). The
  shares depend on the forecasts, so ``P`` differs per step.
* ``top_down_hist`` (``TopDown(method="average_proportions")``, Gross & Sohl 1990): the
  total's forecast split by each bottom series' average historical share of the total.
* ``mint_ols``, ``mint_wls`` and ``mint_shrink`` (``MinTrace(method="ols" | "wls_struct" |
  "mint_shrink")``, Wickramasuriya et al. 2019): the minimum-trace projection
  ``P = (S' W^-1 S)^-1 S' W^-1`` with ``W`` the identity, ``diag(S 1)`` (each series weighted
  by how many bottom series it sums), or the Schäfer-Strimmer shrinkage of the in-sample
  one-step residuals' covariance (:func:`shrunk_covariance`). Computed in the form that never
  inverts ``W`` (``P = J - J W U (U' W U)^-1 U'``), as hierarchicalforecast does, so a
  hierarchy with one-member levels (two identical series) still works.

**Quantiles** are reconciled under normality (Panagiotelis et al. 2023's Gaussian case; as
hierarchicalforecast's ``Normality``): the base forecast errors at step ``h`` are taken as
normal with standard deviations ``sigma_h`` (read from each base forecast's interval) and the
correlation of the in-sample residuals (shrunk as for ``mint_shrink``; independent where no
residuals are given); the reconciled forecast ``S P y_hat`` then has covariance
``S P Sigma_h P' S'``, and its quantiles are the normal ones of that mean and variance. The
distribution is coherent: it lives on the forecasts that add up (quantiles of a sum are not
the sum of quantiles, and summing independent bottom quantiles is not done anywhere).
**Sample paths** are reconciled path by path (:func:`reconcile_samples`), coherent too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tsforecast.core.errors import ConfigError, DataError
from tsforecast.evaluation.intervals import normal_quantiles
from tsforecast.hierarchy.structure import Hierarchy

__all__ = [
    "METHODS", "RESIDUAL_METHODS", "SHRINK_RIDGE", "check_methods", "projection", "reconcile",
    "reconcile_quantiles", "reconcile_samples", "shrunk_covariance", "residual_correlation",
]

#: every reconciliation method, in the order reports list them
METHODS = ("bottom_up", "top_down", "top_down_hist", "mint_ols", "mint_wls", "mint_shrink")
#: the methods that need each series' in-sample one-step residuals
RESIDUAL_METHODS = ("mint_shrink",)
#: the floor of every variance in the shrunk covariance (hierarchicalforecast's ``mint_shr_ridge``)
SHRINK_RIDGE = 2e-8
# hierarchicalforecast's guards, kept so both give the same numbers: a standard deviation's
# offset (no division by zero) and the siblings' sum below which the shares are equal
_EPS = 2e-8
_ZERO_SUM = 1e-8


def check_methods(methods: Sequence[str]) -> list[str]:
    """``methods`` as a list of known names, or a ConfigError naming the unknown ones."""
    chosen = [methods] if isinstance(methods, str) else list(methods)
    unknown = [m for m in chosen if m not in METHODS]
    if unknown or not chosen:
        raise ConfigError(f"unknown reconciliation method(s) {', '.join(map(repr, unknown)) or '(none given)'}; "
                          f"choose from {', '.join(METHODS)}.")
    return chosen


def shrunk_covariance(residuals: np.ndarray, ridge: float = SHRINK_RIDGE) -> np.ndarray:
    """The Schäfer-Strimmer (2005) shrinkage estimate of the covariance of ``residuals``
    (time x series): the sample covariance with its off-diagonal shrunk toward 0 by the
    intensity the data support, every variance at least ``ridge``. The same arithmetic as
    hierarchicalforecast's ``mint_shrink`` estimator (its C++ ``shrunk_covariance_ss_no_nans``)."""
    r = np.asarray(residuals, dtype="float64")
    if r.ndim != 2 or r.shape[0] < 2:
        raise DataError(f"the shrinkage covariance needs at least 2 residuals per series, got shape {r.shape}.")
    T = r.shape[0]
    centered = r - r.mean(axis=0)
    W = centered.T @ centered / (T - 1)
    inv_sd = 1.0 / (np.sqrt((centered**2).sum(axis=0) / T) + _EPS)
    cov_sum = centered.T @ centered              # sum over time of the products
    cov_sq = (centered**2).T @ (centered**2)     # sum over time of the squared products
    scale = np.outer(inv_sd, inv_sd)
    var_w = scale**2 * (cov_sq - cov_sum**2 / T)
    mean_w = scale * cov_sum / T
    lower = np.tril_indices(r.shape[1], -1)      # each pair once, as the reference sums them
    intensity = (var_w[lower].sum() / (T * (T - 1))) / ((mean_w[lower] ** 2).sum() + _EPS)
    keep = 1.0 - min(max(intensity, 0.0), 1.0)
    shrunk = W * keep
    np.fill_diagonal(shrunk, np.maximum(np.diag(W), ridge))
    return shrunk


def residual_correlation(residuals: np.ndarray | None, n: int) -> np.ndarray:
    """The correlation matrix of the base forecast errors used for reconciled quantiles: that
    of the shrunk residual covariance, or the identity without residuals."""
    if residuals is None:
        return np.eye(n)
    W = shrunk_covariance(residuals)
    sd = np.sqrt(np.diag(W))
    correlation = W / np.outer(sd, sd)
    np.fill_diagonal(correlation, 1.0)  # exactly, whatever the rounding
    return np.clip(correlation, -1.0, 1.0)


def _mint(S: np.ndarray, W: np.ndarray) -> np.ndarray:
    """``P = J - J W U (U' W U)^-1 U'`` (rows: aggregates first, bottom last)."""
    n, m = S.shape
    k = n - m
    Ut = np.hstack([np.eye(k), -S[:k]])
    J = np.hstack([np.zeros((m, k)), np.eye(m)])
    UtW = Ut @ W
    try:
        return J - np.linalg.solve(UtW @ Ut.T, UtW @ J.T).T @ Ut
    except np.linalg.LinAlgError:
        raise DataError("the MinT weights are singular for this hierarchy; use mint_shrink, mint_wls or "
                        "bottom_up.") from None


def _shares(h: Hierarchy, base: np.ndarray) -> np.ndarray:
    """Forecast proportions: per step, each bottom series' share of the total (bottom x H),
    the product of its own and its ancestors' shares among their siblings."""
    n, H = base.shape
    share = np.ones((n, H))
    for p in np.unique(h.parent[h.parent >= 0]):
        children = np.flatnonzero(h.parent == p)
        total = base[children].sum(axis=0)
        equal = np.abs(total) < _ZERO_SUM
        safe = np.where(equal, 1.0, total)
        share[children] = np.where(equal, 1.0 / len(children), base[children] / safe)
    # rows are ordered top-down, so a parent's cumulative share is final before its children's
    for i in range(1, n):
        share[i] = share[i] * share[h.parent[i]]
    return share[n - h.n_bottom:]


def projection(
    h: Hierarchy, method: str, base: np.ndarray, *, history: np.ndarray | None = None,
    residuals: np.ndarray | None = None,
) -> np.ndarray:
    """The projection ``P`` per step (H x bottom x all series) of ``method`` for ``base``
    forecasts (all series x H). ``history`` (time x all series) is needed by
    ``top_down_hist``, ``residuals`` (time x all series, no NaN) by ``mint_shrink``."""
    check_methods([method])
    base = np.asarray(base, dtype="float64")
    n, m = h.S.shape
    if base.ndim != 2 or base.shape[0] != n:
        raise DataError(f"base forecasts must be (series x horizon) with {n} series, got shape {base.shape}.")
    H = base.shape[1]
    if method in ("top_down", "top_down_hist"):
        if method == "top_down":
            proportions = _shares(h, base)                                     # bottom x H
        else:
            if history is None:
                raise DataError("top_down_hist needs the series' history (history=...).")
            hist = np.asarray(history, dtype="float64")
            with np.errstate(divide="ignore", invalid="ignore"):
                ratios = hist[:, n - m:] / hist[:, [0]]
            ratios[~np.isfinite(ratios)] = np.nan  # a total of 0 says nothing about the shares
            proportions = np.repeat(np.nanmean(ratios, axis=0)[:, None], H, axis=1)
        P = np.zeros((H, m, n))
        P[:, :, 0] = proportions.T
        return P
    if method == "bottom_up":
        P = np.hstack([np.zeros((m, n - m)), np.eye(m)])
    elif method == "mint_ols":
        P = _mint(h.S, np.eye(n))
    elif method == "mint_wls":
        P = _mint(h.S, np.diag(h.S.sum(axis=1)))
    else:
        if residuals is None:
            raise DataError("mint_shrink needs the in-sample residuals of every series (residuals=...).")
        P = _mint(h.S, shrunk_covariance(residuals))
    return np.broadcast_to(P, (H, m, n))


def reconcile(
    h: Hierarchy, base: np.ndarray, method: str, *, history: np.ndarray | None = None,
    residuals: np.ndarray | None = None,
) -> np.ndarray:
    """Reconciled point forecasts (all series x H) of ``base`` (all series x H): ``S P_h y_hat_h``
    for every step ``h``. They add up at every level."""
    P = projection(h, method, base, history=history, residuals=residuals)
    return np.einsum("ij,hjk,kh->ih", h.S, P, np.asarray(base, dtype="float64"))


def reconcile_quantiles(
    h: Hierarchy, P: np.ndarray, base: np.ndarray, sigma: np.ndarray, levels: Sequence[float],
    correlation: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The reconciled mean (series x H) and quantiles (series x H x levels) under normality:
    base errors ``N(0, D_h R D_h)`` with ``D_h = diag(sigma[:, h])`` and ``R = correlation``
    (identity when None), the reconciled ones ``N(0, S P_h D_h R D_h P_h' S')``."""
    base, sigma = np.asarray(base, dtype="float64"), np.asarray(sigma, dtype="float64")
    n, H = base.shape
    R = np.eye(n) if correlation is None else np.asarray(correlation, dtype="float64")
    SP = np.einsum("ij,hjk->hik", h.S, P)                                   # H x n x n
    mean = np.einsum("hik,kh->ih", SP, base)
    A = SP * sigma.T[:, None, :]                                            # S P_h D_h
    variance = np.einsum("hik,kl,hil->ih", A, R, A)
    sd = np.sqrt(np.clip(variance, 0.0, None))
    quantiles = normal_quantiles(mean.reshape(-1), sd.reshape(-1), levels).reshape(n, H, len(levels))
    return mean, quantiles


def reconcile_samples(h: Hierarchy, P: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """Reconciled sample paths (series x H x paths): each path ``S P_h y_h``; every path adds up."""
    return np.einsum("ij,hjk,khp->ihp", h.S, P, np.asarray(paths, dtype="float64"))
