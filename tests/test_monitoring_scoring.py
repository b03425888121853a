"""Scoring stored forecasts against actuals (tsforecast.monitoring.scoring): each score by hand,
the interval and quantiles a row kept, and bad actuals listed with their reason while the good
rows are still scored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast.core.errors import DataError
from tsforecast.monitoring.scoring import SCORE_COLUMNS, actuals_frame, score_forecasts

DAYS = pd.date_range("2024-03-01", periods=10, freq="D")


def _forecasts(series=("a",), *, levels=(0.1, 0.9), run="r1", origin=None, scale=2.0) -> pd.DataFrame:
    """One stored forecast run per series: 10 daily steps, point 100 + step, the quantiles
    point -+ 5 (a 0.1/0.9 pair) or -+ 8 (0.05/0.95)."""
    frames = []
    for sid in series:
        point = 100.0 + np.arange(1, 11)
        frame = pd.DataFrame({"run_id": run, "command": "forecast", "series_id": sid, "model": "snaive",
                              "origin": origin or DAYS[0] - pd.Timedelta(days=1), "target_time": DAYS,
                              "step": np.arange(1, 11), "point": point, "scale": scale, "y_true": np.nan})
        for level in levels:
            width = {0.1: 5.0, 0.9: 5.0, 0.05: 8.0, 0.95: 8.0, 0.5: 0.0}[level]
            frame[f"q{level:g}"] = point + (width if level > 0.5 else -width)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _actuals(values: dict[str, list[float]], days=DAYS) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"series_id": sid, "target_time": days[:len(v)], "actual": v})
                      for sid, v in values.items()], ignore_index=True)


def test_each_score_by_hand():
    scored = score_forecasts(_forecasts(), _actuals({"a": [101.0, 110.0, 97.0]}))
    s = scored.scores
    assert list(s.columns[:len(SCORE_COLUMNS)]) == SCORE_COLUMNS and not scored.problems
    # points 101, 102, 103; quantiles -+5; scale 2
    assert s["error"].tolist() == [0.0, 8.0, -6.0]
    assert s["abs_scaled_error"].tolist() == [0.0, 4.0, 3.0]
    assert s["covered"].tolist() == [1.0, 0.0, 0.0]
    # pinball at 0.1 and 0.9, averaged: y=110 vs 97/107 -> (0.1*13 + 0.9*3)/2; y=97 vs 98/108 -> (0.9*1 + 0.1*11)/2
    assert s["pinball"].tolist() == pytest.approx([(0.1 * 5 + 0.1 * 5) / 2, (1.3 + 2.7) / 2, (0.9 + 1.1) / 2])
    assert (s["interval"] == 0.8).all()


def test_the_requested_interval_else_the_widest_a_row_kept():
    both = _forecasts(levels=(0.05, 0.1, 0.5, 0.9, 0.95))
    actual = _actuals({"a": [107.0]})  # point 101: inside -+8, outside -+5
    assert score_forecasts(both, actual, coverage=0.8).scores["covered"].tolist() == [0.0]
    assert score_forecasts(both, actual, coverage=0.9).scores["covered"].tolist() == [1.0]
    # a run that kept only the 90% pair is scored on it when 80% is asked for
    wide = score_forecasts(_forecasts(levels=(0.05, 0.95)), actual, coverage=0.8).scores
    assert wide["interval"].tolist() == [0.9] and wide["covered"].tolist() == [1.0]


def test_a_zero_scale_scales_nothing():
    s = score_forecasts(_forecasts(scale=0.0), _actuals({"a": [105.0]})).scores
    assert np.isnan(s["abs_scaled_error"]).all() and s["error"].tolist() == [4.0]


def test_bad_actuals_are_listed_and_the_good_rows_scored():
    stored = _forecasts(series=("a", "b"))
    actuals = pd.concat([
        _actuals({"a": [101.0, 102.0, np.nan, 104.0]}),
        pd.DataFrame({"series_id": ["a", "a"], "target_time": [DAYS[0], DAYS[1]], "actual": [101.0, 150.0]}),
        _actuals({"zz": [1.0, 2.0]}),
        # series b sent weekly totals: another frequency
        pd.DataFrame({"series_id": "b", "target_time": pd.date_range(DAYS[0], periods=3, freq="7D"),
                      "actual": [700.0, 710.0, 720.0]}),
    ], ignore_index=True)
    scored = score_forecasts(stored, actuals)
    # a: day 0 (a repeated row, counted once) and day 3; day 1 conflicts, day 2 has no value
    assert scored.scores[["series_id", "target_time"]].values.tolist() == [["a", DAYS[0]], ["a", DAYS[3]]]
    reasons = scored.unscored.groupby("reason").size().to_dict()
    assert reasons == {"no value": 1, "duplicate timestamp with different values": 2, "unknown series id": 2,
                       "another frequency than the forecasts": 3, "repeated row (counted once)": 1}
    text = " ".join(scored.problems)
    assert "zz" in text and "2024-03-02" in text and "b (" in text and "another frequency" in text


def test_a_timestamp_off_the_forecasts_grid_is_listed():
    actuals = pd.DataFrame({"series_id": "a", "target_time": [DAYS[0], DAYS[1] + pd.Timedelta(hours=6)],
                            "actual": [101.0, 5.0]})
    scored = score_forecasts(_forecasts(), actuals)
    assert len(scored.scores) == 1
    assert scored.unscored["reason"].tolist() == ["off the forecasts' time grid"]
    assert "2024-03-02T06:00:00" in scored.problems[0]


def test_every_forecast_of_a_target_time_is_scored():
    # two runs forecast the same day: both are scored against the one actual
    stored = pd.concat([_forecasts(run="r1"), _forecasts(run="r2", origin=DAYS[0])], ignore_index=True)
    s = score_forecasts(stored, _actuals({"a": [101.0, 102.0]})).scores
    assert sorted(s["run_id"].tolist()) == ["r1", "r1", "r2", "r2"]


def test_actuals_frame_reads_a_series_and_a_long_table():
    y = pd.Series([1.0, 2.0], index=DAYS[:2], name="rail")
    assert actuals_frame(y).values.tolist() == [["rail", DAYS[0], 1.0], ["rail", DAYS[1], 2.0]]
    long = pd.DataFrame({"store": ["007", "8"], "sales": ["3", "x"]}, index=DAYS[:2])
    frame = actuals_frame(long, target="sales", id_column="store")
    assert frame["series_id"].tolist() == ["007", "8"]  # ids stay text
    assert frame["actual"].iloc[0] == 3.0 and np.isnan(frame["actual"].iloc[1])  # not a number: missing
    with pytest.raises(DataError, match="id column 'shop'"):
        actuals_frame(long, target="sales", id_column="shop")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=10), st.floats(0.01, 1e4))
def test_scores_match_their_definitions(values, scale):
    s = score_forecasts(_forecasts(scale=scale), _actuals({"a": values})).scores
    point = 100.0 + np.arange(1, len(values) + 1)
    y = np.asarray(values)
    np.testing.assert_allclose(s["error"], y - point)
    np.testing.assert_allclose(s["abs_scaled_error"], np.abs(y - point) / scale, rtol=1e-9)
    assert s["covered"].tolist() == list(((y >= point - 5) & (y <= point + 5)).astype(float))
    # inside the 0.1/0.9 pair the two losses add up to 0.1 of its width, whatever the actual
    inside = (y >= point - 5) & (y <= point + 5)
    np.testing.assert_allclose(s["pinball"][inside], 0.1 * 10 / 2, rtol=1e-9)


def test_actuals_with_a_utc_offset_meet_the_store_s_naive_utc_times():
    actuals = _actuals({"a": [101.0]}, days=(DAYS + pd.Timedelta(hours=1)).tz_localize("+01:00"))
    assert score_forecasts(_forecasts(), actuals).scores["error"].tolist() == [0.0]
