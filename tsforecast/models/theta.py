"""The Theta method (Assimakopoulos & Nikolopoulos 2000) over statsmodels' ``ThetaModel``.

Simple exponential smoothing plus half the slope of a linear trend (the theta = 2 line),
which won the M3 competition and stays a strong member of combinations. When the series has
a seasonal period, at least two full seasons and passes statsmodels' seasonality test (an
autocorrelation test at the 90% level), it is deseasonalised first (multiplicatively for
positive data, additively otherwise) and the forecast reseasonalised. :meth:`update` refits:
the fit is one exponential-smoothing estimate, milliseconds.

Intervals follow Hyndman & Billah (2003, "Unmasking the Theta method"): the method is simple
exponential smoothing with drift, so the h-step error variance of the seasonally adjusted
series is ``sigma^2 (1 + (h - 1) alpha^2)``, with ``sigma^2`` the variance of its one-step
smoothing errors; the half-width is then reseasonalised like the forecast. statsmodels'
own ``prediction_intervals`` is not used: it estimates ``sigma^2`` on the *unadjusted* series
(so on daily ridership the weekly swings count as noise: 80% intervals 13x too wide, every
point inside) and grows it by ``1 + (alpha - 1)^2`` per step instead of ``alpha^2``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from tsforecast.core.errors import FitWarning, ModelFileError
from tsforecast.core.params import check_bool, check_choice, check_float, check_int
from tsforecast.evaluation.intervals import normal_z
from tsforecast.models.base import Forecaster

__all__ = ["DECOMPOSITION_METHODS", "Theta", "check_season_removal", "decomposition_method", "season_to_remove",
           "seasonality_found", "seasonally_adjusted"]

# statsmodels' ThetaModel keeps two things it computes to itself: whether its seasonality test
# found a season (``_has_seasonality``) and the seasonally adjusted series it smooths
# (``_deseasonalize_data``). Both are repeated below with statsmodels' public functions: the
# same calls on the same values, so the same numbers (tests compare them with the model's own).
# the test's critical value: a chi-squared(1) at the 10% level, 1.645 ** 2, as statsmodels has it
_SEASONALITY_CRITICAL = 2.705543454095404


def seasonality_found(values: np.ndarray, period: int) -> bool:
    """statsmodels' Theta seasonality test: whether the autocorrelation at lag ``period`` is
    significant at the 10% level (its statistic ``n rho_p^2 / sum(rho_k^2, k < p)`` against a
    chi-squared with one degree of freedom)."""
    from statsmodels.tsa.stattools import acf

    rho = acf(values, nlags=period, fft=True)
    statistic = values.shape[0] * rho[-1] ** 2 / np.sum(rho[:-1] ** 2)
    return bool(statistic > _SEASONALITY_CRITICAL)


def seasonally_adjusted(values: np.ndarray, method: str, period: int) -> np.ndarray:
    """``values`` with the seasonal component of a classical decomposition removed: divided by
    it for a multiplicative ``method`` (``"mul"``), subtracted otherwise (``"add"``), as a
    fitted ThetaModel whose ``method`` is the one it settled on adjusts its data."""
    from statsmodels.tsa.seasonal import seasonal_decompose

    seasonal = seasonal_decompose(values, model=method, period=period).seasonal
    return values / seasonal if method.startswith("mul") else values - seasonal


#: how a season is removed: chosen per series (``auto``), or fixed
DECOMPOSITION_METHODS = ("auto", "additive", "multiplicative")


def check_season_removal(name: str, season: int | None, deseasonalize: bool, method: str) -> None:
    """Check the season parameters :class:`Theta` and ``AutoTheta`` share: ``season``,
    ``deseasonalize`` and ``method`` (one of :data:`DECOMPOSITION_METHODS`)."""
    check_int(name, "season", season, 1, allow_none=True)
    check_bool(name, "deseasonalize", deseasonalize)
    check_choice(name, "method", method, DECOMPOSITION_METHODS)


def season_to_remove(values: np.ndarray, period: int, deseasonalize: bool) -> bool:
    """Whether a Theta model removes a season of ``period`` from ``values``: asked to, at least
    two full seasons, and statsmodels' seasonality test finds it (:func:`seasonality_found`)."""
    return bool(deseasonalize and period > 1 and len(values) >= 2 * period and seasonality_found(values, period))


def decomposition_method(values: np.ndarray, asked: str, model: str, removing: bool) -> str:
    """The classical decomposition a Theta model uses for ``values`` when ``asked`` for
    ``"auto"``, ``"additive"`` or ``"multiplicative"``: multiplicative only on strictly positive
    data. When a multiplicative one was asked for but cannot be, and a season is being removed
    (``removing``), a :class:`FitWarning` from ``model`` says so."""
    positive = bool(np.all(values > 0))
    if removing and asked == "multiplicative" and not positive:
        warnings.warn(f"{model}: method='multiplicative' needs strictly positive values and the series' "
                      f"smallest is {values.min():g}: its season is removed additively.", FitWarning, stacklevel=4)
    return "multiplicative" if positive and asked != "additive" else "additive"


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
        seasonal decomposition (additive, with a ``FitWarning``, on data that is not
        strictly positive).
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
        check_season_removal(name, self.season, self.deseasonalize, self.method)
        check_float(name, "theta", self.theta, 1)

    def _min_length(self) -> int:
        return 5

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        values = y.to_numpy()
        # statsmodels' own seasonality test, run here once and its answer given to statsmodels
        # (use_test=False), so the fit does not repeat it and the label knows the outcome
        found = season_to_remove(values, self.season_, self.deseasonalize)
        method = decomposition_method(values, self.method, self.short_name, found)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            model = ThetaModel(values, period=self.season_ if found else 1, deseasonalize=found, use_test=False,
                               method=method)
            self.results_ = model.fit()
        self.method_ = method
        self.deseasonalized_ = found
        self.sigma_ = _one_step_sigma(self._adjusted(), float(self.results_.params["alpha"]))

    def _rebuild_results(self, saved: np.ndarray) -> None:
        # statsmodels builds Theta results only by fitting; the fit is deterministic and takes
        # milliseconds, so loading repeats it on the saved history (as update does) and checks
        # that it lands on the saved parameters
        self._fit(self.y_, None)
        if not np.allclose(np.asarray(self.results_.params, dtype="float64"), saved, rtol=1e-9, atol=0):
            raise ModelFileError(
                "theta: refitting on the saved history gave other parameters than the saved ones "
                "(was it saved with another statsmodels version?)."
            )

    @property
    def label_(self) -> str:
        """``"Theta"``, with the seasonal adjustment when one was made."""
        return f"Theta ({self.method_} seasonal adjustment)" if self.deseasonalized_ else "Theta"

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return np.asarray(self.results_.forecast(horizon, theta=self.theta), dtype="float64")

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        point = self._predict(horizon, X)
        alpha = float(self.results_.params["alpha"])
        steps = np.arange(horizon)
        half = normal_z(coverage) * self.sigma_ * np.sqrt(1 + steps * alpha**2)
        return point - half * self._error_factor(horizon), point + half * self._error_factor(horizon)

    def _error_factor(self, horizon: int) -> np.ndarray | float:
        """What an error of the adjusted series becomes on the data's scale: the seasonal
        index after a multiplicative adjustment, else 1."""
        if self.deseasonalized_ and self.results_.model.method.startswith("mul"):
            return np.asarray(self.results_.forecast_components(horizon)["seasonal"], dtype="float64")
        return 1.0

    def _fitted_values(self) -> np.ndarray:
        # SES with drift on the adjusted series (the drift is the errors' mean), then the
        # adjustment undone: the one-step forecasts the intervals are built on
        y = self.y_.to_numpy()
        adjusted = self._adjusted()
        errors = _one_step_errors(adjusted, float(self.results_.params["alpha"]))
        one_step = adjusted[1:] - errors + errors.mean()
        fitted = np.full(len(y), np.nan)
        multiplicative = self.deseasonalized_ and self.results_.model.method.startswith("mul")
        fitted[1:] = one_step * (y[1:] / adjusted[1:]) if multiplicative else one_step + (y[1:] - adjusted[1:])
        return fitted

    def _adjusted(self) -> np.ndarray:
        """The series the smoothing was fitted to: seasonally adjusted as the fit did, or the
        data itself when it found no season."""
        model = self.results_.model
        values = np.asarray(model.endog_orig, dtype="float64")
        if not self.deseasonalized_:
            return values
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return seasonally_adjusted(values, model.method, model.period)

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        # SES with drift: the step-h error is e_h plus alpha times every earlier shock
        alpha = float(self.results_.params["alpha"])
        shocks = rng.standard_normal((horizon, n)) * self.sigma_ * temperature
        earlier = np.vstack([np.zeros((1, n)), np.cumsum(shocks, axis=0)[:-1]])
        factor = np.reshape(self._error_factor(horizon), (-1, 1))
        return self._predict(horizon, X)[:, None] + (shocks + alpha * earlier) * factor


def _one_step_errors(adjusted: np.ndarray, alpha: float) -> np.ndarray:
    """Simple exponential smoothing's one-step errors on ``adjusted`` (from its second value)."""
    # level_t = alpha * y_t + (1 - alpha) * level_{t-1}, started at the first value as
    # statsmodels' fit does; the one-step forecast of y_t is level_{t-1}
    level = lfilter([alpha], [1.0, alpha - 1.0], adjusted[1:], zi=[(1 - alpha) * adjusted[0]])[0]
    return adjusted[1:] - np.concatenate([[adjusted[0]], level[:-1]])


def _one_step_sigma(adjusted: np.ndarray, alpha: float) -> float:
    """Standard deviation of the one-step errors (centred: their mean is the drift the
    Theta line adds)."""
    errors = _one_step_errors(adjusted, alpha)
    return float(np.std(errors, ddof=1)) if len(errors) > 1 else 0.0
