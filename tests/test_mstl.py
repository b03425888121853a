"""MSTL: statsforecast's point forecasts on fixed input, the period rules, intervals, update
and saved models."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.core.errors import ConfigError, FitWarning
from tsforecast.models.mstl import MSTL, default_periods, long_season_plan
from tsforecast.models.seasonal_adjust import seasonal_adjust

FIXTURE = Path(__file__).resolve().parent / "data" / "mstl_statsforecast.json"
CASES = json.loads(FIXTURE.read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['series']}-{c['trend']}" for c in CASES])
def test_point_forecasts_equal_statsforecast_where_the_method_is_the_same(case):
    """statsforecast 2.1.1's MSTL with Naive / RandomWalkWithDrift trend forecasters on real
    half-hourly demand and weekly CO2 (the fixture names the command that made it)."""
    y = pd.Series(case["y"], pd.date_range(case["start"], periods=len(case["y"]), freq=case["freq"]))
    forecast = MSTL(periods=case["periods"], trend=case["trend"]).fit(y).predict(case["horizon"])
    np.testing.assert_allclose(forecast.to_numpy(), case["statsforecast"], rtol=0, atol=1e-6)


def test_the_decomposition_is_statsmodels_mstl_with_rs_seasonal_fit():
    from statsmodels.tsa.seasonal import MSTL as StatsmodelsMSTL

    y = hourly(30).to_numpy()
    seasonal, adjusted = seasonal_adjust(y, [24, 168])
    reference = StatsmodelsMSTL(y, periods=[24, 168], stl_kwargs={"seasonal_deg": 0}).fit()
    np.testing.assert_allclose(seasonal, np.asarray(reference.seasonal).T, rtol=0, atol=1e-9)
    np.testing.assert_allclose(adjusted, reference.trend + reference.resid, rtol=0, atol=1e-9)


def hourly(days: int = 42, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(24 * days)
    values = (200 + 0.01 * t + 20 * np.sin(2 * np.pi * t / 24) + 8 * np.cos(2 * np.pi * t / 168)
              + rng.normal(0, 2, len(t)))
    return pd.Series(values, pd.date_range("2024-01-01", periods=len(t), freq="h"))


@pytest.mark.parametrize("freq, n, expected", [
    ("h", 1000, [24, 168]), ("30min", 1000, [48, 336]), ("15min", 10, [96, 672]), ("D", 800, [7, 365]),
    ("D", 700, [7]), ("W-SUN", 300, [52]), ("MS", 100, [12]), ("QS", 40, [4]), ("YS", 40, [])])
def test_default_periods_follow_the_frequency(freq, n, expected):
    assert default_periods(freq, n) == expected


def test_long_season_plan_says_when_to_use_mstl():
    assert long_season_plan("30min", 4032).model == "mstl"
    assert long_season_plan("h", 100).periods == [24] and long_season_plan("h", 100).model is None
    weekly = long_season_plan("W-SUN", 300)
    assert weekly.periods == [52] and weekly.model == "mstl"
    assert weekly.fourier_periods[0] == pytest.approx(52.1786, 1e-4)
    daily = long_season_plan("D", 1000)
    assert daily.periods == [7, 365] and daily.fourier_periods == [7.0, 365.25] and daily.model == "mstl"
    assert long_season_plan("MS", 200).model is None
    assert long_season_plan("MS", 200).candidates() == {}
    weekly_values = pd.Series(np.sin(np.arange(300) / 8.3) + 10, pd.date_range("2015-01-04", periods=300, freq="W-SUN"))
    for name, params in long_season_plan("W-SUN", 300).candidates().items():
        assert tsforecast.get_model(name, **params).fit(weekly_values).predict(3).size == 3


def test_the_forecast_is_the_trend_models_plus_the_repeated_last_cycles():
    y = hourly()
    model = MSTL(trend="drift").fit(y)
    seasonal, adjusted = seasonal_adjust(y.to_numpy(), [24, 168])
    drift = tsforecast.get_model("drift").fit(pd.Series(adjusted, y.index)).predict(30).to_numpy()
    repeated = seasonal[0][-24:][np.arange(30) % 24] + seasonal[1][-168:][np.arange(30) % 168]
    np.testing.assert_allclose(model.predict(30).to_numpy(), drift + repeated, rtol=1e-12)
    assert model.label_.startswith("MSTL(24,168)+")
    # intervals: the trend model's, shifted by the same seasonals (statsforecast's rule)
    bounds = model.predict_interval(30, 0.9)
    inner = model.trend_model_.predict_interval(30, 0.9)
    np.testing.assert_allclose(bounds["upper"] - bounds["lower"], inner["upper"] - inner["lower"], rtol=1e-12)
    np.testing.assert_allclose(bounds["lower"].to_numpy(), inner["lower"].to_numpy() + repeated, rtol=1e-12)


def test_default_trend_is_non_seasonal_ets_and_beats_seasonal_naive_on_two_seasons():
    y = hourly(56)
    train, test = y.iloc[:-48], y.iloc[-48:]
    model = MSTL().fit(train)
    assert model.trend_model_.form_.endswith("N")  # no seasonal ETS states
    assert model.label_.startswith("MSTL(24,168)+ETS(")
    error = np.mean(np.abs(model.predict(48).to_numpy() - test.to_numpy()))
    snaive = np.mean(np.abs(train.to_numpy()[-168:-120] - test.to_numpy()))
    assert error < snaive
    quantiles = model.predict_quantiles(48, (0.1, 0.5, 0.9))
    inside = ((test.to_numpy() >= quantiles[0.1].to_numpy()) & (test.to_numpy() <= quantiles[0.9].to_numpy())).mean()
    assert inside > 0.5


def test_periods_longer_than_half_the_series_are_dropped_with_a_warning():
    y = hourly(10)  # 240 hours: a week of 168 has no two cycles
    with pytest.warns(FitWarning, match=r"\[168\] dropped"):
        model = MSTL(trend="naive").fit(y)
    assert model.periods_ == [24]
    with pytest.warns(FitWarning, match="dropped"):
        short = MSTL(periods=[500], trend="naive").fit(y)
    assert short.periods_ == [] and short.predict(3).to_numpy() == pytest.approx([y.iloc[-1]] * 3)


def test_update_rolls_the_seasonals_and_the_trend_model_forward(tmp_path):
    y = hourly()
    n = len(y) - 10
    model = MSTL(trend="naive").fit(y.iloc[:n])
    future = model.seasonal_forecast(10)
    model.update(y.iloc[n:])
    # naive trend: the last new observation minus its (carried-on) seasonal, plus what follows
    after = MSTL(trend="naive").fit(y.iloc[:n]).seasonal_forecast(15)[10:]
    np.testing.assert_allclose(model.predict(5).to_numpy(), y.iloc[-1] - future[-1] + after, rtol=1e-12)
    loaded = tsforecast.load(model.save(tmp_path / "mstl.tsf"))
    np.testing.assert_allclose(loaded.predict_interval(5), model.predict_interval(5), rtol=1e-12)
    assert loaded.periods_ == [24, 168] and loaded.seasonal_.shape == (2, len(y))


def test_saved_ets_trend_model_forecasts_the_same(tmp_path):
    y = hourly(30)
    model = MSTL(periods=[24], trend_params={"simulation_paths": 300}).fit(y)
    loaded = tsforecast.load(model.save(tmp_path / "mstl-ets.tsf"))
    np.testing.assert_allclose(loaded.predict(24), model.predict(24), rtol=1e-10)
    np.testing.assert_allclose(loaded.predict_interval(24), model.predict_interval(24), rtol=1e-10)


@pytest.mark.parametrize("params, match", [
    ({"trend": "snaive"}, "not a non-seasonal"), ({"trend": "auto"}, "not a non-seasonal"),
    ({"trend": "etss"}, "unknown model"), ({"trend_params": {"model": "AAA"}}, "non-seasonal"),
    ({"periods": [1, 24]}, "periods"), ({"periods": "24"}, "periods"), ({"trend_params": [1]}, "dict"),
    ({"trend": "theta", "trend_params": {"bogus": 1}}, "no parameter")])
def test_bad_parameters_fail_before_the_data(params, match):
    with pytest.raises(ConfigError, match=match):
        MSTL(**params).check_params()


def test_other_registered_trend_models_work():
    y = hourly(21)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for trend in ("theta", "arima", "naive"):
            forecast = MSTL(trend=trend).fit(y).predict(24).to_numpy()
            assert np.all(np.isfinite(forecast)) and np.abs(forecast - y.iloc[-168:].mean()).max() < 60


def test_mstl_says_its_trend_model_refused_the_adjusted_series():
    y = pd.Series(np.zeros(48), pd.date_range("2000-01-01", periods=48, freq="MS"))
    with pytest.raises(tsforecast.DataError, match="mstl: its trend model ets on the seasonally adjusted series: "
                                                   "the series is constant"):
        MSTL().fit(y)
