"""Reading dates from text without guessing per row.

The rule (documented in the README and tested in ``tests/test_dates.py``):

* Values that are already dates (a datetime column of a Parquet file, a DatetimeIndex) are
  used as they are; periods become their start timestamps.
* Numbers are never dates: an integer column would otherwise become nanoseconds after
  1970-01-01 (what ``DataFrame.to_csv()`` writes as its row number looks like that).
* Text is read with **one format for the whole column**: the format given (``date_format``,
  ``--date-format``), or a format guessed from a few values spread over the column, each
  read month-first and day-first. A format is kept only if it reads every value. When a
  month-first and a day-first reading both read every value (no day above 12), the one under
  which the dates are exactly regularly spaced (no date of the grid missing) wins; when that
  does not decide, the dates are ambiguous and rejected, naming both formats.
* Year-first dates are ISO 8601 (``2020-01-02`` is the 2nd of January), never year-day-month.
* Values with different UTC offsets (local time across a daylight-saving change) are rejected:
  convert them to UTC first.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from tsforecast.core.errors import DataError
from tsforecast.data.text import MAX_LISTED, listed

__all__ = ["parse_dates", "on_clock", "looks_like_dates"]

_SAMPLES = 5  # values, spread over the column, whose formats are candidates
_PROBES = 25  # values, spread over a column, that tell whether it holds dates at all


def _shown(values: list[object]) -> str:
    """Values for a message, quoted: a date that fails to read may be blank or padded text."""
    return listed([repr(v) for v in values])


def _year_day_month(fmt: str) -> bool:
    """A guessed format reading the year, then the day, then the month (never meant)."""
    order = [m.group() for m in re.finditer(r"%[Ymd]", fmt)]
    return order[:1] == ["%Y"] and order.index("%d") < order.index("%m") if {"%d", "%m"} <= set(order) else False


def _candidate_formats(samples: list[str]) -> list[str]:
    """Formats guessed from a few values, each read month-first and day-first. Several values,
    because one can be read more narrowly than the rest ("May 01" as a full month name)."""
    formats: list[str] = []
    for sample in samples:
        for dayfirst in (False, True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fmt = guess_datetime_format(sample, dayfirst=dayfirst)
            if fmt and fmt not in formats and not _year_day_month(fmt):
                formats.append(fmt)
    return formats or ["ISO8601"]


def _parse(text: pd.Series, fmt: str, what: str) -> pd.Series:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.to_datetime(text, format=fmt, errors="coerce")
    except ValueError as exc:
        if "Mixed timezones" in str(exc) or "mixed time zones" in str(exc).lower():
            offsets = sorted(set(text.dropna().str.extract(r"([+-]\d\d:?\d\d|Z)$")[0].dropna()))
            raise DataError(
                f"{what} mixes UTC offsets ({_shown(offsets)}), e.g. local time across a "
                "daylight-saving change, so its timestamps are not one regular clock. Fix: convert "
                "them to UTC (or drop the offsets) before forecasting."
            ) from None
        raise DataError(f"{what} cannot be read as dates with format {fmt!r}: {exc}") from None


def _regular(parsed: pd.Series) -> bool:
    """Exactly regular: pandas infers a frequency, so no timestamp of the grid is missing."""
    stamps = pd.DatetimeIndex(parsed.dropna()).unique().sort_values()
    if len(stamps) < 3:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pd.infer_freq(stamps) is not None


def parse_dates(values: pd.Series | pd.Index, what: str, date_format: str | None = None) -> pd.DatetimeIndex:
    """``values`` as a DatetimeIndex by the rule in the module docstring, or a DataError.

    ``what`` names the values in messages (``"column 'date' of sales.csv"``). Missing values
    stay missing (NaT); callers decide what a missing date means.
    """
    series = pd.Series(values).reset_index(drop=True)
    if isinstance(series.dtype, pd.PeriodDtype):
        return pd.DatetimeIndex(series.dt.to_timestamp())
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return pd.DatetimeIndex(series)
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        raise DataError(
            f"{what} holds numbers ({_shown(series.head(MAX_LISTED).tolist())}), not dates; read as "
            "dates they would be nanoseconds after 1970. Fix: name the column that holds the dates "
            "(--date-column / date_column=), or write dates such as 2024-01-31."
        )
    present = series.notna() & (series.astype("string").str.strip() != "")
    text = series.astype("string").str.strip().where(present)
    if not present.any():
        return pd.DatetimeIndex(pd.to_datetime(text, errors="coerce"))
    values = text[present]
    samples = [str(values.iloc[int(k)]) for k in np.unique(np.linspace(0, len(values) - 1, _SAMPLES).round())]
    formats = [date_format] if date_format else _candidate_formats(samples)
    fits: dict[str, pd.Series] = {}
    for fmt in formats:
        parsed = _parse(text, fmt, what)
        if not (parsed.isna() & present).any():
            fits[fmt] = parsed
    if not fits:
        parsed = _parse(text, formats[0], what)
        bad = text[parsed.isna() & present].tolist()
        how = f"the format {formats[0]!r}" + ("" if date_format else " of its first value")
        if not date_format and len(formats) > 1:
            how = f"any of the formats {', '.join(map(repr, formats))} of its values"
        raise DataError(
            f"{what} holds values that are not dates in {how}: {_shown(bad)}. Fix: correct those "
            "rows, or give the format with --date-format / date_format= (e.g. %d/%m/%Y)."
        )
    # formats that read every value alike ("%b" and "%B" on "May") are one reading
    readings: dict[str, pd.Series] = {}
    for fmt, parsed in fits.items():
        if not any(parsed.equals(other) for other in readings.values()):
            readings[fmt] = parsed
    fits = readings
    if len(fits) > 1:
        regular = [fmt for fmt, parsed in fits.items() if _regular(parsed)]
        if len(regular) != 1:
            raise DataError(
                f"{what} is ambiguous: every value reads as a date both as {' and as '.join(fits)} "
                "(no day above 12). Fix: give the format with --date-format / date_format=."
            )
        fits = {regular[0]: fits[regular[0]]}
    return pd.DatetimeIndex(next(iter(fits.values())))


def on_clock(index: pd.DatetimeIndex, tz: object, what: str = "the data") -> pd.DatetimeIndex:
    """``index`` read on the clock of timezone ``tz`` (``None``: no timezone), so that it can be
    compared with timestamps kept in ``tz`` (a saved model's).

    The rule (README, "Fit weekly, forecast daily"): when both carry a timezone or UTC offset,
    ``index`` is converted to ``tz`` (the same instants); when only one does, the times are
    read as written (a daily export that starts writing ``+01:00`` after its dates still means
    those dates, and a file without offsets is taken to be in the model's timezone).
    """
    if index.tz is not None and tz is not None:
        return index.tz_convert(tz)
    if index.tz is not None:
        return index.tz_localize(None)
    if tz is None:
        return index
    try:
        return index.tz_localize(tz)
    except ValueError as exc:  # a wall time that a daylight-saving change skips or repeats
        raise DataError(
            f"{what} has times without a UTC offset that are not one moment in {tz} ({exc}). "
            "Fix: write the dates with their UTC offsets."
        ) from None


def _spread(values: pd.Series, count: int) -> list[str]:
    """Up to ``count`` of ``values`` (text, none missing) spread evenly over them."""
    positions = np.unique(np.linspace(0, len(values) - 1, count).round()) if len(values) else []
    return [str(values.iloc[int(k)]) for k in positions]


def looks_like_dates(values: pd.Series | pd.Index) -> bool:
    """Whether a column holds dates, to find the date column of a file when none is named:
    date values; or text of which most of a spread sample reads as dates in one format that
    :func:`parse_dates` would guess. Never numbers (the rule of the module docstring), so
    never a column of ids or values. Bad rows in a date column still make it one, so that
    :func:`parse_dates` names them."""
    series = pd.Series(values).reset_index(drop=True)
    if isinstance(series.dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        return True
    if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
        return False
    text = series.astype("string").str.strip()
    present = text[text.notna() & (text != "")]
    probes = pd.Series(_spread(present, _PROBES), dtype="string")
    if probes.empty:
        return False
    for fmt in _candidate_formats(_spread(probes, _SAMPLES)):
        try:
            parsed = _parse(probes, fmt, "a column")
        except DataError:
            return True  # mixed UTC offsets: dates, refused by parse_dates with the reason
        if parsed.notna().mean() > 0.5:
            return True
    return False
