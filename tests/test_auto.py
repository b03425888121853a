"""auto: a choice made on the training data alone, robust to failing candidates, recorded."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.errors import DataError
from tsforecast.report import render_report


def random_walk(n: int = 300, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(500 + rng.normal(0, 5, n).cumsum(), index=pd.date_range("2015-01-01", periods=n, freq="D"))


def seasonal(n: int = 300, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return pd.Series(500 + 80 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 3, n),
                     index=pd.date_range("2015-01-01", periods=n, freq="D"))


FAST = {"candidates": ("snaive", "naive", "drift", "theta"), "n_windows": 3}  # quick candidates


def test_the_validation_ranks_what_suits_the_series():
    walk = tsforecast.Auto(**FAST).fit(random_walk())
    assert walk.validation_.loc["naive", "mase"] < walk.validation_.loc["snaive", "mase"]
    weekly = tsforecast.Auto(**FAST).fit(seasonal())
    assert weekly.validation_.loc["snaive", "mase"] < weekly.validation_.loc["naive", "mase"]
    ranked = weekly.validation_.sort_values("mase").index[:3].tolist()
    assert weekly.chosen_ == ranked and weekly.label_ == f"mean of {', '.join(ranked)}"


def test_best_refits_the_winner_and_combinations_average():
    y = seasonal()
    best = tsforecast.Auto(combine="best", **FAST).fit(y)
    winner = best.validation_["mase"].idxmin()
    assert best.chosen_ == [winner]
    np.testing.assert_allclose(best.predict(7), tsforecast.get_model(winner).fit(y).predict(7))
    mean = tsforecast.Auto(combine="mean", **FAST).fit(y)
    parts = np.stack([tsforecast.get_model(name).fit(y).predict(7).to_numpy() for name in mean.chosen_])
    np.testing.assert_allclose(mean.predict(7), parts.mean(axis=0))
    median = tsforecast.Auto(combine="median", **FAST).fit(y)
    np.testing.assert_allclose(median.predict(7), np.median(parts, axis=0))


def test_failing_and_too_hungry_candidates_are_skipped_and_recorded():
    constant = pd.Series(5.0, index=pd.date_range("2020-01-01", periods=60))
    model = tsforecast.Auto().fit(constant)
    assert np.allclose(model.predict(5), 5.0)
    statuses = model.validation_["status"]
    assert statuses["ets"].startswith("failed") and "constant" in statuses["ets"]
    short = tsforecast.Auto().fit(random_walk(30))
    assert short.validation_.loc["auto_arima", "status"].startswith("skipped: needs")
    assert np.isfinite(short.predict(5)).all()


def test_no_runnable_candidate_is_a_clear_data_error():
    constant = pd.Series(5.0, index=pd.date_range("2020-01-01", periods=60))
    with pytest.raises(DataError, match="no candidate can forecast this series.*ets"):
        tsforecast.Auto(candidates=("ets", "theta")).fit(constant)


def test_a_single_season_of_history_still_forecasts_unvalidated():
    y = seasonal(8)
    model = tsforecast.Auto().fit(y)
    assert model.n_windows_ == 0 and np.isfinite(model.predict(7)).all()


def test_the_time_budget_bounds_the_validation():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = tsforecast.Auto(time_budget=0.3).fit(tsforecast.load_dataset("ridership")["rail"])
    statuses = " ".join(model.validation_["status"])
    assert "time budget" in statuses
    assert model.validation_["seconds"].sum() < 30  # nowhere near an unbounded auto_arima + lstm
    assert np.isfinite(model.predict(7)).all()


def test_intervals_are_recalibrated_on_the_validation_errors():
    model = tsforecast.Auto(**FAST).fit(seasonal())
    assert len(model.calibration_scores_) >= 10
    narrow, wide = model.predict_interval(7, 0.5), model.predict_interval(7, 0.95)
    assert ((wide["upper"] - wide["lower"]) > (narrow["upper"] - narrow["lower"])).all()


def test_a_backtest_of_auto_reports_its_choices():
    result = backtest(seasonal(200), {"auto": tsforecast.Auto(**FAST)}, horizon=7, n_windows=2)
    fitted = result.timings.set_index("model").loc["auto", "fitted"]
    assert all(text.startswith("mean of ") for text in fitted)
    html = render_report(result)
    assert "What the models chose" in html and "mean of" in html


def test_auto_is_in_the_registry_and_the_cli_can_name_it():
    assert "auto" in tsforecast.available_models()
    assert isinstance(tsforecast.get_model("auto"), tsforecast.Auto)
