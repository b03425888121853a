"""From what a user passes to one float Series on a DatetimeIndex, not yet cleaned.

The input shapes :func:`tsforecast.data.validation.clean_series` accepts (a Series, a one-column
DataFrame, a DataFrame with a target and a date column) become one Series with a DatetimeIndex
(:func:`as_raw_series`), and values become float64 (:func:`to_float`): non-numeric, complex,
date-like, infinite and overflowing values are refused with the timestamps that hold them.
Sorting, duplicates, the regular grid and missing values are the cleaning policy's
(:mod:`tsforecast.data.validation`); exogenous columns go through :func:`to_float` too
(:mod:`tsforecast.data.exog`).
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from tsforecast.core.errors import DataError
from tsforecast.data.dates import parse_dates
from tsforecast.data.text import MAX_LISTED, listed, stamp_text, stamps

__all__ = ["as_raw_series", "to_datetime_index", "to_float", "MAX_MAGNITUDE"]

#: the largest absolute value a series may hold: models square and sum values, and beyond
#: about 1e154 a square overflows float64 (no real measurement comes near this bound)
MAX_MAGNITUDE = 1e150


def _select_column(data: pd.DataFrame, target: Hashable | None) -> pd.Series:
    if target is not None:
        if target not in data.columns:
            raise DataError(
                f"column {target!r} not found; available columns: {listed(list(data.columns))}. "
                "Fix: pass one of those as the target."
            )
        return data[target]
    if data.shape[1] == 1:
        return data.iloc[:, 0]
    raise DataError(
        f"the DataFrame has {data.shape[1]} columns ({listed(list(data.columns))}); "
        "name the one to forecast with target=..."
    )


def to_datetime_index(index: pd.Index, what: str) -> pd.DatetimeIndex:
    """``index`` as a DatetimeIndex (periods to their start, text by
    :func:`~tsforecast.data.dates.parse_dates`); a MultiIndex or missing dates are refused,
    naming ``what``."""
    if isinstance(index, pd.DatetimeIndex):
        result = index
    elif isinstance(index, pd.PeriodIndex):
        result = index.to_timestamp()
    elif isinstance(index, pd.MultiIndex):
        raise DataError(
            f"{what} is a MultiIndex with levels {list(index.names)}; a series needs one "
            "DatetimeIndex. Fix: select one series first (e.g. frame.xs(key, level=0)), or pass "
            "a long-format panel with id and date columns to backtest."
        )
    else:
        result = parse_dates(index, what)
    if result.hasnans:
        positions = np.flatnonzero(result.isna())
        raise DataError(
            f"{what} has missing dates at rows {listed(list(positions))}. "
            "Fix: remove those rows or fill in their dates."
        )
    return result


def as_raw_series(
    data: object, target: Hashable | None, date_column: Hashable | None
) -> pd.Series:
    """Bring the supported input shapes to one Series with a DatetimeIndex (not yet clean)."""
    if isinstance(data, pd.DataFrame):
        frame = data
        if date_column is not None:
            if date_column not in frame.columns:
                raise DataError(
                    f"date column {date_column!r} not found; available columns: "
                    f"{listed(list(frame.columns))}. Fix: pass date_column=<name of the dates>."
                )
            frame = frame.set_index(date_column)
        series = _select_column(frame, target)
    elif isinstance(data, pd.Series):
        series = data
        if date_column is not None:
            raise DataError("date_column only applies to a DataFrame; a Series uses its index.")
    else:
        raise DataError(
            f"expected a pandas Series or DataFrame with a DatetimeIndex, got "
            f"{type(data).__name__}. Fix: pd.Series(values, index=pd.date_range(start, "
            "periods=len(values), freq='D'))."
        )
    if series.empty:
        raise DataError("the series is empty; it needs observations to fit a model.")
    if not isinstance(series.index, (pd.DatetimeIndex, pd.PeriodIndex)) and date_column is None:
        if pd.api.types.is_numeric_dtype(series.index.dtype):
            raise DataError(
                "the series is indexed by numbers, not dates. Fix: give it a DatetimeIndex "
                "(series.index = pd.date_range(start, periods=len(series), freq='D')) or, for a "
                "DataFrame, name the date column with date_column=..."
            )
    index = to_datetime_index(series.index, "the date index")
    return pd.Series(series.to_numpy(), index=index, name=series.name)


def _reject_non_real(values: pd.Series) -> None:
    """Complex numbers, dates and durations convert to floats silently; they are not values."""
    kind = values.dtype.kind
    if kind in "cmM" or isinstance(values.dtype, pd.DatetimeTZDtype | pd.PeriodDtype | pd.IntervalDtype):
        what = {"c": "complex numbers", "m": "durations", "M": "dates"}.get(kind, str(values.dtype))
        raise DataError(
            f"{values.name or 'the series'!s} holds {what} ({values.dtype}), not real numbers to "
            "forecast. Fix: choose a numeric column as the target."
        )


def to_float(series: pd.Series) -> pd.Series:
    """``series``' values as float64: booleans and numeric text converted; non-numeric text,
    complex numbers, dates, durations, infinite values and values beyond :data:`MAX_MAGNITUDE`
    refused with the timestamps that hold them. Missing values stay missing."""
    values = series
    _reject_non_real(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("float64")
    if not pd.api.types.is_numeric_dtype(values.dtype):
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna() & values.notna()
        if bad.any():
            where = values.index[bad.to_numpy()]
            shown = listed([f"{stamp_text(ts)}={values[ts]!r}" for ts in where[:MAX_LISTED]])
            # "12,5": a decimal comma that the reader was not told about
            comma = values[bad].astype(str).str.fullmatch(r"\s*[+-]?\d+,\d+\s*").all()
            hint = ("; some look like numbers with a decimal comma: if the file uses one throughout, read it "
                    "with --decimal , (decimal=','); if it mixes marks, correct them") if comma else ""
            raise DataError(
                f"{int(bad.sum())} non-numeric value(s) in {series.name or 'the series'!s}: "
                f"{shown}. Fix: correct them, or make them empty to have them treated as missing{hint}."
            )
        values = converted
        _reject_non_real(values)
    values = values.astype("float64")
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        raise DataError(
            f"infinite values at {stamps(values.index[infinite])}. "
            "Fix: replace them with real values or leave them empty (missing)."
        )
    huge = np.abs(values.to_numpy()) > MAX_MAGNITUDE
    if huge.any():
        raise DataError(
            f"values too large to model at {stamps(values.index[huge])} (largest {np.nanmax(np.abs(values)):.3g}; "
            f"at most {MAX_MAGNITUDE:.0e}): their squares and sums overflow floating point. Fix: rescale the "
            "series (divide it by a power of ten)."
        )
    return values

