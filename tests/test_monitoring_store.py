"""``tsforecast.monitor`` on a real SQLite store: which backtest is the drift reference, the
scores as they were recorded, an unnamed series, actuals with a UTC offset, and a path that is
no store."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import tsforecast
from tsforecast.core.errors import DataError
from tsforecast.data.series_ids import DEFAULT_SERIES_NAME
from tsforecast.monitoring.run import monitor
from tsforecast.monitoring.scoring import actuals_frame
from tsforecast.store import Store
from tsforecast.store.record import TIMEZONE_KEY, series_timezone

from .conftest import weekly_series
from .monitoring_helpers import backtest_rows, forecast_rows

HISTORY, HORIZON = 150, 14


@pytest.fixture(scope="module")
def case():
    """A daily series, its snaive backtest, a worse copy of that backtest (every error ten
    scales larger), and a forecast of the next 14 days with their actuals."""
    y = weekly_series(HISTORY + HORIZON, seed=3)
    history, actuals = y.iloc[:HISTORY], y.iloc[HISTORY:]
    good = backtest_rows(history, "snaive")
    worse = good.assign(y_true=good["y_true"] + 10 * good["scale"])
    fitted = tsforecast.get_model("snaive").fit(history)
    return {"good": good, "worse": worse, "live": forecast_rows(fitted, HORIZON), "actuals": actuals,
            "fitted": fitted}


def _reference(path, case, *backtests: str) -> float:
    """The drift reference's median on a store holding the forecast and ``backtests`` recorded
    in that order."""
    with Store(path) as store:
        for name in backtests:
            store.record_run({"command": "backtest", "model": "snaive"}, case[name])
        store.record_run({"command": "forecast", "model": "snaive"}, case["live"])
        result = monitor(store, case["actuals"], record=False)
    (reference,) = result.drift.references.itertuples()
    assert reference.reference == "backtest"
    return reference.reference_error


def test_the_reference_is_the_latest_backtest_only(case, tmp_path):
    good, worse = _reference(tmp_path / "good.db", case, "good"), _reference(tmp_path / "worse.db", case, "worse")
    assert worse > good + 5  # ten scales larger errors
    # a newer backtest replaces the reference; an older one recorded before it changes nothing
    assert _reference(tmp_path / "good-then-worse.db", case, "good", "worse") == pytest.approx(worse)
    assert _reference(tmp_path / "worse-then-good.db", case, "worse", "good") == pytest.approx(good)


def test_the_scores_are_those_recorded_with_when_they_were_scored(case, tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.record_run({"command": "forecast", "model": "snaive"}, case["live"])
        first = monitor(store, case["actuals"].iloc[:3])
        recorded = store.scores()
        second = monitor(store, case["actuals"].iloc[3:6])
        stored = store.scores()
    assert first.recorded == 3 and len(recorded) == 3 and second.recorded == 3 and len(stored) == 6
    scores = second.scores
    assert scores["scored_at"].dt.tz is None  # naive UTC, as the store keeps it
    old = scores[~scores["new"]].reset_index(drop=True)
    assert old["new"].sum() == 0 and len(old) == 3
    # the earlier scores keep the time they were scored at, not this call's
    pd.testing.assert_series_equal(old["scored_at"], recorded["scored_at"], check_names=False)
    assert (scores.loc[scores["new"], "scored_at"] > recorded["scored_at"].max()).all()
    # and their values are the store's, with the forecast's point, interval and scale beside them
    both = scores.merge(stored, on=["run_id", "series_id", "model", "origin", "target_time"], suffixes=("", "_db"))
    assert len(both) == 6
    for column in ("actual", "error", "abs_scaled_error", "pinball", "scored_at"):
        np.testing.assert_array_equal(both[column].to_numpy(), both[f"{column}_db"].to_numpy())
    live = case["live"].set_index("target_time")
    np.testing.assert_allclose(scores["point"], live.loc[scores["target_time"], "point"])
    np.testing.assert_allclose(scores["lower"], live.loc[scores["target_time"], "q0.1"])
    np.testing.assert_allclose(scores["upper"], live.loc[scores["target_time"], "q0.9"])
    assert (scores["interval"] == 0.8).all() and np.allclose(scores["scale"], live["scale"].iloc[0])


def test_an_unnamed_series_meets_the_forecasts_of_an_unnamed_series(case, tmp_path):
    y = case["actuals"].rename(None)
    assert actuals_frame(y)["series_id"].eq(DEFAULT_SERIES_NAME).all()
    fitted = tsforecast.get_model("snaive").fit(case["fitted"].y_.rename(None))
    rows = forecast_rows(fitted, HORIZON)
    assert rows["series_id"].eq(DEFAULT_SERIES_NAME).all()
    with Store(tmp_path / "u.db") as store:
        store.record_run({"command": "forecast", "model": "snaive"}, rows)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "unknown series id"
            result = monitor(store, y)
    assert result.recorded == HORIZON


def _offset_case(tmp_path, tz: str | None):
    """A daily forecast made on a series in ``tz`` (None: no timezone), recorded with the
    timezone as ``forecast --store`` records it."""
    y = weekly_series(60, seed=4)
    if tz is not None:
        y = y.tz_localize(tz)
    fitted = tsforecast.get_model("snaive").fit(y)
    store = Store(tmp_path / f"{tz or 'naive'}.db".replace("/", "-"))
    store.record_run({"command": "forecast", "model": "snaive", TIMEZONE_KEY: series_timezone(fitted)},
                     forecast_rows(fitted, 7))
    days = pd.date_range(y.index[-1] + pd.Timedelta(days=1), periods=3, freq="D")
    return store, days


def test_offset_actuals_of_a_naive_series_are_read_as_written(tmp_path):
    store, days = _offset_case(tmp_path, None)
    # an export that writes its dates with +05:00: still those dates, never 19:00 the day before
    actuals = pd.Series([1.0, 2.0, 3.0], index=days.tz_localize("+05:00"), name="y")
    with store, warnings.catch_warnings():
        warnings.simplefilter("error")
        result = monitor(store, actuals)
    assert result.recorded == 3
    assert result.scores["target_time"].tolist() == list(days)


def test_actuals_of_an_aware_series_are_converted_to_utc(tmp_path):
    store, days = _offset_case(tmp_path, "Asia/Karachi")  # UTC+05:00
    assert days.tz is not None
    with store, warnings.catch_warnings():
        warnings.simplefilter("error")
        # the same instants written with another offset, and written without one (Karachi's clock)
        converted = monitor(store, pd.Series([1.0, 2.0], index=days[:2].tz_convert("+01:00"), name="y"), record=False)
        naive = monitor(store, pd.Series([1.0, 2.0], index=days[:2].tz_localize(None), name="y"), record=False)
    utc = list(days[:2].tz_convert("UTC").tz_localize(None))
    assert converted.scores["target_time"].tolist() == utc
    assert naive.scores["target_time"].tolist() == utc


def test_a_store_path_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        monitor(tmp_path / "typo.db", pd.Series([1.0], index=pd.date_range("2024-01-01", periods=1), name="y"))
    with Store(tmp_path / "empty.db") as store:
        store.record_run({"command": "backtest", "model": "m"}, pd.DataFrame(
            columns=["series_id", "model", "origin", "target_time", "step", "point", "scale"]))
    with pytest.raises(DataError, match="holds no forecast"):
        monitor(tmp_path / "empty.db", pd.Series([1.0], index=pd.date_range("2024-01-01", periods=1), name="y"))
