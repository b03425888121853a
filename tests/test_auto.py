"""auto: a choice made on the training data alone, robust to failing candidates, recorded."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.core.errors import DataError
from tsforecast.data.synthetic import make_intermittent
from tsforecast.evaluation.metrics import rmsse
from tsforecast.models.conformal import conformal_quantile
from tsforecast.report import render_report
from tsforecast.selection.candidates import INTERMITTENT_CANDIDATES, RIDGE_FOURIER, candidate_set
from tsforecast.selection.combo import COMBO_MEMBERS
from tsforecast.selection.plan import DEFAULT_CANDIDATES, MAX_COSTLY_WORK, plan_validation

from .conftest import assert_near_level


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
    scores = weekly.validation_["mase"].sort_values()
    within = tsforecast.Auto().within
    near = scores[scores <= within * scores.iloc[0]].index[:3].tolist()  # within the default ratio of the best
    assert weekly.chosen_ == near
    assert weekly.label_ == (near[0] if len(near) == 1 else f"mean of {', '.join(sorted(near))}")
    assert weekly.validation_.loc[near[0], "status"] == f"chosen: validation MASE within {within:g}x of the best"


def test_a_combination_leaves_out_candidates_far_behind_the_best():
    y = seasonal()
    loose = tsforecast.Auto(within=100.0, **FAST).fit(y)  # everything is near enough: the top three
    assert loose.chosen_ == loose.validation_["mase"].sort_values().index[:3].tolist()
    tight = tsforecast.Auto(**FAST).fit(y)
    far = [name for name in loose.chosen_ if name not in tight.chosen_]
    assert far, "naive (a flat line on a weekly cycle) is far behind the best"
    best = tight.validation_["mase"].min()
    assert all(tight.validation_.loc[name, "mase"] > tight.within * best for name in far)
    assert tight.validation_.loc[far[0], "status"] == "ok"


def test_a_history_too_short_to_validate_the_fallback_uses_it_unvalidated():
    short = tsforecast.Auto().fit(random_walk(19))  # one fold of 8 leaves 11 days: too few for auto_arima (12)
    assert short.n_windows_ == 1
    assert short.validation_.loc["auto_arima", "mase"] != short.validation_.loc["auto_arima", "mase"]  # NaN
    assert short.chosen_ == ["auto_arima"]
    assert "too short to validate" in short.validation_.loc["auto_arima", "status"]
    assert np.isfinite(short.validation_.loc["naive", "mase"])  # the simple ones were scored, and lost
    without = tsforecast.Auto(fallback=None).fit(random_walk(19))
    assert "auto_arima" not in without.chosen_


def test_a_short_history_gets_fewer_folds_so_the_fallback_is_validated():
    y = random_walk(34)  # 3 folds of 8 would leave 10 days, too few for auto_arima (12); 2 leave 18
    model = tsforecast.Auto().fit(y)
    assert model.n_windows_ == 2 and "auto_arima" in model.plan_.candidates
    assert np.isfinite(model.validation_.loc["auto_arima", "mase"])
    assert "unvalidated" not in " ".join(model.validation_["status"])
    # without a fallback the folds serve the least demanding candidate, and auto_arima is left out
    without = tsforecast.Auto(fallback=None).fit(y)
    assert without.n_windows_ == 3
    assert without.validation_.loc["auto_arima", "status"].startswith("skipped: needs")


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
    short = tsforecast.Auto(fallback=None).fit(random_walk(24))  # 2 folds of 8 leave 8 days
    assert short.validation_.loc["auto_arima", "status"].startswith("skipped: needs")
    assert_near_level(short.predict(5), random_walk(24), window=8)


def test_no_runnable_candidate_is_a_clear_data_error():
    constant = pd.Series(5.0, index=pd.date_range("2020-01-01", periods=60))
    with pytest.raises(DataError, match="no candidate can forecast this series.*ets"):
        tsforecast.Auto(candidates=("ets", "theta")).fit(constant)


def test_a_single_season_of_history_still_forecasts_unvalidated():
    y = seasonal(8)
    model = tsforecast.Auto().fit(y)
    assert model.n_windows_ == 0
    forecast = model.predict(7)
    assert_near_level(forecast, y)
    assert np.corrcoef(forecast, y.iloc[-7:])[0, 1] > 0.9  # the week it saw, day by day


def test_the_time_budget_bounds_the_validation_and_warns_when_it_cuts():
    rail = tsforecast.load_dataset("ridership")["rail"]
    cut = r"time_budget=0.3 s limits the validation by wall-clock time: it ran out before .*auto_arima"
    with pytest.warns(tsforecast.FitWarning, match=cut) as caught:
        model = tsforecast.Auto(time_budget=0.3, neural_min_length=1000).fit(rail)
    assert len([w for w in caught if "time_budget" in str(w.message)]) == 1  # once per fit
    statuses = " ".join(model.validation_["status"])
    assert "time budget" in statuses
    # the network is asked for on 1,000+ points, but not validated on a small budget
    assert model.validation_.loc["lstm", "status"].startswith("skipped: time_budget 0.3 s is below the 60 s")
    assert model.validation_["seconds"].sum() < 30  # nowhere near an unbounded auto_arima + lstm
    assert_near_level(model.predict(7), rail)  # whatever it chose


def test_a_time_budget_warns_even_when_it_cuts_nothing():
    """Given a clock, the choice may depend on speed: auto says so once, cut or not."""
    with pytest.warns(tsforecast.FitWarning, match="it cut nothing this time") as caught:
        tsforecast.Auto(**FAST, time_budget=600).fit(seasonal())
    assert len([w for w in caught if "time_budget" in str(w.message)]) == 1


def test_the_default_plans_the_work_from_the_series_alone():
    """No clock by default: the plan (candidates, folds) follows from length and frequency."""
    assert tsforecast.Auto().time_budget is None and tsforecast.Auto().neural_min_length is None
    rail = tsforecast.load_dataset("ridership")["rail"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", tsforecast.FitWarning)
        model = tsforecast.Auto().fit(rail.iloc[-400:])
    assert model.plan_.candidates == DEFAULT_CANDIDATES  # no network unless asked for
    assert (model.plan_.horizon, model.plan_.n_windows) == (8, 3)  # a week clipped up to 8 days
    assert list(model.validation_.index) == list(DEFAULT_CANDIDATES)  # combo only when named (README)
    assert model.validation_["status"].str.startswith(("ok", "chosen")).all()


def test_the_plan_rule():
    needed = {"snaive": 8, "naive": 2, "ridge": 90, "auto_arima": 12, "ets": 25}
    plan = plan_validation(60, 12, needed, n_windows=3)  # 60 months: 3 folds of 12 leave 24
    assert (plan.horizon, plan.n_windows) == (12, 3)
    assert plan.candidates == ("snaive", "naive", "auto_arima")
    assert plan.left_out["ridge"] == "skipped: needs 90 observations before 3 validation fold(s)"
    assert plan.fits == 3 and "left out: ridge, ets" in plan.describe()
    assert plan_validation(30, 12, needed, n_windows=3).n_windows == 1  # short: fewer folds
    assert plan_validation(10, 12, needed, n_windows=3).candidates == ()
    # 23 quarters: 2 folds of 8 would leave auto_arima 7 of its 12; planned around it, one fold
    assert plan_validation(23, 4, needed, n_windows=3).n_windows == 2
    around = plan_validation(23, 4, needed, n_windows=3, fallback="auto_arima")
    assert around.n_windows == 1 and "auto_arima" in around.candidates
    assert plan_validation(60, 12, needed, n_windows=3, fallback="auto_arima") == plan  # long: unchanged
    assert plan_validation(15, 4, needed, n_windows=3, fallback="auto_arima").n_windows == 1  # no fold fits it
    assert plan_validation(200, 52, needed, n_windows=3, horizon=5).horizon == 5
    # the costly searches are planned up to MAX_COSTLY_WORK observations x season
    n = MAX_COSTLY_WORK // 24
    assert "auto_arima" in plan_validation(n, 24, needed, n_windows=3).candidates
    beyond = plan_validation(n + 1, 24, needed, n_windows=3)
    assert "auto_arima" not in beyond.candidates and "ets" not in beyond.candidates
    assert "exceed the plan's bound" in beyond.left_out["ets"]
    assert "ets" in plan_validation(n + 1, 24, needed, n_windows=3, bound_costly=False).candidates


_HOG_FIT = """
import sys, numpy as np, pandas as pd, tsforecast
rng = np.random.default_rng(3)
t = np.arange(72)
y = pd.Series(100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 4) + rng.normal(0, 2, 72).cumsum(),
              index=pd.date_range("2000-01-01", periods=72, freq="QS"))
model = tsforecast.Auto().fit(y)
np.save(sys.argv[1], model.predict(8).to_numpy())
print(model.label_)
"""


def _burn(stop) -> None:
    while not stop.is_set():
        pass


def test_the_default_choice_and_forecasts_are_the_same_under_a_cpu_hog(tmp_path):
    """The same default fit in a fresh process on an idle machine and while two processes spin
    on both cores: the same choice and bit-identical forecasts (no clock in the plan)."""
    import multiprocessing
    import subprocess
    import sys

    def fit(label: str) -> tuple[str, np.ndarray]:
        out = tmp_path / f"{label}.npy"
        root = Path(tsforecast.__file__).resolve().parents[1]  # this checkout's tsforecast
        done = subprocess.run([sys.executable, "-c", _HOG_FIT, str(out)], capture_output=True, text=True,
                              check=True, timeout=600, cwd=root)
        return done.stdout.strip(), np.load(out)

    idle_label, idle = fit("idle")
    stop = multiprocessing.Event()
    hogs = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True) for _ in range(2)]
    for hog in hogs:
        hog.start()
    try:
        busy_label, busy = fit("busy")
    finally:
        stop.set()
        for hog in hogs:
            hog.join(timeout=10)
    assert busy_label == idle_label
    assert np.array_equal(busy, idle)


def test_the_default_choice_is_the_same_in_worker_processes():
    """A backtest of the default auto in one process and in two workers: the same choices and
    forecasts (the plan reads no clock and no thread count)."""
    y = pd.Series(np.random.default_rng(5).normal(0, 1, 64).cumsum() + 50,
                  index=pd.date_range("2000-01-01", periods=64, freq="QS"))
    runs = [backtest(y, {"auto": tsforecast.Auto()}, horizon=4, n_windows=2, n_jobs=jobs) for jobs in (1, 2)]
    one, two = (run.forecasts[run.forecasts["model"] == "auto"] for run in runs)
    assert np.array_equal(one["forecast"].to_numpy(), two["forecast"].to_numpy())
    labels = [run.timings.loc[run.timings["model"] == "auto", "fitted"].tolist() for run in runs]
    assert labels[0] == labels[1]


def test_the_fallback_is_validated_before_the_costlier_candidates():
    """A wall-clock budget cuts whatever comes last; auto_arima alone is far stronger than
    ets (1.09 against 1.43 on the dev set), so it is validated first of the two, and on a
    budget that runs out it is ets that is left out."""
    model = tsforecast.Auto(time_budget=None).fit(seasonal())
    order = list(model.validation_.index)
    assert order.index("auto_arima") < order.index("ets")
    assert order[: order.index("auto_arima")] == ["snaive", "naive", "theta", "ridge"]  # the near-free ones only


def test_no_time_budget_validates_every_candidate_without_a_warning():
    y = seasonal()
    with warnings.catch_warnings():
        warnings.simplefilter("error", tsforecast.FitWarning)
        model = tsforecast.Auto(**FAST, time_budget=None).fit(y)
    assert (model.validation_["status"].str.startswith(("ok", "chosen"))).all()
    # the same choice with a budget that never binds: None changes only the limit (and the warning)
    with pytest.warns(tsforecast.FitWarning, match="time_budget=600"):
        bounded = tsforecast.Auto(**FAST, time_budget=600).fit(y)
    pd.testing.assert_series_equal(model.predict(7), bounded.predict(7))


def test_intervals_are_calibrated_halfway_between_the_members_and_the_validation_errors():
    model = tsforecast.Auto(**FAST).fit(seasonal())
    assert len(model.calibration_scores_) >= 10
    narrow, wide = model.predict_interval(7, 0.5), model.predict_interval(7, 0.95)
    assert ((wide["upper"] - wide["lower"]) > (narrow["upper"] - narrow["lower"])).all()
    # the half-width is the members' average scale times the mean of the normal and the
    # conformal quantile of the validation ratios
    z = norm.ppf(0.9)
    members = [m.predict_interval(7, 0.8) for m in model.models_.values()]
    scale = np.mean([(b["upper"] - b["lower"]).to_numpy() / (2 * z) for b in members], axis=0)
    conformal = conformal_quantile(model.calibration_scores_[:, None], 0.8)[0]
    assert not np.isclose(conformal, z)  # the two differ, so the test tells the rules apart
    bounds = model.predict_interval(7, 0.8)
    np.testing.assert_allclose((bounds["upper"] - bounds["lower"]).to_numpy() / 2, scale * (z + conformal) / 2)


def test_a_backtest_of_auto_reports_its_choices():
    result = backtest(seasonal(200), {"auto": tsforecast.Auto(within=100.0, **FAST)}, horizon=7, n_windows=2)
    fitted = result.timings.set_index("model").loc["auto", "fitted"]
    assert all(text.startswith("mean of ") for text in fitted)
    html = render_report(result)
    assert "What the models chose" in html and "mean of" in html


def test_auto_is_in_the_registry_and_the_cli_can_name_it():
    assert "auto" in tsforecast.available_models()
    assert isinstance(tsforecast.get_model("auto"), tsforecast.Auto)


def test_long_histories_roll_the_validated_models_forward_instead_of_refitting():
    y = seasonal(700)
    settings = {"candidates": ("snaive", "sarima"), "within": 100.0, "horizon": 7, "n_windows": 3}
    model = tsforecast.Auto(**settings).fit(y)
    assert "sarima" in model.chosen_ and model.rolled_forward_ == model.chosen_
    first_cutoff = len(y) - 3 * 7  # sarima was fitted there once, and rolled over the folds since
    at_first = tsforecast.get_model("sarima").fit(y.iloc[:first_cutoff])
    np.testing.assert_allclose(model.models_["sarima"].results_.params, at_first.results_.params)
    refitted = tsforecast.get_model("sarima").fit(y)
    assert not np.allclose(model.models_["sarima"].results_.params, refitted.results_.params)
    np.testing.assert_allclose(model.models_["sarima"].predict(7), at_first.update(y.iloc[first_cutoff:]).predict(7))
    short = tsforecast.Auto(**settings).fit(y.iloc[:200])  # the folds hold back more than a tenth
    assert short.rolled_forward_ == [] and "sarima" in short.chosen_


def test_an_infinite_time_budget_from_a_config_file_means_no_limit(tmp_path):
    """TOML has no null: ``time_budget = inf`` is how a config file asks for no limit."""
    from tsforecast.app.settings import read_config

    config = tmp_path / "run.toml"
    config.write_text('[model_params.auto]\ntime_budget = inf\ncandidates = ["snaive", "naive", "drift", "theta"]\n')
    params = read_config(config)["model_params"]["auto"]
    model = tsforecast.get_model("auto", **params)
    assert model._budget() is None
    assert model.fit(seasonal()).validation_["status"].str.startswith(("ok", "chosen", "skipped: needs")).all()


def demand(item: str = "I1") -> pd.Series:
    panel = make_intermittent(3)
    return panel[panel["item"] == item].set_index("date")["demand"].astype(float).asfreq("W-SUN")


def test_intermittent_demand_adds_its_models_and_ranks_by_rmsse():
    y = demand()
    assert tsforecast.intermittency(y).is_intermittent
    model = tsforecast.Auto().fit(y)
    assert model.metric_ == "rmsse"
    assert set(INTERMITTENT_CANDIDATES) <= set(model.validation_.index)
    assert {"mstl", RIDGE_FOURIER}.isdisjoint(model.validation_.index)  # weekly, but demand: no STL
    assert "ets" not in model.validation_.index  # it forecasts negative demand
    assert {"auto_arima", "theta", "naive"} <= set(model.validation_.index)
    ok = model.validation_[model.validation_["status"].str.startswith(("ok", "chosen"))]
    best = ok["score"].idxmin()
    assert best in model.chosen_ or best == "combo"
    assert not np.allclose(ok["score"], ok["mase"])  # a different error, not MASE renamed
    # the score is RMSSE per fold (the history before each cutoff as its scale), averaged
    folds = backtest(y, ["tsb"], horizon=model.horizon_, n_windows=model.n_windows_, refit=False,
                     diagnose=False).forecasts.query("model == 'tsb'")
    expected = np.mean([rmsse(f["actual"], f["forecast"], y_train=y.loc[:cutoff])
                        for cutoff, f in folds.groupby("cutoff")])
    assert model.validation_.loc["tsb", "score"] == pytest.approx(expected, rel=1e-9)
    assert (model.predict(8) >= 0).all()


def test_the_candidates_follow_the_series_kind_and_seasons():
    weekly = pd.Series(np.random.default_rng(1).normal(100, 5, 200),
                       index=pd.date_range("2015-01-04", periods=200, freq="W-SUN"))
    long = candidate_set(weekly, weekly.index.freq, None)
    assert long.metric == "mase" and long.models["mstl"] == ("mstl", {"periods": [52]})
    registered, params = long.models[RIDGE_FOURIER]
    assert registered == "ridge" and params["fourier"][0] == pytest.approx(52.18, abs=0.01)
    assert long.models["ridge"] == ("ridge", {})  # the ordinary ridge stays a candidate
    short = candidate_set(weekly.iloc[:100], weekly.index.freq, None)  # under two years: one season, ordinary
    assert "mstl" not in short.models and list(short.models) == list(DEFAULT_CANDIDATES)
    assert candidate_set(demand(), "W-SUN", None).metric == "rmsse"
    negative = demand() - 1  # zeros shifted below: not demand, whatever its shape
    assert candidate_set(negative, "W-SUN", None).metric == "mase"
    assert "lstm" in candidate_set(weekly, "W-SUN", 150).models


def test_long_seasons_validate_mstl_and_fourier_ridge(tmp_path):
    t = np.arange(300)
    y = pd.Series(200 + 30 * np.sin(2 * np.pi * t / 52.18) + np.random.default_rng(2).normal(0, 2, 300),
                  index=pd.date_range("2015-01-04", periods=300, freq="W-SUN"))
    model = tsforecast.Auto().fit(y)
    for name in ("mstl", RIDGE_FOURIER):
        assert model.validation_.loc[name, "status"].startswith(("ok", "chosen")), model.validation_
    # a 52.18-week cycle: the seasonal models beat the flat ones by far
    assert model.validation_.loc["mstl", "mase"] < 0.5 * model.validation_.loc["naive", "mase"]
    path = model.save(tmp_path / "auto.tsf")
    np.testing.assert_allclose(tsforecast.load(path).predict(10), model.predict(10))


def test_combo_averages_ets_arima_and_theta_and_their_quantiles():
    y = seasonal(120)
    combo = tsforecast.get_model("combo").fit(y)
    members = [tsforecast.get_model(name).fit(y) for name in COMBO_MEMBERS]
    assert combo.members_ == list(COMBO_MEMBERS)
    np.testing.assert_allclose(combo.predict(7), np.mean([m.predict(7) for m in members], axis=0), rtol=1e-6)
    bounds = [m.predict_interval(7, 0.8) for m in members]
    interval = combo.predict_interval(7, 0.8)
    np.testing.assert_allclose(interval["lower"], np.mean([b["lower"] for b in bounds], axis=0), rtol=1e-6)
    np.testing.assert_allclose(interval["upper"], np.mean([b["upper"] for b in bounds], axis=0), rtol=1e-6)
    short = tsforecast.get_model("combo").fit(seasonal(10))  # too short for auto_arima: the others average
    assert short.members_ == ["ets", "theta"] and "auto_arima" in short.left_out_


def trending_monthly(seed: int = 3) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(96)
    return pd.Series(100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + 0.5 * rng.normal(0, 3, 96).cumsum()
                     + rng.normal(0, 2, 96), index=pd.date_range("2010-01", periods=96, freq="MS"))


def test_combo_is_a_candidate_when_named():
    y = trending_monthly()  # the three members err in different directions here
    model = tsforecast.Auto(candidates=("snaive", "theta", "combo"), combine="best").fit(y)
    scores = model.validation_["score"]
    assert scores["combo"] < scores["theta"] < scores["snaive"]
    assert model.chosen_ == ["combo"]
    members = [tsforecast.get_model(name).fit(y).predict(12).to_numpy() for name in COMBO_MEMBERS]
    np.testing.assert_allclose(model.predict(12), np.mean(members, axis=0), rtol=1e-6)
    assert "combo" not in tsforecast.Auto().fit(y).validation_.index  # not a default candidate
