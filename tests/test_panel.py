"""Many series from one long table: ragged series, per-series folds equal to single-series
backtests, exogenous columns per series, and bad panels refused by name."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tsforecast
from tsforecast.app.cli import app
from tsforecast.backtest import backtest
from tsforecast.core.errors import ConfigError, DataError
from tsforecast.data.panel import panel_from_long
from tsforecast.data.synthetic import make_panel

from .conftest import weekly_series

MODELS = ["naive", "ets"]


def long_panel() -> pd.DataFrame:
    """Three daily series of different lengths and start dates, in long format."""
    parts = []
    for k, (n, start) in enumerate([(120, "2020-01-01"), (90, "2020-02-15"), (150, "2019-12-01")]):
        y = weekly_series(n, start=start, seed=k) * (1 + k)
        parts.append(pd.DataFrame({"store": f"s{k}", "day": y.index, "sales": y.to_numpy(),
                                   "promo": (np.arange(n) % 6 == 0).astype(float)}))
    return pd.concat(parts, ignore_index=True).sample(frac=1.0, random_state=0)  # any row order


def _scores(result, series: str) -> pd.Series:
    rows = result.forecasts[result.forecasts["series"] == series]
    return rows.set_index(["model", "cutoff", "step"])["forecast"]


def test_each_series_of_a_long_panel_scores_as_its_own_backtest():
    panel = long_panel()
    result = backtest(panel, MODELS, horizon=7, n_windows=3, id_col="store", time_col="day", target_col="sales")
    assert list(result.data) == ["s0", "s1", "s2"] and np.isfinite(result.leaderboard()["mase"]).all()
    for name in ("s0", "s1", "s2"):
        rows = panel[panel["store"] == name].set_index("day")["sales"].sort_index().rename(name)
        alone = backtest(rows, MODELS, horizon=7, n_windows=3)
        pd.testing.assert_series_equal(_scores(result, name), _scores(alone, name))
        # folds are cut from each series' own end
        assert result.forecasts.loc[result.forecasts["series"] == name, "timestamp"].max() == rows.index[-1]


def test_a_ragged_wide_frame_is_no_longer_padded_with_nan():
    a, b = weekly_series(120), weekly_series(80, start="2020-02-10", seed=3)
    result = backtest(pd.DataFrame({"a": a, "b": b}), MODELS, horizon=7, n_windows=3)
    board = result.leaderboard(by="series")
    assert np.isfinite(board["mase"]).all() and len(board) == 6
    pd.testing.assert_series_equal(_scores(result, "b"), _scores(backtest(b.rename("b"), MODELS, horizon=7,
                                                                          n_windows=3), "b"))


def test_exogenous_columns_ride_along_per_series():
    panel = long_panel()
    result = backtest(panel, ["sarima"], horizon=7, n_windows=2, id_col="store", time_col="day",
                      target_col="sales", exog_columns=["promo"])
    rows = panel[panel["store"] == "s1"].set_index("day").sort_index()
    alone = backtest(rows["sales"].rename("s1"), ["sarima"], horizon=7, n_windows=2, X=rows[["promo"]])
    pd.testing.assert_series_equal(_scores(result, "s1"), _scores(alone, "s1"))
    assert result.parameters["exogenous"] == ["promo"]


def test_series_too_short_for_the_folds_are_skipped_and_reported():
    panel = long_panel()
    short = pd.DataFrame({"store": "tiny", "day": pd.date_range("2020-01-01", periods=12), "sales": np.arange(12.0),
                          "promo": 0.0})
    result = backtest(pd.concat([panel, short]), MODELS, horizon=7, n_windows=3, id_col="store", time_col="day",
                      target_col="sales")
    assert "tiny" not in result.data and "tiny" not in set(result.forecasts["series"])
    (skipped,) = result.metadata["skipped"]
    assert skipped["series"] == "tiny" and skipped["observations"] == 12 and "too few" in skipped["reason"]
    assert "Skipped series" in tsforecast.report.render_report(result)
    with pytest.raises(ConfigError, match="every series is too short"):
        backtest(pd.concat([short, short.assign(store="tiny2")]), MODELS, horizon=7, n_windows=3, id_col="store",
                 time_col="day", target_col="sales")


@settings(max_examples=12, deadline=None)
@given(valued=st.integers(0, 2), missing=st.integers(0, 3), where=st.sampled_from(["a", "zz"]))
def test_a_series_too_short_to_validate_is_skipped_and_listed_whatever_its_length(valued, missing, where):
    """0, 1 or 2 timestamps with a value (among any missing rows): skipped and listed like a
    series too short for the folds, never the end of the whole panel."""
    days = pd.date_range("2020-03-01", periods=valued + missing)
    short = pd.DataFrame({"store": where, "day": days,
                          "sales": np.r_[np.arange(1.0, valued + 1), np.full(missing, np.nan)]})
    if short.empty:
        return  # no rows: no series at all
    result = backtest(pd.concat([long_panel(), short]), ["naive"], horizon=7, n_windows=2, id_col="store",
                      time_col="day", target_col="sales")
    name = short["store"].iloc[0]
    assert list(result.data) == ["s0", "s1", "s2"] and name not in set(result.forecasts["series"])
    (skipped,) = result.metadata["skipped"]
    assert skipped["series"] == name and skipped["observations"] == valued and "too few" in skipped["reason"]


def test_only_a_panel_of_series_all_too_short_is_refused():
    tiny = pd.DataFrame({"store": ["a", "a", "b"], "day": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-01"]),
                         "sales": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="every series has fewer than 3") as error:
        backtest(tiny, MODELS, horizon=7, n_windows=2, id_col="store", time_col="day", target_col="sales")
    assert "'a' (2)" in str(error.value) and "'b' (1)" in str(error.value)
    # one series too short to validate and the other too short for the folds: skipped, then refused
    with pytest.raises(ConfigError, match="every series is too short"):
        backtest(pd.concat([tiny, pd.DataFrame({"store": "c", "day": pd.date_range("2020-01-01", periods=5),
                                                "sales": 1.0})]), MODELS, horizon=7, n_windows=2, id_col="store",
                 time_col="day", target_col="sales")


def test_a_short_column_of_a_wide_table_is_a_short_series_not_a_mostly_missing_one():
    a, b, c = weekly_series(120), weekly_series(12, start="2020-04-18", seed=3), weekly_series(2, start="2020-04-28")
    result = backtest(pd.DataFrame({"a": a, "b": b, "c": c}), ["naive"], horizon=7, n_windows=3)
    assert list(result.data) == ["a"]
    skipped = {s["series"]: s["observations"] for s in result.metadata["skipped"]}
    assert skipped == {"b": 12, "c": 2}


def _refused(frame: pd.DataFrame, *fragments: str) -> None:
    with pytest.raises((DataError, ConfigError)) as error:
        backtest(frame, MODELS, horizon=7, n_windows=2, id_col="store", time_col="day", target_col="sales")
    for fragment in fragments:
        assert fragment in str(error.value), str(error.value)


def test_bad_panels_are_refused_naming_the_ids_and_rows():
    panel = long_panel().reset_index(drop=True)
    conflicting = pd.concat([panel, panel.iloc[[0]].assign(sales=-1.0)])
    _refused(conflicting, "appear more than once with different values", repr(panel.loc[0, "store"]))
    no_id = panel.copy()
    no_id.loc[[3, 7], "store"] = None
    _refused(no_id, "2 row(s) have no store", "rows 3, 7")
    weekly = pd.DataFrame({"store": "w", "day": pd.date_range("2020-01-05", periods=40, freq="W-SUN"),
                           "sales": np.arange(40.0)})
    _refused(pd.concat([panel, weekly]), "different frequencies", "'w'")
    words = pd.DataFrame({"store": "text", "day": pd.date_range("2020-01-01", periods=30), "sales": "many"})
    _refused(pd.concat([panel, words]), "'text'", "non-numeric")
    with pytest.raises(ConfigError, match="'nope'"):
        backtest(panel, MODELS, id_col="store", time_col="day", target_col="nope")


def test_exact_duplicate_rows_are_dropped_and_recorded_per_series():
    panel = long_panel()
    doubled = pd.concat([panel, panel[panel["store"] == "s1"].iloc[:2]])
    result = backtest(doubled, MODELS, horizon=7, n_windows=2, id_col="store", time_col="day", target_col="sales")
    assert any(note.startswith("s1: dropped 2 exact duplicate") for note in result.repairs)


def test_exogenous_rows_of_a_long_panel_follow_the_duplicate_policy_of_x():
    panel = long_panel()
    s1 = panel[panel["store"] == "s1"].sort_values("day")
    doubled = pd.concat([panel, s1.iloc[:2]])  # exact copies, promo included: dropped
    result = panel_from_long(doubled, "store", "day", "sales", exog_columns=["promo"])
    assert result.X["s1"].index.equals(result.series["s1"].index)
    np.testing.assert_allclose(result.X["s1"]["promo"].to_numpy(), s1["promo"].to_numpy())
    # the same sales on a day but a different promo: refused, not settled by row order
    clash = pd.concat([panel, s1.iloc[[2]].assign(promo=1.0 - s1["promo"].iloc[2])])
    stamp = s1["day"].iloc[2].strftime("%Y-%m-%d")
    with pytest.raises(DataError, match=f"series 's1': X has conflicting rows for the same timestamp: {stamp}"):
        panel_from_long(clash, "store", "day", "sales", exog_columns=["promo"])


def test_hostile_ids_stay_text_in_the_report_and_the_csv(tmp_path):
    panel = long_panel()
    hostile = {"s0": "<script>alert(1)</script>", "s1": "../../etc/passwd", "s2": "=HYPERLINK(1)"}
    panel["store"] = panel["store"].map(hostile)
    result = backtest(panel, MODELS, horizon=7, n_windows=2, id_col="store", time_col="day", target_col="sales")
    html = tsforecast.report.render_report(result)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    result.to_csv(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} >= {"forecasts.csv", "leaderboard.csv"}
    assert "'=HYPERLINK(1)" in (tmp_path / "forecasts.csv").read_text()


def test_the_cli_backtests_a_long_csv_with_id_column(tmp_path):
    path = tmp_path / "panel.csv"
    long_panel().to_csv(path, index=False)
    result = CliRunner().invoke(app, ["backtest", "--data", str(path), "--id-column", "store", "--date-column", "day",
                                      "--target", "sales", "--models", "naive", "--horizon", "7", "--folds", "2",
                                      "--output", str(tmp_path / "out"), "--name", "panel", "--quiet"])
    assert result.exit_code == 0, result.output
    forecasts = pd.read_csv(tmp_path / "out" / "panel" / "forecasts.csv")
    assert set(forecasts["series"]) == {"s0", "s1", "s2"}


def test_the_bundled_panel_backtests_from_the_cli_and_fit_refuses_it(tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["backtest", "--dataset", "stations", "--models", "naive", "--folds", "2",
                               "--horizon", "7", "--quiet", "--output", str(tmp_path), "--name", "panel"])
    assert done.exit_code == 0, done.output
    forecasts = pd.read_csv(tmp_path / "panel" / "forecasts.csv")
    assert forecasts["series"].nunique() == 30 and set(forecasts["model"]) == {"snaive", "naive"}
    refused = runner.invoke(app, ["fit", "--dataset", "stations", "--save", str(tmp_path / "m.tsf")])
    assert refused.exit_code == 2 and "is a panel of many series" in refused.output
    assert not (tmp_path / "m.tsf").exists()


def test_scores_across_series_agree_with_the_per_series_leaderboard():
    result = backtest(long_panel(), ["naive", "drift"], horizon=7, n_windows=3, id_col="store", time_col="day",
                      target_col="sales")
    scores = result.series_scores().set_index(["series", "model"])
    per_series = result.leaderboard(by="series").set_index(["series", "model"])
    np.testing.assert_allclose(scores["mase"], per_series.loc[scores.index, "mase"], rtol=1e-12)
    np.testing.assert_allclose(scores["mae"], per_series.loc[scores.index, "mae"], rtol=1e-12)
    across = result.across_series()
    mase = scores["mase"].unstack("model")
    assert across["wins"].sum() >= 3 and across.loc["naive", "series"] == 3
    assert across.loc["drift", "mean_mase"] == pytest.approx(mase["drift"].mean())
    assert across.loc["drift", "median_mase"] == pytest.approx(mase["drift"].median())
    assert across.loc["naive", "beats_baseline"] == pytest.approx((mase["naive"] < mase["snaive"]).mean())
    assert across.loc["naive", "wins"] == int((mase["naive"] == mase.min(axis=1)).sum())
    assert list(across["mean_mase"]) == sorted(across["mean_mase"])


def test_the_headline_of_a_panel_says_when_significance_is_untested():
    from tsforecast.report import headline

    def detail(windows: int) -> str:
        result = backtest(long_panel(), ["ets"], horizon=7, n_windows=windows, id_col="store", time_col="day",
                          target_col="sales")
        assert headline(result)["title"].startswith("Best: ets")
        return headline(result)["detail"]

    assert "significance untested (fewer than 3 forecast origins per series)" in detail(2)
    tested = detail(3)
    assert "untested" not in tested and re.search(r"significantly better on \d+ of 3 series", tested)


@settings(max_examples=15, deadline=None)
@given(lengths=st.lists(st.integers(3, 60), min_size=2, max_size=6), tz=st.sampled_from([None, "Europe/Paris"]),
       seed=st.integers(0, 10_000))
def test_a_clean_long_table_keeps_its_arrays_and_they_give_the_same_hash_and_series_arrays(lengths, tz, seed):
    from tsforecast.backtest.chains import series_arrays
    from tsforecast.core.provenance import panel_hash

    rng = np.random.default_rng(seed)
    parts = [pd.DataFrame({"id": f"s{k}", "ds": pd.date_range("2024-01-01", periods=n, freq="h", tz=tz)
                           + pd.Timedelta(hours=int(rng.integers(0, 30))), "y": rng.normal(size=n)})
             for k, n in enumerate(lengths)]
    # the series in any order in the table (the panel orders them by id)
    panel = panel_from_long(pd.concat(parts[::-1] if seed % 2 else parts, ignore_index=True), "id", "ds", "y")
    assert panel.arrays is not None
    # the same table whether read from the kept arrays or from each Series
    assert panel_hash(panel.series, None, panel.arrays) == panel_hash(panel.series)
    fast, slow = series_arrays(panel.series, None, panel.arrays), series_arrays(panel.series)
    assert list(fast) == list(slow)
    for name, (values, stamps) in slow.items():
        assert np.array_equal(fast[name][0], values) and np.array_equal(fast[name][1], stamps)
        assert fast[name][1].dtype == stamps.dtype


def test_a_long_table_with_a_repaired_series_keeps_no_arrays():
    frame = pd.DataFrame({"id": ["a"] * 5 + ["b"] * 5,
                          "ds": list(pd.date_range("2024-01-01", periods=5)) * 2,
                          "y": [1.0, 2.0, np.nan, 4.0, 5.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    panel = panel_from_long(frame, "id", "ds", "y")
    assert panel.arrays is None  # "a" was repaired: its Series is no longer the table's rows


@settings(max_examples=15, deadline=None)
@given(lengths=st.lists(st.integers(3, 40), min_size=2, max_size=5), tz=st.sampled_from([None, "UTC", "Asia/Tokyo"]),
       seed=st.integers(0, 10_000))
def test_the_panel_hash_is_pandas_hash_of_the_id_time_value_table(lengths, tz, seed):
    import hashlib

    from tsforecast.core.provenance import panel_hash

    rng = np.random.default_rng(seed)
    frame = pd.concat([pd.DataFrame({"id": f"s{k}", "ds": pd.date_range("2024-03-01", periods=n, freq="D", tz=tz),
                                     "y": rng.normal(size=n)}) for k, n in enumerate(lengths)], ignore_index=True)
    panel = panel_from_long(frame, "id", "ds", "y")
    # the reference: pandas' own row hashes of the (series number, UTC nanoseconds, value) table
    stamps = pd.DatetimeIndex(frame["ds"])
    table = pd.DataFrame({"series": np.repeat(np.arange(len(lengths)), lengths),
                          "timestamp": (stamps if tz is None else stamps.tz_convert("UTC")).as_unit("ns").asi8,
                          "value": frame["y"].to_numpy()})
    digest = hashlib.sha256("\x1f".join(f"s{k}" for k in range(len(lengths))).encode())
    digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    assert panel_hash(panel.series, None, panel.arrays) == panel_hash(panel.series) == digest.hexdigest()


def test_a_clean_long_table_builds_each_series_when_it_is_first_read():
    from tsforecast.data.panel_series import PanelSeries

    frame = make_panel(8)  # ragged daily stations, a clean table
    lazy = panel_from_long(frame, "station", "date", "riders")
    # text dates go through validation one series at a time: a dict of Series built up front
    eager = panel_from_long(frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")), "station", "date", "riders")
    assert isinstance(lazy.series, PanelSeries) and not isinstance(eager.series, PanelSeries)
    assert lazy.series.built() == [] and list(lazy.series) == list(eager.series)
    assert lazy.lengths() == {name: len(y) for name, y in eager.series.items()}  # nothing built to count them
    assert lazy.freq == eager.freq and lazy.tz is None and lazy.series.built() == []
    name = list(lazy.series)[3]
    first = lazy.series[name]
    assert lazy.series.built() == [name] and lazy.series[name] is first  # built once, then kept
    _assert_same_series(first, eager.series[name])
    part = lazy.subset([name, list(lazy.series)[0]])
    assert part[name] is first and len(part) == 2 and part.built() == [name]
    for other, y in lazy.series.items():  # every Series equals the validated one
        _assert_same_series(y, eager.series[other])
    with pytest.raises(KeyError):
        lazy.series["no such id"]


def test_series_starting_off_each_others_grid_keep_their_own_stamps():
    # hourly from 00:00 beside hourly from 00:30: one shared grid would move b's stamps by 30 minutes
    stamps = {"a": pd.date_range("2024-01-01 00:00", periods=60, freq="h"),
              "b": pd.date_range("2024-01-01 00:30", periods=60, freq="h")}
    rng = np.random.default_rng(0)
    frame = pd.concat([pd.DataFrame({"id": name, "time": index, "value": rng.normal(10, 1, 60)})
                       for name, index in stamps.items()], ignore_index=True)
    panel = panel_from_long(frame, "id", "time", "value")
    for name, index in stamps.items():
        assert list(panel.series[name].index) == list(index)
    result = backtest(frame, ["naive"], horizon=2, n_windows=2, id_col="id", time_col="time", target_col="value")
    assert result.data["b"].index[-1] == stamps["b"][-1]
    cutoffs = result.forecasts.loc[result.forecasts["series"] == "b", "cutoff"]
    assert set(cutoffs.dt.minute) == {30}


def _assert_same_series(a: pd.Series, b: pd.Series) -> None:
    """The same values, name, timestamps and frequency (text dates parse to another unit, and
    the validated Series' index has no name)."""
    pd.testing.assert_series_equal(a, b, check_index_type=False, check_names=False)
    assert a.name == b.name and a.index.equals(b.index) and a.index.freq == b.index.freq
