"""The backtest engine: folds, refit policies, fault isolation, parallel = serial, exports."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.backtest import backtest, make_folds
from tsforecast.base import Forecaster
from tsforecast.errors import ConfigError
from tsforecast.models.baseline import Naive

from .conftest import weekly_series


class Exploding(Naive):
    """Fails to fit on every second cutoff: exercises fault isolation."""

    short_name = "exploding"

    def _fit(self, y, X):
        if len(y) % 2 == 0:
            raise RuntimeError("boom at this fold")
        super()._fit(y, X)


def test_folds_follow_the_definitions():
    folds = make_folds(100, horizon=7, n_windows=3, step=5)
    assert [f.train_end for f in folds] == [83, 88, 93]
    assert folds[-1].test_end == 100
    sliding = make_folds(100, 7, 3, window_type="sliding", window_size=30)
    assert all(f.train_end - f.train_start == 30 for f in sliding)
    with pytest.raises(ConfigError, match="too few"):
        make_folds(20, 7, 5, min_train=10)
    with pytest.raises(ConfigError, match="window_size"):
        make_folds(100, 7, 3, window_type="sliding")
    with pytest.raises(ConfigError, match="window_size 5 is too small: the models need at least 17"):
        make_folds(100, 7, 3, window_type="sliding", window_size=5, min_train=17)


def test_every_model_sees_the_same_cutoffs_and_baseline_is_added():
    y = weekly_series(150)
    result = backtest(y, ["naive", "drift"], horizon=7, n_windows=4)
    assert result.models == ["snaive", "naive", "drift"]
    cutoffs = result.forecasts.groupby("model")["cutoff"].apply(lambda c: tuple(sorted(set(c))))
    assert cutoffs.nunique() == 1
    assert set(result.forecasts["step"]) == set(range(1, 8))
    board = result.leaderboard()
    assert {"mae", "rmse", "mape", "smape", "mase", "coverage", "skill", "p_vs_baseline"} <= set(board.columns)
    assert board.loc["snaive", "skill"] == 0


def test_leaderboard_matches_a_manual_computation():
    y = weekly_series(150)
    result = backtest(y, ["naive"], horizon=7, n_windows=3)
    rows = result.forecasts[result.forecasts["model"] == "naive"]
    assert result.leaderboard().loc["naive", "mae"] == pytest.approx(
        (rows["forecast"] - rows["actual"]).abs().mean())
    for by in ("series", "step", "fold"):
        assert not result.leaderboard(by=by).empty


def test_refit_false_rolls_forward_and_refit_n_mixes():
    y = weekly_series(200)
    rolled = backtest(y, ["sarima"], horizon=7, n_windows=6, refit=False)
    timings = rolled.timings[rolled.timings["model"] == "sarima"]
    assert timings["refitted"].tolist() == [True] + [False] * 5
    every_3 = backtest(y, ["sarima"], horizon=7, n_windows=6, refit=3)
    assert every_3.timings.query("model == 'sarima'")["refitted"].tolist() == [True, False, False] * 2


def test_a_failing_model_does_not_stop_the_others():
    y = weekly_series(150)
    result = backtest(y, {"bad": Exploding(), "naive": Naive()}, horizon=7, n_windows=4)
    assert not result.failures.empty
    assert set(result.failures["model"]) == {"bad"}
    assert "boom" in result.failures["message"].iloc[0]
    assert result.forecasts.query("model == 'naive'")["cutoff"].nunique() == 4


def test_parallel_equals_serial():
    y = weekly_series(160)
    models = ["sarima", tsforecast.get_model("lstm", window=14, output_steps=7, hidden=8, max_epochs=2)]
    serial = backtest(y, models, horizon=7, n_windows=3, n_jobs=1)
    parallel = backtest(y, models, horizon=7, n_windows=3, n_jobs=2)
    pd.testing.assert_frame_equal(serial.forecasts, parallel.forecasts)


def test_several_series_and_exports(tmp_path):
    frame = pd.DataFrame({"a": weekly_series(120), "b": weekly_series(120, seed=1) * 2})
    result = backtest(frame, ["naive"], horizon=7, n_windows=2)
    assert set(result.forecasts["series"]) == {"a", "b"}
    paths = result.to_csv(tmp_path, "run")
    assert {p.name for p in paths} == {"run_forecasts.csv", "run_leaderboard.csv"}
    assert result.to_json(tmp_path / "run.json").is_file()
    html = result.to_html(tmp_path / "run.html").read_text()
    assert "<svg" in html
    # self-contained: no external scripts, styles, images or fonts
    for external in ('src="http', "href=\"http", "<link", "url(http", "@import"):
        assert external not in html


def test_user_strings_are_escaped_in_the_report(tmp_path):
    y = weekly_series(100).rename("<script>alert(1)</script>")
    html = backtest(y, ["naive"], horizon=7, n_windows=2).to_html(tmp_path / "r.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_time_limit_records_a_failure():
    class Slow(Naive):
        short_name = "slow"

        def _fit(self, y, X):
            import time

            time.sleep(2)
            super()._fit(y, X)

    result = backtest(weekly_series(100), {"slow": Slow()}, horizon=7, n_windows=1, time_limit=0.2)
    assert "time limit" in result.failures["message"].iloc[0]


def test_bad_arguments_are_config_errors():
    y = weekly_series(100)
    with pytest.raises(ConfigError, match="refit"):
        backtest(y, ["naive"], refit="sometimes")
    with pytest.raises(ConfigError, match="unknown model"):
        backtest(y, ["nope"])
    with pytest.raises(ConfigError, match="Forecaster"):
        backtest(y, [42])
    # an invalid parameter stops the run before the first fold, not once per fold
    with pytest.raises(ConfigError, match="gru: dropout must be a number in"):
        backtest(y, [tsforecast.GRU(dropout=1.5)])
    assert isinstance(Naive(), Forecaster)
    assert np.isfinite(backtest(y, ["naive"], horizon=3, n_windows=2).leaderboard()["mase"]).all()
