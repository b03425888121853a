"""Turning user input into a clean, regular, float series, or a clear error.

The input shapes and float conversion are :mod:`tsforecast.data.values`'; exogenous
regressors are checked and encoded by :mod:`tsforecast.data.exog`; messages name values and
timestamps through :mod:`tsforecast.data.text`.

Policy (each case is tested in ``tests/test_validation.py``):

=========================  ==================================================================
input                      what happens
=========================  ==================================================================
unsorted timestamps        sorted; reported as a repair
exact duplicate rows       the copies are dropped; reported as a repair (in ``X`` and tables
                           read from files too, where conflicting rows for one timestamp are
                           rejected: :func:`drop_duplicate_rows`)
conflicting duplicates     rejected (:class:`DataError`) naming the first timestamps and values;
                           fix: aggregate them yourself (``df.groupby(level=0).mean()``)
missing timestamps         inserted on the inferred regular grid and filled like NaN values
NaN values                 ``missing="interpolate"`` (default): interior gaps are filled by
                           linear interpolation, leading/trailing NaNs are trimmed; both are
                           reported. ``missing="error"``: rejected. More than half the values
                           missing is always rejected.
non-numeric values         rejected, naming the first offending timestamps and values
infinite values            rejected, naming the first offending timestamps
constant series            accepted here; models that need variation reject it at ``fit``
too short                  each model states its minimum length; ``fit`` rejects shorter input
timezone-aware index       kept as is: forecasts carry the same timezone
trading-day data           weekday-only data with a few weekdays missing (market holidays) is
                           read as trading sessions: the frequency becomes a custom business
                           day whose holidays are the missing weekdays; nothing is filled, and
                           forecasts land on the following business days
irregular timestamps       rejected when no regular grid holds them (fix: resample, or pass
                           ``freq=``)
=========================  ==================================================================

Every repair is returned in :class:`CleanSeries.repairs` and emitted once as a
:class:`~tsforecast.core.errors.DataRepairWarning`; nothing is dropped silently.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset, CustomBusinessDay

from tsforecast.core.errors import DataError, DataRepairWarning
from tsforecast.core.frequency import infer_regular_freq
from tsforecast.data.series_ids import DEFAULT_SERIES_NAME
from tsforecast.data.text import listed, stamp_text, stamps
from tsforecast.data.values import MAX_MAGNITUDE, as_raw_series, to_float

__all__ = ["CleanSeries", "clean_series", "clean_values", "to_series", "drop_duplicate_rows", "MIN_TIMESTAMPS"]

# Weekday-only data is read as trading days when at most this share of weekdays is missing.
_MAX_HOLIDAY_SHARE = 0.08
_MAX_MISSING_SHARE = 0.5
#: fewest timestamps from which a series' frequency can be told (two give only one step)
MIN_TIMESTAMPS = 3


@dataclass
class CleanSeries:
    """A validated series and the list of repairs made to get it."""

    series: pd.Series
    repairs: list[str] = field(default_factory=list)


def _deduplicate(series: pd.Series, repairs: list[str]) -> pd.Series:
    dup_mask = series.index.duplicated(keep=False)
    if not dup_mask.any():
        return series
    dups = series[dup_mask]
    # NaN == NaN here: copies of a missing value are copies, not a conflict.
    spread = dups.groupby(level=0).agg(lambda v: v.nunique(dropna=False))
    conflicting = spread[spread > 1].index
    if len(conflicting):
        shown = listed(
            [f"{stamp_text(ts)} -> {sorted(set(dups.loc[ts].tolist()))}" for ts in conflicting]
        )
        raise DataError(
            f"{len(conflicting)} timestamp(s) appear more than once with different values: "
            f"{shown}. Fix: keep one row per timestamp, e.g. df.groupby(level=0).mean()."
        )
    first = series.index.duplicated(keep="first")
    repairs.append(
        f"dropped {int(first.sum())} exact duplicate row(s) at {stamps(series.index[first])}"
    )
    return series[~first]


def drop_duplicate_rows(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """``frame`` (indexed by timestamps) without exact copies of a row, as for a series' values;
    rows that differ for one timestamp are refused with a :class:`DataError` naming ``what``
    and the timestamps. Used for exogenous regressors and for tables read from files."""
    if not frame.index.has_duplicates:
        return frame
    keyed = frame.reset_index(drop=True)
    keyed.insert(0, ("timestamp of the row",), frame.index)  # a name no user column has
    frame = frame[~keyed.duplicated().to_numpy()]
    if frame.index.has_duplicates:
        raise DataError(
            f"{what} has conflicting rows for the same timestamp: "
            f"{stamps(frame.index[frame.index.duplicated()])}. Fix: keep one row per timestamp."
        )
    return frame


def _trading_day_freq(index: pd.DatetimeIndex) -> CustomBusinessDay | None:
    """A business-day frequency whose holidays are the missing weekdays, if that fits."""
    if (index.day_of_week >= 5).any() or len(index) < 10:
        return None
    if (index.normalize() != index).any():
        return None
    weekdays = pd.bdate_range(index[0], index[-1], tz=index.tz)
    missing = weekdays.difference(index)
    if len(missing) > _MAX_HOLIDAY_SHARE * len(weekdays):
        return None
    holidays = [ts.tz_localize(None) if ts.tz is not None else ts for ts in missing]
    return CustomBusinessDay(holidays=holidays)


def _regularise(
    series: pd.Series, freq: str | BaseOffset | None, repairs: list[str]
) -> pd.Series:
    index = series.index
    if freq is not None:
        offset = to_offset(freq)
    elif index.freq is not None:
        return series
    else:
        offset = infer_regular_freq(index)
        if offset is not None and offset.rule_code == "D":
            trading = _trading_day_freq(index)
            if trading is not None:
                offset = trading
        elif offset is None:
            offset = _trading_day_freq(index)
    if offset is None and len(index) < MIN_TIMESTAMPS:
        raise DataError(
            f"{len(index)} timestamp(s) are too few to tell the frequency (at least {MIN_TIMESTAMPS} are "
            "needed). "
            "Fix: provide more history, or pass freq=..."
        )
    if offset is None:
        gaps = index.to_series().diff().iloc[1:]
        usual = gaps.mode().iloc[0]
        odd = gaps[gaps != usual].index
        raise DataError(
            f"the timestamps are not regularly spaced (usual step {usual}, different steps "
            f"before {stamps(odd)}) and no regular frequency holds them. "
            "Fix: resample, e.g. series.resample('D').mean(), or pass freq=..."
        )
    grid = pd.date_range(index[0], index[-1], freq=offset)
    off_grid = index.difference(grid)
    if len(off_grid):
        raise DataError(
            f"timestamps {stamps(off_grid)} do not lie on the {offset.freqstr} grid that "
            f"starts at {stamp_text(index[0])}. Fix: resample to one frequency first."
        )
    inserted = grid.difference(index)
    if len(inserted):
        repairs.append(
            f"inserted {len(inserted)} missing timestamp(s) on the {offset.freqstr} grid at "
            f"{stamps(inserted)}"
        )
    regular = series.reindex(grid)
    regular.index.freq = offset
    return regular


def _fill_missing(series: pd.Series, missing: str, repairs: list[str]) -> pd.Series:
    isna = series.isna().to_numpy()
    if not isna.any():
        return series
    if isna.all():
        raise DataError("every value is missing; there is nothing to fit.")
    if isna.mean() > _MAX_MISSING_SHARE:
        raise DataError(
            f"{isna.mean():.0%} of the values are missing (first at "
            f"{stamps(series.index[isna])}); too few to fill in honestly. Fix: choose a "
            "coarser frequency or a period with data."
        )
    if missing == "error":
        raise DataError(
            f"{int(isna.sum())} missing value(s) at {stamps(series.index[isna])}. Fix: fill "
            "them, or pass missing='interpolate' to fill interior gaps linearly."
        )
    first, last = np.flatnonzero(~isna)[[0, -1]]
    if first > 0:
        repairs.append(f"trimmed {first} leading missing value(s) before {stamp_text(series.index[first])}")
    if last < len(series) - 1:
        repairs.append(
            f"trimmed {len(series) - 1 - last} trailing missing value(s) after "
            f"{stamp_text(series.index[last])}"
        )
    trimmed = series.iloc[first : last + 1]
    gaps = trimmed.isna().to_numpy()
    if gaps.any():
        repairs.append(
            f"filled {int(gaps.sum())} missing value(s) by linear interpolation at "
            f"{stamps(trimmed.index[gaps])}"
        )
        trimmed = trimmed.interpolate(method="linear")
    return trimmed


def _already_clean(data: object, freq: str | BaseOffset | None) -> bool:
    """Whether ``data`` is already what :func:`clean_series` returns: float values, all
    finite, on an increasing DatetimeIndex with a frequency (pandas checks that the timestamps
    follow it when it is set). Backtests and updates hand such slices over thousands of times;
    re-validating them cost more than fitting a baseline."""
    return (
        isinstance(data, pd.Series)
        and data.dtype == np.float64
        and isinstance(data.index, pd.DatetimeIndex)
        and data.index.freq is not None
        and len(data) > 0
        and data.index.is_monotonic_increasing
        and (freq is None or to_offset(freq) == data.index.freq)
        and bool((np.abs(data.to_numpy()) <= MAX_MAGNITUDE).all())  # finite and not huge; False for NaN
    )


def clean_series(
    data: object,
    target: Hashable | None = None,
    date_column: Hashable | None = None,
    *,
    freq: str | BaseOffset | None = None,
    missing: str = "interpolate",
) -> CleanSeries:
    """Validate ``data`` into a float Series on a regular grid; collect what was repaired.

    Parameters
    ----------
    data
        A Series with a DatetimeIndex, a one-column DataFrame, or a DataFrame with ``target``.
    target
        Column to use from a multi-column DataFrame.
    date_column
        Column holding the dates, when the DataFrame is not indexed by them.
    freq
        Force a frequency (pandas alias such as ``"D"`` or an offset) instead of inferring it.
    missing
        ``"interpolate"`` (default) or ``"error"``: what to do with missing values.
    """
    if missing not in {"interpolate", "error"}:
        raise DataError(f"missing must be 'interpolate' or 'error', got {missing!r}.")
    if target is None and date_column is None and _already_clean(data, freq):
        return CleanSeries(data if data.name is not None else data.rename(DEFAULT_SERIES_NAME), [])
    repairs: list[str] = []
    raw = as_raw_series(data, target, date_column)
    values = to_float(raw)
    if not values.index.is_monotonic_increasing:
        repairs.append("sorted the timestamps into increasing order")
        values = values.sort_index(kind="stable")
    values = _deduplicate(values, repairs)
    values = _regularise(values, freq, repairs)
    values = _fill_missing(values, missing, repairs)
    name = raw.name if raw.name is not None else DEFAULT_SERIES_NAME
    return CleanSeries(values.rename(name), repairs)


def clean_values(data: pd.Series) -> pd.Series:
    """The checks of :func:`clean_series` on a Series' values alone: numbers (non-numeric and
    infinite values refused), timestamps sorted, duplicates resolved (conflicting ones refused),
    never put on a regular grid or filled. For data that is compared, not modelled (the part of
    a daily export that repeats a model's history, however sparse)."""
    values = to_float(data)
    return _deduplicate(values.sort_index(kind="stable"), [])


def to_series(
    data: object,
    target: Hashable | None = None,
    date_column: Hashable | None = None,
    *,
    freq: str | BaseOffset | None = None,
    missing: str = "interpolate",
) -> pd.Series:
    """Validate ``data`` (see :func:`clean_series`); repairs are emitted as one warning."""
    result = clean_series(data, target, date_column, freq=freq, missing=missing)
    if result.repairs:
        warnings.warn("; ".join(result.repairs), DataRepairWarning, stacklevel=2)
    return result.series
