"""AutoTheta: the standard, optimised and dynamic Theta models, the best chosen per series.

Fiorucci, Pellegrini, Louzada, Petropoulos and Koehler (2016) write the Theta method as a
state-space model and extend it: **STM** (the standard Theta method, theta = 2), **OTM**
(theta estimated), **DSTM** and **DOTM** (the same with a trend line updated by each
observation instead of fitted once to the whole series); see
:mod:`tsforecast.models.theta_models` for the recursion. ``auto_theta`` fits all four
(or the one ``model`` names) and keeps the one with the smallest in-sample mean squared
one-step error (from the fourth observation on), as statsforecast's ``AutoTheta`` does: the
models have at most three parameters and their errors are measured on the same values, so
the plain error is the criterion, without a penalty for theta.

**Seasons** are handled as by our ``theta``: when the series has a period above 1, at least two
full seasons and passes statsmodels' Theta seasonality test (:func:`~tsforecast.models.theta.seasonality_found`),
its classical decomposition's season is removed (:func:`~tsforecast.models.theta.seasonally_adjusted`;
multiplicatively for positive data, additively otherwise, and additively when a multiplicative
index falls below 0.01, as statsforecast does), the models are fitted to the adjusted series
and the last season's indices, repeated, are put back on the forecast. statsforecast decides
with its own test (an autocorrelation test at the 90% one-sided level, periods of 4 and more):
where the two tests agree the forecasts are the same to rounding (``tests/test_auto_theta.py``).

**Intervals**: every model is simple exponential smoothing plus a trend term fixed at the
forecast origin, so a shock ``e`` moves each later forecast by ``alpha e``: the h-step error
variance is ``sigma^2 (1 + (h - 1) alpha^2)`` (Hyndman & Billah 2003), with ``sigma`` the standard
deviation of the one-step errors from the fourth on, on the adjusted series; the half-width is
reseasonalised like the forecast. The dynamic models' line also moves with each shock (by
weights of order ``1/n``), which this variance leaves out; sample paths run the recursion
itself with normal shocks, so they include it. ``update`` refits (milliseconds).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from tsforecast.core.errors import ModelError
from tsforecast.core.params import check_choice
from tsforecast.evaluation.intervals import normal_z
from tsforecast.models.base import Forecaster
from tsforecast.models.theta import (
    check_season_removal,
    decomposition_method,
    season_to_remove,
    seasonally_adjusted,
)
from tsforecast.models.theta_models import MODEL_NAMES, fit_theta_model, theta_forecast, theta_paths, theta_states

__all__ = ["AutoTheta"]

# statsforecast's guard: a multiplicative seasonal index this small would blow the adjusted
# series up, so the season is removed additively instead
_MIN_INDEX = 0.01


class AutoTheta(Forecaster):
    """The best of the four Theta models by in-sample error (see the module docstring).

    Parameters
    ----------
    season
        Observations per seasonal cycle (default: the frequency's).
    deseasonalize
        Remove seasonality (when the test finds it) before fitting.
    method
        ``"auto"`` (multiplicative for positive data), ``"additive"`` or ``"multiplicative"``
        seasonal decomposition (additive on data that is not strictly positive).
    model
        ``"auto"`` (choose among all four) or one of ``"STM"``, ``"OTM"``, ``"DSTM"``, ``"DOTM"``.
    """

    short_name = "auto_theta"
    requires_variance = True

    def __init__(self, season: int | None = None, deseasonalize: bool = True, method: str = "auto",
                 model: str = "auto") -> None:
        self.season = season
        self.deseasonalize = deseasonalize
        self.method = method
        self.model = model

    @classmethod
    def test_params(cls) -> dict:
        return {}

    def check_params(self) -> None:
        name = self.short_name
        check_season_removal(name, self.season, self.deseasonalize, self.method)
        check_choice(name, "model", self.model, ("auto", *MODEL_NAMES))

    def _min_length(self) -> int:
        # three values start the dynamic line and the error is counted from the fourth; the
        # interval's sigma needs two such errors
        return 5

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        values = y.to_numpy(dtype="float64")
        adjusted, self.season_index_, self.method_ = self._decompose(values)
        self.deseasonalized_ = self.season_index_.size > 0
        candidates = range(len(MODEL_NAMES)) if self.model == "auto" else [MODEL_NAMES.index(self.model)]
        scores = np.full(len(MODEL_NAMES), np.inf)
        best = None
        with np.errstate(all="ignore"):
            for code in candidates:
                params = fit_theta_model(adjusted, code)
                states, errors, score = theta_states(adjusted, code, *params)
                if np.isfinite(score) and np.all(np.isfinite(states[-1])):
                    scores[code] = score
                    if best is None or score < scores[best[0]]:
                        best = (code, params, states, errors)
        if best is None:
            raise ModelError(f"{self.short_name}: no Theta model gave finite errors on this series "
                             f"(values from {values.min():g} to {values.max():g}); try theta or ets.")
        code, params, states, errors = best
        self.model_ = MODEL_NAMES[code]
        self.params_ = np.asarray(params, dtype="float64")
        self.scores_ = scores
        self.states_ = states
        self.sigma_ = float(np.std(errors[3:], ddof=1))

    def _decompose(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, str]:
        """(the series the models are fitted to, its seasonal indices on the training
        timestamps (empty when no season was removed), the decomposition: "multiplicative",
        "additive" or "none")."""
        period = self.season_
        if not season_to_remove(values, period, self.deseasonalize):
            return values, np.empty(0), "none"
        method = decomposition_method(values, self.method, self.short_name, True)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            adjusted = seasonally_adjusted(values, method[:3], period)
            if method == "multiplicative" and np.any(values / adjusted < _MIN_INDEX):
                method = "additive"
                adjusted = seasonally_adjusted(values, "add", period)
        index = values / adjusted if method == "multiplicative" else values - adjusted
        return adjusted, index, method

    @property
    def label_(self) -> str:
        """The chosen model, with the seasonal adjustment when one was made."""
        return f"AutoTheta {self.model_}" + (f" ({self.method_} seasonal adjustment)" if self.deseasonalized_ else "")

    def _seasonal_ahead(self, horizon: int) -> np.ndarray:
        """The last season's indices repeated over the horizon."""
        period = self.season_
        last = self.season_index_[-period:]
        return np.resize(last, horizon)

    def _reseasonalise(self, values: np.ndarray, horizon: int) -> np.ndarray:
        if not self.deseasonalized_:
            return values
        ahead = self._seasonal_ahead(horizon).reshape((-1,) + (1,) * (values.ndim - 1))
        return values * ahead if self.method_ == "multiplicative" else values + ahead

    def _adjusted_forecast(self, horizon: int) -> np.ndarray:
        code = MODEL_NAMES.index(self.model_)
        _, alpha, theta = self.params_
        return theta_forecast(self.states_[-1], self.states_.shape[0], code, alpha, theta, horizon)

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return self._reseasonalise(self._adjusted_forecast(horizon), horizon)

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        point = self._adjusted_forecast(horizon)
        alpha = self.params_[1]
        half = normal_z(coverage) * self.sigma_ * np.sqrt(1 + np.arange(horizon) * alpha**2)
        if self.deseasonalized_ and self.method_ == "multiplicative":
            # an error of the adjusted series is scaled by the season's index, like the forecast
            return self._reseasonalise(point - half, horizon), self._reseasonalise(point + half, horizon)
        return self._reseasonalise(point, horizon) - half, self._reseasonalise(point, horizon) + half

    def _fitted_values(self) -> np.ndarray:
        one_step = self.states_[:, 4].copy()
        # the line starts from the first values: the fit scores errors from the fourth on, and
        # the first three are no forecasts (NaN, as the contract has it), not near-zero residuals
        one_step[:3] = np.nan
        if not self.deseasonalized_:
            return one_step
        if self.method_ == "multiplicative":
            return one_step * self.season_index_
        return one_step + self.season_index_

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        # the recursion itself, each path fed its forecast plus a normal shock
        code = MODEL_NAMES.index(self.model_)
        _, alpha, theta = self.params_
        shocks = rng.standard_normal((horizon, n)) * self.sigma_ * temperature
        paths = theta_paths(self.states_[-1], self.states_.shape[0], code, alpha, theta, shocks)
        return self._reseasonalise(paths, horizon)
