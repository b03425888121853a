"""Rolling a fitted statsmodels ARIMA forward in numpy, one Kalman step per new observation.

Why not ``results.append(refit=False)``: it builds a new statsmodels model and re-filters the
*whole* history on every call (milliseconds per day, growing with the history), so a backtest
that rolls forward day by day gains only a few times over refitting. With the parameters
fixed, rolling forward needs only the last predicted state and its covariance; each new
observation is one Kalman filter step of O(m²) numpy work, and forecasts iterate the
transition. The matrices, the final predicted state and the regression coefficients are taken
from the fitted statsmodels results, so the numbers are the ones statsmodels would give
(``tests/test_statistical.py`` compares both on models with trends, seasonal differencing and
exogenous regressors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tsforecast.persistence.state import state_dataclass

__all__ = ["ArimaTerms", "KalmanState", "arima_terms"]


@dataclass(frozen=True)
class ArimaTerms:
    """The structure of a statsmodels ARIMA model: its orders and its deterministic trend,
    ``trend_powers`` the powers of ``(position + trend_offset)`` in its trend columns."""

    order: tuple[int, int, int]
    seasonal_order: tuple[int, int, int, int]
    trend_powers: np.ndarray
    trend_offset: int


def arima_terms(model: Any) -> ArimaTerms:
    """:class:`ArimaTerms` of a statsmodels ``tsa.arima.model.ARIMA`` from its public
    attributes, as its private ``_spec_arima`` holds them.

    The orders are ``order`` and ``seasonal_order``; the trend's powers are the nonzero entries
    of statsmodels' public ``prepare_trend_spec(trend)`` (``"c"`` -> 0, ``"t"`` -> 1, ``"ct"``
    -> 0, 1). statsmodels' ARIMA puts its trend into the first columns of ``exog`` as
    ``(t + trend_offset) ** power`` for t = 0, 1, ...; its own ``trend_offset`` attribute is
    the state-space model's (always 1), so the offset is read from the first trend column
    with a positive power at t = 0 (any offset does for a constant alone: it is unused)."""
    from statsmodels.tsa.statespace.tools import prepare_trend_spec

    polynomial, _ = prepare_trend_spec(model.trend)
    powers = np.flatnonzero(np.asarray(polynomial)).astype("float64")
    offset = 1
    rising = np.flatnonzero(powers > 0)
    if rising.size:
        j = int(rising[0])
        offset = int(round(float(np.asarray(model.exog)[0, j]) ** (1 / powers[j])))
    return ArimaTerms(
        order=tuple(int(v) for v in model.order),
        seasonal_order=tuple(int(v) for v in model.seasonal_order),
        trend_powers=powers,
        trend_offset=offset,
    )


def _time_invariant(matrix: np.ndarray, name: str) -> np.ndarray:
    if matrix.shape[-1] != 1:
        raise ValueError(f"the {name} matrix varies over time; rolling forward needs it fixed.")
    return matrix[..., 0]


@state_dataclass  # saved in model files
@dataclass
class KalmanState:
    """The filtered state of a fitted ARIMA: one-step prediction ``a`` with covariance ``P``.

    ``position`` counts the observations seen since the start of training (it drives trend
    terms such as ``t``). ``beta`` holds the regression coefficients on the trend terms
    followed by the user's exogenous columns; the observation intercept at a time step is
    ``[trend terms, X] @ beta``.
    """

    design: np.ndarray  # Z, shape (m,)
    obs_var: float  # H
    transition: np.ndarray  # T, (m, m)
    state_intercept: np.ndarray  # c, (m,)
    state_noise: np.ndarray  # R Q R', (m, m)
    beta: np.ndarray  # (k_trend + k_exog,)
    trend_powers: np.ndarray  # exponent of (position + offset) for each trend column
    trend_offset: int
    a: np.ndarray
    P: np.ndarray
    position: int

    @classmethod
    def from_results(cls, results: Any) -> KalmanState:
        """Capture the state after the last training observation of statsmodels ARIMA results."""
        model = results.model
        filtered = results.filter_results
        selection = _time_invariant(filtered.selection, "selection")
        state_cov = _time_invariant(filtered.state_cov, "state_cov")
        terms = arima_terms(model)
        n_regressors = 0 if model.exog is None else model.exog.shape[1]
        return cls(
            design=_time_invariant(filtered.design, "design")[0].copy(),
            obs_var=float(_time_invariant(filtered.obs_cov, "obs_cov")[0, 0]),
            transition=_time_invariant(filtered.transition, "transition").copy(),
            state_intercept=_time_invariant(filtered.state_intercept, "state_intercept").copy(),
            state_noise=selection @ state_cov @ selection.T,
            beta=np.asarray(results.params[:n_regressors], dtype="float64"),
            trend_powers=terms.trend_powers,
            trend_offset=terms.trend_offset,
            a=np.array(filtered.predicted_state[:, -1], dtype="float64"),
            P=np.array(filtered.predicted_state_cov[:, :, -1], dtype="float64"),
            position=int(results.nobs),
        )

    def _intercepts(self, X: np.ndarray | None, steps: int) -> np.ndarray:
        """Observation intercepts for the next ``steps`` time steps."""
        if not len(self.beta):
            return np.zeros(steps)
        t = np.arange(self.position, self.position + steps, dtype="float64") + self.trend_offset
        trend = t[:, None] ** self.trend_powers[None, :]
        regressors = trend if X is None else np.hstack([trend, np.asarray(X, dtype="float64")])
        return regressors @ self.beta

    def advance(self, y: np.ndarray, X: np.ndarray | None = None) -> None:
        """Filter new observations ``y`` (with their regressors ``X``) into the state."""
        Z, T = self.design, self.transition
        intercepts = self._intercepts(X, len(y))
        a, P = self.a, self.P
        for value, d in zip(np.asarray(y, dtype="float64"), intercepts, strict=True):
            PZ = P @ Z
            F = Z @ PZ + self.obs_var
            if F > 1e-12:  # an exactly known observation carries no new information
                gain = PZ / F
                a = a + gain * (value - Z @ a - d)
                P = P - np.outer(gain, PZ)
            a = T @ a + self.state_intercept
            P = T @ P @ T.T + self.state_noise
            P = (P + P.T) / 2  # keep it symmetric against rounding drift
        self.a, self.P = a, P
        self.position += len(intercepts)

    def forecast(self, steps: int, X: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the next ``steps`` observations (the state is not changed)."""
        Z, T = self.design, self.transition
        intercepts = self._intercepts(X, steps)
        a, P = self.a, self.P
        mean, variance = np.empty(steps), np.empty(steps)
        for i in range(steps):
            mean[i] = Z @ a + intercepts[i]
            variance[i] = Z @ P @ Z + self.obs_var
            a = T @ a + self.state_intercept
            P = T @ P @ T.T + self.state_noise
        return mean, variance

    def simulate(
        self, steps: int, n: int, rng: np.random.Generator, temperature: float = 1.0, X: np.ndarray | None = None
    ) -> np.ndarray:
        """``n`` paths of the next ``steps`` observations, shape ``(steps, n)``: the state drawn
        from its current distribution, then the model's own Gaussian noise (state and
        observation), each scaled by ``temperature``. Their per-step variance is the one
        :meth:`forecast` gives (at temperature 1)."""
        Z, T = self.design, self.transition
        intercepts = self._intercepts(X, steps)
        state_root = _psd_root(self.state_noise) * temperature
        a = self.a[None, :] + rng.standard_normal((n, len(self.a))) @ (_psd_root(self.P).T * temperature)
        obs_sd = np.sqrt(max(self.obs_var, 0.0)) * temperature
        paths = np.empty((steps, n))
        for i in range(steps):
            paths[i] = a @ Z + intercepts[i] + obs_sd * rng.standard_normal(n)
            a = a @ T.T + self.state_intercept + rng.standard_normal((n, len(Z))) @ state_root.T
        return paths


def _psd_root(matrix: np.ndarray) -> np.ndarray:
    """A square root ``L`` with ``L @ L.T == matrix`` of a symmetric positive semi-definite
    matrix (eigendecomposition: exact for the singular covariances of differenced models,
    where Cholesky fails)."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return vectors * np.sqrt(np.clip(values, 0.0, None))
