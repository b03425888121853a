"""Holiday calendars as known-future regressors, from the ``holidays`` package.

``--holidays US`` (or ``US-IL``, ``DE-BY``: a country code and an optional subdivision)
becomes one column (three with the days around), known for any timestamp in advance, so they are given to a model for
its history and for every forecast horizon alike:

``holiday:US``
    1 on a public holiday of the calendar (observed days included: when a holiday falls on
    a weekend, the weekday it is observed on is a holiday too), else 0.
``holiday:US:before`` / ``holiday:US:after`` (``around=True``; ``--holiday-days-around``)
    the same indicator shifted by one calendar day: 1 on the day before / after a holiday.
    Measured by ``benchmarks/holiday_calendars.py`` (CTA rail and bus, 2019 and 2021, and a
    second daily series): they lowered the LSTM's error on holidays and the days next to them
    in all five comparisons and raised SARIMA's in four of five, with the overall MASE about
    the same on average; so they are off by default and recommended for the neural models.

The rule per frequency of the data:

* daily and business-day data: each column is 0 or 1 for the timestamp's calendar date;
* data finer than daily (hours, minutes): every timestamp of a holiday's date is 1 (a
  timezone-aware index is read in its own local time);
* weekly data: each column counts the days of the week that are holidays (or days before /
  after one), the week being the seven days ending at the timestamp, which is how pandas
  labels weeks (``W-SUN`` is the week ending on Sunday);
* monthly and coarser data: refused (the count of holidays in a month hardly varies from
  year to year; give a column of your own with ``--exog``).

The calendar's name is in the column names, so a saved model's exog schema records it and
``forecast --from`` rebuilds the same columns (:func:`calendar_in_columns`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from tsforecast.core.errors import ConfigError, DataError

__all__ = [
    "HolidayCalendar", "parse_holidays", "holiday_dates", "holiday_features", "calendar_in_columns",
    "is_holiday_column", "LIST_CODES_HINT",
]

#: how a user finds the codes (one place: the error messages and the README say the same)
LIST_CODES_HINT = ("list the codes with `tsforecast holidays` (or python -c \"import holidays; "
                   "print(holidays.list_supported_countries())\")")

_PREFIX = "holiday:"
_COLUMN = re.compile(r"^holiday:(?P<code>[A-Z]{2,3}(?:-[^:]+)?)(?::(?:before|after))?$")
#: weekly data: the week is the seven days ending at the timestamp
_WEEK = pd.Timedelta(days=7)


@dataclass(frozen=True)
class HolidayCalendar:
    """A country's public holidays (optionally one subdivision's: a state, a land)."""

    country: str
    subdivision: str | None = None

    @property
    def code(self) -> str:
        """``"US"`` or ``"US-IL"``: how ``--holidays`` spells it."""
        return self.country if self.subdivision is None else f"{self.country}-{self.subdivision}"

    def columns(self, around: bool = False) -> tuple[str, ...]:
        """The names of the columns :func:`holiday_features` builds for this calendar."""
        name = _PREFIX + self.code
        return (name, f"{name}:before", f"{name}:after") if around else (name,)


def parse_holidays(spec: object) -> HolidayCalendar:
    """``"US"``, ``"us-il"``, ``"DE-BY"`` as a calendar the ``holidays`` package has, or a
    :class:`~tsforecast.core.errors.ConfigError` naming the code and how to list the codes."""
    import holidays

    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError(f"holidays must be a country code such as US or US-IL, got {spec!r}; {LIST_CODES_HINT}.")
    country, _, subdivision = spec.strip().upper().partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ConfigError(f"holidays: unknown country code {country!r}; {LIST_CODES_HINT}.")
    if subdivision:
        # the package accepts a subdivision's code; its own aliases differ by country, so the
        # codes it lists are the ones accepted here
        codes = {str(code).upper(): str(code) for code in supported[country]}
        if subdivision not in codes:
            shown = ", ".join(sorted(codes)[:12]) + (" ..." if len(codes) > 12 else "")
            raise ConfigError(f"holidays: {country} has no subdivision {subdivision!r}"
                              + (f" (its subdivisions: {shown})" if codes else " (it has no subdivisions)")
                              + f"; {LIST_CODES_HINT}.")
        return HolidayCalendar(country, codes[subdivision])
    return HolidayCalendar(country)


def holiday_dates(calendar: HolidayCalendar, years: Iterable[int]) -> pd.DatetimeIndex:
    """The calendar's holiday dates (observed days included) in ``years``, sorted."""
    import holidays

    days = holidays.country_holidays(calendar.country, subdiv=calendar.subdivision, years=list(years))
    return pd.DatetimeIndex(sorted(days.keys()))


def _step(index: pd.DatetimeIndex, freq: object) -> pd.Timedelta:
    """The data's step, from its frequency or (none given) its smallest gap; one day for a
    single timestamp without a frequency."""
    if freq is not None:
        offset = pd.tseries.frequencies.to_offset(freq)
        start = index[0] if len(index) else pd.Timestamp("2000-01-03")
        return (start + offset) - start
    gaps = index.sort_values()[1:] - index.sort_values()[:-1]  # Timedeltas in the index's own unit
    gaps = gaps[gaps > pd.Timedelta(0)]
    return gaps.min() if len(gaps) else pd.Timedelta(days=1)


def holiday_features(
    index: pd.DatetimeIndex, calendar: HolidayCalendar, freq: object = None, around: bool = False
) -> pd.DataFrame:
    """The holiday columns of ``calendar`` on ``index`` (see the module docstring for the rule
    per frequency); ``freq`` is the data's frequency when known (else read from ``index``)."""
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"holiday columns need a DatetimeIndex, got {type(index).__name__}.")
    columns = calendar.columns(around)
    if not len(index):
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}, index=index)
    step = _step(index, freq)
    if step > _WEEK:
        raise DataError(f"holiday columns are built for daily, sub-daily and weekly data; this data's step is "
                        f"{step}. Fix: leave out --holidays, or give a column of your own with --exog.")
    weekly = step == _WEEK
    # local calendar dates: a timezone-aware index is read in its own time
    local = index.tz_localize(None) if index.tz is not None else index
    dates = local.normalize()
    # one day of margin either side (the day before/after), a week more for weekly counts
    first = dates.min() - (_WEEK if weekly else pd.Timedelta(0)) - pd.Timedelta(days=1)
    last = dates.max() + pd.Timedelta(days=1)
    grid = pd.date_range(first, last, freq="D")
    on = pd.Series(grid.isin(holiday_dates(calendar, range(first.year, last.year + 1))).astype("float64"), index=grid)
    daily = {columns[0]: on}
    if around:
        daily[columns[1]] = on.shift(-1, fill_value=0.0)  # tomorrow is a holiday
        daily[columns[2]] = on.shift(1, fill_value=0.0)  # yesterday was one
    table = pd.DataFrame(daily)
    if weekly:
        table = table.rolling(7, min_periods=1).sum()  # the seven days ending at each date
    values = table.reindex(dates).to_numpy(dtype="float64")
    return pd.DataFrame(values, index=index, columns=list(columns))


def is_holiday_column(column: object) -> bool:
    """Whether ``column`` is one of the columns :func:`holiday_features` builds."""
    return isinstance(column, str) and _COLUMN.match(column) is not None


def calendar_in_columns(columns: Iterable[object]) -> tuple[HolidayCalendar | None, bool]:
    """The holiday calendar whose columns are among ``columns`` (a saved model's exog schema)
    and whether the before/after columns are; ``(None, False)`` without one. Two calendars
    in one model are refused: it is one ``--holidays`` option."""
    codes = {m["code"] for c in columns if isinstance(c, str) and (m := _COLUMN.match(c))}
    if not codes:
        return None, False
    if len(codes) > 1:
        raise DataError(f"the regressors hold the holiday columns of {len(codes)} calendars "
                        f"({', '.join(sorted(codes))}); one is supported.")
    code = codes.pop()
    country, _, subdivision = code.partition("-")
    found = HolidayCalendar(country, subdivision or None)
    return found, f"{_PREFIX}{code}:before" in set(columns)
