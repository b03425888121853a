"""The Forecaster contract every model follows.

Public methods (:meth:`Forecaster.fit`, :meth:`~Forecaster.predict`,
:meth:`~Forecaster.predict_interval`, :meth:`~Forecaster.update`) validate and convert their
input once; subclasses implement ``_fit`` / ``_predict`` / ``_predict_interval`` (and
optionally ``_update``) on input that is guaranteed clean: a float Series on a regular grid
and, for models that use them, exogenous regressors as a float DataFrame on the same index.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from sklearn.base import BaseEstimator, clone

from tsforecast.core.errors import ConfigError, DataError, DataRepairWarning, ModelError, NotFittedError
from tsforecast.core.frequency import future_index, infer_season
from tsforecast.core.params import check_coverage, check_horizon, check_int, check_quantiles
from tsforecast.core.threads import one_blas_thread
from tsforecast.data.exog import ExogSchema, align_exog, infer_exog_schema
from tsforecast.data.validation import clean_series

# the normal distribution's intervals and quantiles live with the other interval rules; named
# here too, where models have always imported them
from tsforecast.evaluation.intervals import central_coverage, normal_interval, normal_quantiles
from tsforecast.models.fitted import FittedState

__all__ = ["Forecaster", "normal_interval", "normal_quantiles"]


class Forecaster(FittedState, BaseEstimator):
    """Base class: fit on a time-indexed series, forecast the timestamps that follow it.

    Learned state ends in ``_``: ``y_`` (the training series), ``cutoff_`` (its last
    timestamp), ``freq_``, ``season_`` (observations per cycle), ``exog_schema_``. A fitted
    model is data through :meth:`state` and :meth:`from_state` (from
    :class:`~tsforecast.models.fitted.FittedState`, with the training history), which
    :meth:`save` and :func:`tsforecast.load` use.
    """

    #: the name the registry and the CLI know this model by
    short_name: ClassVar[str] = "forecaster"
    #: whether ``fit``/``predict`` accept exogenous regressors ``X``
    supports_exog: ClassVar[bool] = False
    #: whether a constant series is rejected (the model needs variation to estimate anything)
    requires_variance: ClassVar[bool] = False
    #: whether ``update`` rolls forward its own way (the class overrides ``_update``) instead of
    #: the default refit on the extended history; read by the backtest, checked by the contract tests
    updates_in_place: ClassVar[bool] = False

    # ----------------------------------------------------------------- public API
    def fit(self, y: object, X: object | None = None) -> Forecaster:
        """Fit on ``y`` (a Series with a DatetimeIndex, see :mod:`tsforecast.data.validation`).

        ``X`` holds exogenous regressors on the same timestamps (models with
        ``supports_exog``); text columns are one-hot encoded. Returns ``self``.
        """
        self.check_params()
        series = self._clean(y)
        self._check_training(series)  # also sets freq_ and season_
        exog = self._training_exog(X, series.index)
        with one_blas_thread():  # small matrices: threads only cost (tsforecast.core.threads)
            self._fit(series, exog)
        self.y_ = series
        self.X_ = exog
        self.cutoff_ = series.index[-1]
        return self

    def start_history(self, y: object, X: object | None = None) -> pd.Series:
        """Validate ``y`` and ``X`` as :meth:`fit` does and make them the training history
        (``y_``, ``X_``, ``freq_``, ``season_``, ``exog_schema_``) without checking the
        length or estimating anything; returns the clean series. A model trained on several
        series at once (``fit_global``) starts each series' model this way, then fits them
        together."""
        series = self._clean(y)
        self._set_frequency(series.index.freq)
        exog = self._training_exog(X, series.index)
        self.y_ = series
        self.X_ = exog
        return series

    @property
    def is_global(self) -> bool:
        """Whether a backtest of several series trains this model once per fold across all
        of them (``fit_global``, the neural models' default) instead of once per series."""
        return False

    def check_params(self) -> None:
        """Raise a :class:`~tsforecast.core.errors.ConfigError` naming the first invalid parameter.

        ``fit`` calls it before reading the data; a backtest calls it for every model before
        the first fold, so a typo fails at once instead of once per fold.
        """

    def predict(self, horizon: int, X: object | None = None) -> pd.Series:
        """Point forecasts for the ``horizon`` timestamps after the training data."""
        steps, index, exog = self._prepare_forecast(horizon, X)
        values = self._finite(self._predict(steps, exog), "forecast")
        return pd.Series(values, index=index, name=self.short_name)

    def predict_interval(
        self, horizon: int, coverage: float = 0.8, X: object | None = None
    ) -> pd.DataFrame:
        """Prediction intervals: ``lower`` and ``upper`` columns holding ``coverage``."""
        coverage = check_coverage(coverage)
        steps, index, exog = self._prepare_forecast(horizon, X)
        lower, upper = self._predict_interval(steps, coverage, exog)
        frame = pd.DataFrame(
            {
                "lower": self._finite(lower, "lower bound"),
                "upper": self._finite(upper, "upper bound"),
            },
            index=index,
        )
        return frame

    def predict_quantiles(
        self, horizon: int, quantiles: Sequence[float] = (0.1, 0.5, 0.9), X: object | None = None
    ) -> pd.DataFrame:
        """Forecast quantiles: one column per level in ``quantiles`` (each strictly between 0
        and 1), one row per forecast timestamp; the 0.1 and 0.9 columns are the bounds of the
        80% interval. Non-decreasing across levels."""
        levels = check_quantiles(quantiles)
        steps, index, exog = self._prepare_forecast(horizon, X)
        values = np.asarray(self._predict_quantiles(steps, levels, exog), dtype="float64").reshape(steps, len(levels))
        self._finite(values, "quantile")
        # Monte Carlo quantiles of neighbouring levels can cross by a hair; never let them
        values = np.maximum.accumulate(values, axis=1)
        return pd.DataFrame(values, index=index, columns=pd.Index(levels, name="quantile"))

    def sample_paths(
        self, horizon: int, n: int = 1000, seed: int | None = 0, X: object | None = None,
        temperature: float = 1.0,
    ) -> pd.DataFrame:
        """``n`` simulated future paths (columns) over the ``horizon`` forecast timestamps
        (rows), from the model's generative form; ``seed`` makes them reproducible.

        ``temperature`` scales the sampled noise: 1 is the fitted model's own, below 1 more
        conservative paths, above 1 more dispersed ones. Raises
        :class:`~tsforecast.core.errors.ModelError` for a model without a generative form.
        """
        count = check_int(None, "n", n, 1)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not (
            0 <= temperature < float("inf")
        ):
            raise ConfigError(f"temperature must be a finite number >= 0, got {temperature!r}.")
        steps, index, exog = self._prepare_forecast(horizon, X)
        rng = np.random.default_rng(seed)
        try:
            paths = self._sample_paths(steps, count, rng, float(temperature), exog)
        except NotImplementedError:
            raise ModelError(
                f"{self.short_name} has no generative form to simulate paths from; use "
                "predict_quantiles for its forecast distribution."
            ) from None
        paths = self._finite(paths, "sample path").reshape(steps, count)
        return pd.DataFrame(paths, index=index, columns=pd.RangeIndex(count, name="path"))

    def fitted_values(self) -> pd.Series:
        """In-sample one-step-ahead forecasts over the training history (``y_``, updates
        included): the value at ``t`` is forecast from the data before ``t`` with the fitted
        parameters; NaN where the model has no forecast yet (its first observations)."""
        self._check_fitted()
        y = self.y_
        values = np.asarray(self._fitted_values(), dtype="float64").reshape(-1)
        return pd.Series(values, index=y.index, name="fitted")

    def residuals(self) -> pd.Series:
        """In-sample one-step-ahead errors, ``y_ - fitted_values()`` (NaN where there is no
        fitted value)."""
        return (self.y_ - self.fitted_values()).rename("residual")

    def update(self, y_new: object, X_new: object | None = None) -> Forecaster:
        """Append observations that follow the training data; returns ``self``.

        Models that can, roll forward without re-estimating parameters; the default refits on
        the extended history. Input that is already clean (a float Series on exactly the next
        timestamps) skips validation, so rolling forward one day at a time stays cheap.
        """
        self._check_fitted()
        new = self._new_observations(y_new)
        new_exog = None
        if self.exog_schema_ is not None:
            if X_new is None:
                raise DataError("this model was fitted with X; update needs X_new for the new rows.")
            new_exog = align_exog(X_new, new.index, self.exog_schema_)
        elif X_new is not None:
            raise DataError("this model was fitted without X; update got X_new.")
        # the parts as they were: reading y_ inside _update merges them into one, so popping
        # the appended part would drop the whole history
        before = list(self._history_parts)
        self._history_parts.append((new, new_exog))
        try:
            with one_blas_thread():
                self._update(new, new_exog)
        except Exception:
            self._history_parts[:] = before  # leave the model as it was before the failed update
            raise
        self.cutoff_ = new.index[-1]
        return self

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Save the fitted model to ``path`` (a safetensors file with JSON metadata; no
        pickle) and return the path. Load it back with :func:`tsforecast.load`."""
        from tsforecast.persistence import save_model

        return save_model(self, path)

    def _new_observations(self, y_new: object) -> pd.Series:
        """``y_new`` validated as the observations right after the cutoff."""
        expected = self.cutoff_ + self.freq_
        if (
            isinstance(y_new, pd.Series)
            and isinstance(y_new.index, pd.DatetimeIndex)
            and len(y_new) > 0
            and y_new.dtype.kind in "fiu"
            and y_new.index[0] == expected
            and (len(y_new) == 1 or y_new.index.freq == self.freq_)
        ):
            values = y_new.to_numpy(dtype="float64")
            if np.isfinite(values).all():
                return pd.Series(values, index=y_new.index, name=y_new.name)
        new = self._clean(y_new, freq=self.freq_)
        if new.index[0] != expected:
            raise DataError(
                f"update data must start right after the training data, at {expected}; "
                f"it starts at {new.index[0]}."
            )
        return new

    # ------------------------------------------------------- subclass extension points
    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        raise NotImplementedError

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        raise NotImplementedError

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _predict_quantiles(self, horizon: int, levels: tuple[float, ...], X: pd.DataFrame | None) -> np.ndarray:
        """Quantiles, shape ``(horizon, len(levels))``. Default: level ``q`` is a bound of the
        central interval holding ``|2q - 1|`` (one interval call per pair of levels), and 0.5
        the point forecast."""
        out = np.empty((horizon, len(levels)))
        intervals: dict[float, tuple[np.ndarray, np.ndarray]] = {}
        for j, level in enumerate(levels):
            if level == 0.5:
                out[:, j] = self._predict(horizon, X)
                continue
            coverage = central_coverage(level)
            if coverage not in intervals:
                intervals[coverage] = self._predict_interval(horizon, coverage, X)
            out[:, j] = intervals[coverage][0 if level < 0.5 else 1]
        return out

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        """Simulated paths, shape ``(horizon, n)``; models with a generative form implement it."""
        raise NotImplementedError

    def _fitted_values(self) -> np.ndarray:
        """One-step-ahead in-sample forecasts, one per observation of ``y_`` (NaN allowed)."""
        raise NotImplementedError

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        """Roll forward over ``y_new`` (already appended to ``y_``); default: refit on it all."""
        self._fit(self.y_, self.X_)

    def _forecast_exog_schema(self) -> ExogSchema:
        """The X columns needed for forecast timestamps (all of them unless a model has
        covariates that are only known up to the forecast origin)."""
        return self.exog_schema_

    def _min_length(self) -> int:
        """The fewest training observations this configuration can fit on."""
        return 1

    @property
    def _season_param(self) -> int | None:
        return getattr(self, "season", None)

    def required_length(self, freq: object) -> int:
        """The fewest observations ``fit`` accepts on data of frequency ``freq``."""
        probe = clone(self)
        probe.freq_ = to_offset(freq)
        probe.season_ = probe._resolve_season()
        return probe._min_length()

    # ----------------------------------------------------------------- helpers
    def _resolve_season(self) -> int:
        season = self._season_param
        if season is None:
            return infer_season(self.freq_)
        return check_int(self.short_name, "season", season, 1)

    def _clean(self, y: object, freq: object = None) -> pd.Series:
        result = clean_series(y, freq=freq)
        if result.repairs:
            warnings.warn("; ".join(result.repairs), DataRepairWarning, stacklevel=3)
        return result.series

    def _check_training(self, series: pd.Series) -> None:
        self._check_training_length(series.index.freq, len(series))
        if self.requires_variance and np.ptp(series.to_numpy()) == 0:
            raise DataError(
                f"the series is constant (every value is {series.iloc[0]:g}); {self.short_name} "
                "cannot estimate anything from it. Fix: use 'naive' or 'mean' for constant data."
            )

    def _set_frequency(self, freq: object) -> None:
        """Set ``freq_`` and the ``season_`` it implies (or the model's own ``season``)."""
        self.freq_ = freq
        self.season_ = self._resolve_season()

    def _check_training_length(self, freq: object, n_obs: int) -> None:
        """Set ``freq_`` and ``season_``; raise when ``n_obs`` observations are too few (the
        minimum may depend on the season, which depends on the frequency)."""
        self._set_frequency(freq)
        needed = self._min_length()
        if n_obs < needed:
            raise DataError(
                f"{self.short_name} needs at least {needed} observations with these parameters; "
                f"the series has {n_obs}. Fix: provide more history or smaller parameters."
            )

    def _training_exog(self, X: object | None, index: pd.DatetimeIndex) -> pd.DataFrame | None:
        if X is None:
            self.exog_schema_ = None
            return None
        if not self.supports_exog:
            raise ConfigError(
                f"{self.short_name} does not use exogenous regressors; fit it without X."
            )
        self.exog_schema_ = infer_exog_schema(X)
        return align_exog(X, index, self.exog_schema_)

    def _check_fitted(self) -> None:
        if not hasattr(self, "cutoff_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(y) before predicting."
            )

    def _prepare_forecast(
        self, horizon: int, X: object | None
    ) -> tuple[int, pd.DatetimeIndex, pd.DataFrame | None]:
        self._check_fitted()
        steps = check_horizon(horizon)
        index = future_index(self.cutoff_, self.freq_, steps)
        if self.exog_schema_ is None:
            if X is not None:
                raise DataError("this model was fitted without X; predict got X.")
            return steps, index, None
        schema = self._forecast_exog_schema()
        if X is None and not schema.columns:
            return steps, index, None  # every column is a past covariate: nothing to give
        if X is None:
            raise DataError(
                f"this model was fitted with X; predict needs X for the {steps} forecast "
                f"timestamps starting {index[0]}."
            )
        return steps, index, align_exog(X, index, schema)

    def _finite(self, values: object, what: str) -> np.ndarray:
        array = np.asarray(values, dtype="float64").reshape(-1)
        if not np.isfinite(array).all():
            raise ModelError(
                f"{self.short_name} produced a non-finite {what}: its fit on this history is degenerate "
                "(for example a unit root in a model that assumes stationarity). Fix: choose a model "
                "that suits the series (a differenced one such as arima or auto_arima for a trend), "
                "or use auto."
            )
        return array

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "cutoff_")
