"""The contract every registered model honours (like sklearn's check_estimator)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import tsforecast
from tsforecast.errors import NotFittedError, TsforecastError
from tsforecast.registry import MODELS

from .conftest import weekly_series

NAMES = list(MODELS)


def make(name: str):
    cls = MODELS[name]
    return tsforecast.get_model(name, **cls.test_params())


@pytest.fixture(scope="module")
def y() -> pd.Series:
    return weekly_series(120)


@pytest.fixture(scope="module")
def fitted(y):
    return {name: make(name).fit(y) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self(name, y):
    model = make(name)
    assert model.fit(y) is model


@pytest.mark.parametrize("name", NAMES)
def test_predict_before_fit_raises(name):
    with pytest.raises(NotFittedError, match="not fitted"):
        make(name).predict(3)


@pytest.mark.parametrize("name", NAMES)
def test_clone_is_unfitted_and_keeps_params(name, fitted):
    copy = clone(fitted[name])
    assert copy.get_params() == fitted[name].get_params()
    with pytest.raises(NotFittedError):
        copy.predict(1)


@pytest.mark.parametrize("name", NAMES)
def test_forecast_index_continues_the_series(name, fitted, y):
    forecast = fitted[name].predict(10)
    expected = pd.date_range(y.index[-1] + pd.Timedelta(days=1), periods=10, freq="D")
    assert forecast.index.equals(expected)
    assert forecast.dtype == np.float64
    assert forecast.name == name
    assert np.isfinite(forecast).all()


@pytest.mark.parametrize("name", NAMES)
def test_intervals_contain_the_point_forecast(name, fitted):
    point = fitted[name].predict(10)
    bounds = fitted[name].predict_interval(10, coverage=0.8)
    assert list(bounds.columns) == ["lower", "upper"]
    assert bounds.index.equals(point.index)
    assert (bounds["lower"] <= point + 1e-9).all() and (point <= bounds["upper"] + 1e-9).all()
    wider = fitted[name].predict_interval(10, coverage=0.95)
    assert (wider["upper"] - wider["lower"] >= bounds["upper"] - bounds["lower"] - 1e-9).all()


@pytest.mark.parametrize("name", NAMES)
def test_fit_is_idempotent(name, y, fitted):
    again = make(name).fit(y).predict(5)
    np.testing.assert_allclose(again, fitted[name].predict(5), rtol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_pickle_round_trip(name, fitted):
    restored = pickle.loads(pickle.dumps(fitted[name]))
    np.testing.assert_allclose(restored.predict(5), fitted[name].predict(5))


@pytest.mark.parametrize("name", NAMES)
def test_update_moves_the_cutoff(name, y):
    model = make(name).fit(y.iloc[:-7])
    model.update(y.iloc[-7:])
    assert model.cutoff_ == y.index[-1]
    assert model.predict(3).index[0] == y.index[-1] + pd.Timedelta(days=1)


@pytest.mark.parametrize("name", NAMES)
def test_update_day_by_day_equals_one_update(name, y):
    by_day = make(name).fit(y.iloc[:-7])
    for i in range(-7, 0):
        by_day.update(y.iloc[i : len(y) + i + 1])
    at_once = make(name).fit(y.iloc[:-7]).update(y.iloc[-7:])
    pd.testing.assert_series_equal(by_day.y_, y, check_names=False, check_freq=True)
    np.testing.assert_allclose(by_day.predict(5), at_once.predict(5), rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_update_must_continue_the_series(name, y):
    model = make(name).fit(y.iloc[:-7])
    with pytest.raises(tsforecast.DataError, match="start right after"):
        model.update(y.iloc[-3:])


@pytest.mark.parametrize("name", NAMES)
def test_bad_horizon_is_rejected(name, fitted):
    for horizon in (0, -1, 2.5, "3"):
        with pytest.raises(tsforecast.ConfigError, match="horizon"):
            fitted[name].predict(horizon)


@pytest.mark.parametrize("name", NAMES)
def test_too_short_series_is_rejected_clearly(name):
    model = make(name)
    needed = model.required_length("D")
    with pytest.raises(tsforecast.DataError, match="needs at least|empty"):
        model.fit(weekly_series(needed - 1))
    model.fit(weekly_series(max(needed, 3)))  # exactly enough is accepted


def test_registry_unknown_name_suggests():
    with pytest.raises(tsforecast.ConfigError, match="Did you mean 'sarima'"):
        tsforecast.get_model("sarma")


def test_registry_unknown_parameter_lists_valid_ones():
    with pytest.raises(tsforecast.ConfigError, match="has no parameter"):
        tsforecast.get_model("snaive", sesaon=7)


# values a config file or a notebook can plausibly pass by mistake, for any parameter
BAD_VALUES = [-1, 0, 2.5, "bad", (), None, True, float("nan")]
PARAMETERS = [(name, param) for name in NAMES for param in MODELS[name]().get_params()]


@pytest.mark.parametrize(("name", "param"), PARAMETERS)
def test_a_bad_parameter_value_fails_with_a_message_naming_it(name, param, y):
    """Every parameter value either works or is refused by a tsforecast error naming the
    parameter: never a TypeError from inside PyTorch or statsmodels."""
    for bad in BAD_VALUES:
        model = tsforecast.get_model(name, **{**MODELS[name].test_params(), param: bad})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(y).predict(3)
        except TsforecastError as exc:
            assert param in str(exc), f"{name}({param}={bad!r}): {exc}"
