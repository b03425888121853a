"""``ridge``: a direct multi-step ridge regression on the recent window, the values of a year
before and the calendar.

How it forecasts
----------------
From each forecast origin ``t`` the model reads the last ``window`` observations, all relative
to the last one (as NLinear: a zero output is the naive forecast), and predicts the next
``output_steps`` values, also relative to it, with one linear map per step (a direct forecast:
no error feeds back inside the block). Longer horizons continue recursively, the block
appended as if observed.

On data finer than weekly it can also read the values of 52 weeks before each step to
forecast, half a season either side (``annual``): a yearly pattern and its holidays, which
fall on the same weekday 52 weeks later, are read from last year instead of being learned
from a window of eight weeks. Calendar features of the first step (``calendar``: day of week,
hour of day, day of year) let the map depend on the season.

Every training origin of the history is one regression row; the features are standardised
and the penalty is chosen by generalised cross-validation (scikit-learn's ``RidgeCV``, an
efficient leave-one-out over 17 penalties from 1e-3 to 1e5). A fit is a few linear solves:
0.16 s on ten years of daily data, where an LSTM takes tens of seconds.

What it chooses
---------------
The chronologically last ``calibration_fraction`` of the origins is held out (purged: no
training target inside it). On its first half, fits on the origins before it choose the
window (by default the networks' rule, :mod:`tsforecast.models.window_rules`, or a half, a
quarter or an eighth of it: eight seasons of lags overfit a regression on a short history)
and whether to read last year, by mean absolute error. Last year is a candidate only with
two years of history and when the series does repeat yearly (:func:`annual_pattern`): on a
random walk the held-out tail would otherwise pick it by chance.

Intervals
---------
Split-conformal and locally scaled, as the neural models' (:mod:`tsforecast.models.calibration`):
the second half of the held-out tail is forecast by a fit on the origins before it, and each
error, per step, is divided by the mean absolute seasonal difference of the window it read. A
forecast's half-width is the conformal quantile of those ratios times its own window's scale.
The point forecasts then come from a refit on every origin. :meth:`update` only appends
observations: the linear map needs nothing but the latest values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV

from tsforecast.core.frequency import future_index
from tsforecast.core.params import check_bool, check_float, check_int
from tsforecast.data.fourier import check_fourier_params, default_harmonics, fourier_frame
from tsforecast.evaluation.intervals import normal_z
from tsforecast.models.base import Forecaster
from tsforecast.models.calibration import ConformalIntervals, calibration_ratios
from tsforecast.models.conformal import floor_scale, scale_lag
from tsforecast.models.features import calendar_features
from tsforecast.models.window_rules import WindowRules

__all__ = ["LagRidge", "annual_lag", "annual_pattern"]

#: the penalties generalised cross-validation chooses among, on standardised features
_ALPHAS = np.logspace(-3, 5, 17)
#: years of history before the annual block is read: one to look back over, one (at least)
#: of training origins that can see it
_ANNUAL_YEARS = 2


def annual_lag(index: pd.DatetimeIndex) -> int:
    """Steps in 52 weeks at the frequency of ``index`` (364 for days, 260 for business
    days, 8,736 for hours), or 0 for weekly or coarser data, whose season is the year
    already."""
    if len(index) < 2 or index[1] - index[0] >= pd.Timedelta(days=7):
        return 0
    if isinstance(index.freq, pd.offsets.Tick) and index[1] - index[0] < pd.Timedelta(days=1):
        # hours, minutes, seconds: a fixed step (counting a year of seconds would take seconds)
        return int(pd.Timedelta(weeks=52) // (index[1] - index[0]))
    start = index[0]  # days, business days or hours: count them
    return len(pd.date_range(start, start + pd.Timedelta(weeks=52), freq=index.freq)) - 1


def annual_pattern(values: np.ndarray, season: int, lag: int) -> bool:
    """Whether ``values`` repeat after ``lag`` steps beyond their season: the autocorrelation
    of the seasonal differences at ``lag`` is positive and significant at the 95% level
    (one-sided, Bartlett's standard error, as statsmodels tests seasonality for Theta).

    Ten years of CTA ridership: z = 18; a stock price: z = -1.7 (its annual block made
    forecasts worse, chosen by chance on the held-out tail)."""
    from statsmodels.tsa.stattools import acf

    differences = values[season:] - values[:-season] if season > 1 else np.diff(values)
    if len(differences) <= lag or np.ptp(differences) == 0:
        return False
    correlations = acf(differences, nlags=lag, fft=True)
    error = np.sqrt((1 + 2 * np.sum(correlations[1:lag] ** 2)) / len(differences))
    # a one-sided test at 5%: the bound of the central 90% interval
    return bool(correlations[lag] > normal_z(0.9) * error)


class LagRidge(ConformalIntervals, WindowRules, Forecaster):
    """Direct multi-step ridge regression on lagged values (see the module docstring).

    Parameters
    ----------
    season
        Observations per seasonal cycle (default: the frequency's); sets the default window
        and the scale of the intervals.
    window
        Recent observations read. Default (None): chosen on the held-out tail among the
        neural models' rule (8 seasons, 56 for daily data, capped for long seasons and
        shortened on short histories) and its half, quarter and eighth; the window used is
        ``window_``.
    output_steps
        Steps forecast at once; longer horizons continue recursively.
    annual
        Read the values of 52 weeks before each forecast step, half a season either side, on
        data finer than weekly with at least two years of history. None (default): when the
        series repeats yearly and it forecasts the held-out tail better; True: whenever the
        history allows; False: never. ``annual_lag_`` records the lag used (0 for none).
    calendar
        Add the calendar features (day of week, hour of day, day of year) of the first step.
    calibration_fraction
        The chronologically last share of the origins held out: its first half chooses the
        window and the annual block, its second half calibrates the intervals.
    fourier
        Seasonal periods (e.g. ``[52.18]`` for weekly data, ``[365.25]`` for daily) whose
        Fourier terms at the first step (:mod:`tsforecast.data.fourier`, counted from the
        training series' first timestamp) join the features: a long or non-integer season
        the lags cannot hold. ``fourier_k`` harmonics each (default
        :func:`~tsforecast.data.fourier.default_harmonics`: 10, fewer for short periods).
    """

    short_name = "ridge"

    def __init__(
        self,
        season: int | None = None,
        window: int | None = None,
        output_steps: int = 14,
        annual: bool | None = None,
        calendar: bool = True,
        calibration_fraction: float = 0.3,
        fourier: list[float] | None = None,
        fourier_k: list[int] | None = None,
    ) -> None:
        self.season = season
        self.window = window
        self.output_steps = output_steps
        self.annual = annual
        self.calendar = calendar
        self.calibration_fraction = calibration_fraction
        self.fourier = fourier
        self.fourier_k = fourier_k

    @classmethod
    def test_params(cls) -> dict:
        return {"window": 14, "output_steps": 7}

    def check_params(self) -> None:
        name = self.short_name
        check_int(name, "season", self.season, 1, allow_none=True)
        check_int(name, "window", self.window, 2, allow_none=True)
        check_int(name, "output_steps", self.output_steps, 1)
        if self.annual is not None:
            check_bool(name, "annual", self.annual)
        check_bool(name, "calendar", self.calendar)
        check_float(name, "calibration_fraction", self.calibration_fraction, 0.05, 0.5)
        check_fourier_params(name, self.fourier, self.fourier_k)

    def _held_out_fraction(self) -> float:
        return self.calibration_fraction

    # ------------------------------------------------------------------ features
    def _offsets(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions read from an origin ``t``: the recent window ``t + recent`` and the
        annual block ``t + annual`` (empty without one)."""
        recent = np.arange(-self.window_, 0)
        if not self.annual_lag_:
            return recent, np.empty(0, dtype=int)
        width = self.season_ // 2
        return recent, np.arange(-width, self.output_steps + width) - self.annual_lag_

    def _features(self, values: np.ndarray, origins: np.ndarray, calendar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The regression rows for forecasts from ``origins`` of ``values`` (the last axis;
        leading axes are paths), and the level each row is relative to."""
        recent, annual = self._offsets()
        level = values[..., origins - 1]
        parts = [np.take(values, origins[:, None] + recent, axis=-1) - level[..., None]]
        if len(annual):
            parts.append(np.take(values, origins[:, None] + annual, axis=-1) - level[..., None])
        rows = calendar[origins]
        parts.append(np.broadcast_to(rows, (*level.shape, rows.shape[-1])))
        return np.concatenate(parts, axis=-1), level

    def _calendar(self, index: pd.DatetimeIndex) -> np.ndarray:
        """The calendar features of each timestamp (none without ``calendar``), then its
        Fourier terms (none without ``fourier``)."""
        parts = [calendar_features(index).to_numpy(dtype="float64")] if self.calendar else []
        periods, ks = check_fourier_params(self.short_name, self.fourier, self.fourier_k)
        if periods:
            ks = ks or [default_harmonics(p) for p in periods]
            origin = getattr(self, "fourier_origin_", index[0])
            parts.append(fourier_frame(index, periods, ks, origin=origin, freq=self.freq_).to_numpy(dtype="float64"))
        return np.concatenate(parts, axis=1) if parts else np.empty((len(index), 0))

    def _first_origin(self) -> int:
        """The earliest origin whose window and annual block lie inside the history."""
        recent, annual = self._offsets()
        return int(max(-recent.min(), -annual.min() if len(annual) else 0))

    # ----------------------------------------------------------------------- fit
    def _candidate_windows(self, n: int) -> list[int]:
        """The windows to choose among: the one given, or the default rule's window halved
        up to three times (56, 28, 14, 7 days), none below ``min_window``."""
        longest = self._window_for(n)
        if self.window is not None:
            return [longest]
        shortest = self._shortest_window()
        return sorted({max(shortest, longest // 2**k) for k in range(4)})

    def _candidate_lags(self, y: pd.Series) -> list[int]:
        """The annual lags to choose among (0: no annual block)."""
        lag = annual_lag(y.index) if self.annual is not False else 0
        # the block must end before the origin, and two years leave a year of origins to learn it
        usable = lag > self.output_steps + self.season_ // 2 and len(y) >= (
            _ANNUAL_YEARS * lag + self._window_for(len(y)) + self.output_steps)
        if not usable or (self.annual is None and not annual_pattern(y.to_numpy(dtype="float64"), self.season_, lag)):
            return [0]
        return [lag] if self.annual else [0, lag]

    def _rows(self, values: np.ndarray, calendar: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every training origin of ``values`` with the current window and annual lag, its
        regression row and its targets (relative to the origin's level)."""
        steps = self.output_steps
        origins = np.arange(self._first_origin(), len(values) - steps + 1)
        features, level = self._features(values, origins, calendar)
        return origins, features, values[origins[:, None] + np.arange(steps)] - level[:, None]

    def _fit(self, y: pd.Series, X: pd.DataFrame | None) -> None:
        values = y.to_numpy(dtype="float64")
        n, steps = len(values), self.output_steps
        self.fourier_origin_ = y.index[0]  # Fourier terms count from here, in forecasts too
        calendar = self._calendar(y.index)
        windows, lags = self._candidate_windows(n), self._candidate_lags(y)
        # the held-out tail of origins, the same for every candidate: its first half chooses
        # the window and the annual block, its second half calibrates the intervals
        last = n - steps + 1
        tail = max(2, round(self.calibration_fraction * (last - max(windows))))
        choose_from, calibrate_from = last - tail, last - tail // 2
        configurations = [(window, lag) for window in windows for lag in lags]
        if len(configurations) > 1:  # the smallest error; on a tie, the shorter window and no annual block
            errors = [self._held_out_error(values, calendar, choice, choose_from, calibrate_from)
                      for choice in configurations]
            configurations = [configurations[int(np.argmin(errors))]]
        self.window_, self.annual_lag_ = configurations[0]
        origins, features, targets = self._rows(values, calendar)
        train, held = origins <= calibrate_from - steps, origins >= calibrate_from
        weights, bias, _ = _ridge(features[train], targets[train])
        errors = targets[held] - (features[held] @ weights + bias)
        self.scale_lag_ = scale_lag(self.season_, self.window_)
        self.scale_floor_ = floor_scale(values, self.scale_lag_)
        self.calibration_errors_ = calibration_ratios(
            values, errors, origins[held] - self.window_, self.window_, self.scale_lag_, self.scale_floor_)
        self.conformity_scores_ = np.abs(self.calibration_errors_)
        self.weights_, self.bias_, self.alpha_ = _ridge(features, targets)

    def _held_out_error(
        self, values: np.ndarray, calendar: np.ndarray, choice: tuple[int, int], start: int, stop: int
    ) -> float:
        """Mean absolute error, with the ``(window, annual lag)`` of ``choice``, of forecasts
        from the origins ``start .. stop - 1`` by a fit on the origins whose targets end
        before them."""
        self.window_, self.annual_lag_ = choice
        origins, features, targets = self._rows(values, calendar)
        train, scored = origins <= start - self.output_steps, (origins >= start) & (origins < stop)
        weights, bias, _ = _ridge(features[train], targets[train])
        return float(np.abs(targets[scored] - (features[scored] @ weights + bias)).mean())

    # ------------------------------------------------------------------ forecast
    def _latest(self, steps: int) -> tuple[np.ndarray, np.ndarray]:
        """What forecasts from the end of the history read: its last values (as one path,
        ``(1, k)``: the window and the annual block) and the calendar of those and of the
        ``steps`` timestamps after them. Only the tail, so a forecast costs the same on ten
        years of history as on two."""
        keep = self._first_origin()
        index = self.y_.index[-keep:].append(future_index(self.cutoff_, self.freq_, steps))
        return self.y_.to_numpy(dtype="float64")[None, -keep:], self._calendar(index)

    def _forecast_paths(self, values: np.ndarray, horizon: int, calendar: np.ndarray, block: int) -> np.ndarray:
        """Forecasts ``horizon`` steps past the end of ``values`` (``(paths, n)``), ``block``
        steps at a time, each block appended as if observed; ``calendar`` covers every
        timestamp from the first of ``values`` to the last one forecast."""
        n = values.shape[-1]
        out = values
        while out.shape[-1] < n + horizon:
            features, level = self._features(out, np.array([out.shape[-1]]), calendar)
            forecast = features[..., 0, :] @ self.weights_[:, :block] + self.bias_[:block] + level
            out = np.concatenate([out, forecast], axis=-1)
        return out[..., n : n + horizon]

    def _predict(self, horizon: int, X: pd.DataFrame | None) -> np.ndarray:
        values, calendar = self._latest(horizon + self.output_steps)
        return self._forecast_paths(values, horizon, calendar, self.output_steps)[0]

    def _sample_paths(
        self, horizon: int, n: int, rng: np.random.Generator, temperature: float, X: pd.DataFrame | None
    ) -> np.ndarray:
        """Paths built one step at a time: each path's next value is its one-step forecast
        plus a calibration error of one-step forecasts (relative to its window's scale) times
        this path's window scale and ``temperature``; the value is then read as observed."""
        latest, calendar = self._latest(horizon + 1)
        paths = np.repeat(latest, n, axis=0)
        for _ in range(horizon):
            forecast = self._forecast_paths(paths, 1, calendar, 1)[:, 0]
            noise = self._path_noise(paths[:, -self.window_:], rng, temperature)
            paths = np.concatenate([paths, (forecast + noise)[:, None]], axis=1)
        return paths[:, -horizon:].T

    def _fitted_values(self) -> np.ndarray:
        values = self.y_.to_numpy(dtype="float64")
        fitted = np.full(len(values), np.nan)
        origins = np.arange(self._first_origin(), len(values))
        if len(origins):
            calendar = self._calendar(self.y_.index)
            features, level = self._features(values, origins, calendar)
            fitted[origins] = features @ self.weights_[:, 0] + self.bias_[0] + level
        return fitted

    updates_in_place = True  # _update below rolls forward without refitting (Forecaster.updates_in_place)

    def _update(self, y_new: pd.Series, X_new: pd.DataFrame | None) -> None:
        """Nothing to re-estimate: forecasts read the latest values, now including ``y_new``."""

    @property
    def label_(self) -> str:
        """E.g. ``"ridge (window 56, annual lag 364)"``."""
        annual = f", annual lag {self.annual_lag_}" if self.annual_lag_ else ""
        return f"ridge (window {self.window_}{annual})"


def _ridge(features: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Weights and intercepts of a ridge regression of ``targets`` on ``features`` in their
    original units (standardised for the fit, the penalty chosen by generalised
    cross-validation), and the penalty."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale = np.where(scale > 1e-12 * max(1.0, float(np.abs(features).max(initial=0.0))), scale, np.inf)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # an ill-conditioned solve is what the penalty is for
        model = RidgeCV(alphas=_ALPHAS).fit((features - mean) / scale, targets)
    weights = np.atleast_2d(model.coef_).T / scale[:, None]  # constant features get weight 0
    bias = np.atleast_1d(model.intercept_) - mean @ weights
    return weights, bias, float(model.alpha_)

