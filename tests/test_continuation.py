"""Rolling a saved model forward (issue 24): stale data, gaps, another series, timezones and
files holding only the new days, in the library (`tsforecast.app.continuation`); the command line
is tested in `test_cli_schedule.py`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tsforecast
from tsforecast.app.continuation import StaleDataWarning, continue_with, roll_forward
from tsforecast.core.errors import DataError, DataRepairWarning
from tsforecast.data.dates import on_clock
from tsforecast.evaluation.level_shift import MAX_RATIO, check_level, compare_level

from .conftest import weekly_series

_FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _fitted(y: pd.Series, name: str = "naive"):
    return tsforecast.get_model(name).fit(y)


# ------------------------------------------------------------------ 1. stale data
@pytest.mark.parametrize("end", [-7, -20], ids=["same-end", "older-export"])
def test_no_newer_observation_warns_naming_both_last_timestamps(end):
    y = weekly_series(160)
    model = _fitted(y.iloc[:-7])
    before = model.predict(3)
    with pytest.warns(StaleDataWarning) as caught:
        rolled = roll_forward(model, y.iloc[:end])
    message = str(caught[0].message)
    assert "no new data" in message
    assert str(y.index[end - 1].date()) in message and str(y.index[-8].date()) in message
    assert rolled.appended == 0 and rolled.data_last == y.index[end - 1]
    pd.testing.assert_series_equal(model.predict(3), before)


def test_trailing_empty_values_are_no_new_data():
    y = weekly_series(160)
    model = _fitted(y.iloc[:-7])
    export = y.copy()
    export.iloc[-7:] = np.nan  # the export wrote today's dates but no values yet
    with pytest.warns(StaleDataWarning, match="no new data"):
        assert continue_with(model, export) == 0


# ------------------------------------------------------------------ 2. a gap after the model's last day
@_FAST
@given(start=st.integers(0, 4), length=st.integers(1, 3), empty=st.booleans())
def test_a_gap_after_the_last_day_is_refused_or_filled_on_request(start, length, empty):
    assume(start + length <= 5)  # a day after the gap is observed (missing last days are no gap, just not there)
    y = weekly_series(160)
    new = y.iloc[-8:]  # the model's last day and 7 new ones
    gap = new.index[1 + start: 1 + start + length]
    # a gap is a missing row or a row without a value
    export = new.copy().astype(float)
    if empty:
        export.loc[gap] = np.nan
    else:
        export = export.drop(gap)
    model = _fitted(y.iloc[:-7])
    with pytest.raises(DataError) as refused:
        roll_forward(model, export)
    message = " ".join(str(refused.value).split())
    assert str(y.index[-8].date()) in message and "--fill-gap" in message
    assert str(gap[0].date()) in message
    assert model.cutoff_ == y.index[-8]  # nothing appended

    with pytest.warns(DataRepairWarning, match=f"filled {length} missing value"):
        rolled = roll_forward(model, export, fill_gap=True)
    assert rolled.appended == 7 and rolled.filled == length
    # linear interpolation between the observed neighbours
    before, after = new.index[start], new.index[start + length + 1]
    inside = model.y_.loc[gap].to_numpy()
    low, high = sorted((new[before], new[after]))
    assert ((inside >= low - 1e-9) & (inside <= high + 1e-9)).all()
    assert np.allclose(np.diff(model.y_.loc[before:after].to_numpy()),
                       (new[after] - new[before]) / (length + 1))


def test_missing_last_days_are_no_gap_just_not_there_yet():
    y = weekly_series(160)
    model = _fitted(y.iloc[:-7])
    assert continue_with(model, y.iloc[:-3]) == 4
    export = y.copy()
    export.iloc[-2:] = np.nan  # dates written, values not yet
    with pytest.warns(DataRepairWarning, match="trimmed 2 trailing missing value"):
        assert continue_with(model, export) == 1
    assert model.cutoff_ == y.index[-3]


# ------------------------------------------------------------------ 3. another series' level
@pytest.mark.parametrize("factor", [10_000.0, 1_000.0, 100.0, -50.0])
def test_another_series_far_off_the_level_is_refused_with_the_numbers(factor):
    y = weekly_series(200)
    model = _fitted(y.iloc[:-7])
    with pytest.raises(DataError, match="do not look like the model's series") as refused:
        roll_forward(model, y.iloc[-7:] * factor)
    message = str(refused.value)
    level = compare_level(y.iloc[:-7], y.iloc[-7:] * factor, 7)
    assert f"{level.new_level:,.0f}" in message and f"{level.history_level:.4g}" in message
    assert "--allow-level-shift" in message and model.cutoff_ == y.index[-8]
    assert roll_forward(model, y.iloc[-7:] * factor, allow_level_shift=True).appended == 7


@_FAST
@given(factor=st.floats(0.0, 5.0), days=st.integers(1, 14))
def test_real_level_shifts_pass(factor, days):
    """A drop to a fifth (or to nothing: a closure), a 30% dip, a rise to five times: all real."""
    y = weekly_series(200)
    model = _fitted(y.iloc[:-14])
    assert roll_forward(model, y.iloc[-14:].iloc[:days] * factor).appended == days


def test_the_level_check_uses_the_mase_scale_and_both_conditions():
    history = weekly_series(200)
    scale = tsforecast.evaluation.metrics.seasonal_naive_scale(history, 7)
    level = compare_level(history, [history.iloc[-14:].median() + 10 * scale], 7)
    assert level.scale == pytest.approx(scale) and level.distance == pytest.approx(10, rel=1e-6)
    # hundreds of scales but only 30% down (a smooth series) is a real shift
    smooth = pd.Series(1000 + 0.01 * np.sin(np.arange(200) * 2 * np.pi / 7))
    dip = compare_level(smooth, smooth.iloc[-7:] * 0.7, 7)
    assert dip.distance > 1000 and not dip.far
    check_level(smooth, smooth.iloc[-7:] * 0.7, 7)
    # a large ratio that is a few scales of noise (counts near zero) is no other series
    counts = pd.Series(np.tile([0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 1.0], 20))
    assert not compare_level(counts, [MAX_RATIO * 2.0], 7).far


def test_cta_covid_drop_and_holidays_pass_and_a_10000x_series_is_refused(cta_path):
    cta = tsforecast.load_cta_ridership(cta_path)
    for column in ("rail", "bus"):
        y = cta[column].asfreq("D")
        for cut, new_end in [("2020-03-15", "2020-04-30"), ("2019-11-27", "2019-11-29"), ("2019-12-24", "2019-12-26")]:
            history, new = y["2019-01-01":cut], y[pd.Timestamp(cut) + pd.Timedelta(days=1):new_end]
            model = _fitted(history, "snaive")
            assert roll_forward(model, new).appended == len(new)
            with pytest.raises(DataError, match="do not look like the model's series"):
                roll_forward(_fitted(history, "snaive"), new * 10_000)


# ------------------------------------------------------------------ 4. timezones and files of new days only
@pytest.mark.parametrize("offset", ["UTC", "+01:00", "-05:00"])
def test_offsets_on_a_naive_model_are_read_as_written(offset):
    y = weekly_series(160)
    expected = _fitted(y.iloc[:-7]).update(y.iloc[-7:]).predict(5)
    export = y.copy()
    export.index = export.index.tz_localize(offset)
    model = _fitted(y.iloc[:-7])
    assert continue_with(model, export) == 7
    pd.testing.assert_series_equal(model.predict(5), expected)


def test_a_model_with_a_timezone_converts_and_localises_the_data():
    y = weekly_series(160, freq="h")
    aware = y.tz_localize("UTC")
    expected = _fitted(aware.iloc[:-7]).update(aware.iloc[-7:]).predict(3)
    for export in (y, aware.tz_convert("+01:00")):  # naive: read in the model's timezone; aware: same instants
        model = _fitted(aware.iloc[:-7])
        assert continue_with(model, export) == 7
        pd.testing.assert_series_equal(model.predict(3), expected)


def test_daily_dates_moved_off_the_grid_by_another_offset_say_so():
    y = weekly_series(160).tz_localize("UTC")
    model = _fitted(y.iloc[:-7])
    export = y.tz_convert("+01:00")
    export.index = export.index.normalize()  # local midnight: 23:00 UTC the day before
    with pytest.raises(DataError, match="converted from UTC\\+01:00 to the model's UTC"):
        roll_forward(model, export)


def test_on_clock_rule():
    naive = pd.date_range("2024-01-01", periods=3, freq="D")
    plus_one = naive.tz_localize("+01:00")
    assert on_clock(plus_one, None).equals(naive)
    assert on_clock(naive, "UTC").equals(naive.tz_localize("UTC"))
    assert on_clock(plus_one, "UTC").equals(plus_one.tz_convert("UTC"))
    with pytest.raises(DataError, match="not one moment in Europe/Berlin"):
        on_clock(pd.DatetimeIndex(["2024-03-31 02:30"]), "Europe/Berlin")


@_FAST
@given(days=st.integers(1, 10), name=st.sampled_from(["naive", "snaive", "drift"]))
def test_a_file_of_only_the_new_days_equals_update(days, name):
    y = weekly_series(160)
    history, new = y.iloc[:-10], y.iloc[-10:].iloc[:days]
    expected = _fitted(history, name).update(new).predict(7)
    model = _fitted(history, name)
    raw = pd.Series(new.to_numpy(), index=new.index.strftime("%Y-%m-%d"))  # as a CSV reads it: text dates
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no repair, no stale warning
        assert continue_with(model, raw) == days
    pd.testing.assert_series_equal(model.predict(7), expected)


def test_data_of_another_frequency_is_refused_even_when_it_lies_on_the_grid():
    y = weekly_series(160)
    model = _fitted(y.iloc[:-7])
    weekly = y.iloc[-70:].asfreq("W-SUN").dropna()  # Sundays only: every one a day of the model
    weekly.index.freq = None
    with pytest.raises(DataError, match="W-SUN but the model was fitted on D data"):
        roll_forward(model, weekly)
    hourly = pd.Series(1.0, pd.date_range(y.index[-7] + pd.Timedelta(hours=12), periods=2, freq="D"))
    with pytest.raises(DataError, match="not on the model's D grid"):
        roll_forward(model, hourly)


# ------------------------------------------------------------------ review: sparse pasts, long gaps
@pytest.mark.parametrize("kind", ["two-past-days", "mostly-blank-past"])
def test_a_sparse_or_mostly_blank_past_is_only_compared_never_put_on_a_grid(kind):
    """Past rows are compared with the model's history, not validated as a series of their
    own: two repeated days, or a copy whose past is mostly blank, used to be refused as
    "95% of the values are missing"."""
    y = weekly_series(160)
    model = _fitted(y.iloc[:-1])
    if kind == "two-past-days":
        export = y.iloc[[-40, -20, -1]]
    else:
        export = y.copy()
        blank = np.r_[np.arange(159) % 4 != 0, False]  # three past days in four blank, the new one not
        export[blank] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to say: the shared values agree
        assert continue_with(model, export) == 1
    wrong = export.copy()
    wrong.iloc[:-1] = wrong.iloc[:-1] * 3  # the shared values differ: another series
    with pytest.raises(DataError, match="does not continue the model's series"):
        continue_with(_fitted(y.iloc[:-1]), wrong)


def test_a_gap_too_long_to_fill_says_so_rather_than_blaming_the_frequency():
    y = weekly_series(160)
    model = _fitted(y.iloc[:-12])
    export = y.iloc[-2:]  # ten days missing, then two
    with pytest.raises(DataError, match=r"too long to fill: 10 of the 12 values"):
        roll_forward(model, export, fill_gap=True)
    assert len(model.y_) == 148  # nothing appended
