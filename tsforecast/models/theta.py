"""The Theta method (Assimakopoulos & Nikolopoulos 2000) over statsmodels' ``ThetaModel``.

Simple exponential smoothing plus half the slope of a linear trend (the theta = 2 line),
which won the M3 competition and stays a strong member of combinations. When the series has
a seasonal period, at least two full seasons and passes statsmodels' seasonality test (an
autocorrelation test at the 90% level), it is deseasonalised first (multiplicatively for
positive data, additively otherwise) and the forecast reseasonalised. Intervals are
statsmodels' (from the SES state-space form). :meth:`update` refits: the fit is one
exponential-smoothing estimate, milliseconds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from tsforecast.base import Forecaster
from tsforecast.params import check_bool, check_choice, check_float, check_int

__all__ = ["Theta"]


class Theta(Forecaster):
    """The Theta method (see the module docstring).

    Parameters
    ----------
    season
        Observations per seasonal cycle (default: the frequency's).
    deseasonalize
        Remove seasonality (when the test finds it) before forecasting.
    method
        ``"auto"`` (multiplicative for positive data), ``"additive"`` or ``"multiplicative"``
        seasonal decomposition.
    theta
        Weight of the trend line; 2 is the classic Theta method, 1 plain SES with drift 0.
    """

    short_name = "theta"
    requires_variance = True

    def __init__(
        self, season: int | None = None, deseasonalize: bool = True, method: str = "auto", theta: float = 2.0
    ) -> None:
        self.season = season
        self.deseasonalize = deseasonalize
        self.method = method
        self.theta = theta

    @classmethod
    def test_params(cls) -> dict:
        return {}

    def check_params(self) -> None:
        name = self.short_name
        check_int(name, "season", self.season, 1, allow_none=True)
        check_bool(name, "deseasonalize", self.deseasonalize)
        check_choice(name, "method", self.method, ("auto", "additive", "multiplicative"))
        check_float(name, "theta", self.theta, 1)

    def _min_length(self) -> int:
        return 5

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        values = y.to_numpy()
        method = self.method
        if method == "auto" or (method == "multiplicative" and np.any(values <= 0)):
            method = "multiplicative" if np.all(values > 0) else "additive"
        seasonal = self.deseasonalize and self.season_ > 1 and len(values) >= 2 * self.season_
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            model = ThetaModel(values, period=self.season_ if seasonal else 1, deseasonalize=seasonal, method=method)
            self.results_ = model.fit()
        self.method_ = method
        # statsmodels records whether its seasonality test found a season to remove
        self.deseasonalized_ = bool(getattr(model, "_has_seasonality", seasonal))

    @property
    def label_(self) -> str:
        """``"Theta"``, with the seasonal adjustment when one was made."""
        return f"Theta ({self.method_} seasonal adjustment)" if self.deseasonalized_ else "Theta"

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return np.asarray(self.results_.forecast(horizon, theta=self.theta), dtype="float64")

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        bounds = self.results_.prediction_intervals(horizon, theta=self.theta, alpha=1 - coverage)
        return np.asarray(bounds["lower"], dtype="float64"), np.asarray(bounds["upper"], dtype="float64")
