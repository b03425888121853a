"""Every registered model on every frequency and on short histories: a forecast, or a clear
DataError naming the minimum length; never a foreign exception."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.core.errors import DataError, FitWarning
from tsforecast.models.window_rules import MIN_TRAINING_WINDOWS, default_window, min_window
from tsforecast.registry import MODELS

from .conftest import assert_near_level, forecast_index

FAST_NEURAL = {"max_epochs": 2, "min_epochs": 1, "hidden": 4}
# frequency -> (observations, season): short but realistic histories
CASES = {"YS": (60, 1), "QS": (80, 4), "MS": (84, 12), "W-SUN": (160, 52), "D": (120, 7),
         "B": (130, 5), "h": (240, 24)}


def series(freq: str, n: int, season: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    pattern = 10 * np.sin(2 * np.pi * t / season) if season > 1 else 0
    values = 200 + 0.3 * t + pattern + rng.normal(0, 2, n).cumsum() * 0.5
    return pd.Series(values, index=pd.date_range("2001-01-01", periods=n, freq=freq), name="y")


def build(name: str):
    """Default parameters, except fewer epochs for neural models and a smaller order search."""
    params = FAST_NEURAL if name in {"rnn", "lstm", "gru", "wavenet"} else {}
    if name == "auto_arima":
        params = {"max_p": 2, "max_q": 2, "max_models": 12}
    return tsforecast.get_model(name, **params)


@pytest.mark.parametrize("freq", list(CASES))
@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_forecasts_every_frequency_or_says_why(name, freq):
    n, season = CASES[freq]
    y = series(freq, n, season)
    model = build(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model.fit(y)
        except DataError as exc:
            needed = model.required_length(y.index.freq)
            assert needed > n and f"needs at least {needed}" in str(exc)
            return
        forecast = model.predict(8)
        bounds = model.predict_interval(8)
    assert forecast.index.equals(forecast_index(y, 8))
    # within the history's range widened by half of it ("mean" forecasts the whole history's mean)
    assert_near_level(forecast, y, window=None)
    assert (bounds["lower"] <= forecast + 1e-6).all() and (forecast <= bounds["upper"] + 1e-6).all()


@pytest.mark.parametrize("name", ["auto_arima", "sarima", "ets", "theta", "lstm", "snaive"])
def test_the_common_models_need_no_more_than_seven_years_of_monthly_data(name):
    y = series("MS", 84, 12)
    forecast = tsforecast.get_model(name, **(FAST_NEURAL if name == "lstm" else {})).fit(y).predict(12)
    assert_near_level(forecast, y, window=12)
    if name != "lstm":  # two epochs learn the level, not yet the season
        assert np.corrcoef(forecast, y.iloc[-12:])[0, 1] > 0.8  # last year's pattern, month by month


def test_auto_arima_on_a_long_non_seasonal_series_uses_the_css_path():
    y = series("YS", 400, 1).set_axis(pd.date_range("1600", periods=400, freq="YS"))
    model = tsforecast.AutoARIMA().fit(y)
    assert model.seasonal_order_ == (0, 0, 0, 0) and model._approximate(400, 0)
    assert_near_level(model.predict(5), y, window=8, slack=1.0)


def test_sarima_without_a_seasonal_period_falls_back_to_arima_and_says_so():
    y = series("YS", 60, 1)
    with pytest.warns(FitWarning, match="no seasonal period"):
        model = tsforecast.SARIMA().fit(y)
    assert model.seasonal_fallback_ and model.label_ == "ARIMA(1,0,0)"
    plain = tsforecast.SARIMA(seasonal_order=(0, 0, 0)).fit(series("D", 120, 7))
    assert not plain.seasonal_fallback_ and plain.seasonal_order_ == (0, 0, 0, 0)


def test_neural_windows_adapt_to_seasons_and_history():
    assert [default_window(s) for s in (1, 4, 7, 12, 24, 52)] == [16, 32, 56, 96, 112, 112]
    monthly = build("lstm").fit(series("MS", 84, 12))
    assert min_window(12) <= monthly.window_ < default_window(12)
    n_windows = 84 - monthly.window_ - monthly.output_steps + 1
    assert n_windows >= MIN_TRAINING_WINDOWS
    weekly = build("gru").fit(series("W-SUN", 400, 52))
    assert weekly.window_ == 112  # capped: 8 seasons would be 416 steps
    fixed = tsforecast.get_model("lstm", window=12, **FAST_NEURAL).fit(series("MS", 84, 12))
    assert fixed.window_ == 12  # a window given is used as given


def test_a_series_too_short_for_any_window_names_the_minimum():
    model = build("lstm")
    needed = model.required_length("MS")
    with pytest.raises(DataError, match=f"needs at least {needed}"):
        model.fit(series("MS", needed - 1, 12))
    y = series("MS", needed, 12)
    assert_near_level(build("lstm").fit(y).predict(3), y, window=12)


def test_early_stopping_never_returns_the_untrained_network():
    y = series("MS", 84, 12)
    model = tsforecast.get_model("lstm", max_epochs=30, min_epochs=8, patience=2, hidden=4).fit(y)
    assert model.history_.best_epoch >= 8
    assert len(model.history_.train_loss) >= 8
