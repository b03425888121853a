"""Intermittent-demand models (croston, croston_sba, tsb, adida, imapa) and the detector.

Point forecasts and in-sample fitted values are checked against statsforecast 2.1.1's on the
series of ``tests/data/intermittent_statsforecast.json`` (written by statsforecast itself:
the command is in the file), so this runs without statsforecast installed.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.core.errors import DataError, DataRepairWarning
from tsforecast.data.synthetic import make_intermittent
from tsforecast.models.intermittent import ADI_CUTOFF, CV2_CUTOFF, Croston, CrostonSBA, intermittency

FIXTURE = Path(__file__).parent / "data" / "intermittent_statsforecast.json"
MODELS = ("croston", "croston_sba", "tsb", "adida", "imapa")


def weekly(values: object, start: str = "2023-01-01") -> pd.Series:
    array = np.asarray(values, dtype="float64")
    return pd.Series(array, index=pd.date_range(start, periods=array.size, freq="W-SUN"), name="demand")


def fixture_cases() -> list[tuple[str, str]]:
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return [(entry["name"], model) for entry in document["series"] for model in MODELS]


@pytest.fixture(scope="module")
def reference() -> dict[str, dict]:
    document = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert document["statsforecast"] == "2.1.1" and "intermittent_peers.py" in document["command"]
    return {entry["name"]: entry for entry in document["series"]}


@pytest.mark.parametrize(("series", "name"), fixture_cases())
def test_forecasts_and_fitted_values_equal_statsforecasts(series, name, reference):
    entry = reference[series]
    y = weekly(entry["y"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warning, not even on the all-zero series
        model = tsforecast.get_model(name).fit(y)
        forecast = model.predict(5).to_numpy()
        fitted = model.fitted_values().to_numpy()
    np.testing.assert_allclose(forecast, entry["forecast"][name], rtol=0, atol=1e-6)
    expected = np.array([np.nan if v is None else v for v in entry["fitted"][name]])
    np.testing.assert_array_equal(np.isnan(fitted), np.isnan(expected))
    np.testing.assert_allclose(fitted[~np.isnan(fitted)], expected[~np.isnan(expected)], rtol=0, atol=1e-6)


def test_the_fixture_covers_the_cases_that_differ():
    """Rounding half to even (a mean interval of 2.5 aggregates by 2), a series of zeros, real
    and simulated series: the cases where a re-implementation would drift."""
    names = {entry["name"] for entry in json.loads(FIXTURE.read_text(encoding="utf-8"))["series"]}
    assert {"half-interval", "all-zero", "holidays-DE"} <= names
    assert tsforecast.get_model("adida").fit(weekly([0, 3, 0, 0, 2, 0, 0, 0])).level_ == 2


@pytest.mark.parametrize("name", MODELS)
def test_negative_demand_is_refused_naming_its_dates(name):
    y = weekly([0, 2, 0, -1, 3, 0, 0, 4])
    with pytest.raises(DataError, match=r"negative values at 2023-01-22.*Fix"):
        tsforecast.get_model(name).fit(y)


@pytest.mark.parametrize("name", MODELS)
def test_one_demand_is_too_few_and_the_message_says_how_many_are_needed(name):
    with pytest.raises(DataError, match=r"at least 2 demands.*has 1 \(at 2023-01-15\)"):
        tsforecast.get_model(name).fit(weekly([0, 0, 5, 0, 0, 0]))


@pytest.mark.parametrize("name", MODELS)
def test_all_zeros_forecast_zero_without_a_warning(name):
    y = weekly(np.zeros(20))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = tsforecast.get_model(name).fit(y)
        assert (model.predict(4) == 0).all()
        bounds = model.predict_interval(4, 0.95)
        assert (bounds.to_numpy() == 0).all()
        assert (model.sample_paths(4, 50).to_numpy() == 0).all()
        assert (model.fitted_values().iloc[1:] == 0).all()


@pytest.mark.parametrize("name", MODELS)
def test_missing_values_go_through_the_validation_layer(name):
    """NaN is the validation layer's: interpolated with a DataRepairWarning naming the date
    (a missing week that means 'no sale' should be filled with 0 before fitting)."""
    y = weekly([0, 2, 0, np.nan, 3, 0, 0, 4])
    with pytest.warns(DataRepairWarning, match="2023-01-22"):
        tsforecast.get_model(name).fit(y)


def test_sba_is_croston_times_one_minus_half_alpha():
    y = weekly(make_intermittent(n_series=1, seed=3)["demand"])
    for alpha in (0.1, 0.3):
        croston = Croston(alpha=alpha).fit(y).predict(2)
        sba = CrostonSBA(alpha=alpha).fit(y).predict(2)
        np.testing.assert_allclose(sba, croston * (1 - alpha / 2), rtol=1e-12)


def test_tsb_decays_through_a_run_of_zeros_while_croston_waits():
    y = weekly([0, 3, 0, 2, 4, 0, 3, 0, 0, 5, 2, 0])
    idle = weekly(np.r_[y.to_numpy(), np.zeros(10)])
    def rate(name: str, series: pd.Series) -> float:
        return float(tsforecast.get_model(name).fit(series).predict(1).iloc[0])

    assert rate("tsb", idle) < 0.5 * rate("tsb", y)
    assert rate("croston", idle) == pytest.approx(rate("croston", y))  # it updates only when demand comes


@pytest.mark.parametrize("name", ["croston", "croston_sba", "tsb"])
@pytest.mark.parametrize("start", [0, 20, 60])
def test_update_continues_the_smoothing_with_the_numbers_of_a_refit(name, start):
    """croston, croston_sba and tsb roll forward in place (O(new values), no refit) and land
    on exactly what a fit on the whole history gives, also when the fit had no demand yet."""
    y = weekly(make_intermittent(n_series=1, length=100, seed=21)["demand"])
    y.iloc[:start] = 0.0
    fitted = tsforecast.get_model(name).fit(y.iloc[:70])
    assert fitted.updates_in_place
    for stop in (71, 80, 100):
        fitted.update(y.iloc[len(fitted.y_):stop])
        refit = tsforecast.get_model(name).fit(y.iloc[:stop])
        np.testing.assert_allclose(fitted.predict(3), refit.predict(3), rtol=1e-13)
        np.testing.assert_allclose(fitted.predict_quantiles(3, (0.5, 0.9)), refit.predict_quantiles(3, (0.5, 0.9)),
                                   rtol=1e-13)


@pytest.mark.parametrize("name", ["croston", "tsb"])
def test_an_update_after_a_fit_without_demand_refits(name):
    y = weekly(np.r_[np.zeros(30), [0, 3, 0, 2, 5, 0]])
    model = tsforecast.get_model(name).fit(y.iloc[:30])
    assert model.predict(1).iloc[0] == 0
    with pytest.raises(DataError, match="at least 2 demands"):
        model.update(y.iloc[30:33])  # one demand: what fit says too
    model.update(y.iloc[30:])
    np.testing.assert_allclose(model.predict(2), tsforecast.get_model(name).fit(y).predict(2), rtol=1e-13)


def test_an_update_with_a_negative_value_is_refused_and_leaves_the_model_as_it_was():
    y = weekly([0, 2, 0, 3, 0, 0, 1, 4])
    model = tsforecast.get_model("croston").fit(y.iloc[:6])
    before = model.predict(2)
    with pytest.raises(DataError, match="negative values at 2023-02-12"):
        model.update(weekly([-1, 4], start="2023-02-12"))
    pd.testing.assert_series_equal(model.predict(2), before)
    assert model.cutoff_ == y.index[5]


@pytest.mark.parametrize("name", MODELS)
def test_quantiles_are_zero_below_the_chance_of_no_demand_and_never_negative(name):
    y = weekly(make_intermittent(n_series=3, seed=11).query("item == 'I2'")["demand"])
    model = tsforecast.get_model(name).fit(y)
    levels = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
    quantiles = model.predict_quantiles(3, levels).to_numpy()
    assert (quantiles >= 0).all()
    no_demand = 1 - model.probability_
    assert 0 < model.probability_ <= 1
    np.testing.assert_array_equal(quantiles[:, np.array(levels) <= no_demand], 0.0)
    assert (quantiles[:, np.array(levels) > no_demand] > 0).all()
    paths = model.sample_paths(8, 4000, seed=1).to_numpy()
    assert (paths >= 0).all()
    # the paths are the same distribution: their mean is the rate (within 4 Monte Carlo SEs)
    assert abs(paths.mean() - model.rate_) < 4 * paths.std() / np.sqrt(paths.size)


@pytest.mark.parametrize("name", MODELS)
def test_upper_quantiles_hold_their_level_on_simulated_demand(name):
    """Calibration on 200 simulated stationary items (chance of demand 0.1..0.6, sizes 1 +
    Poisson): 104 weeks to fit, 26 to check. With an atom at zero and integer sizes, the
    quantile q of level t must satisfy P(Y < q) <= t <= P(Y <= q). Tolerance 0.03: the
    sampling error of the 5,200 checked weeks is below 0.01 (0.005 for independent weeks;
    weeks of one item share its estimates), and two years hold only 10 to 60 demands, whose
    estimated chance and sizes are off by a few points (measured: P(Y <= q) at most 0.02 short
    of the level, SBA's and IMAPA's 0.95 quantiles, for every model and level)."""
    rng = np.random.default_rng(7)
    levels = (0.8, 0.9, 0.95)
    below, at_most = [], []
    for _ in range(200):
        chance, size = rng.uniform(0.1, 0.6), rng.uniform(1, 8)
        y = np.where(rng.random(130) < chance, 1 + rng.poisson(size, 130), 0).astype("float64")
        if np.count_nonzero(y[:104]) < 2:
            continue
        q = tsforecast.get_model(name).fit(weekly(y[:104])).predict_quantiles(26, levels).to_numpy()
        below.append((y[104:, None] < q).mean(axis=0))
        at_most.append((y[104:, None] <= q).mean(axis=0))
    below, at_most = np.mean(below, axis=0), np.mean(at_most, axis=0)
    assert (below - 0.03 <= np.array(levels)).all() and (np.array(levels) <= at_most + 0.03).all(), (below, at_most)


def test_a_backtest_of_an_intermittent_panel_runs_every_model():
    frame = make_intermittent(n_series=6, length=60, seed=5)
    result = backtest(frame, list(MODELS), horizon=4, n_windows=2, id_col="item", time_col="date",
                                 target_col="demand", diagnose=False)
    board = result.leaderboard()
    assert set(MODELS) <= set(board.index)
    ours = result.forecasts[result.forecasts["model"].isin(MODELS)]
    assert ours["model"].nunique() == len(MODELS) and (ours["lower"] >= 0).all()


# ----------------------------------------------------------------------------- detector
def test_the_four_syntetos_boylan_classes():
    assert intermittency([3, 4, 3, 5, 4, 3, 4, 4]).kind == "smooth"
    assert intermittency([1, 20, 1, 30, 2, 1, 25, 1]).kind == "erratic"
    assert intermittency([0, 0, 3, 0, 0, 4, 0, 3]).kind == "intermittent"
    lumpy = intermittency([0, 0, 1, 0, 0, 30, 0, 0, 2])
    assert lumpy.kind == "lumpy" and lumpy.is_intermittent
    assert lumpy.zero_share == pytest.approx(6 / 9) and lumpy.adi == pytest.approx(3.0)
    none = intermittency(np.zeros(5))
    assert none.kind == "none" and none.is_intermittent and none.zero_share == 1.0


def test_the_detector_refuses_what_is_not_demand():
    with pytest.raises(DataError, match="negative"):
        intermittency([0, 1, -2])
    with pytest.raises(DataError, match="finite"):
        intermittency([0, np.nan, 2])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=1, max_size=60), st.floats(0.01, 100))
def test_the_detector_depends_on_the_pattern_not_the_units(values, factor):
    array = np.array(values, dtype="float64")
    plain, scaled = intermittency(array), intermittency(array * factor)
    assert plain.adi == scaled.adi  # positions only
    if abs(plain.cv2 - CV2_CUTOFF) > 1e-9:  # not on the cut, where rounding may fall either side
        assert plain.kind == scaled.kind
    if array.any():
        sizes = array[array > 0]
        assert plain.cv2 == pytest.approx(scaled.cv2, abs=1e-9)
        assert plain.is_intermittent == (plain.adi >= ADI_CUTOFF)
        assert (plain.kind in ("erratic", "lumpy")) == (sizes.var() / sizes.mean() ** 2 >= CV2_CUTOFF)
        # ADI: periods up to the last demand per demand
        assert plain.adi == pytest.approx((np.flatnonzero(array)[-1] + 1) / sizes.size)
