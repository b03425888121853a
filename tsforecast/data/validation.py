"""Turning user input into a clean, regular, float series, or a clear error.

Policy (each case is tested in ``tests/test_validation.py``):

=========================  ==================================================================
input                      what happens
=========================  ==================================================================
unsorted timestamps        sorted; reported as a repair
exact duplicate rows       the copies are dropped; reported as a repair (in ``X`` too, where
                           conflicting rows for one timestamp are rejected)
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
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset, CustomBusinessDay

from tsforecast.core.errors import DataError, DataRepairWarning
from tsforecast.core.frequency import infer_regular_freq
from tsforecast.data.dates import parse_dates

__all__ = [
    "CleanSeries", "clean_series", "clean_values", "to_series", "align_exog", "infer_exog_schema", "exog_on_index",
    "ExogSchema", "listed", "stamp_text", "MAX_MAGNITUDE", "MIN_TIMESTAMPS",
]

#: the largest absolute value a series may hold: models square and sum values, and beyond
#: about 1e154 a square overflows float64 (no real measurement comes near this bound)
MAX_MAGNITUDE = 1e150

_MAX_LISTED = 3
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


def listed(items: Sequence[object]) -> str:
    """The first few ``items`` joined for a message, with how many more there are."""
    shown = ", ".join(str(item) for item in list(items)[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f" (and {more} more)" if more > 0 else "")


def stamp_text(ts: pd.Timestamp) -> str:
    """A timestamp for a message: the date alone at midnight (daily data), else ISO 8601."""
    return ts.isoformat() if (ts.hour or ts.minute or ts.second) else ts.strftime("%Y-%m-%d")


def _stamps(index: pd.Index) -> str:
    return listed([stamp_text(ts) for ts in index])


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


def _to_datetime_index(index: pd.Index, what: str) -> pd.DatetimeIndex:
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


def _as_raw_series(
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
    index = _to_datetime_index(series.index, "the date index")
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


def _to_float(series: pd.Series) -> pd.Series:
    values = series
    _reject_non_real(values)
    if pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("float64")
    if not pd.api.types.is_numeric_dtype(values.dtype):
        converted = pd.to_numeric(values, errors="coerce")
        bad = converted.isna() & values.notna()
        if bad.any():
            where = values.index[bad.to_numpy()]
            shown = listed([f"{stamp_text(ts)}={values[ts]!r}" for ts in where[:_MAX_LISTED]])
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
            f"infinite values at {_stamps(values.index[infinite])}. "
            "Fix: replace them with real values or leave them empty (missing)."
        )
    huge = np.abs(values.to_numpy()) > MAX_MAGNITUDE
    if huge.any():
        raise DataError(
            f"values too large to model at {_stamps(values.index[huge])} (largest {np.nanmax(np.abs(values)):.3g}; "
            f"at most {MAX_MAGNITUDE:.0e}): their squares and sums overflow floating point. Fix: rescale the "
            "series (divide it by a power of ten)."
        )
    return values


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
        f"dropped {int(first.sum())} exact duplicate row(s) at {_stamps(series.index[first])}"
    )
    return series[~first]


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
            f"before {_stamps(odd)}) and no regular frequency holds them. "
            "Fix: resample, e.g. series.resample('D').mean(), or pass freq=..."
        )
    grid = pd.date_range(index[0], index[-1], freq=offset)
    off_grid = index.difference(grid)
    if len(off_grid):
        raise DataError(
            f"timestamps {_stamps(off_grid)} do not lie on the {offset.freqstr} grid that "
            f"starts at {stamp_text(index[0])}. Fix: resample to one frequency first."
        )
    inserted = grid.difference(index)
    if len(inserted):
        repairs.append(
            f"inserted {len(inserted)} missing timestamp(s) on the {offset.freqstr} grid at "
            f"{_stamps(inserted)}"
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
            f"{_stamps(series.index[isna])}); too few to fill in honestly. Fix: choose a "
            "coarser frequency or a period with data."
        )
    if missing == "error":
        raise DataError(
            f"{int(isna.sum())} missing value(s) at {_stamps(series.index[isna])}. Fix: fill "
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
            f"{_stamps(trimmed.index[gaps])}"
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
        return CleanSeries(data if data.name is not None else data.rename("y"), [])
    repairs: list[str] = []
    raw = _as_raw_series(data, target, date_column)
    values = _to_float(raw)
    if not values.index.is_monotonic_increasing:
        repairs.append("sorted the timestamps into increasing order")
        values = values.sort_index(kind="stable")
    values = _deduplicate(values, repairs)
    values = _regularise(values, freq, repairs)
    values = _fill_missing(values, missing, repairs)
    name = raw.name if raw.name is not None else "y"
    return CleanSeries(values.rename(name), repairs)


def clean_values(data: pd.Series) -> pd.Series:
    """The checks of :func:`clean_series` on a Series' values alone: numbers (non-numeric and
    infinite values refused), timestamps sorted, duplicates resolved (conflicting ones refused),
    never put on a regular grid or filled. For data that is compared, not modelled (the part of
    a daily export that repeats a model's history, however sparse)."""
    values = _to_float(data)
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


@dataclass(frozen=True)
class ExogSchema:
    """What exogenous regressors a model was fitted with, so predict-time X is encoded alike."""

    columns: tuple[Hashable, ...]
    categories: dict[Hashable, tuple[object, ...]]

    @property
    def encoded_columns(self) -> list[str]:
        out: list[str] = []
        for column in self.columns:
            if column in self.categories:
                out += [f"{column}={level}" for level in self.categories[column][1:]]
            else:
                out.append(str(column))
        return out


def _exog_frame(X: object) -> pd.DataFrame:
    if isinstance(X, pd.Series):
        return X.to_frame(X.name if X.name is not None else "x")
    if isinstance(X, pd.DataFrame):
        return X
    raise DataError(
        f"X must be a pandas DataFrame (or Series) indexed by timestamps, got {type(X).__name__}."
    )


def infer_exog_schema(X: object) -> ExogSchema:
    """Learn column order and the levels of text/categorical columns (one-hot encoded later)."""
    frame = _exog_frame(X)
    categories: dict[Hashable, tuple[object, ...]] = {}
    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
            raise DataError(
                f"X column {column!r} holds dates or durations; X is aligned on its index, so "
                "drop the column or turn it into numbers (e.g. days since an event)."
            )
        if not pd.api.types.is_numeric_dtype(frame[column].dtype) or pd.api.types.is_bool_dtype(
            frame[column].dtype
        ):
            levels = sorted(frame[column].dropna().unique().tolist(), key=str)
            categories[column] = tuple(levels)
    return ExogSchema(tuple(frame.columns), categories)


def align_exog(X: object, index: pd.DatetimeIndex, schema: ExogSchema) -> pd.DataFrame:
    """X restricted to ``index``, columns encoded as in ``schema``, as float; or a clear error."""
    frame = _exog_frame(X)
    missing_cols = [c for c in schema.columns if c not in frame.columns]
    if missing_cols:
        raise DataError(f"X lacks column(s) {listed(missing_cols)} that the model was fitted with.")
    # set_axis instead of copy-then-assign: with copy-on-write no data is copied, so passing
    # the whole X to every one-day update stays cheap
    frame = frame.set_axis(_to_datetime_index(frame.index, "X's index"), axis=0)
    if frame.index.has_duplicates:
        # exact copies are dropped, as for y; only conflicting rows are an error
        keyed = frame.reset_index(drop=True)
        keyed.insert(0, ("timestamp of X",), frame.index)  # a name no user column has
        frame = frame[~keyed.duplicated().to_numpy()]
        if frame.index.has_duplicates:
            raise DataError(
                f"X has conflicting rows for the same timestamp: "
                f"{_stamps(frame.index[frame.index.duplicated()])}. Fix: keep one row per timestamp."
            )
    absent = index.difference(frame.index)
    if len(absent):
        raise DataError(
            f"X has no rows for {len(absent)} timestamp(s) the model needs: {_stamps(absent)}. "
            "Fix: provide X for every fitted and forecast timestamp."
        )
    frame = frame.loc[index, list(schema.columns)]
    parts: list[pd.DataFrame] = []
    for column in schema.columns:
        values = frame[column]
        if column in schema.categories:
            levels = schema.categories[column]
            unseen = sorted(set(values.dropna().unique().tolist()) - set(levels), key=str)
            if unseen:
                raise DataError(
                    f"X column {column!r} has value(s) {listed(unseen)} not seen in fitting "
                    f"(known: {listed(list(levels))})."
                )
            cat = pd.Categorical(values, categories=list(levels))
            dummies = pd.get_dummies(cat, prefix=str(column), prefix_sep="=", dtype="float64")
            dummies.index = index
            parts.append(dummies.iloc[:, 1:])  # drop the first level: avoid collinearity
        else:
            parts.append(_to_float(values.rename(column)).to_frame())
    encoded = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)
    if encoded.isna().to_numpy().any():
        rows = encoded.index[encoded.isna().any(axis=1).to_numpy()]
        raise DataError(f"X has missing values at {_stamps(rows)}. Fix: fill them before fitting.")
    return encoded


def exog_on_index(X: object, index: pd.DatetimeIndex) -> pd.DataFrame:
    """``X`` as given (columns not encoded) on exactly ``index``, after the checks models make:
    a DataFrame or Series, no date columns, a row for every timestamp, no missing values.
    A backtest runs them once up front instead of failing the same way on every fold."""
    frame = _exog_frame(X)
    align_exog(frame, index, infer_exog_schema(frame))
    return frame.set_axis(_to_datetime_index(frame.index, "X's index"), axis=0).loc[index]
