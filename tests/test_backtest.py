"""The backtest engine: folds, refit policies, fault isolation, parallel = serial, exports."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.backtest import backtest, make_folds
from tsforecast.core.errors import ConfigError
from tsforecast.evaluation.significance import loss_differential_test, origin_lags
from tsforecast.models.base import Forecaster
from tsforecast.models.baseline import Naive
from tsforecast.report import render_report, write_report

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


@pytest.mark.slow
def test_parallel_equals_serial():
    # a default-sized network: big enough that PyTorch would split its work by thread (with
    # its own thread count, 1 and 2 jobs differed by 0.02 here), so the test can fail
    y = tsforecast.load_dataset("ridership")["rail"].iloc[-500:]
    models = ["sarima", tsforecast.get_model("lstm", max_epochs=3)]
    serial = backtest(y, models, horizon=14, n_windows=2, n_jobs=1)
    parallel = backtest(y, models, horizon=14, n_windows=2, n_jobs=2)
    pd.testing.assert_frame_equal(serial.forecasts, parallel.forecasts)


def test_several_series_and_exports(tmp_path):
    frame = pd.DataFrame({"a": weekly_series(120), "b": weekly_series(120, seed=1) * 2})
    result = backtest(frame, ["naive"], horizon=7, n_windows=2)
    assert set(result.forecasts["series"]) == {"a", "b"}
    paths = result.to_csv(tmp_path)
    assert {p.name for p in paths} == {"forecasts.csv", "leaderboard.csv"}
    assert result.to_json(tmp_path / "run.json").is_file()
    html = write_report(result, tmp_path / "run.html").read_text()
    assert "<svg" in html
    # self-contained: no external scripts, styles, images or fonts
    for external in ('src="http', "href=\"http", "<link", "url(http", "@import"):
        assert external not in html


def test_user_strings_are_escaped_in_the_report(tmp_path):
    y = weekly_series(100).rename("<script>alert(1)</script>")
    html = write_report(backtest(y, ["naive"], horizon=7, n_windows=2), tmp_path / "r.html").read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_failed_folds_shrink_the_comparison_for_every_model():
    """A model that fails on some folds is not scored on fewer (easier) points than the rest."""
    y = weekly_series(150)
    result = backtest(y, {"bad": Exploding(), "naive": Naive()}, horizon=7, n_windows=4)
    failed = set(result.failures["cutoff"])
    assert failed and len(failed) < 4
    board = result.leaderboard()
    assert board["n"].nunique() == 1 and board.loc["naive", "n"] == 7 * (4 - len(failed))
    on_common = result.forecasts[~result.forecasts["cutoff"].isin(failed)]
    for model in ("snaive", "naive", "bad"):
        rows = on_common[on_common["model"] == model]
        assert board.loc[model, "mae"] == pytest.approx((rows["forecast"] - rows["actual"]).abs().mean())
    everything = result.forecasts.query("model == 'naive'")
    assert board.loc["naive", "mae"] != pytest.approx((everything["forecast"] - everything["actual"]).abs().mean())


def test_a_model_that_always_fails_is_listed_without_scores():
    class Broken(Naive):
        short_name = "broken"

        def _fit(self, y, X):
            raise RuntimeError("never fits")

    result = backtest(weekly_series(150), {"broken": Broken(), "naive": Naive()}, horizon=7, n_windows=3)
    board = result.leaderboard()
    assert np.isnan(board.loc["broken", "mae"]) and board.loc["broken", "failures"] == 3
    assert board.loc["naive", "n"] == 21 and result.best_model() in {"naive", "snaive"}


def test_significance_is_tested_per_series_on_per_origin_losses():
    y = weekly_series(200)
    frame = pd.DataFrame({"a": y, "b": weekly_series(200, seed=5) * 3})
    result = backtest(frame, ["naive", "sarima"], horizon=7, n_windows=6)
    tests = result.significance()
    assert set(tests.index.get_level_values("series")) == {"a", "b"}
    for series in ("a", "b"):
        rows = result.forecasts[result.forecasts["series"] == series]
        loss = rows.assign(loss=(rows["forecast"] - rows["actual"]).abs()).pivot_table(
            index="cutoff", columns="model", values="loss")
        expected = loss_differential_test(loss["naive"] - loss["snaive"], lags=0)
        assert tests.loc[(series, "naive"), "p_vs_baseline"] == pytest.approx(expected.p_value)
    board = result.leaderboard()
    # several series: nothing is pooled; counts of significant wins and losses per model
    assert board["p_vs_baseline"].isna().all()
    assert (board["better"] + board["worse"] <= 2).all()
    single = backtest(y, ["naive"], horizon=7, n_windows=6).leaderboard()
    assert single.loc["naive", "p_vs_baseline"] == pytest.approx(tests.loc[("a", "naive"), "p_vs_baseline"])


def test_overlapping_origins_use_autocovariance_lags():
    assert origin_lags(horizon=14, step=14) == 0
    assert origin_lags(horizon=14, step=7) == 1
    assert origin_lags(horizon=7, step=1) == 6


@pytest.mark.parametrize("model", ["sarima", "auto_arima"])
def test_numbers_do_not_depend_on_how_folds_are_grouped_into_chains(model, monkeypatch):
    from tsforecast.backtest import chains as chains_module

    y = weekly_series(200)
    spec = tsforecast.get_model(model, **tsforecast.registry.MODELS[model].test_params())
    runs = []
    for chains in (1, 2, 6):
        monkeypatch.setattr(chains_module, "REFIT_CHAINS", chains)
        runs.append(backtest(y, [spec], horizon=7, n_windows=6).forecasts)
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0], other)


def test_time_limit_records_a_failure():
    class Slow(Naive):
        short_name = "slow"

        def _fit(self, y, X):
            import time

            time.sleep(2)
            super()._fit(y, X)

    result = backtest(weekly_series(100), {"slow": Slow()}, horizon=7, n_windows=1, time_limit=0.2)
    assert "time limit" in result.failures["message"].iloc[0]
    # failures.csv names a public error class a user can catch and look up
    assert result.failures["error"].iloc[0] == "FitTimeoutError" == tsforecast.FitTimeoutError.__name__


def test_keep_fitted_returns_each_model_as_it_stood_at_the_last_cutoff():
    y = weekly_series(120).rename("shop")
    result = backtest(y, ["ar"], horizon=7, n_windows=3, refit=False, keep_fitted=True)
    assert set(result.fitted) == {("shop", "snaive"), ("shop", "ar")}
    ar = result.fitted["shop", "ar"]
    assert ar.cutoff_ == y.index[-8]  # rolled forward to the last cutoff ...
    first = tsforecast.get_model("ar").fit(y.iloc[: len(y) - 21])  # ... from the one fit at the first
    np.testing.assert_allclose(ar.results_.params, first.results_.params)
    last = result.forecasts.query("model == 'ar'").groupby("cutoff")["forecast"].apply(list).iloc[-1]
    np.testing.assert_allclose(ar.predict(7), last)
    assert backtest(y, ["ar"], horizon=7, n_windows=3).fitted == {}  # nothing kept unless asked


def test_a_fit_that_ran_out_of_time_is_not_retried_at_later_folds():
    """With refit=False a chain fits once and rolls forward: after a timeout its later folds
    are recorded, not refitted (each would take the whole limit again). Folds that start a
    new fit anyway (refit=True, or every N with refit=N) are separate tasks with their own
    limit."""
    calls = []

    class Slow(Naive):
        short_name = "slow"

        def _fit(self, y, X):
            import time

            calls.append(len(y))
            time.sleep(2)
            super()._fit(y, X)

    result = backtest(weekly_series(100), {"slow": Slow()}, horizon=7, n_windows=3, time_limit=0.2,
                      refit=False)
    assert len(calls) == 1  # only the first fold's fit was started
    failures = result.failures.sort_values("cutoff")
    assert len(failures) == 3 and failures["cutoff"].is_unique
    assert "time limit" in failures["message"].iloc[0]
    assert failures["message"].iloc[1:].str.startswith("not tried: an earlier fit ran out of time").all()
    # the naive baseline on the same folds is unaffected
    assert len(backtest(weekly_series(100), ["naive"], horizon=7, n_windows=3, time_limit=0.2).failures) == 0


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


def test_time_limit_is_enforced_off_the_main_thread():
    """SIGALRM only reaches a main thread; from another thread the limited fits run in a
    worker process instead of the limit being ignored."""

    class Slow(Naive):
        short_name = "slow"

        def _fit(self, y, X):
            import time

            time.sleep(3)
            super()._fit(y, X)

    outcome = {}
    worker = threading.Thread(target=lambda: outcome.update(result=backtest(
        weekly_series(100), {"slow": Slow()}, horizon=7, n_windows=1, time_limit=0.3)))
    worker.start()
    worker.join()
    assert "time limit" in outcome["result"].failures["message"].iloc[0]


def test_reports_leave_a_notebook_users_matplotlib_alone(tmp_path):
    code = (
        "import sys, matplotlib\n"
        "matplotlib.use('svg')\n"
        "from tsforecast.backtest import backtest\n"
        "from tsforecast.report import render_report\n"
        "from tsforecast.data.datasets import load_dataset\n"
        "render_report(backtest(load_dataset('ridership')['rail'], ['naive'], horizon=7, n_windows=2))\n"
        "print(matplotlib.get_backend(), 'matplotlib.pyplot' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["svg", "False"]


def test_sarima_keeps_no_per_observation_filter_output():
    """A 100,000-point fit peaked at 4.9 GB with the full filter output; only the last state
    is needed (benchmarks/sarima_memory.py measures the backtest)."""
    model = tsforecast.SARIMA().fit(weekly_series(400))
    filtered = model.results_.filter_results
    assert filtered.predicted_state.shape[1] < 10 and filtered.conserve_memory != 0


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [("time_limit", -1, "time_limit"), ("time_limit", float("nan"), "time_limit"), ("time_limit", "5", "time_limit"),
     ("n_jobs", 0, "n_jobs"), ("n_jobs", 1.5, "n_jobs"), ("coverage", "0.8", "coverage")],
)
def test_bad_run_arguments_fail_before_any_fit(argument, value, message):
    with pytest.raises(ConfigError, match=message):
        backtest(weekly_series(100), ["naive"], horizon=7, n_windows=2, **{argument: value})


def test_timezone_aware_series_keep_their_timezone_through_a_backtest():
    y = weekly_series(120).tz_localize("America/Chicago")
    result = backtest(y, ["naive"], horizon=7, n_windows=2)
    assert str(result.forecasts["timestamp"].dt.tz) == "America/Chicago"
    assert str(result.forecasts["cutoff"].dt.tz) == "America/Chicago"
    assert result.forecasts["timestamp"].iloc[0] == y.index[-14]


def test_a_model_needing_more_history_than_a_fold_fails_there_without_stopping_the_others():
    y = pd.Series(np.random.default_rng(1).normal(100, 5, 100), pd.date_range("1900", periods=100, freq="YS"))
    result = backtest(y, ["ets", "lstm"], horizon=8, n_windows=5)
    board = result.leaderboard()
    needed = tsforecast.get_model("lstm").required_length(y.index.freq)
    too_short = sum(len(y) - 8 * (5 - k) < needed for k in range(5))  # folds training on fewer
    assert 0 < too_short < 5  # some folds are too short for lstm, and not all
    assert np.isfinite(board.loc["ets", "mase"]) and board.loc["lstm", "failures"] == too_short
    messages = result.failures.loc[result.failures["model"] == "lstm", "message"]
    assert messages.str.contains("needs at least").all(), messages.tolist()


def test_residual_diagnostics_flag_a_model_that_missed_the_season():
    y = weekly_series(200, trend=0.0)
    result = backtest(y, ["naive", "ets"], horizon=7, n_windows=3)
    diagnostics = result.diagnostics.set_index("model")
    assert set(diagnostics.index) == {"snaive", "naive", "ets"}
    assert (diagnostics["cutoff"] == y.index[-8]).all() and (diagnostics["lags"] == 14).all()
    assert diagnostics.loc["naive", "ljung_box_p"] < 1e-6  # the weekly swing is left in its errors
    assert diagnostics.loc["ets", "ljung_box_p"] > 0.01
    assert "Residual diagnostics" in tsforecast.report.render_report(result)


class Noted(Naive):
    """Fits, with a note on every second cutoff (an optimiser that stopped early, say)."""

    short_name = "noted"

    def _fit(self, y, X):
        import warnings

        from tsforecast.core.errors import FitWarning

        if len(y) % 2 == 0:
            warnings.warn("stopped before converging", FitWarning, stacklevel=2)
        super()._fit(y, X)


def test_fit_notes_are_kept_with_their_fold_not_printed(recwarn):
    y = weekly_series(150)
    result = backtest(y, {"noted": Noted()}, horizon=7, n_windows=4)
    notes = result.fit_notes()
    assert len(notes) == 2 and set(notes["model"]) == {"noted"}
    assert (notes["notes"] == "stopped before converging").all()
    assert not [w for w in recwarn if "stopped before converging" in str(w.message)]
    assert result.summary()["fit_notes"][0]["notes"] == "stopped before converging"
    assert "stopped before converging" in render_report(result)


def test_timings_say_which_estimator_fitted_an_arima():
    """sarima's default picks CSS-ML beyond 150 observations and statsmodels' fit below."""
    short = backtest(weekly_series(120), ["sarima"], horizon=7, n_windows=1).timings
    long = backtest(weekly_series(300), ["sarima"], horizon=7, n_windows=1).timings
    assert short.loc[short["model"] == "sarima", "fitted"].iloc[0] == "ARIMA(1,0,0)(0,1,1)[7] by statsmodels"
    assert long.loc[long["model"] == "sarima", "fitted"].iloc[0] == "ARIMA(1,0,0)(0,1,1)[7] by css-ml"
