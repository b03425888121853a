"""Honest baselines: naive, seasonal naive, drift and mean.

Intervals follow the standard benchmark-method formulas (Hyndman & Athanasopoulos,
*Forecasting: Principles and Practice*, 3rd ed., section 5.5): a normal distribution around
the point forecast whose spread grows with the horizon as each method implies. Sample paths
come from the model each formula is derived from (a random walk, a seasonal random walk, a
random walk with an estimated drift, white noise around an estimated mean), so their
quantiles converge to the intervals.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from tsforecast.evaluation.intervals import normal_interval, normal_quantiles
from tsforecast.models.base import Forecaster

__all__ = ["Naive", "SeasonalNaive", "Drift", "Mean"]


class _Baseline(Forecaster):
    """Shared machinery: residual spread from in-sample one-step forecasts."""

    #: whether a fit depends on the training values alone (what ``_fit_values`` estimates), so
    #: :meth:`forecast_folds` can fit every fold from the values without building a Series.
    #: False for a subclass that defines its own ``_fit`` or ``_update`` (only its ``fit``
    #: knows what it does) unless that subclass sets it itself: see ``__init_subclass__``
    fits_from_values: ClassVar[bool] = True

    #: whether :meth:`forecast_panel` may use the class's own array formulas (SeasonalNaive's)
    #: instead of calling ``_fit_values``, ``_predict`` and ``_sigma_by_step`` fold by fold:
    #: False for a subclass that redefines any of those (see ``__init_subclass__``)
    panel_formulas: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: object) -> None:
        # a user's subclass of Naive that fits its own way must never be batched with the
        # parent's numbers: the safe default is decided once, where the class is declared
        super().__init_subclass__(**kwargs)
        if "fits_from_values" not in vars(cls) and ("_fit" in vars(cls) or "_update" in vars(cls)):
            cls.fits_from_values = False
        # likewise a subclass that forecasts or spreads its own way gets the fold-by-fold loop
        own = ("_fit_values", "_residuals", "_predict", "_sigma_by_step")
        if "panel_formulas" not in vars(cls) and any(name in vars(cls) for name in own):
            cls.panel_formulas = False

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        self._fit_values(y.to_numpy())

    def _fit_values(self, values: np.ndarray) -> None:
        """Estimate from the training values alone (no pandas: backtests call it per fold)."""
        residuals = self._residuals(values)
        self.sigma_ = float(np.sqrt(residuals @ residuals / residuals.size)) if residuals.size else 0.0
        self.last_values_ = values

    def _residuals(self, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _sigma_by_step(self, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        return normal_interval(self._predict(horizon, X), self._sigma_by_step(horizon), coverage)

    def _predict_quantiles(self, horizon: int, levels: tuple[float, ...], X: pd.DataFrame | None) -> np.ndarray:
        return normal_quantiles(self._predict(horizon, X), self._sigma_by_step(horizon), levels)

    def forecast_folds(
        self, values: np.ndarray, bounds: list[tuple[int, int]], horizon: int, levels: tuple[float, ...],
        freq: object,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Point forecasts ``(folds, horizon)`` and quantiles ``(folds, horizon, levels)`` of
        every fold at once, each fitted on ``values[start:end]`` for its ``(start, end)`` in
        ``bounds``: the numbers ``fit`` and ``predict_quantiles`` give, without building a
        Series per fold (how a backtest of thousands of series stays cheap).

        Raises NotImplementedError for a subclass that fits its own way
        (:attr:`fits_from_values` is False): only ``fit`` knows what it does."""
        if not self.fits_from_values:
            raise NotImplementedError("this subclass fits its own way; fit it fold by fold")
        self._check_training_length(freq, min(end - start for start, end in bounds))
        points = np.empty((len(bounds), horizon))
        sigmas = np.empty((len(bounds), horizon))
        for k, (start, end) in enumerate(bounds):
            self._fit_values(values[start:end])
            points[k] = self._predict(horizon, None)
            sigmas[k] = self._sigma_by_step(horizon)
        # what _predict_quantiles gives, without forecasting twice (normal quantiles with
        # sigma >= 0 never cross, so predict_quantiles' monotone guard changes nothing); one
        # call for every fold, the same numbers elementwise
        quantiles = normal_quantiles(points.reshape(-1), sigmas.reshape(-1), levels)
        return points, quantiles.reshape(len(bounds), horizon, len(levels))

    def forecast_panel(
        self, values: np.ndarray, starts: np.ndarray, ends: np.ndarray, horizon: int, levels: tuple[float, ...],
        freq: object, residuals_of: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """:meth:`forecast_folds` for the folds of many series at once: ``values`` holds every
        series one after another (one flat array), fold ``k`` is fitted on
        ``values[starts[k]:ends[k]]``. Returns points ``(folds, horizon)``, quantiles ``(folds,
        horizon, levels)`` and, for each fold numbered in ``residuals_of``, its in-sample
        one-step errors (what :meth:`values_residuals` gives after fitting that fold).

        The same numbers as :meth:`forecast_folds` fold by fold (a test checks it); a backtest
        block calls it once for all its series (``tsforecast.backtest.panel_forecasts``), so the
        cost per series is a few array slices, not a Python call per series and per fold. This
        generic form loops over the folds; :class:`SeasonalNaive` overrides it with array
        operations over every fold at once."""
        if not self.fits_from_values:
            raise NotImplementedError("this subclass fits its own way; fit it fold by fold")
        self._check_training_length(freq, int(np.min(ends - starts)))
        wanted = set() if residuals_of is None else {int(k) for k in residuals_of}
        points = np.empty((len(starts), horizon))
        sigmas = np.empty((len(starts), horizon))
        residuals: dict[int, np.ndarray] = {}
        for k, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            self._fit_values(values[start:end])
            points[k] = self._predict(horizon, None)
            sigmas[k] = self._sigma_by_step(horizon)
            if k in wanted:
                residuals[k] = self._residuals(self.last_values_)
        quantiles = normal_quantiles(points.reshape(-1), sigmas.reshape(-1), levels)
        return points, quantiles.reshape(len(starts), horizon, len(levels)), [
            residuals[int(k)] for k in (residuals_of if residuals_of is not None else ())]

    def values_residuals(self) -> np.ndarray:
        """The in-sample one-step errors of the last fit from values (after
        :meth:`forecast_folds`, its last fold's): what :meth:`residuals` holds past its leading
        NaN, without a Series. A backtest diagnoses these instead of fitting the fold again."""
        return self._residuals(self.last_values_)

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        scale = self.sigma_ * temperature
        shocks = rng.standard_normal((horizon, n)) * scale
        return self._predict(horizon, X)[:, None] + self._accumulate(shocks, rng, scale)

    def _accumulate(self, shocks: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        """The paths' deviations from the point forecast, built from the innovations."""
        raise NotImplementedError

    def _fitted_values(self) -> np.ndarray:
        # the in-sample one-step forecasts are the values minus the residuals sigma_ came from
        values = self.y_.to_numpy()
        residuals = self._residuals(values)
        fitted = np.full(len(values), np.nan)
        fitted[len(values) - len(residuals):] = values[len(values) - len(residuals):] - residuals
        return fitted

    @classmethod
    def test_params(cls) -> dict:
        """Tiny parameters for the contract test suite."""
        return {}


class Naive(_Baseline):
    """Repeat the last observed value."""

    short_name = "naive"

    def __init__(self) -> None:
        pass

    def _residuals(self, values: np.ndarray) -> np.ndarray:
        return np.diff(values)

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return np.full(horizon, self.last_values_[-1])

    def _sigma_by_step(self, horizon: int) -> np.ndarray:
        return self.sigma_ * np.sqrt(np.arange(1, horizon + 1))

    def _accumulate(self, shocks: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        return np.cumsum(shocks, axis=0)  # a random walk


class SeasonalNaive(_Baseline):
    """Repeat the last observed season: the forecast for t+h is the value one season before.

    ``season`` defaults to the frequency's natural cycle (daily 7, business-day 5, weekly 52,
    monthly 12, quarterly 4, hourly 24).
    """

    short_name = "snaive"
    panel_formulas = True  # forecast_panel below: the formulas of _predict and _sigma_by_step

    def __init__(self, season: int | None = None) -> None:
        self.season = season

    def _min_length(self) -> int:
        return self.season_

    def _residuals(self, values: np.ndarray) -> np.ndarray:
        m = self.season_
        return values[m:] - values[:-m]

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        last_season = self.last_values_[-self.season_ :]
        return last_season[np.arange(horizon) % self.season_]

    def _sigma_by_step(self, horizon: int) -> np.ndarray:
        full_seasons = (np.arange(1, horizon + 1) - 1) // self.season_
        return self.sigma_ * np.sqrt(full_seasons + 1)

    def forecast_panel(
        self, values: np.ndarray, starts: np.ndarray, ends: np.ndarray, horizon: int, levels: tuple[float, ...],
        freq: object, residuals_of: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """:meth:`_Baseline.forecast_panel` with array operations over every fold at once.

        The points are copies of the values a season before each step (one fancy index); each
        fold's spread is ``sqrt(r @ r / r.size)`` of its own seasonal differences, computed
        fold by fold exactly as :meth:`forecast_folds` does (a cumulative sum over all folds
        would round differently, and the intervals must not change), which is the only loop."""
        if not (self.fits_from_values and self.panel_formulas):
            return super().forecast_panel(values, starts, ends, horizon, levels, freq, residuals_of)
        self._check_training_length(freq, int(np.min(ends - starts)))
        m = self.season_
        # the last season of each fold repeated: step h reads the value m - (h mod m) before the end
        points = values[ends[:, None] - m + (np.arange(horizon) % m)[None, :]]
        sigma = np.empty(len(starts))
        for k, (start, end) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
            r = values[start + m : end] - values[start : end - m]
            sigma[k] = np.sqrt(r @ r / r.size) if r.size else 0.0
        full_seasons = (np.arange(1, horizon + 1) - 1) // m
        # float(sigma) * array in _sigma_by_step is this product elementwise: the same numbers
        sigmas = sigma[:, None] * np.sqrt(full_seasons + 1)[None, :]
        quantiles = normal_quantiles(points.reshape(-1), sigmas.reshape(-1), levels)
        residuals = [] if residuals_of is None else [
            values[starts[k] + m : ends[k]] - values[starts[k] : ends[k] - m] for k in residuals_of]
        return points, quantiles.reshape(len(starts), horizon, len(levels)), residuals

    def _accumulate(self, shocks: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        # a random walk per position in the season: step h adds to step h - season
        horizon, n = shocks.shape
        seasons = -(-horizon // self.season_)
        padded = np.zeros((seasons * self.season_, n))
        padded[:horizon] = shocks
        walks = np.cumsum(padded.reshape(seasons, self.season_, n), axis=0)
        return walks.reshape(-1, n)[:horizon]


class Drift(_Baseline):
    """Extend the line from the first to the last observation."""

    short_name = "drift"

    def __init__(self) -> None:
        pass

    def _min_length(self) -> int:
        return 2

    def _fit_values(self, values: np.ndarray) -> None:
        self.slope_ = float((values[-1] - values[0]) / (len(values) - 1))
        super()._fit_values(values)

    def _residuals(self, values: np.ndarray) -> np.ndarray:
        return np.diff(values) - self.slope_

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return self.last_values_[-1] + self.slope_ * np.arange(1, horizon + 1)

    def _sigma_by_step(self, horizon: int) -> np.ndarray:
        h = np.arange(1, horizon + 1)
        n = len(self.last_values_)
        return self.sigma_ * np.sqrt(h * (1 + h / max(n - 1, 1)))

    def _accumulate(self, shocks: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        # a random walk, plus the uncertainty of the estimated slope (variance sigma^2/(n-1))
        slope_error = rng.standard_normal(shocks.shape[1]) * scale / np.sqrt(max(len(self.last_values_) - 1, 1))
        steps = np.arange(1, shocks.shape[0] + 1)[:, None]
        return np.cumsum(shocks, axis=0) + steps * slope_error


class Mean(_Baseline):
    """Forecast the mean of the training data."""

    short_name = "mean"

    def __init__(self) -> None:
        pass

    def _residuals(self, values: np.ndarray) -> np.ndarray:
        return values - values.mean()

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return np.full(horizon, self.last_values_.mean())

    def _sigma_by_step(self, horizon: int) -> np.ndarray:
        n = len(self.last_values_)
        return np.full(horizon, self.sigma_ * np.sqrt(1 + 1 / n))

    def _accumulate(self, shocks: np.ndarray, rng: np.random.Generator, scale: float) -> np.ndarray:
        # white noise, plus the uncertainty of the estimated mean (variance sigma^2/n)
        mean_error = rng.standard_normal(shocks.shape[1]) * scale / np.sqrt(len(self.last_values_))
        return shocks + mean_error
