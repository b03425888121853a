"""``ridge``: the window and annual block it chooses, its intervals, its invariances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.models.ridge import annual_lag, annual_pattern


def holiday_series(years: int = 4, seed: int = 0) -> pd.Series:
    """Daily data with a weekly pattern and, every 52 weeks, a week of low values (a holiday
    the recent window cannot foresee, last year's values can)."""
    rng = np.random.default_rng(seed)
    n = 364 * years
    t = np.arange(n)
    values = 100 + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 2, n)
    values[(t % 364 >= 200) & (t % 364 < 207)] -= 40
    return pd.Series(values, index=pd.date_range("2015-01-05", periods=n, freq="D"))


def test_annual_lag_is_52_weeks_at_the_data_frequency():
    def index(freq: str) -> pd.DatetimeIndex:
        return pd.date_range("2020-01-06", periods=10, freq=freq)

    assert annual_lag(index("D")) == 364
    assert annual_lag(index("B")) == 260
    assert annual_lag(index("h")) == 364 * 24 and annual_lag(index("min")) == 364 * 24 * 60
    assert annual_lag(index("bh")) == 52 * 5 * 8  # business hours: counted, not divided
    assert annual_lag(index("W-SUN")) == 0 and annual_lag(index("MS")) == 0


def test_a_holiday_is_forecast_from_last_year_when_the_series_has_one():
    y = holiday_series()
    cutoff = 364 * 3 + 195  # five days before the fourth holiday week
    history, future = y.iloc[:cutoff], y.iloc[cutoff : cutoff + 14]
    with_year = tsforecast.get_model("ridge").fit(history)
    without = tsforecast.get_model("ridge", annual=False).fit(history)
    assert with_year.annual_lag_ == 364 and without.annual_lag_ == 0
    error_with = (with_year.predict(14) - future).abs().mean()
    error_without = (without.predict(14) - future).abs().mean()
    assert error_with < 0.5 * error_without
    assert "annual lag 364" in with_year.label_


def test_no_annual_block_on_a_random_walk():
    rng = np.random.default_rng(1)
    walk = pd.Series(100 + np.cumsum(rng.normal(0, 1, 1500)), pd.date_range("2015-01-01", periods=1500, freq="D"))
    assert not annual_pattern(walk.to_numpy(), 7, 364)
    assert annual_pattern(holiday_series().to_numpy(), 7, 364)
    assert tsforecast.get_model("ridge").fit(walk).annual_lag_ == 0


def test_the_window_is_chosen_from_the_rule_unless_given():
    y = holiday_series(years=1)
    chosen = tsforecast.get_model("ridge").fit(y)
    assert chosen.window_ in (7, 14, 28, 56)
    assert tsforecast.get_model("ridge", window=21).fit(y).window_ == 21


def test_a_periodic_series_is_forecast_almost_exactly():
    t = np.arange(300)
    y = pd.Series(50 + 5 * np.sin(2 * np.pi * t / 7) + 2 * np.cos(2 * np.pi * t / 7 * 3),
                  pd.date_range("2020-01-01", periods=300, freq="D"))
    forecast = tsforecast.get_model("ridge").fit(y.iloc[:-21]).predict(21)  # past one block: recursive
    np.testing.assert_allclose(forecast, y.iloc[-21:], atol=0.05)


def test_80_percent_intervals_cover_about_80_percent_of_new_values():
    inside = []
    for seed in range(4):  # one series' 56 overlapping origins are too few to judge alone
        rng = np.random.default_rng(seed)
        n = 1600
        noise = np.zeros(n)
        for i in range(1, n):  # AR(1) errors around a weekly pattern
            noise[i] = 0.6 * noise[i - 1] + rng.normal(0, 3)
        y = pd.Series(200 + 20 * np.sin(2 * np.pi * np.arange(n) / 7) + noise,
                      pd.date_range("2018-01-01", periods=n, freq="D"))
        model = tsforecast.get_model("ridge").fit(y.iloc[:1200])
        for origin in range(1200, n - 14, 7):  # rolled forward with update, no refit
            if origin > 1200:
                model.update(y.iloc[origin - 7 : origin])
            bounds = model.predict_interval(14, 0.8)
            actual = y.iloc[origin : origin + 14].to_numpy()
            inside.extend((bounds["lower"].to_numpy() <= actual) & (actual <= bounds["upper"].to_numpy()))
    assert 0.74 <= np.mean(inside) <= 0.86


@settings(max_examples=15, deadline=None)
@given(scale=st.floats(0.01, 100.0), shift=st.floats(-1e4, 1e4))
def test_forecasts_follow_a_change_of_units(scale, shift):
    """Rows are relative to the last value and standardised, so a change of units (a scale
    and an offset) changes the forecasts the same way and chooses the same configuration."""
    y = holiday_series(years=3)
    base = tsforecast.get_model("ridge").fit(y)
    moved = tsforecast.get_model("ridge").fit(y * scale + shift)
    assert (moved.window_, moved.annual_lag_) == (base.window_, base.annual_lag_)
    np.testing.assert_allclose(moved.predict(20), base.predict(20) * scale + shift, rtol=1e-6,
                               atol=1e-6 * scale * 100)


def test_a_constant_series_forecasts_its_value():
    y = pd.Series(7.0, pd.date_range("2020-01-01", periods=200, freq="D"))
    model = tsforecast.get_model("ridge").fit(y)
    np.testing.assert_allclose(model.predict(10), 7.0)
    np.testing.assert_allclose(model.predict_interval(10).to_numpy(), 7.0)  # no error seen, no width


def test_too_short_a_history_names_the_minimum():
    model = tsforecast.get_model("ridge")
    needed = model.required_length("MS")
    with pytest.raises(tsforecast.DataError, match=f"needs at least {needed} observations"):
        model.fit(pd.Series(np.arange(needed - 1, dtype=float), pd.date_range("2000-01", periods=needed - 1,
                                                                                freq="MS")))


def test_intervals_are_the_conformal_quantile_of_the_ratios_times_the_latest_window_scale():
    """The shared calibration (tsforecast.models.calibration) against a direct computation."""
    from tsforecast.models.calibration import calibration_ratios

    y = holiday_series(years=3)
    model = tsforecast.get_model("ridge", window=28, annual=False).fit(y)
    lag = model.scale_lag_
    assert lag == 7
    latest = y.to_numpy()[-28:]
    scale = max(np.mean([abs(latest[i] - latest[i - lag]) for i in range(lag, 28)]), model.scale_floor_)
    n = len(model.conformity_scores_)
    # the level conformal_quantile documents (note: with method="higher" this is the order
    # statistic one above the textbook ceil((n + 1) * coverage)-th, a slightly wider interval)
    level = np.ceil((n + 1) * 0.8) / n
    expected = np.quantile(model.conformity_scores_, level, axis=0, method="higher") * scale
    bounds = model.predict_interval(14, 0.8)
    half_width = (bounds["upper"] - bounds["lower"]).to_numpy() / 2
    np.testing.assert_allclose(half_width, expected, rtol=1e-9)
    np.testing.assert_allclose((bounds["upper"] + bounds["lower"]).to_numpy() / 2, model.predict(14), rtol=1e-9)
    # each ratio is an error over the scale of the window its forecast read (a naive loop)
    series = np.array([3.0, 5.0, 4.0, 8.0, 6.0, 7.0, 2.0])
    errors = np.array([[1.0, -2.0], [4.0, 0.5]])
    ratios = calibration_ratios(series, errors, np.array([0, 2]), 4, 1, 1.0)
    for row, start in enumerate((0, 2)):
        window = series[start : start + 4]
        np.testing.assert_allclose(ratios[row], errors[row] / np.abs(np.diff(window)).mean())
    assert calibration_ratios(np.ones(7), errors, np.array([0, 2]), 4, 1, 0.5)[0, 0] == pytest.approx(2.0)
