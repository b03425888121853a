"""Fourier terms (tsforecast.data.fourier) and their use by ARIMA and ridge."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.core.errors import ConfigError, DataError
from tsforecast.data.fourier import (
    check_fourier,
    default_harmonics,
    fourier_columns,
    fourier_frame,
    fourier_terms,
    time_positions,
)
from tsforecast.models.arima.harmonic import choose_fourier_k

FREQS = ["D", "W-SUN", "MS", "30min", "h", "QE"]


@settings(max_examples=60, deadline=None)
@given(
    period=st.floats(2, 400, allow_nan=False),
    k_share=st.floats(0, 1),
    n=st.integers(1, 200),
    horizon=st.integers(1, 60),
    freq=st.sampled_from(FREQS),
)
def test_horizon_terms_continue_the_history(period, k_share, n, horizon, freq):
    """Terms on the forecast timestamps (counted from the history's start) equal the rows of
    the terms computed on the whole extended index."""
    k = max(1, int(k_share * period / 2))
    extended = pd.date_range("2001-01-07", periods=n + horizon, freq=freq)
    history, future = extended[:n], extended[n:]
    whole = fourier_frame(extended, [period], [k])
    ahead = fourier_frame(future, [period], [k], origin=history[0], freq=freq)
    np.testing.assert_allclose(ahead.to_numpy(), whole.to_numpy()[n:], rtol=0, atol=1e-9)
    assert list(ahead.columns) == fourier_columns(period, k)


def test_terms_are_sines_and_cosines_of_the_position():
    terms = fourier_terms(np.arange(6), 4.5, 2)
    t = np.arange(6)
    expected = np.column_stack([np.sin(2 * np.pi * t / 4.5), np.cos(2 * np.pi * t / 4.5),
                                np.sin(4 * np.pi * t / 4.5), np.cos(4 * np.pi * t / 4.5)])
    np.testing.assert_allclose(terms, expected, atol=1e-12)


def test_a_whole_period_drops_the_sine_that_is_zero_at_every_step():
    assert fourier_columns(4, 2) == ["sin1_4", "cos1_4", "cos2_4"]
    assert fourier_terms(np.arange(8), 4, 2).shape == (8, 3)
    assert fourier_columns(52.18, 2) == ["sin1_52.18", "cos1_52.18", "sin2_52.18", "cos2_52.18"]


@pytest.mark.parametrize("period, k", [(7, 4), (52.18, 27), (7, 0), (7, -1), (1.5, 1), (float("nan"), 1),
                                       ("7", 1), (7, 1.5), (True, 1), (7, True)])
def test_invalid_period_or_k_is_refused(period, k):
    with pytest.raises(ConfigError, match="fourier"):
        check_fourier(period, k)


def test_k_up_to_half_the_period_is_accepted():
    assert check_fourier(7, 3) == (7.0, 3)
    assert check_fourier(52.18, 26) == (52.18, 26)
    assert default_harmonics(52.18) == 10 and default_harmonics(7) == 3


def test_positions_count_calendar_steps_and_refuse_off_grid_timestamps():
    index = pd.date_range("2020-01-31", periods=5, freq="ME")
    assert time_positions(index, pd.Timestamp("2019-12-31")).tolist() == [1, 2, 3, 4, 5]
    hours = pd.DatetimeIndex(["2020-01-01 00:00", "2020-01-01 01:30"])
    with pytest.raises(DataError, match="grid"):
        time_positions(hours, hours[0], "h")


def test_the_k_search_stops_at_the_first_rise():
    calls = []

    def score(ks):  # a real criterion: smallest at K = (3, 2)
        calls.append(tuple(ks))
        return (ks[0] - 3) ** 2 + (ks[1] - 2) ** 2

    assert choose_fourier_k([52.18, 7], score) == [3, 2]
    assert len(calls) == len(set(calls))  # no fit repeated


def weekly_with_a_year(n: int = 330, seed: int = 1) -> pd.Series:
    """Weekly data with a 52.18-week annual cycle (two harmonics), a drift and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    angle = 2 * np.pi * t / (365.25 / 7)
    values = 50 + 0.05 * t + 6 * np.sin(angle) + 2 * np.cos(2 * angle) + rng.normal(0, 0.5, n)
    return pd.Series(values, pd.date_range("2015-01-04", periods=n, freq="W-SUN"))


def test_arima_with_fourier_terms_learns_a_non_integer_year():
    y = weekly_with_a_year()
    train, test = y.iloc[:-52], y.iloc[-52:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = tsforecast.get_model("arima", p=1, d=1, q=1).fit(train)
        harmonic = tsforecast.get_model("arima", p=1, d=1, q=1, fourier=[365.25 / 7]).fit(train)
    assert harmonic.fourier_k_[0] >= 2  # the second harmonic is real: AICc keeps it
    assert "Fourier(52.1786 K=" in harmonic.label_
    error = np.mean(np.abs(harmonic.predict(52).to_numpy() - test.to_numpy()))
    assert error < 0.5 * np.mean(np.abs(plain.predict(52).to_numpy() - test.to_numpy()))
    assert error < 1.5


def test_arima_fourier_update_and_saved_file_forecast_the_same(tmp_path):
    y = weekly_with_a_year(200)
    model = tsforecast.get_model("arima", p=1, d=1, q=0, fourier=[365.25 / 7], fourier_k=[2]).fit(y.iloc[:-8])
    assert model.fourier_k_ == [2]
    loaded = tsforecast.load(model.save(tmp_path / "dhr.tsf"))
    np.testing.assert_allclose(loaded.predict(10), model.predict(10), rtol=1e-10)
    model.update(y.iloc[-8:])
    loaded.update(y.iloc[-8:])
    np.testing.assert_allclose(loaded.predict_interval(5), model.predict_interval(5), rtol=1e-10)
    # rolling forward continues the terms: the same as filtering the whole history
    refit_free = tsforecast.get_model("arima", p=1, d=1, q=0, fourier=[365.25 / 7], fourier_k=[2]).fit(y.iloc[:-8])
    refit_free.update(y.iloc[-8:-4])
    refit_free.update(y.iloc[-4:])
    np.testing.assert_allclose(refit_free.predict(5), model.predict(5), rtol=1e-9)


@pytest.mark.parametrize("params", [{"fourier": [7], "fourier_k": [4]}, {"fourier": "52"},
                                    {"fourier_k": [2]}, {"fourier": [52.18, 7], "fourier_k": [2]}])
def test_bad_fourier_parameters_fail_before_the_data(params):
    for name in ("arima", "ridge"):
        with pytest.raises(ConfigError, match="fourier"):
            tsforecast.get_model(name, **params).check_params()


def test_ridge_with_fourier_terms_saves_and_forecasts_the_same(tmp_path):
    y = weekly_with_a_year(330)
    model = tsforecast.get_model("ridge", fourier=[365.25 / 7], fourier_k=[3], window=8).fit(y.iloc[:-52])
    forecast = model.predict(52).to_numpy()
    plain = tsforecast.get_model("ridge", window=8, annual=False).fit(y.iloc[:-52]).predict(52).to_numpy()
    actual = y.iloc[-52:].to_numpy()
    # with only 8 weeks of lags, the year comes from the terms
    assert np.mean(np.abs(forecast - actual)) < np.mean(np.abs(plain - actual))
    loaded = tsforecast.load(model.save(tmp_path / "ridge.tsf"))
    np.testing.assert_allclose(loaded.predict(52).to_numpy(), forecast, rtol=1e-10)


def test_one_integer_k_serves_every_period():
    from tsforecast.data.fourier import check_fourier_params

    periods, ks = check_fourier_params("ridge", [7, 365.25], 3)
    assert ks == [3, 3]
    with pytest.raises(ConfigError, match="fourier"):
        check_fourier_params("ridge", [7, 365.25], 4)  # K = 4 is above 7 / 2
