"""No registered model raises anything but a tsforecast error on short or odd series, and a
model refusing a series for its length says how many points it needs (issue #26; the full
sweep over real series is ``benchmarks/model_robustness.py``)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.core.errors import DataError, TsforecastError
from tsforecast.registry import MODELS, get_model


def _monthly(values: np.ndarray) -> pd.Series:
    return pd.Series(values, pd.date_range("2015-01", periods=len(values), freq="MS"))


def _odd_series() -> dict[str, pd.Series]:
    rng = np.random.default_rng(1)
    t = np.arange(40)
    seasonal = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, len(t))
    daily = pd.Series(20 + 3 * np.sin(2 * np.pi * np.arange(60) / 7) + rng.normal(0, 1, 60),
                      pd.date_range("2023-01-01", periods=60, freq="D"))
    daily.iloc[30] = np.nan
    return {
        "monthly_3": _monthly(seasonal[:3]), "monthly_8": _monthly(seasonal[:8]),
        "monthly_13": _monthly(seasonal[:13]), "zeros": _monthly(np.zeros(30)),
        "level_1e12": _monthly(1e12 + 1e9 * (seasonal - 100)), "negative": _monthly(seasonal - 200),
        # missing days and a NaN, which clean_series fills
        "gappy_daily": daily.drop(daily.index[[10, 11, 40]]),
        "intermittent": pd.Series(rng.poisson(2, 60) * (rng.random(60) < 0.25) * 1.0,
                                  pd.date_range("2023-01-01", periods=60, freq="D")),
    }


SERIES = _odd_series()
_NEEDS = re.compile(r"at least \d+")
# what a refusal for the series' length says; it must then say how many points are needed
_TOO_SHORT = re.compile(r"too short|more history|needs? more", re.IGNORECASE)


def _fit_and_predict(name: str, y: pd.Series) -> TsforecastError | None:
    """Fit the model's small test configuration and forecast; the tsforecast error it raised,
    or None. Any other exception fails the test where it happens."""
    model = get_model(name, **MODELS[name].test_params())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(y)
            assert np.isfinite(model.predict(4).to_numpy()).all()
            bounds = model.predict_interval(4, 0.8)
            assert (bounds["lower"] <= bounds["upper"]).all()
    except TsforecastError as exc:
        return exc
    return None


@pytest.mark.parametrize("series", sorted(SERIES))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_forecasts_or_raises_a_tsforecast_error_naming_the_problem(name, series):
    y = SERIES[series]
    clean = tsforecast.clean_series(y).series  # the gaps filled
    n = len(clean)
    needed = get_model(name, **MODELS[name].test_params()).required_length(clean.index.freq)
    error = _fit_and_predict(name, y)
    if needed > n:  # too short: refused, saying how many points the model needs
        assert isinstance(error, DataError) and f"needs at least {needed} observations" in str(error), error
    if error is not None:
        message = str(error)
        assert len(message) > 40, message  # a sentence naming the problem, not a bare value
        if _TOO_SHORT.search(message):
            assert _NEEDS.search(message), message


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 30), st.sampled_from(["ets", "theta", "auto_arima", "arima", "snaive", "mstl", "croston"]))
def test_a_length_refusal_always_says_how_many_points_are_needed(n, name):
    y = _monthly(50 + np.sin(np.arange(n)) + np.arange(n) * 0.3)
    needed = get_model(name, **MODELS[name].test_params()).required_length("MS")
    error = _fit_and_predict(name, y)
    if n < needed:
        assert isinstance(error, DataError) and f"needs at least {needed} observations" in str(error), error
        assert f"has {n}" in str(error)
    else:
        assert error is None or not _TOO_SHORT.search(str(error)), error


def test_a_multiplicative_theta_on_negative_values_says_it_removes_the_season_additively():
    y = SERIES["negative"]
    with pytest.warns(tsforecast.FitWarning, match=r"method='multiplicative' needs strictly positive values"):
        explicit = tsforecast.Theta(method="multiplicative").fit(y)
    additive = tsforecast.Theta(method="additive").fit(y)
    np.testing.assert_allclose(explicit.predict(6), additive.predict(6), rtol=1e-12)


def test_a_multiplicative_theta_warns_only_when_a_season_is_removed():
    y = SERIES["negative"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", tsforecast.FitWarning)  # no season removed: nothing to say
        tsforecast.Theta(method="multiplicative", deseasonalize=False).fit(y)
