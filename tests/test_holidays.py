"""Holiday calendars (tsforecast.data.calendar): the columns on any dates, per frequency, and
the codes refused with a way to list them."""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tsforecast.app.cli import EXIT_USAGE, app
from tsforecast.core.errors import ConfigError, DataError
from tsforecast.data.calendar import (
    HolidayCalendar,
    calendar_in_columns,
    holiday_features,
    is_holiday_column,
    parse_holidays,
)

runner = CliRunner()
CODES = ["US", "US-IL", "DE-BY", "GB", "FR", "JP", "BR-SP"]


def package_calendar(calendar: HolidayCalendar, first: dt.date, last: dt.date) -> holidays.HolidayBase:
    """The ``holidays`` package's own calendar, asked independently of the builder (a margin
    of a year either side for the days before and after)."""
    return holidays.country_holidays(calendar.country, subdiv=calendar.subdivision,
                                     years=range(first.year - 1, last.year + 2))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.dates(min_value=dt.date(1995, 1, 1), max_value=dt.date(2035, 12, 31)),
    days=st.integers(min_value=1, max_value=500),
    code=st.sampled_from(CODES),
)
def test_daily_indicators_are_exactly_the_package_holidays_and_shifted_by_one_day(start, days, code):
    calendar = parse_holidays(code)
    index = pd.date_range(start, periods=days, freq="D")
    table = holiday_features(index, calendar, around=True)
    assert list(table.columns) == [f"holiday:{code}", f"holiday:{code}:before", f"holiday:{code}:after"]
    one_day = dt.timedelta(days=1)
    package = package_calendar(calendar, index[0].date(), index[-1].date())
    for stamp, (on, before, after) in zip(index, table.to_numpy(), strict=True):
        day = stamp.date()
        assert on == float(day in package)
        assert before == float(day + one_day in package)  # tomorrow is a holiday
        assert after == float(day - one_day in package)  # yesterday was one


@settings(max_examples=25, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
    weeks=st.integers(min_value=1, max_value=120),
    anchor=st.sampled_from(["W-SUN", "W-MON", "W-FRI"]),
)
def test_weekly_columns_count_the_days_of_the_week_ending_at_each_timestamp(start, weeks, anchor):
    calendar = parse_holidays("US")
    index = pd.date_range(start, periods=weeks, freq=anchor)
    table = holiday_features(index, calendar, freq=anchor, around=True)
    for stamp, row in zip(index, table.to_numpy(), strict=True):
        week = pd.date_range(stamp - pd.Timedelta(days=6), stamp, freq="D")
        daily = holiday_features(week, calendar, freq="D", around=True).to_numpy().sum(axis=0)
        np.testing.assert_array_equal(row, daily)


def test_hours_take_their_local_date_and_business_days_their_own():
    calendar = parse_holidays("US")
    hours = pd.date_range("2024-12-24 20:00", "2024-12-26 03:00", freq="h", tz="America/Chicago")
    table = holiday_features(hours, calendar)
    christmas = hours.tz_localize(None).normalize() == pd.Timestamp("2024-12-25")
    np.testing.assert_array_equal(table["holiday:US"].to_numpy(), christmas.astype(float))
    business = pd.bdate_range("2024-06-28", "2024-07-10")
    on = holiday_features(business, calendar)["holiday:US"]
    assert on[on > 0].index.tolist() == [pd.Timestamp("2024-07-04")]
    # the weekday after July 4th (a Friday) is the day after it; Monday the 8th is not
    assert holiday_features(business, calendar, around=True)["holiday:US:after"].loc["2024-07-05"] == 1.0


def test_by_default_only_the_indicator_and_a_single_day_works():
    calendar = parse_holidays("US")
    table = holiday_features(pd.DatetimeIndex(["2025-07-04"]), calendar)
    assert list(table.columns) == ["holiday:US"] and table.iloc[0, 0] == 1.0


def test_monthly_data_is_refused_with_what_to_do():
    with pytest.raises(DataError, match="daily, sub-daily and weekly.*--exog"):
        holiday_features(pd.date_range("2020-01-01", periods=24, freq="MS"), parse_holidays("US"))


@pytest.mark.parametrize(("spec", "fragment"), [
    ("XX", "unknown country code 'XX'"),
    ("US-ZZ", "US has no subdivision 'ZZ'"),
    ("", "a country code such as US"),
])
def test_unknown_codes_say_how_to_list_the_codes(spec, fragment):
    with pytest.raises(ConfigError) as caught:
        parse_holidays(spec)
    assert fragment in str(caught.value) and "tsforecast holidays" in str(caught.value)


def test_codes_are_read_in_any_case_and_the_columns_name_the_calendar_back():
    calendar = parse_holidays(" de-by ")
    assert calendar == HolidayCalendar("DE", "BY") and calendar.code == "DE-BY"
    columns = ["day_type", *calendar.columns(around=True)]
    assert calendar_in_columns(columns) == (calendar, True)
    assert calendar_in_columns(["day_type", "holiday:DE-BY"]) == (calendar, False)
    assert calendar_in_columns(["day_type"]) == (None, False)
    assert [is_holiday_column(c) for c in columns] == [False, True, True, True]
    with pytest.raises(DataError, match="2 calendars"):
        calendar_in_columns(["holiday:US", "holiday:FR"])


def test_the_cli_lists_the_codes_and_refuses_an_unknown_one_in_one_line():
    listing = runner.invoke(app, ["holidays"])
    assert listing.exit_code == 0 and "US" in listing.output and "BY" in listing.output
    assert runner.invoke(app, ["holidays", "--help"]).exit_code == 0
    refused = runner.invoke(app, ["backtest", "--holidays", "XX", "--models", "naive", "--quiet"])
    assert refused.exit_code == EXIT_USAGE
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "tsforecast holidays" in refused.output
