"""Exogenous regressors: what columns a model was fitted with, and X encoded alike later.

:func:`infer_exog_schema` learns the columns and the levels of text, categorical and boolean
columns at ``fit``; :func:`align_exog` puts X on the timestamps a model needs and one-hot
encodes it by that schema (at ``fit``, ``update`` and ``predict`` alike), refusing missing
columns, rows or values and levels not seen in fitting; :func:`exog_on_index` runs the same
checks once, up front, for a backtest or a panel; :func:`future_exog` takes the regressors of
a forecast's horizon from rows of known-future inputs, refusing gaps, stray columns, missing
values and timestamps off the series' grid.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import pandas as pd
from pandas.tseries.frequencies import to_offset

from tsforecast.core.errors import DataError
from tsforecast.core.frequency import freq_label, future_index
from tsforecast.data.text import listed, stamp_text, stamps
from tsforecast.data.validation import drop_duplicate_rows
from tsforecast.data.values import to_datetime_index, to_float

__all__ = ["ExogSchema", "infer_exog_schema", "align_exog", "exog_on_index", "future_exog"]


@dataclass(frozen=True)
class ExogSchema:
    """What exogenous regressors a model was fitted with, so predict-time X is encoded alike."""

    columns: tuple[Hashable, ...]
    categories: dict[Hashable, tuple[object, ...]]


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
    frame = frame.set_axis(to_datetime_index(frame.index, "X's index"), axis=0)
    frame = drop_duplicate_rows(frame, "X")  # exact copies are dropped, as for y
    absent = index.difference(frame.index)
    if len(absent):
        raise DataError(
            f"X has no rows for {len(absent)} timestamp(s) the model needs: {stamps(absent)}. "
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
            parts.append(to_float(values.rename(column)).to_frame())
    encoded = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)
    if encoded.isna().to_numpy().any():
        rows = encoded.index[encoded.isna().any(axis=1).to_numpy()]
        raise DataError(f"X has missing values at {stamps(rows)}. Fix: fill them before fitting.")
    return encoded


def exog_on_index(X: object, index: pd.DatetimeIndex) -> pd.DataFrame:
    """``X`` as given (columns not encoded) on exactly ``index``, after the checks models make:
    a DataFrame or Series, no date columns, a row for every timestamp, no missing values.
    Exact copies of a row are dropped and conflicting rows refused, as :func:`align_exog` does.
    A backtest runs them once up front instead of failing the same way on every fold."""
    frame = _exog_frame(X)
    frame = drop_duplicate_rows(frame.set_axis(to_datetime_index(frame.index, "X's index"), axis=0), "X")
    align_exog(frame, index, infer_exog_schema(frame))
    return frame.loc[index]


def future_exog(
    rows: pd.DataFrame, columns: Sequence[Hashable], cutoff: pd.Timestamp, freq: object, horizon: int,
    *, what: str = "the future rows", extra_allowed: Sequence[Hashable] = (), strict: bool = True,
) -> pd.DataFrame:
    """The known-future regressors ``columns`` for the ``horizon`` timestamps after ``cutoff``
    (at ``freq``), taken from ``rows`` (indexed by timestamps), or a :class:`DataError` that
    names what is wrong: ``columns`` absent from ``rows`` (and, when ``strict``, columns of
    ``rows`` the model does not know, other than ``extra_allowed``), timestamps after the
    cutoff that are off the frequency's grid, forecast timestamps ``rows`` do not cover, and
    missing values in the horizon. Rows at or before the cutoff are ignored (a file of
    planned inputs may cover the past too). ``what`` names ``rows`` in the messages."""
    frame = _exog_frame(rows)
    absent = [c for c in columns if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in columns and c not in extra_allowed] if strict else []
    if absent or unknown:
        parts = ([f"lacks the model's column(s) {listed(absent)}"] if absent else []) + (
            [f"has column(s) {listed(unknown)} the model was not fitted with"] if unknown else [])
        raise DataError(f"{what} {' and '.join(parts)}; the model's regressors are "
                        f"{listed(list(columns)) if columns else 'only its holiday columns'}. "
                        "Fix: give exactly the model's columns.")
    frame = frame.set_axis(to_datetime_index(frame.index, what), axis=0)
    frame = drop_duplicate_rows(frame[list(columns)], what)
    ahead = frame.index[frame.index > cutoff].sort_values()
    offset = to_offset(freq)
    if len(ahead):
        off = ahead.difference(pd.date_range(cutoff, ahead[-1], freq=offset))
        if len(off):
            raise DataError(f"{what} has timestamp(s) {stamps(off)} off the series' {freq_label(offset)} grid "
                            f"(its last observation is {stamp_text(cutoff)}). Fix: give one row per "
                            "forecast timestamp.")
    index = future_index(cutoff, offset, horizon)
    missing = index.difference(frame.index)
    if len(missing):
        raise DataError(f"the horizon is not covered by {what}: no row for {len(missing)} of the {horizon} "
                        f"forecast timestamp(s): {stamps(missing)}. Fix: give the regressors for every forecast "
                        "timestamp, or forecast a shorter --horizon.")
    values = frame.loc[index]
    empty = values.isna()
    if empty.to_numpy().any():
        named = [f"{c} at {stamps(index[empty[c].to_numpy()])}" for c in values.columns if empty[c].any()]
        raise DataError(f"{what} has missing regressor values in the horizon: {'; '.join(named)}. Fix: fill them "
                        "(the models need every regressor for every forecast timestamp).")
    return values
