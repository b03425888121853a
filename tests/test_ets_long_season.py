"""ETS on seasons above 24: one code path with MSTL, files of the old layout, half-hourly data."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.models.mstl import MSTL

from .test_ets_likelihood import _weekly_with_a_year

DATA = Path(__file__).parent / "data"
FIXTURE = json.loads((DATA / "mstl_statsforecast.json").read_text())["cases"]


def _half_hourly() -> pd.Series:
    """Three weeks of real half-hourly electricity demand (pmdarima's ``taylor``, in the MSTL
    fixture)."""
    case = next(c for c in FIXTURE if c["periods"] == [48, 336])
    return pd.Series(case["y"], pd.date_range(case["start"], periods=len(case["y"]), freq=case["freq"]))


@pytest.mark.parametrize("model", ["ZZZ", "AAA", "ZZA"])
def test_a_long_season_is_forecast_by_mstl_with_an_ets_trend(model):
    y = _weekly_with_a_year(200, 1)
    ets = tsforecast.ETS(model=model, simulation_paths=300, seed=3).fit(y.iloc[:-12])
    trend_params = {"model": model[:2] + "N", "damped": None, "simulation_paths": 300, "seed": 3}
    mstl = MSTL(periods=[52], trend="ets", trend_params=trend_params).fit(y.iloc[:-12])
    assert isinstance(ets.mstl_, MSTL) and ets.label_ == "STL(52)+" + mstl.trend_model_.label_
    assert ets.form_ == mstl.trend_model_.form_ and ets.search_ == mstl.trend_model_.search_
    # the same model, so the same numbers (ETS keeps its own interval rule: quantiles of the
    # shifted paths, which equal MSTL's shifted quantiles up to rounding)
    np.testing.assert_allclose(ets.predict(20), mstl.predict(20), rtol=1e-12)
    np.testing.assert_allclose(ets.predict_interval(20, 0.9), mstl.predict_interval(20, 0.9), rtol=1e-9)
    np.testing.assert_allclose(ets.fitted_values(), mstl.fitted_values(), rtol=1e-12)
    for fitted in (ets, mstl):
        fitted.update(y.iloc[-12:])
    np.testing.assert_allclose(ets.predict(20), mstl.predict(20), rtol=1e-12)
    assert ets.cutoff_ == ets.mstl_.cutoff_ == y.index[-1]


def test_paths_are_those_ets_simulated_before_mstl_served_it():
    """ETS's sample paths draw the trend ETS's errors from its own generator, so a seed gives
    the paths it gave when ETS adjusted long seasons itself (checked on the saved file below);
    its intervals and quantiles are those paths' quantiles."""
    model = tsforecast.ETS(simulation_paths=400).fit(_weekly_with_a_year(200, 1))
    paths = model.sample_paths(8, n=400, seed=0).to_numpy()
    again = model.sample_paths(8, n=400, seed=0).to_numpy()
    np.testing.assert_array_equal(paths, again)
    bounds = model.predict_interval(8, 0.8)
    same_paths = model.sample_paths(8, n=400, seed=model.seed).to_numpy()
    np.testing.assert_allclose(bounds["upper"], np.maximum(np.quantile(same_paths, 0.9, axis=1), model.predict(8)),
                               rtol=1e-9)


def test_a_file_saved_when_ets_adjusted_the_season_itself_forecasts_as_it_did(tmp_path):
    """``ets-stl-v1.tsf`` was saved at 547902e (ETS's own STL adjustment, an update
    included, ``seasonal_`` in the file); ``ets-stl-v1-forecasts.json`` holds what it forecast then."""
    expected = json.loads((DATA / "ets-stl-v1-forecasts.json").read_text())
    model = tsforecast.load(DATA / "ets-stl-v1.tsf")
    assert model.label_ == expected["label"] and isinstance(model.mstl_, MSTL)
    np.testing.assert_allclose(model.predict(6), expected["forecast"], rtol=1e-12)
    bounds = model.predict_interval(6, 0.8)
    np.testing.assert_allclose(bounds["lower"], expected["lower"], rtol=1e-12)
    np.testing.assert_allclose(bounds["upper"], expected["upper"], rtol=1e-12)
    np.testing.assert_allclose(model.predict_quantiles(6, (0.1, 0.5, 0.9)), expected["quantiles"], rtol=1e-12)
    np.testing.assert_allclose(model.sample_paths(6, n=3, seed=5), expected["paths"], rtol=1e-12)
    np.testing.assert_allclose(model.fitted_values().iloc[-6:], expected["fitted"], rtol=1e-12)
    # saved again in today's layout, and rolled forward: still one model
    again = tsforecast.load(model.save(tmp_path / "again.tsf"))
    np.testing.assert_allclose(again.predict(6), model.predict(6), rtol=1e-12)
    new = pd.Series([640.0, 650.0], pd.date_range(model.cutoff_ + model.freq_, periods=2, freq=model.freq_))
    np.testing.assert_allclose(again.update(new).predict(4), model.update(new).predict(4), rtol=1e-12)


def test_half_hourly_data_gets_a_daily_or_weekly_season_never_silently_none():
    y = _half_hourly()
    daily = tsforecast.ETS(simulation_paths=200).fit(y.iloc[:-48])
    assert daily.season_ == 48 and daily.label_.startswith("STL(48)+ETS(")
    weekly = tsforecast.ETS(season=336, simulation_paths=200).fit(y.iloc[:-48])
    assert weekly.label_.startswith("STL(336)+ETS(")
    flat = tsforecast.ETS(model="ZZN", simulation_paths=200).fit(y.iloc[:-48])

    def mae(model: tsforecast.ETS) -> float:
        return float(np.mean(np.abs(model.predict(48).to_numpy() - y.iloc[-48:].to_numpy())))

    # the last day is a Saturday: the daily cycle helps, the weekly one (the same day a week
    # before, carried on) far more
    assert mae(weekly) < 0.2 * mae(daily) and mae(daily) < 0.8 * mae(flat)
    short = y.iloc[:80]
    with pytest.warns(tsforecast.FitWarning, match=r"season of 48 observations needs at least 99 .* has 80"):
        flat = tsforecast.ETS(simulation_paths=200).fit(short)
    assert flat.mstl_ is None and flat.form_.endswith("N")
    with pytest.raises(tsforecast.DataError, match="at least 99 observations"):
        tsforecast.ETS(model="AAA").fit(short)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a series long enough, or a season left out on purpose: no warning
        tsforecast.ETS(model="ZZN", simulation_paths=200).fit(short)


def test_a_refit_replaces_the_kind_of_state():
    y = _weekly_with_a_year(200, 1)
    model = tsforecast.ETS(simulation_paths=200).fit(y)
    assert model.mstl_ is not None and not hasattr(model, "results_")
    with pytest.warns(tsforecast.FitWarning):
        model.fit(y.iloc[:60])
        fresh = tsforecast.ETS(simulation_paths=200).fit(y.iloc[:60])
    assert model.mstl_ is None and model.results_ is not None
    np.testing.assert_allclose(model.predict(3), fresh.predict(3), rtol=1e-12)
    model.fit(y)
    assert model.mstl_ is not None and not hasattr(model, "results_")


@pytest.mark.parametrize("model, values, freq, problem", [
    ("MAN", np.arange(-5.0, 40.0), "MS", "strictly positive values, and its smallest is -5"),
    ("AAM", np.arange(-5.0, 40.0), "MS", "strictly positive values, and its smallest is -5"),
    ("AAA", np.arange(1.0, 40.0), "YS", "season of at least 2 observations, and this series' is 1"),
])
def test_fixed_letters_that_do_not_fit_name_this_series_problem(model, values, freq, problem):
    y = pd.Series(values, pd.date_range("1990-01-01", periods=len(values), freq=freq))
    with pytest.raises(tsforecast.ConfigError, match=f"model '{model}' does not fit this series: .*{problem}"):
        tsforecast.ETS(model=model).fit(y)
