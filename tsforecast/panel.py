"""Many series at once: a panel of validated series, from long or wide tables.

**Long format** is the primary multi-series input, the field's convention (Nixtla's
``unique_id, ds, y``; tidy data): one row per (series, timestamp), an id column, a time
column, a target column and any exogenous columns. Series may have different lengths and
start dates; each is validated on its own (:func:`tsforecast.validation.clean_series`).

**Wide format** (one column per series, one shared DatetimeIndex) keeps working: each column
is validated on its own too, so a column that starts later or ends earlier is a shorter
series, never one padded with NaN.

Refused, with one :class:`~tsforecast.errors.DataError` naming the ids (and rows): missing
ids, conflicting duplicate (id, timestamp) rows, a series that cannot be cleaned (for example
all values missing), and series of different frequencies. Exact duplicate rows are dropped
and recorded as a repair of their series.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from tsforecast.errors import ConfigError, DataError
from tsforecast.frequency import freq_label
from tsforecast.validation import clean_series, exog_on_index, listed

__all__ = ["Panel", "panel_from_long", "panel_from_wide", "panel_from_series"]

@dataclass
class Panel:
    """Validated series by id (each on its own regular grid, one frequency for all), their
    exogenous regressors by id (or None), and the repairs made, prefixed with the id."""

    series: dict[str, pd.Series]
    X: dict[str, pd.DataFrame] | None = None
    repairs: list[str] = field(default_factory=list)

    @property
    def freq(self) -> pd.DateOffset:
        return next(iter(self.series.values())).index.freq


def _quoted(items: Sequence[object]) -> str:
    """Ids for a message: quoted, so that hostile or blank ids stay visible as text."""
    return listed([repr(i) if isinstance(i, str) else str(i) for i in items])


def _clean_each(raw: dict[str, pd.Series]) -> tuple[dict[str, pd.Series], list[str]]:
    """Each series validated on its own; the failures gathered into one error naming them."""
    series, repairs, problems = {}, [], []
    for name, values in raw.items():
        try:
            result = clean_series(values.rename(name))
        except DataError as exc:
            problems.append(f"{name!r}: {exc}")
            continue
        series[name] = result.series
        repairs += [f"{name}: {note}" for note in result.repairs]
    if problems:
        raise DataError(f"{len(problems)} series cannot be used: {listed(problems)}")
    _check_one_frequency(series)
    return series, repairs


def _check_one_frequency(series: dict[str, pd.Series]) -> None:
    by_freq: dict[str, list[str]] = {}
    for name, values in series.items():
        by_freq.setdefault(freq_label(values.index.freq), []).append(name)
    if len(by_freq) > 1:
        groups = "; ".join(f"{label}: {_quoted(names)}" for label, names in by_freq.items())
        raise DataError(
            f"the series have different frequencies ({groups}); a panel needs one. Fix: resample "
            "them to a common frequency, or backtest each group separately."
        )


def panel_from_long(
    data: pd.DataFrame,
    id_col: Hashable,
    time_col: Hashable,
    target_col: Hashable,
    exog_columns: Sequence[Hashable] = (),
) -> Panel:
    """A panel from a long table: one row per (``id_col``, ``time_col``) with ``target_col``
    and the ``exog_columns`` (known in advance, given to the models that take regressors)."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"a long-format panel must be a DataFrame, got {type(data).__name__}.")
    needed = [id_col, time_col, target_col, *exog_columns]
    absent = [c for c in needed if c not in data.columns]
    if absent:
        raise ConfigError(
            f"column(s) {_quoted([str(c) for c in absent])} not in the data; its columns are "
            f"{_quoted([str(c) for c in data.columns])}."
        )
    missing_ids = data[id_col].isna().to_numpy()
    if missing_ids.any():
        rows = [int(i) for i in missing_ids.nonzero()[0]]
        raise DataError(
            f"{len(rows)} row(s) have no {id_col!s} (rows {listed(rows)}, counting from 0); every "
            "row needs the id of its series."
        )
    keys = data[[id_col, time_col]].astype({id_col: str})
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        dups = data.loc[duplicated, [id_col, time_col, target_col]]
        conflicts = dups.groupby([dups[id_col].astype(str), dups[time_col]], sort=False)[target_col].nunique(
            dropna=False)
        conflicts = conflicts[conflicts > 1]
        if len(conflicts):
            pairs = [f"{i!r} at {t}" for i, t in conflicts.index]
            raise DataError(
                f"{len(conflicts)} (id, time) pair(s) appear more than once with different values: "
                f"{listed(pairs)}. Fix: keep one row per series and time, e.g. df.groupby([id, time]).sum()."
            )
    ids = data[id_col].astype(str)
    frame = data.set_index(time_col)
    # series in id order (the table's row order carries no meaning)
    raw = {name: frame.loc[(ids == name).to_numpy(), target_col] for name in sorted(pd.unique(ids))}
    series, repairs = _clean_each(raw)
    X = None
    if exog_columns:
        X = {}
        for name, values in series.items():
            rows = frame.loc[(ids == name).to_numpy(), list(exog_columns)]
            rows = rows[~rows.index.duplicated(keep="first")]
            try:
                X[name] = exog_on_index(rows, values.index)
            except DataError as exc:
                raise DataError(f"series {name!r}: {exc}") from None
    return Panel(series, X, repairs)


def panel_from_wide(data: pd.DataFrame, X: pd.DataFrame | None = None) -> Panel:
    """A panel from a wide table: every numeric column a series (the index holds the
    timestamps). Each column keeps its own span; ``X`` is shared by all series."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a DataFrame of series, got {type(data).__name__}.")
    columns = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c].dtype)]
    if not columns:
        raise DataError("the DataFrame has no numeric columns to forecast.")
    series, repairs = _clean_each({str(c): data[c] for c in columns})
    return Panel(series, _shared_exog(X, series), repairs)


def panel_from_series(data: object, X: pd.DataFrame | None = None) -> Panel:
    """A panel of one series (anything :func:`~tsforecast.validation.clean_series` takes)."""
    result = clean_series(data)
    name = str(result.series.name)
    series = {name: result.series.rename(name)}
    return Panel(series, _shared_exog(X, series), list(result.repairs))


def _shared_exog(X: object | None, series: dict[str, pd.Series]) -> dict[str, pd.DataFrame] | None:
    if X is None:
        return None
    return {name: exog_on_index(X, values.index) for name, values in series.items()}
