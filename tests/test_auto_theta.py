"""AutoTheta: statsforecast's point forecasts on real series, the choice by in-sample error,
the seasonal rules, intervals and their coverage, update, save/load and bad input.

The fixture ``tests/data/auto_theta_statsforecast.json`` was written by statsforecast 2.1.1
itself (the command is in the file), so this runs without statsforecast installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.core.errors import ConfigError, DataError
from tsforecast.models.theta_models import MODEL_NAMES, fit_theta_model, theta_forecast, theta_states

FIXTURE = Path(__file__).parent / "data" / "auto_theta_statsforecast.json"
CASES = json.loads(FIXTURE.read_text())["cases"]


def _train(case: dict) -> pd.Series:
    return pd.Series(case["y"], pd.date_range(case["start"], periods=len(case["y"]), freq=case["freq"]))


@pytest.mark.parametrize("case", CASES, ids=[c["series"] for c in CASES])
@pytest.mark.parametrize("model", MODEL_NAMES)
def test_each_model_forced_equals_statsforecast(case, model):
    """Without a season the four models follow the same recursion, start and Nelder-Mead as
    statsforecast's, so the forecasts agree to rounding."""
    fit = tsforecast.get_model("auto_theta", model=model, deseasonalize=False).fit(_train(case))
    np.testing.assert_allclose(fit.predict(case["horizon"]).to_numpy(), case["forced"][model]["statsforecast"],
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=[c["series"] for c in CASES])
def test_automatic_choice_equals_statsforecast_where_the_seasonal_tests_agree(case):
    auto = case["auto"]
    assert auto["sf_decomposition"] == auto["ours_decomposition"]  # so it is a like-for-like case
    fit = tsforecast.get_model("auto_theta").fit(_train(case))
    assert fit.model_ == auto["sf_model"]
    assert fit.method_ == auto["sf_decomposition"]
    np.testing.assert_allclose(fit.predict(case["horizon"]).to_numpy(), auto["statsforecast"], rtol=0, atol=1e-6)


def test_the_chosen_model_has_the_smallest_in_sample_error():
    case = CASES[0]
    fit = tsforecast.get_model("auto_theta").fit(_train(case))
    assert fit.scores_[MODEL_NAMES.index(fit.model_)] == fit.scores_.min()
    for name in MODEL_NAMES:
        forced = tsforecast.get_model("auto_theta", model=name).fit(_train(case))
        assert forced.model_ == name
        assert forced.scores_[MODEL_NAMES.index(name)] >= fit.scores_.min() - 1e-12


@settings(max_examples=25, deadline=None)
@given(n=st.integers(6, 80), seed=st.integers(0, 10_000), model=st.sampled_from(range(4)),
       level=st.floats(-1e4, 1e4), scale=st.floats(0.01, 100.0))
def test_the_forecast_continues_the_recursion_with_forecasts_as_observations(n, seed, model, level, scale):
    """Appending the h-step forecasts as data and running the recursion reproduces them: the
    forecast is the model's own one-step prediction fed back (and the fit is finite)."""
    y = level + scale * np.random.default_rng(seed).standard_normal(n).cumsum()
    level0, alpha, theta = fit_theta_model(y, model)
    assert 0.1 <= alpha <= 0.99 and theta >= 1.0
    states, errors, score = theta_states(y, model, level0, alpha, theta)
    assert np.isfinite(score)
    ahead = theta_forecast(states[-1], n, model, alpha, theta, 5)
    # the static models' line is fitted to the whole series, so refitting it on the extension
    # would move it: check the dynamic recursion (its line uses the past only) and the first step for all
    extended = theta_states(np.concatenate([y, ahead]), model, level0, alpha, theta)[0]
    if model >= 2:
        np.testing.assert_allclose(extended[n:, 4], ahead, rtol=1e-9, atol=1e-9 * scale)
    one_step = theta_forecast(states[-2], n - 1, model, alpha, theta, 1)
    np.testing.assert_allclose(one_step, states[-1, 4:5], rtol=1e-12, atol=1e-9 * scale)


def _seasonal_monthly(n: int = 96, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = (100 + 0.3 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 1.5, n)
    return pd.Series(values, pd.date_range("2010-01", periods=n, freq="MS"))


def test_seasons_are_removed_multiplicatively_for_positive_data_else_additively():
    y = _seasonal_monthly()
    fit = tsforecast.get_model("auto_theta").fit(y)
    assert fit.method_ == "multiplicative" and "seasonal adjustment" in fit.label_
    shifted = tsforecast.get_model("auto_theta").fit(y - 200)
    assert shifted.method_ == "additive"
    none = tsforecast.get_model("auto_theta", deseasonalize=False).fit(y)
    assert none.method_ == "none" and not none.deseasonalized_
    # the seasonal forecast beats the unadjusted one on the held-out year
    train, test = y.iloc[:-12], y.iloc[-12:].to_numpy()
    seasonal = tsforecast.get_model("auto_theta").fit(train).predict(12).to_numpy()
    flat = tsforecast.get_model("auto_theta", deseasonalize=False).fit(train).predict(12).to_numpy()
    assert np.abs(seasonal - test).mean() < 0.5 * np.abs(flat - test).mean()


def test_80_percent_intervals_cover_about_80_percent_of_simulated_futures():
    """Simple exponential smoothing with drift data: the interval rule's coverage, one-step to
    eight steps ahead, over many simulated series."""
    hits, total = 0, 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        shocks = rng.standard_normal(88)
        level, values = 50.0, []
        for e in shocks:  # y_t = level + e_t, level moves by 0.5 e_t plus a drift
            values.append(level + e)
            level += 0.5 * e + 0.1
        y = pd.Series(values, pd.date_range("2000", periods=88, freq="YS"))
        lower, upper = tsforecast.get_model("auto_theta").fit(y.iloc[:80]).predict_interval(8, 0.8).T.to_numpy()
        future = y.iloc[80:].to_numpy()
        hits += int(np.sum((future >= lower) & (future <= upper)))
        total += 8
    assert 0.72 <= hits / total <= 0.90


def test_sample_paths_centre_on_the_forecast():
    y = _seasonal_monthly()
    fit = tsforecast.get_model("auto_theta").fit(y)
    paths = fit.sample_paths(6, 2000, seed=1)
    np.testing.assert_allclose(paths.mean(axis=1).to_numpy(), fit.predict(6).to_numpy(), rtol=0.01)


def test_update_refits_and_save_load_forecasts_the_same(tmp_path):
    y = _seasonal_monthly(108)
    rolled = tsforecast.get_model("auto_theta").fit(y.iloc[:96]).update(y.iloc[96:])
    refit = tsforecast.get_model("auto_theta").fit(y)
    np.testing.assert_allclose(rolled.predict(12).to_numpy(), refit.predict(12).to_numpy(), rtol=1e-12)
    path = refit.save(tmp_path / "at.tsf")
    loaded = tsforecast.load(path)
    np.testing.assert_allclose(loaded.predict(12).to_numpy(), refit.predict(12).to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(loaded.predict_interval(12, 0.8).to_numpy(),
                               refit.predict_interval(12, 0.8).to_numpy(), rtol=1e-12)
    assert loaded.label_ == refit.label_
    # a forced model keeps inf as the score of the models it did not fit
    forced = tsforecast.get_model("auto_theta", model="DSTM").fit(y)
    again = tsforecast.load(forced.save(tmp_path / "dstm.tsf"))
    assert again.model_ == "DSTM" and np.isinf(again.scores_).sum() == 3
    np.testing.assert_allclose(again.predict(12).to_numpy(), forced.predict(12).to_numpy(), rtol=1e-12)


def test_bad_input_raises_tsforecast_errors():
    with pytest.raises(ConfigError, match="model"):
        tsforecast.get_model("auto_theta", model="XYZ").fit(_seasonal_monthly())
    with pytest.raises(DataError, match="5"):
        tsforecast.get_model("auto_theta").fit(_seasonal_monthly().iloc[:4])
    model = tsforecast.get_model("auto_theta")
    assert model.required_length("MS") == 5
