"""The contract every registered model honours (like sklearn's check_estimator)."""

from __future__ import annotations

import dataclasses
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import tsforecast
from tsforecast.core.errors import NotFittedError, TsforecastError
from tsforecast.persistence.state import ModelState, SaveableModel
from tsforecast.registry import MODELS

from .conftest import assert_near_level, forecast_index, weekly_series

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
def test_init_only_stores_its_parameters(name):
    """scikit-learn's contract: __init__ sets exactly its keyword arguments, nothing learned."""
    model = make(name)
    assert set(vars(model)) == set(model.get_params())


@pytest.mark.parametrize("name", NAMES)
def test_updates_in_place_says_whether_the_model_rolls_forward_its_own_way(name):
    """The capability the backtest reads instead of inspecting a class: it must say exactly
    whether the class replaces the default ``_update`` (a refit on the extended history).
    This test is the one place that inspects the override, so the attribute cannot drift."""
    from tsforecast.models.base import Forecaster

    cls = MODELS[name]
    assert cls.updates_in_place == (cls._update is not Forecaster._update)


@pytest.mark.parametrize("name", NAMES)
def test_fit_leaves_the_parameters_untouched(name, fitted):
    assert fitted[name].get_params() == make(name).get_params()


@pytest.mark.parametrize("name", NAMES)
def test_clone_is_unfitted_and_keeps_params(name, fitted):
    copy = clone(fitted[name])
    assert copy.get_params() == make(name).get_params()
    assert not any(key.endswith("_") and not key.startswith("__") for key in vars(copy))
    with pytest.raises(NotFittedError):
        copy.predict(1)


@pytest.mark.parametrize("name", NAMES)
def test_forecast_index_continues_the_series(name, fitted, y):
    forecast = fitted[name].predict(10)
    expected = pd.date_range(y.index[-1] + pd.Timedelta(days=1), periods=10, freq="D")
    assert forecast.index.equals(expected)
    assert forecast.dtype == np.float64
    assert forecast.name == name
    assert_near_level(forecast, y)  # the last week's range, widened by half of it on each side


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
def test_refitting_an_instance_equals_a_fresh_fit(name, y, fitted):
    """A fit depends on its data alone, not on what the instance saw before (backtests refit
    one instance per chain of folds, so anything else would tie numbers to the grouping)."""
    reused = make(name).fit(y.iloc[:-30])
    reused.fit(y)
    np.testing.assert_allclose(reused.predict(5), fitted[name].predict(5), rtol=1e-9)
    np.testing.assert_allclose(reused.predict_interval(5).to_numpy(),
                               fitted[name].predict_interval(5).to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_pickle_round_trip(name, fitted):
    restored = pickle.loads(pickle.dumps(fitted[name]))
    np.testing.assert_allclose(restored.predict(5), fitted[name].predict(5))


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_round_trip(name, y, tmp_path):
    """A loaded model forecasts exactly what the saved one did, before and after update."""
    model = make(name).fit(y.iloc[:-3])
    restored = tsforecast.load(model.save(tmp_path / f"{name}.tsf"))
    assert type(restored) is type(model) and restored.get_params() == model.get_params()
    pd.testing.assert_series_equal(restored.predict(6), model.predict(6))
    pd.testing.assert_frame_equal(restored.predict_interval(6, 0.9), model.predict_interval(6, 0.9))
    model.update(y.iloc[-3:])
    restored.update(y.iloc[-3:])
    pd.testing.assert_series_equal(restored.predict(6), model.predict(6))


def _assert_same_value(a, b, where: str) -> None:
    """``a`` and ``b`` hold the same data (models compared through their states)."""
    if isinstance(a, SaveableModel):
        assert type(b) is type(a), where
        _assert_same_state(a.state(), b.state(), where)
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b, a, rtol=1e-9, err_msg=where)  # theta refits its results on load
        else:
            np.testing.assert_array_equal(b, a, err_msg=where)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(b, a, check_freq=True, obj=where)
    elif isinstance(a, pd.DataFrame):
        # a file keeps text as text, not pandas' string dtype (numeric columns keep theirs)
        pd.testing.assert_frame_equal(b, a, obj=where, check_dtype=False, check_column_type=False)
        for column in a.columns:
            assert (a[column].dtype.kind in "biuf") == (b[column].dtype.kind in "biuf"), f"{where}[{column!r}]"
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(b) is type(a), where
        for field in dataclasses.fields(a):
            _assert_same_value(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(b) == set(a), where  # a restore may set attributes in another order
        for key in a:
            _assert_same_value(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(b) is type(a) and len(b) == len(a), where
        for i, (x, z) in enumerate(zip(a, b, strict=True)):
            _assert_same_value(x, z, f"{where}[{i}]")
    elif isinstance(a, (float, int, np.number)) and not isinstance(a, (bool, np.bool_)):
        # a file keeps numbers as JSON numbers: a numpy scalar comes back as a Python one
        assert isinstance(b, (float, int, np.number)) and not isinstance(b, (bool, np.bool_)), where
        assert float(b) == float(a) or (np.isnan(a) and np.isnan(b)), f"{where}: {b!r} != {a!r}"
    else:
        assert type(b) is type(a) and b == a, f"{where}: {b!r} != {a!r}"


def _assert_same_state(a: ModelState, b: ModelState, where: str = "state") -> None:
    assert (b.model, b.params) == (a.model, a.params), where
    _assert_same_value(a.y, b.y, f"{where}.y")
    _assert_same_value(a.X, b.X, f"{where}.X")
    _assert_same_value(a.fitted, b.fitted, f"{where}.fitted")


def _assert_same_forecasts(restored, model, horizon: int = 6) -> None:
    np.testing.assert_allclose(restored.predict(horizon), model.predict(horizon), rtol=1e-9)
    np.testing.assert_allclose(restored.predict_interval(horizon, 0.9).to_numpy(),
                               model.predict_interval(horizon, 0.9).to_numpy(), rtol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_a_model_built_from_its_state_forecasts_the_same(name, fitted):
    """The public state protocol (what model files are made of): ``from_state(state())``."""
    model = fitted[name]
    assert isinstance(model, SaveableModel)
    state = model.state()
    assert state.model == name and state.params == {k: v for k, v in model.get_params().items() if not callable(v)}
    assert state.y is model.y_ and {"freq_", "season_", "cutoff_", "exog_schema_"} <= set(state.fitted)
    restored = type(model).from_state(state)
    assert type(restored) is type(model) and restored is not model
    assert restored.get_params() == model.get_params() and restored.cutoff_ == model.cutoff_
    _assert_same_forecasts(restored, model)


@pytest.mark.parametrize("name", NAMES)
def test_a_model_built_from_a_state_is_independent_of_the_model_that_gave_it(name, y):
    model = make(name).fit(y.iloc[:-3])
    before = model.predict_interval(4, 0.8)
    restored = type(model).from_state(model.state())
    restored.update(y.iloc[-3:])
    assert restored.cutoff_ == y.index[-1] and model.cutoff_ == y.index[-4]
    pd.testing.assert_frame_equal(model.predict_interval(4, 0.8), before)  # an ARIMA's filter state is its own


@pytest.mark.parametrize("name", NAMES)
def test_the_state_survives_a_model_file(name, fitted, tmp_path):
    model = fitted[name]
    restored = tsforecast.load(model.save(tmp_path / f"{name}.tsf"))
    _assert_same_state(model.state(), restored.state())
    _assert_same_forecasts(restored, model)


@pytest.mark.parametrize("name", NAMES)
def test_an_unfitted_model_has_no_state(name):
    with pytest.raises(NotFittedError, match="fit the model"):
        make(name).state()


def test_a_state_builds_only_the_model_it_describes(fitted):
    with pytest.raises(tsforecast.ConfigError, match="ETS.from_state got a state of model 'naive', not 'ets'"):
        MODELS["ets"].from_state(fitted["naive"].state())


@pytest.mark.parametrize("name", NAMES)
def test_quantiles_are_ordered_and_bound_the_interval_of_the_same_coverage(name, fitted):
    model = fitted[name]
    quantiles = model.predict_quantiles(6, (0.9, 0.1, 0.5, 0.25, 0.75))
    assert list(quantiles.columns) == [0.1, 0.25, 0.5, 0.75, 0.9]
    assert (np.diff(quantiles.to_numpy(), axis=1) >= 0).all()
    bounds = model.predict_interval(6, 0.8)
    np.testing.assert_allclose(quantiles[0.1], bounds["lower"], rtol=1e-9)
    np.testing.assert_allclose(quantiles[0.9], bounds["upper"], rtol=1e-9)
    with pytest.raises(TsforecastError, match="quantiles must be"):
        model.predict_quantiles(6, (0.1, 1.0))


@pytest.mark.parametrize("name", NAMES)
def test_sample_paths_are_seeded_and_scaled_by_temperature(name, fitted):
    model = fitted[name]
    if name == "auto" and len(model.models_) > 1:
        with pytest.raises(TsforecastError, match="no generative form"):
            model.sample_paths(6, 50)
        return
    paths = model.sample_paths(6, 200, seed=3)
    assert paths.shape == (6, 200) and paths.index.equals(model.predict(6).index)
    pd.testing.assert_frame_equal(paths, model.sample_paths(6, 200, seed=3))
    assert not paths.equals(model.sample_paths(6, 200, seed=4))
    spread = paths.std(axis=1).to_numpy()
    assert (spread > 0).all()
    calm = model.sample_paths(6, 200, seed=3, temperature=0.5).std(axis=1).to_numpy()
    assert (calm < spread).all()
    assert np.allclose(model.sample_paths(6, 20, seed=3, temperature=0).std(axis=1), 0, atol=1e-6 * spread.max())


@pytest.mark.parametrize("name", NAMES)
def test_fitted_values_are_one_step_forecasts_aligned_with_the_history(name, fitted, y):
    model = fitted[name]
    values, residuals = model.fitted_values(), model.residuals()
    assert values.index.equals(y.index) and residuals.index.equals(y.index)
    finite = values.notna()
    assert finite.iloc[len(y) // 2 :].all(), "the second half of the history has fitted values"
    np.testing.assert_allclose(residuals[finite], (y - values)[finite])
    # a one-step forecast aligned a step off would carry the weekly swing in its errors
    naive_spread = y.diff().std()
    assert 0.05 * naive_spread < residuals[finite].std() < 2 * naive_spread


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
_FLAGS = ("layer_norm", "seq2seq", "calendar", "gated", "residual", "warm_start", "seasonal", "stepwise",
          "deseasonalize")
# which of BAD_VALUES are in fact valid, by parameter name (and by (model, name) where a
# model differs); any other value must be refused with an error naming the parameter
ACCEPTED: dict[object, tuple] = {
    "seed": (0,),  # -1 is refused: numpy takes no negative seed (the CLI once failed every fit on it)
    **{key: (None,) for key in ("season", "window", "n_threads", "trend", "progress", "epoch_windows")},
    "approximation": (None, True),
    "damped": (None, True),
    ("ridge", "annual"): (None, True),
    ("theta", "theta"): (2.5,),
    ("auto", "time_budget"): (2.5, None),
    ("auto", "within"): (2.5,),
    ("auto", "fallback"): (None,),
    **{key: (None,) for key in ("candidates", "horizon")},
    "learning_rate": (2.5,),
    **{key: (0,) for key in ("p", "q", "d", "max_p", "max_q", "max_P", "max_Q", "max_d", "dropout")},
    ("ar", "p"): (),
    "past_covariates": ((),),
    # MSTL's periods and trend parameters default from the frequency; a single Fourier period
    # (2.5 observations, K = 1) is a valid one
    **{key: (None,) for key in ("periods", "trend_params", "fourier_k")},
    "fourier": (None, 2.5),
    **{key: (True,) for key in _FLAGS},
}


def _accepted(name: str, param: str) -> tuple:
    return ACCEPTED.get((name, param), ACCEPTED.get(param, ()))


@pytest.mark.parametrize(("name", "param"), PARAMETERS)
def test_a_bad_parameter_value_fails_with_a_message_naming_it(name, param, y):
    """Every value is either valid (listed in ACCEPTED: then the model fits and forecasts) or
    refused by a tsforecast error naming the parameter: never accepted silently, never a
    TypeError from inside PyTorch or statsmodels."""
    for bad in BAD_VALUES:
        model = tsforecast.get_model(name, **{**MODELS[name].test_params(), param: bad})
        valid = any(bad is ok or (type(bad) is type(ok) and bad == ok) for ok in _accepted(name, param))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if valid:
                # any level: learning_rate=2.5 is accepted, and trains a network that forecasts poorly
                assert model.fit(y).predict(3).index.equals(forecast_index(y, 3))
                continue
            with pytest.raises(TsforecastError) as raised:
                model.fit(y).predict(3)
        assert param in str(raised.value), f"{name}({param}={bad!r}): {raised.value}"
