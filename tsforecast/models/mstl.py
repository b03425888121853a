"""MSTL: several seasons removed by STL, a non-seasonal model on the rest (statsforecast's MSTL).

Hourly and half-hourly data carry a daily and a weekly season, daily data a weekly and a
yearly one: seasons too long (or too many) for seasonal ETS/ARIMA states. :class:`MSTL`
splits the series with :func:`~tsforecast.models.seasonal_adjust.seasonal_adjust` (R's
``mstl``: STL per period, shortest first, seasonal windows 11, 15, ..., two passes; the same
numbers as statsforecast's ``mstl`` and as statsmodels' ``MSTL`` with ``seasonal_deg=0``, the
locally constant seasonal fit R and statsforecast use), fits a *trend model* (any registered non-seasonal model;
default ETS restricted to non-seasonal forms, statsforecast's ``AutoETS(model="ZZN")``) to the
seasonally adjusted series (trend plus remainder) and forecasts each seasonal component by
repeating its last cycle. The forecast is the trend model's plus the repeated seasonals.

Intervals, quantiles and sample paths are the trend model's, shifted by the repeated
seasonals (as statsforecast's MSTL): the seasonal components are treated as known, so the
intervals hold the adjusted series' uncertainty only.

:meth:`MSTL.update` rolls forward without re-estimating: the seasonal components carry on as
forecast (their last cycles repeated), and the trend model is updated with the new
observations minus those seasonals. A refit (``fit`` on the longer history) re-decomposes.

:func:`long_season_plan` is the rule for which periods a frequency has and when MSTL (or
Fourier terms) should be used: ``auto`` calls it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import Tick

from tsforecast.core.errors import ConfigError, FitWarning, TsforecastError
from tsforecast.core.frequency import infer_season
from tsforecast.core.params import check_int_sequence
from tsforecast.models.base import Forecaster
from tsforecast.models.seasonal_adjust import repeat_seasonal, seasonal_adjust

__all__ = ["MSTL", "LongSeasonPlan", "default_periods", "long_season_plan", "MAX_STATE_SEASON"]

#: the longest season seasonal ETS/ARIMA states handle well (R's ETS limit); longer seasons,
#: or more than one, are MSTL's (or Fourier terms') business
MAX_STATE_SEASON = 24
#: days per year and weeks per year: the non-integer annual periods Fourier terms use
_DAYS_PER_YEAR, _WEEKS_PER_YEAR = 365.25, 365.25 / 7
# registered models that are seasonal by construction or sit above the models layer: not a
# trend model
_NOT_TREND = ("mstl", "auto", "snaive", "sarima")


def default_periods(freq: object, n: int | None = None) -> list[int]:
    """The seasonal periods of data at ``freq`` (the ones MSTL uses when given none):
    sub-daily data a day and a week (hourly [24, 168], half-hourly [48, 336]); daily data a
    week and, with at least two years (``n >= 730``), a year of 365; weekly data a year of
    52 (52.18 rounded: STL needs whole periods; Fourier terms take 52.18 itself); other
    frequencies their one natural season (monthly 12, quarterly 4; none for yearly)."""
    offset = to_offset(freq)
    if isinstance(offset, Tick) and pd.Timedelta(offset) < pd.Timedelta(days=1):
        per_day = pd.Timedelta(days=1) // pd.Timedelta(offset)
        if per_day * pd.Timedelta(offset) == pd.Timedelta(days=1) and per_day >= 2:
            return [int(per_day), int(7 * per_day)]
    if offset.rule_code == "D" and offset.n == 1:
        return [7, 365] if n is None or n >= 2 * 365 else [7]
    season = infer_season(offset)
    return [season] if season > 1 else []


@dataclass(frozen=True)
class LongSeasonPlan:
    """What to do about the seasons of one series (see :func:`long_season_plan`).

    ``periods``: the whole periods MSTL decomposes (those with two full cycles in the data);
    ``fourier_periods``: the exact periods for Fourier terms (52.18 for weekly, 365.25 for a
    daily year); ``model``: ``"mstl"`` when the series has a long season (above
    :data:`MAX_STATE_SEASON`) or several, else None (ordinary seasonal models suffice).
    """

    periods: list[int]
    fourier_periods: list[float]
    model: str | None

    def candidates(self) -> dict[str, dict]:
        """Registered model name -> parameters, for the long-season candidates ``auto`` adds
        to its usual ones (empty when ``model`` is None): MSTL on ``periods``, and ridge with
        Fourier terms of ``fourier_periods``; ``get_model(name, **params)`` builds each."""
        if self.model is None:
            return {}
        return {"mstl": {"periods": list(self.periods)}, "ridge": {"fourier": list(self.fourier_periods)}}


def long_season_plan(freq: object, n: int) -> LongSeasonPlan:
    """The long/multiple-season rule for a series of ``n`` observations at ``freq``.

    Periods come from :func:`default_periods`, kept when the series holds two full cycles.
    ``model`` is ``"mstl"`` when a kept period exceeds :data:`MAX_STATE_SEASON` or more than
    one is kept; ``auto`` should then validate :meth:`LongSeasonPlan.candidates` (``mstl`` on
    the periods, ``ridge`` with Fourier terms) next to its usual models, chosen by the same
    validation (``arima`` with ``fourier=plan.fourier_periods`` is a further, costlier option:
    its K search fits up to 20 ARIMAs).
    """
    periods = [p for p in default_periods(freq, n) if n >= 2 * p]
    fourier = [(_WEEKS_PER_YEAR if p == 52 else _DAYS_PER_YEAR if p == 365 else float(p)) for p in periods]
    long = len(periods) > 1 or any(p > MAX_STATE_SEASON for p in periods)
    return LongSeasonPlan(periods=periods, fourier_periods=fourier, model="mstl" if long else None)


class MSTL(Forecaster):
    """MSTL decomposition plus a non-seasonal trend model (see the module docstring).

    Parameters
    ----------
    periods
        Seasonal periods in observations, e.g. ``[48, 336]``; default from the frequency
        (:func:`default_periods`). Periods with fewer than two full cycles in the training
        data are dropped with a :class:`~tsforecast.core.errors.FitWarning`; with none left
        the trend model forecasts the series itself.
    trend
        The registered model forecasting the seasonally adjusted series (``"ets"``,
        ``"theta"``, ``"arima"``, ``"naive"``, ``"drift"``, ...; None: ``"ets"``): built with
        ``season=1`` and, for ETS, non-seasonal forms (``model="ZZN"``).
    trend_params
        Extra parameters for the trend model (e.g. ``{"model": "AAN"}`` for ETS).
    """

    short_name = "mstl"
    updates_in_place = True  # _update: the seasonals carry on, the trend model rolls forward

    def __init__(self, periods: list[int] | None = None, trend: str | None = "ets",
                 trend_params: dict | None = None) -> None:
        self.periods = periods
        self.trend = trend
        self.trend_params = trend_params

    @classmethod
    def test_params(cls) -> dict:
        return {"trend_params": {"simulation_paths": 200}}

    def check_params(self) -> None:
        name = self.short_name
        if self.periods is not None:
            check_int_sequence(name, "periods", self.periods, low=2)
        if self.trend_params is not None and not isinstance(self.trend_params, dict):
            raise ConfigError(f"{name}: trend_params must be a dict of the trend model's parameters, "
                              f"got {self.trend_params!r}.")
        self._trend_model().check_params()

    def _trend_model(self) -> Forecaster:
        """A new, unfitted trend model."""
        from tsforecast.registry import check_model_names, get_model, model_parameters

        trend = "ets" if self.trend is None else self.trend
        if not isinstance(trend, str):
            raise ConfigError(f"{self.short_name}: trend must be a registered model name, got {trend!r}.")
        try:
            check_model_names([trend])
        except ConfigError as exc:
            raise ConfigError(f"{self.short_name}: trend: {exc}") from None
        name = trend.strip().lower()
        if name in _NOT_TREND:
            raise ConfigError(f"{self.short_name}: trend {trend!r} is not a non-seasonal model; use "
                              "'ets', 'theta', 'arima', 'auto_arima', 'naive' or 'drift'.")
        accepted = model_parameters(name)
        params: dict = {"season": 1} if "season" in accepted else {}
        if name == "ets":
            params["model"] = "ZZN"
        params.update(self.trend_params or {})
        model = get_model(name, **params)
        if name == "ets" and str(params["model"])[2:] != "N":
            raise ConfigError(f"{self.short_name}: the trend ETS must be non-seasonal (model ending in 'N', "
                              f"e.g. 'ZZN'), got {params['model']!r}; the seasons are MSTL's.")
        return model

    def _min_length(self) -> int:
        return self._trend_model().required_length(self.freq_)

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        values = y.to_numpy(dtype="float64")
        wanted = sorted(self.periods) if self.periods is not None else default_periods(self.freq_, len(values))
        kept = [int(p) for p in wanted if len(values) >= 2 * p]
        if len(kept) < len(wanted):
            dropped = [p for p in wanted if p not in kept]
            warnings.warn(f"{self.short_name}: period(s) {dropped} dropped: the series has {len(values)} "
                          "observations, fewer than two full cycles of them.", FitWarning, stacklevel=4)
        if kept:
            self.seasonal_, adjusted = seasonal_adjust(values, kept)
        else:
            self.seasonal_, adjusted = np.zeros((0, len(values))), values
        self.periods_ = kept
        trend = self._trend_model()
        try:
            self.trend_model_ = trend.fit(pd.Series(adjusted, index=y.index, name=y.name))
        except TsforecastError as exc:
            # the user asked for mstl: say that its trend model refused the adjusted series
            raise type(exc)(f"{self.short_name}: its trend model {trend.short_name} on the seasonally adjusted "
                            f"series: {exc}") from exc

    @property
    def label_(self) -> str:
        """E.g. ``"MSTL(48,336)+ETS(AAdN)"``."""
        inner = getattr(self.trend_model_, "label_", self.trend_model_.short_name)
        return f"MSTL({','.join(map(str, self.periods_))})+{inner}" if self.periods_ else str(inner)

    def seasonal_forecast(self, horizon: int) -> np.ndarray:
        """The seasonal components' forecast for the ``horizon`` steps after the cutoff: each
        one's last cycle repeated, summed (what every forecast adds to the trend model's)."""
        self._check_fitted()
        total = np.zeros(horizon)
        for row, period in zip(self.seasonal_, self.periods_, strict=True):
            total += repeat_seasonal(row, period, horizon)
        return total

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        future = np.vstack([repeat_seasonal(row, p, len(y_new)) for row, p in zip(self.seasonal_, self.periods_,
                                                                                   strict=True)]
                           ) if self.periods_ else np.zeros((0, len(y_new)))
        self.seasonal_ = np.hstack([self.seasonal_, future])
        self.trend_model_.update(pd.Series(y_new.to_numpy() - future.sum(axis=0), index=y_new.index))

    def _restore_state(self, state: dict) -> None:
        super()._restore_state(state)
        self.seasonal_ = np.asarray(self.seasonal_, dtype="float64").reshape(len(self.periods_), -1)
        self.periods_ = [int(p) for p in self.periods_]

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        return self.trend_model_.predict(horizon).to_numpy() + self.seasonal_forecast(horizon)

    def _predict_interval(
        self, horizon: int, coverage: float, X: pd.DataFrame | None
    ) -> tuple[np.ndarray, np.ndarray]:
        frame = self.trend_model_.predict_interval(horizon, coverage)
        seasonal = self.seasonal_forecast(horizon)
        return frame["lower"].to_numpy() + seasonal, frame["upper"].to_numpy() + seasonal

    def _predict_quantiles(self, horizon: int, levels: tuple[float, ...], X: pd.DataFrame | None) -> np.ndarray:
        seasonal = self.seasonal_forecast(horizon)[:, None]
        return self.trend_model_.predict_quantiles(horizon, levels).to_numpy() + seasonal

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        return self.paths_from(horizon, n, int(rng.integers(0, 2**32 - 1)), temperature)

    def paths_from(self, horizon: int, n: int, seed: int | np.random.Generator, temperature: float = 1.0) -> np.ndarray:
        """``n`` sample paths, shape ``(horizon, n)``: the trend model's, drawn with ``seed``
        (an integer or a generator the trend model draws from directly), plus the seasonal
        forecast. :meth:`sample_paths` seeds it from its own generator; ETS, whose seasons
        above 24 this model forecasts, hands its generator on, so its paths stay the ones
        it simulated before MSTL served it."""
        paths = self.trend_model_.sample_paths(horizon, n=n, seed=seed, temperature=temperature).to_numpy()
        return paths + self.seasonal_forecast(horizon)[:, None]

    def _fitted_values(self) -> np.ndarray:
        return self.trend_model_.fitted_values().to_numpy() + self.seasonal_.sum(axis=0)
