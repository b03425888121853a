"""Dates read with one format per column: never numbers, never guessed row by row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsforecast import DataError
from tsforecast.data.dates import parse_dates
from tsforecast.data.validation import clean_series


@settings(max_examples=60, deadline=None)
@given(
    start=st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2030-01-01").date()),
    n=st.integers(14, 120),
    fmt=st.sampled_from(["%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%b %d, %Y"]),
)
def test_daily_dates_are_read_back_exactly_or_refused(start, n, fmt):
    """Written in any common format, a daily run of dates is read back exactly; it is never
    read as other dates (at most refused as ambiguous, when no day exceeds 12)."""
    days = pd.date_range(start, periods=n, freq="D")
    try:
        parsed = parse_dates(pd.Series(days.strftime(fmt)), "dates")
    except DataError as exc:
        assert "ambiguous" in str(exc)
        return
    assert parsed.equals(pd.DatetimeIndex(days).as_unit(parsed.unit))


def test_day_first_is_recognised_from_any_row_not_just_the_first():
    days = pd.date_range("2020-01-01", periods=40)  # the 13th is the first day-first proof
    parsed = parse_dates(pd.Series(days.strftime("%d/%m/%Y")), "dates")
    assert parsed.equals(pd.DatetimeIndex(days).as_unit(parsed.unit))


def test_a_regular_reading_decides_between_day_first_and_month_first():
    days = pd.date_range("2021-03-01", periods=12, freq="D")  # 01/03 .. 12/03: month-first is irregular
    parsed = parse_dates(pd.Series(days.strftime("%d/%m/%Y")), "dates")
    assert parsed.equals(pd.DatetimeIndex(days).as_unit(parsed.unit))


def test_an_explicit_format_wins_and_names_bad_rows():
    text = pd.Series(["01/02/2020", "02/02/2020", "03/02/2020"])
    assert parse_dates(text, "d", "%d/%m/%Y")[0] == pd.Timestamp("2020-02-01")
    with pytest.raises(DataError, match="'2020-02-03'"):
        parse_dates(pd.Series(["01/02/2020", "2020-02-03"]), "d", "%d/%m/%Y")


def test_numbers_are_never_dates():
    with pytest.raises(DataError, match="holds numbers"):
        parse_dates(pd.Series([0, 1, 2]), "the row number")


def test_iso_dates_are_year_month_day():
    parsed = parse_dates(pd.Series(["2020-01-02", "2020-01-03", "2020-01-04"]), "d")
    assert parsed[0] == pd.Timestamp("2020-01-02")


def test_mixed_offsets_are_refused_one_offset_is_kept():
    with pytest.raises(DataError, match="mixes UTC offsets"):
        parse_dates(pd.Series(["2020-03-28 00:00+01:00", "2020-03-30 00:00+02:00"]), "d")
    kept = parse_dates(pd.Series(["2020-03-28 00:00+01:00", "2020-03-29 00:00+01:00"]), "d")
    assert str(kept.tz) == "UTC+01:00"


@pytest.mark.parametrize(
    ("values", "what"),
    [
        (np.array([1 + 2j, 3 + 0j, 4 + 1j]), "complex"),
        (pd.date_range("2020", periods=3).to_numpy(), "dates"),
        (pd.to_timedelta([1, 2, 3], unit="D").to_numpy(), "durations"),
        (pd.Series([1 + 2j, 3 + 0j, 4 + 1j], dtype=object).to_numpy(), "complex"),
    ],
)
def test_values_that_are_not_real_numbers_are_refused(values, what):
    with pytest.raises(DataError, match=what):
        clean_series(pd.Series(values, index=pd.date_range("2021", periods=3)))


def test_a_multiindex_gets_a_clear_error():
    index = pd.MultiIndex.from_product([["a", "b"], pd.date_range("2020", periods=5)], names=["id", "date"])
    with pytest.raises(DataError, match="MultiIndex"):
        clean_series(pd.Series(np.arange(10.0), index=index))


def test_formats_that_read_every_value_alike_are_not_ambiguous():
    days = pd.date_range("2000-05-01", periods=20)  # "May": a full and an abbreviated month name
    parsed = parse_dates(pd.Series(days.strftime("%b %d, %Y")), "d")
    assert parsed.equals(pd.DatetimeIndex(days).as_unit(parsed.unit))
