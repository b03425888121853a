"""AR, ARMA, ARIMA and SARIMA forecasters over statsmodels' state-space ARIMA.

All four are one estimator (:class:`statsmodels.tsa.arima.model.ARIMA`) with different
orders, so they share :class:`StateSpaceARIMA`. Prediction intervals come from the model's own
forecast distribution. :meth:`~tsforecast.Forecaster.update` rolls the fitted state forward
over new observations without re-estimating parameters: one Kalman step per observation on
the fitted matrices (:mod:`tsforecast.models.arima.kalman`), the same numbers as statsmodels'
``results.append(refit=False)`` at a small fraction of its cost. ``results_`` stays the
statsmodels results of the last fit, fitted with ``low_memory=True`` (no per-observation
filter output; ``results_.model.filter(results_.params)`` recomputes it); ``state_`` is the state after any updates.

``warm_start=True`` starts each re-fit of the same instance from the previous fit's
parameters, which makes repeated refits about twice as cheap but lets a fit depend on what
the instance saw before: the optimiser stops at a slightly different point (+0.27% MAE on the
ridership benchmark), so a backtest's numbers would depend on how its folds are grouped. It is
off by default, so every fit is a function of its training data alone.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.arima.model import ARIMA as _SMARIMA

from tsforecast.core.errors import ConfigError, FitWarning, ModelError
from tsforecast.core.params import check_bool, check_choice, check_int, check_int_sequence
from tsforecast.evaluation.intervals import normal_interval
from tsforecast.models.arima.harmonic import HarmonicRegression
from tsforecast.models.arima.kalman import KalmanState
from tsforecast.models.arima.mle import fit_css_ml
from tsforecast.models.base import Forecaster

__all__ = ["StateSpaceARIMA", "AR", "ARMA", "ARIMA", "SARIMA", "fit_arima", "ESTIMATORS", "choose_estimator"]

# "css-ml": R's arima estimator (tsforecast.models.arima.mle), several times faster than
# statsmodels' fit; "statsmodels": statsmodels' own L-BFGS fit; "auto" picks by length.
ESTIMATORS = ("auto", "css-ml", "statsmodels")
# "auto" uses CSS-ML beyond 150 observations (the length beyond which forecast::auto.arima
# trusts its approximations). Below it, measured on the CTA one-day benchmark (59 to 150 days
# of history), CSS-ML's exact maximum puts the seasonal MA on the unit circle and forecasts
# far worse (MAE 50,504 against 32,041 for statsmodels' fit); from 151 days on the two are
# within a few percent of each other (benchmarks/README.md).
_CSS_ML_MIN_LENGTH = 151


def choose_estimator(estimator: str, n_observations: int) -> str:
    """The estimator ``"auto"`` stands for on a series of this length (others unchanged)."""
    if estimator != "auto":
        return estimator
    return "css-ml" if n_observations >= _CSS_ML_MIN_LENGTH else "statsmodels"


Order = tuple[int, int, int]
SeasonalOrder = tuple[int, int, int, int]


def _default_trend(order: Order, seasonal_order: SeasonalOrder) -> str:
    """A constant for stationary models, none once the series is differenced."""
    return "c" if order[1] + seasonal_order[1] == 0 else "n"


def describe_orders(order: Order, seasonal_order: SeasonalOrder) -> str:
    """Conventional notation: ``ARIMA(1,0,0)(0,1,1)[7]``."""
    text = "ARIMA({},{},{})".format(*order)
    if seasonal_order[3] > 1 and any(seasonal_order[:3]):
        text += "({},{},{})[{}]".format(*seasonal_order)
    return text


def fit_arima(
    y: np.ndarray,
    X: np.ndarray | None,
    order: Order,
    seasonal_order: SeasonalOrder,
    trend: str,
    *,
    start_params: np.ndarray | None = None,
    low_memory: bool = True,
    estimator: str = "css-ml",
) -> tuple[Any, list[str], str]:
    """Fit one statsmodels ARIMA; returns the results, the optimiser's warnings and the
    estimator that produced them (``"css-ml"`` declines series it cannot take, such as ones
    with missing values, and statsmodels' fit takes over).

    ``low_memory`` (the default) keeps only what forecasting and rolling forward need (the
    last predicted state and its covariance): a full filter output costs about 46 KB per
    observation, 4.9 GB for 100,000 points, and nothing here reads it.

    Raises :class:`ModelError` naming the orders when statsmodels cannot fit them.
    """
    label = describe_orders(order, seasonal_order)
    try:
        model = _SMARIMA(y, exog=X, order=order, seasonal_order=seasonal_order, trend=trend)
    except ValueError as exc:
        raise ConfigError(f"{label} with trend={trend!r}: {exc}") from exc
    if start_params is not None and len(start_params) != len(model.param_names):
        start_params = None
    notes: list[str] = []
    results = fit_css_ml(model, start_params=start_params) if low_memory and estimator == "css-ml" else None
    used = "css-ml"
    if results is None:
        used = "statsmodels"
        # statsmodels' own fit: the route for what CSS-ML does not cover (missing values,
        # regressors that differencing removes) and for full filter output
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                # cov_type="none": forecasts and their intervals do not need the parameters'
                # covariance, and skipping its numerical Hessian roughly halves the fit time.
                results = model.fit(start_params=start_params, cov_type="none", low_memory=low_memory)
            except (np.linalg.LinAlgError, ValueError, IndexError) as exc:
                raise ModelError(f"{label} failed to fit: {exc}") from exc
        # statsmodels' "non-stationary/non-invertible starting parameters, using zeros" notes
        # are handled by statsmodels itself (it restarts from zeros); only report real problems.
        notes = sorted(
            {str(w.message).splitlines()[0] for w in caught if issubclass(w.category, ConvergenceWarning)}
        )
    if not np.isfinite(results.llf):
        raise ModelError(f"{label} failed to fit: the likelihood is not finite.")
    return results, notes, used


class StateSpaceARIMA(HarmonicRegression, Forecaster):
    """Shared implementation: orders, fitting, forecasting and rolling forward.

    ``estimator`` (every ARIMA-family model): ``"css-ml"`` estimates as R's ``arima`` does
    (:mod:`tsforecast.models.arima.mle`: differenced once, conditional-sum-of-squares start,
    maximum likelihood in compiled code, R's BFGS), several times faster than
    ``"statsmodels"`` (statsmodels' own fit). ``"auto"`` (the default) uses CSS-ML on series
    longer than 150 observations and statsmodels' fit on shorter ones, where CSS-ML's exact
    maximum was measured to forecast worse. ``estimator_`` says which one produced the fit.
    """

    supports_exog = True
    requires_variance = True

    def _orders(self) -> tuple[Order, SeasonalOrder]:
        raise NotImplementedError

    def check_params(self) -> None:
        check_bool(self.short_name, "warm_start", self.warm_start)
        check_choice(self.short_name, "estimator", self.estimator, ESTIMATORS)
        if "trend" in self.get_params():
            # statsmodels' own codes; it would also take polynomials, which nothing here documents
            check_choice(self.short_name, "trend", self.trend, (None, "n", "c", "t", "ct"))
        self._check_orders()
        self._fourier_periods()  # Fourier periods and K (models with them: ARIMA)

    def _check_orders(self) -> None:
        """Validate the declared orders (before any data, so a backtest fails at once)."""
        self._orders()

    def _trend(self, order: Order, seasonal_order: SeasonalOrder) -> str:
        trend = getattr(self, "trend", None)
        return _default_trend(order, seasonal_order) if trend is None else trend

    def _min_length(self) -> int:
        (p, d, q), (P, D, Q, s) = self._orders()
        return d + D * s + max(p + s * P, q + s * Q) + 3

    @property
    def label_(self) -> str:
        """The fitted model in conventional notation, e.g. ``ARIMA(1,0,0)(0,1,1)[7]``."""
        return describe_orders(self.order_, self.seasonal_order_) + self._fourier_label()

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        order, seasonal_order = self._orders()
        trend = self._trend(order, seasonal_order)
        method = choose_estimator(self.estimator, len(y))
        X, searched = self._start_fourier(y, X, lambda design: fit_arima(  # per K (models.arima.harmonic)
            y.to_numpy(), None if design is None else design.to_numpy(), order, seasonal_order, trend,
            estimator=method))
        spec = (order, seasonal_order, trend, 0 if X is None else X.shape[1])
        start = None
        if getattr(self, "warm_start", False) and getattr(self, "fitted_spec_", None) == spec:
            start = self.results_.params
        results, notes, self.estimator_ = searched if searched is not None and start is None else fit_arima(
            y.to_numpy(), None if X is None else X.to_numpy(), order, seasonal_order, trend,
            start_params=start, estimator=method,
        )
        self.order_, self.seasonal_order_, self.trend_ = order, seasonal_order, trend
        self.fitted_spec_ = spec
        self.results_ = results
        self.state_ = KalmanState.from_results(results)
        self.fit_warnings_ = notes
        if notes:
            warnings.warn(f"{self.label_}: {'; '.join(notes)}", FitWarning, stacklevel=4)

    def _rebuild_results(self, params: np.ndarray) -> None:
        # forecasts read only the saved Kalman state (which includes any updates); the results
        # are the saved history filtered with the saved parameters, for warm starts and
        # in-sample diagnostics
        y, X = self.y_, self._with_fourier(self.X_, self.y_.index)
        model = _SMARIMA(y.to_numpy(), exog=None if X is None else X.to_numpy(), order=self.order_,
                         seasonal_order=self.seasonal_order_, trend=self.trend_)
        self.results_ = model.filter(params, low_memory=True)

    updates_in_place = True  # _update below rolls forward without refitting (Forecaster.updates_in_place)

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        X_new = self._with_fourier(X_new, y_new.index)
        self.state_.advance(y_new.to_numpy(), None if X_new is None else X_new.to_numpy())

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        X = self._future_with_fourier(X, horizon)
        return self.state_.forecast(horizon, None if X is None else X.to_numpy())[0]

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        X = self._future_with_fourier(X, horizon)
        mean, variance = self.state_.forecast(horizon, None if X is None else X.to_numpy())
        with np.errstate(invalid="ignore"):
            # a degenerate fit's negative variance becomes NaN, reported as a ModelError that
            # names the cause (Forecaster._finite), not as numpy's RuntimeWarning
            spread = np.sqrt(variance)
        return normal_interval(mean, spread, coverage)

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        X = self._future_with_fourier(X, horizon)
        return self.state_.simulate(horizon, n, rng, temperature, None if X is None else X.to_numpy())

    def _fitted_values(self) -> np.ndarray:
        from statsmodels.tsa.statespace import kalman_filter as kf

        y, X = self.y_, self._with_fourier(self.X_, self.y_.index)
        model = _SMARIMA(y.to_numpy(), exog=None if X is None else X.to_numpy(), order=self.order_,
                         seasonal_order=self.seasonal_order_, trend=self.trend_)
        # keep the one-step forecasts, drop what a long history cannot afford (the state
        # covariances alone are m x m per observation)
        model.ssm.set_conserve_memory(
            kf.MEMORY_NO_FILTERED | kf.MEMORY_NO_LIKELIHOOD | kf.MEMORY_NO_GAIN | kf.MEMORY_NO_SMOOTHING
            | kf.MEMORY_NO_STD_FORECAST | kf.MEMORY_NO_PREDICTED_COV
        )
        fitted = np.array(model.filter(np.asarray(self.results_.params)).fittedvalues, dtype="float64")
        # the diffuse start has no real forecast until the differences are defined
        (_, d, _), (_, D, _, s) = self.order_, self.seasonal_order_
        fitted[: max(1, d + D * s)] = np.nan
        return fitted


class AR(StateSpaceARIMA):
    """Autoregressive model of order ``p`` (ARIMA(p,0,0)) with a constant by default."""

    short_name = "ar"

    def __init__(
        self, p: int = 7, trend: str | None = None, warm_start: bool = False, estimator: str = "auto"
    ) -> None:
        self.p = p
        self.trend = trend
        self.warm_start = warm_start
        self.estimator = estimator

    def _orders(self) -> tuple[Order, SeasonalOrder]:
        return (check_int(self.short_name, "p", self.p, 1), 0, 0), (0, 0, 0, 0)

    @classmethod
    def test_params(cls) -> dict:
        return {"p": 1}


class ARMA(StateSpaceARIMA):
    """ARMA(p, q): autoregressive and moving-average terms, no differencing."""

    short_name = "arma"

    def __init__(
        self,
        p: int = 2,
        q: int = 1,
        trend: str | None = None,
        warm_start: bool = False,
        estimator: str = "auto",
    ) -> None:
        self.p = p
        self.q = q
        self.trend = trend
        self.warm_start = warm_start
        self.estimator = estimator

    def _orders(self) -> tuple[Order, SeasonalOrder]:
        return (check_int(self.short_name, "p", self.p), 0, check_int(self.short_name, "q", self.q)), (0,) * 4

    @classmethod
    def test_params(cls) -> dict:
        return {"p": 1, "q": 1}


class ARIMA(StateSpaceARIMA):
    """ARIMA(p, d, q). Trend defaults to a constant when d = 0 and none otherwise
    (pass ``trend="t"`` for a drift in a differenced model). ``fourier``: seasonal periods
    (e.g. ``[52.18]``) whose Fourier terms are regressors, ``fourier_k`` harmonics each (None:
    by AICc): dynamic harmonic regression (:mod:`tsforecast.models.arima.harmonic`)."""

    short_name = "arima"

    def __init__(
        self,
        p: int = 1,
        d: int = 1,
        q: int = 1,
        trend: str | None = None,
        warm_start: bool = False,
        estimator: str = "auto",
        fourier: list[float] | None = None,
        fourier_k: list[int] | None = None,
    ) -> None:
        self.p = p
        self.d = d
        self.q = q
        self.trend = trend
        self.warm_start = warm_start
        self.estimator = estimator
        self.fourier = fourier
        self.fourier_k = fourier_k

    def _orders(self) -> tuple[Order, SeasonalOrder]:
        p, d, q = (check_int(self.short_name, name, getattr(self, name)) for name in "pdq")
        return (p, d, q), (0, 0, 0, 0)

    @classmethod
    def test_params(cls) -> dict:
        return {"p": 1, "d": 1, "q": 0}


class SARIMA(StateSpaceARIMA):
    """Seasonal ARIMA(p,d,q)(P,D,Q)[s].

    ``seasonal_order`` is ``(P, D, Q)`` with the period taken from ``season`` (default: the
    frequency's natural cycle, 7 for daily data), or a full ``(P, D, Q, s)``. The defaults,
    ARIMA(1,0,0)(0,1,1)[s], are a sound first model for daily data with a weekly pattern.
    Where there is no seasonal period (yearly data, ``season=1``) the seasonal part is
    dropped and a plain ARIMA(p,d,q) is fitted: ``seasonal_fallback_`` is True and a
    :class:`~tsforecast.core.errors.FitWarning` says so.
    """

    short_name = "sarima"

    def __init__(
        self,
        order: tuple[int, int, int] = (1, 0, 0),
        seasonal_order: tuple[int, ...] = (0, 1, 1),
        season: int | None = None,
        trend: str | None = None,
        warm_start: bool = False,
        estimator: str = "auto",
    ) -> None:
        self.order = order
        self.seasonal_order = seasonal_order
        self.season = season
        self.trend = trend
        self.warm_start = warm_start
        self.estimator = estimator

    def _declared_orders(self) -> tuple[Order, tuple[int, ...]]:
        """(p, d, q) and (P, D, Q) or (P, D, Q, s), checked; the period may still be open."""
        p, d, q = check_int_sequence(self.short_name, "order (p, d, q)", self.order, length=3)
        seasonal = self.seasonal_order
        short = isinstance(seasonal, (tuple, list)) and len(seasonal) == 3
        seasonal = check_int_sequence(
            self.short_name, "seasonal_order (P, D, Q) or (P, D, Q, s)", seasonal, length=3 if short else 4
        )
        return (p, d, q), seasonal

    def _check_orders(self) -> None:
        self._declared_orders()  # the period comes from the data's frequency when not given

    def _orders(self) -> tuple[Order, SeasonalOrder]:
        order, seasonal = self._declared_orders()
        P, D, Q, s = (*seasonal, self.season_) if len(seasonal) == 3 else seasonal
        if s < 2 or not (P or D or Q):
            # no seasonal period (yearly data, season=1) or no seasonal terms: a plain ARIMA
            return order, (0, 0, 0, 0)
        return order, (P, D, Q, s)

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        super()._fit(y, X)
        declared = self._declared_orders()[1]
        self.seasonal_fallback_ = any(declared[:3]) and self.seasonal_order_[3] == 0
        if self.seasonal_fallback_:
            warnings.warn(
                f"{self.short_name}: the data has no seasonal period (season {self.season_}), so the "
                f"seasonal order {tuple(declared)} was dropped: fitted {self.label_}.",
                FitWarning, stacklevel=3,
            )

    @classmethod
    def test_params(cls) -> dict:
        return {"order": (1, 0, 0), "seasonal_order": (0, 1, 1)}
