"""Many series at once: a panel of validated series, from long or wide tables.

**Long format** is the primary multi-series input, the field's convention (Nixtla's
``unique_id, ds, y``; tidy data): one row per (series, timestamp), an id column, a time
column, a target column and any exogenous columns. Series may have different lengths and
start dates; each is validated on its own (:func:`tsforecast.data.validation.clean_series`).

**Wide format** (one column per series, one shared DatetimeIndex) keeps working: each column
is validated on its own too, so a column that starts later or ends earlier is a shorter
series, never one padded with NaN.

Ids are text (:mod:`tsforecast.data.series_ids`): ``007`` and ``7`` are two ids, and a panel
holding both, or ids equal up to whitespace, case or a trailing ``.0``, is refused.

A series with fewer than :data:`~tsforecast.data.validation.MIN_TIMESTAMPS` timestamps holding a
value (none, one, two) is too short to validate: it is skipped and listed in
:attr:`Panel.skipped`, as a backtest skips a series too short for its folds; only a panel whose
every series is skipped is refused.

Refused, with one :class:`~tsforecast.core.errors.DataError` naming the ids (and rows): missing
ids, conflicting duplicate (id, timestamp) rows, a series that cannot be cleaned (for example
non-numeric values), and series of different frequencies. Exact duplicate rows are dropped
and recorded as a repair of their series.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsforecast.core.errors import ConfigError, DataError
from tsforecast.core.frequency import freq_label
from tsforecast.data.exog import exog_on_index
from tsforecast.data.panel_series import PanelSeries
from tsforecast.data.series_ids import check_distinct_ids, ids_as_text
from tsforecast.data.text import listed
from tsforecast.data.validation import MIN_TIMESTAMPS, clean_series

__all__ = ["Panel", "panel_from_long", "panel_from_wide", "panel_from_series"]


@dataclass
class Panel:
    """Validated series by id (each on its own regular grid, one frequency for all), their
    exogenous regressors by id (or None), the repairs made, prefixed with the id, and the
    series too short to validate, each ``{"series", "observations", "reason"}`` (the form of
    a backtest's ``metadata["skipped"]``)."""

    #: a dict, or (a clean long table) a :class:`~tsforecast.data.panel_series.PanelSeries`
    #: that builds each Series when first read
    series: Mapping[str, pd.Series]
    X: dict[str, pd.DataFrame] | None = None
    repairs: list[str] = field(default_factory=list)
    skipped: list[dict[str, object]] = field(default_factory=list)
    #: every series' values and timestamps (int64 nanoseconds since the epoch, UTC) one series
    #: after another in ``series`` order, and each series' length: kept when the whole panel
    #: came clean from a long table (:func:`panel_from_long`), where they exist already, so a
    #: backtest reads each series' arrays and hashes the panel without going back to the
    #: Series; None otherwise
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def freq(self) -> pd.DateOffset:
        """The series' common frequency."""
        if isinstance(self.series, PanelSeries):
            return self.series.freq
        return next(iter(self.series.values())).index.freq

    @property
    def tz(self) -> object:
        """The series' time zone (None when naive)."""
        if isinstance(self.series, PanelSeries):
            return self.series.tz
        return next(iter(self.series.values())).index.tz

    def lengths(self) -> dict[str, int]:
        """Every series' number of observations, by id, without building a lazy Series."""
        if isinstance(self.series, PanelSeries):
            return self.series.lengths()
        return {name: len(y) for name, y in self.series.items()}

    def subset(self, names: Sequence[str]) -> Mapping[str, pd.Series]:
        """The series ``names``, in that order, as lazily as :attr:`series` holds them."""
        if isinstance(self.series, PanelSeries):
            return self.series.subset(names)
        return {name: self.series[name] for name in names}


def _quoted(items: Sequence[object]) -> str:
    """Ids for a message: quoted, so that hostile or blank ids stay visible as text."""
    return listed([repr(i) if isinstance(i, str) else str(i) for i in items])


def _too_short(counts: dict[str, int]) -> list[dict[str, object]]:
    """The skip records of the series with too few timestamps holding a value to validate
    (their frequency cannot be told); a panel of nothing else is refused."""
    skipped = [
        {"series": name, "observations": int(n),
         "reason": f"{n} timestamp(s) with a value are too few to tell the series' frequency or to "
                   f"forecast it (at least {MIN_TIMESTAMPS} are needed)"}
        for name, n in counts.items() if n < MIN_TIMESTAMPS
    ]
    if counts and len(skipped) == len(counts):
        shown = listed([f"{s['series']!r} ({s['observations']})" for s in skipped])
        raise DataError(
            f"every series has fewer than {MIN_TIMESTAMPS} timestamps with a value: {shown}. Fix: give "
            "each series more history (or check the id, date and target columns)."
        )
    return skipped


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
    raw_codes, raw_ids = pd.factorize(data[id_col])  # missing ids get -1
    missing_ids = raw_codes < 0
    if missing_ids.any():
        rows = [int(i) for i in missing_ids.nonzero()[0]]
        raise DataError(
            f"{len(rows)} row(s) have no {id_col!s} (rows {listed(rows)}, counting from 0); every "
            "row needs the id of its series."
        )
    # ids are compared as text (1 and "1" are one series; 007 and 7 are two, and refused as
    # look-alikes); codes follow the ids' sorted order
    text_ids = pd.Index(ids_as_text(pd.Series(raw_ids, dtype=object)), dtype=object)
    text_codes, names = pd.factorize(text_ids, sort=True)
    check_distinct_ids([str(name) for name in names], f"{id_col!s} id")
    codes = text_codes[raw_codes]
    # series in id order (the table's row order carries no meaning); one stable sort and a
    # split at the id boundaries (group indices), never one scan of the table per series
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(len(names) + 1))
    groups = {str(names[k]): order[starts[k] : starts[k + 1]] for k in range(len(names))}
    times, target = data[time_col], data[target_col]
    if _ascending_within_series(times, order, starts):
        # no (id, time) pair twice: every row with a value is one timestamp with a value
        valued = np.bincount(codes[(target.notna() & times.notna()).to_numpy()], minlength=len(names))
    else:
        _check_duplicates(data, codes, id_col, time_col, target_col)
        valued = _valued_timestamps(codes, times, target, len(names))
    skipped = _too_short(dict(zip(groups, valued, strict=True)))
    short = {s["series"] for s in skipped}
    groups = {name: rows for name, rows in groups.items() if name not in short}
    (series, arrays), repairs = _regular_groups(times, target, groups), []
    rest = {name: rows for name, rows in groups.items() if name not in series}
    if rest:
        cleaned, repairs = _clean_each(
            {name: pd.Series(target.to_numpy()[rows], index=pd.Index(times.to_numpy()[rows]), name=target_col)
             for name, rows in rest.items()})
        series = {name: series[name] if name in series else cleaned[name] for name in groups}
    if rest:  # the clean series share the grid's frequency; repaired ones may have another
        _check_one_frequency(series)
    X = None
    if exog_columns:
        X = {}
        frame = data.set_index(time_col)
        for name, values in series.items():
            rows = frame.iloc[groups[name], [frame.columns.get_loc(c) for c in exog_columns]]
            try:
                X[name] = exog_on_index(rows, values.index)
            except DataError as exc:
                raise DataError(f"series {name!r}: {exc}") from None
    return Panel(series, X, repairs, skipped, arrays if not rest else None)


def _ascending_within_series(times: pd.Series, order: np.ndarray, starts: np.ndarray) -> bool:
    """Whether ``times`` (dates, none missing) strictly increase within every series once the
    rows are in ``order`` (series after series, cut at ``starts``): then no (id, time) pair
    appears twice, which the usual table (sorted by id and time) shows with one pass."""
    if not pd.api.types.is_datetime64_any_dtype(times.dtype) or len(times) < 2:
        return False
    instants = pd.DatetimeIndex(times).as_unit("ns").asi8[order]
    if (instants == np.iinfo("int64").min).any():  # NaT
        return False
    rising = np.diff(instants) > 0
    rising[starts[1:-1][starts[1:-1] > 0] - 1] = True  # from one series to the next: no constraint
    return bool(rising.all())


def _valued_timestamps(codes: np.ndarray, times: pd.Series, target: pd.Series, n_ids: int) -> np.ndarray:
    """Per id code, how many distinct timestamps hold a value: one pass over the table."""
    present = (target.notna() & times.notna()).to_numpy()
    keys = pd.DataFrame({"id": codes[present], "time": times.to_numpy()[present]})
    distinct = ~keys.duplicated().to_numpy()
    return np.bincount(keys["id"].to_numpy()[distinct], minlength=n_ids)


def _check_duplicates(
    data: pd.DataFrame, codes: np.ndarray, id_col: Hashable, time_col: Hashable, target_col: Hashable
) -> None:
    """Refuse (id, time) pairs that appear more than once with different values (exact copies
    are dropped later, as a repair of their series)."""
    times = data[time_col]
    if pd.api.types.is_datetime64_any_dtype(times.dtype):
        keys = pd.DataFrame({"id": codes, "time": pd.DatetimeIndex(times).as_unit("ns").asi8})
    else:
        keys = pd.DataFrame({"id": codes, "time": times.to_numpy()})
    duplicated = keys.duplicated(keep=False).to_numpy()
    if not duplicated.any():
        return
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


def _regular_groups(
    times: pd.Series, target: pd.Series, groups: dict[str, np.ndarray]
) -> tuple[Mapping[str, pd.Series], tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """The series that are already clean, built without validating each on its own: numeric
    values with none missing, timestamps (already dates) that step by one fixed interval, the
    same for every such series. Checked for the whole table at once; the rest go through
    :func:`~tsforecast.data.validation.clean_series` one by one (repairs, calendar frequencies).
    The clean ones come as a :class:`~tsforecast.data.panel_series.PanelSeries` (each Series
    built when first read).
    Also every series' values, UTC nanoseconds and lengths one after another (:attr:`Panel.arrays`)
    when all of them are clean, else None."""
    found = _regular_series(times, target, groups)
    return found if isinstance(found, tuple) else (found, None)


def _regular_series(
    times: pd.Series, target: pd.Series, groups: dict[str, np.ndarray]
) -> dict[str, pd.Series] | PanelSeries | tuple[PanelSeries, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`_regular_groups`' work: the series, with the arrays when every one is clean."""
    if not (pd.api.types.is_datetime64_any_dtype(times.dtype) and pd.api.types.is_numeric_dtype(target.dtype)
            and not pd.api.types.is_bool_dtype(target.dtype)):
        return {}
    stamps = pd.DatetimeIndex(times)
    instants = stamps.as_unit("ns").asi8 if stamps.tz is None else stamps.tz_convert("UTC").as_unit("ns").asi8
    values = target.to_numpy(dtype="float64", na_value=np.nan)
    lengths = np.array([len(rows) for rows in groups.values()])
    if not len(lengths) or lengths.min() < 3:
        return {}
    rows = np.concatenate(list(groups.values()))
    t, v = instants[rows], values[rows]
    steps = np.diff(t)
    inside = np.ones(len(steps), dtype=bool)
    inside[np.cumsum(lengths)[:-1] - 1] = False  # the step from one series to the next
    step = steps[0]
    bad = (steps != step) & inside
    # a series is regular when its own steps all equal the panel's step and its values are finite
    first_row = np.r_[0, np.cumsum(lengths)[:-1]]
    bad_series = np.add.reduceat(np.r_[bad, False].astype(int), first_row) > 0
    bad_series |= np.add.reduceat((~np.isfinite(v)).astype(int), first_row) > 0
    if step <= 0 or bad_series.all():
        return {}
    names = list(groups)
    # the frequency is clean_series' reading of one regular series (so "D", not 24 hours),
    # accepted for all when it steps by exactly the common interval (not a calendar offset)
    k = int(np.flatnonzero(~bad_series)[0])
    probe = clean_series(pd.Series(v[first_row[k] : first_row[k] + lengths[k]], index=stamps[groups[names[k]]]))
    freq = probe.series.index.freq
    start = probe.series.index[0]
    if freq is None or (start + freq) - start != pd.Timedelta(int(step), unit="ns"):
        return {}
    # one grid over the whole panel; each series' index is a slice of it (slices keep the freq)
    firsts = t[first_row]
    origin = int(firsts[~bad_series].min())
    # a series off that grid (hourly from 00:30 beside hourly from 00:00) is read on its own,
    # like an irregular one: a slice of the grid would shift its stamps
    bad_series |= (firsts - origin) % int(step) != 0
    offsets = (firsts - origin) // int(step)
    first_stamp = pd.Timestamp(origin, unit="ns")
    if stamps.tz is not None:
        first_stamp = first_stamp.tz_localize("UTC").tz_convert(stamps.tz)
    grid = pd.date_range(first_stamp, periods=int((offsets + lengths)[~bad_series].max()), freq=freq, name=times.name)
    # each series' Series is built when first read: its values a view of this function's own
    # sorted values, its index a slice of the grid (no Series per series up front)
    good = np.flatnonzero(~bad_series)
    out = PanelSeries([names[k] for k in good], v, first_row[good], lengths[good], grid, offsets[good])
    # the index is a slice of the grid, whose instants are t: the arrays are the Series' own
    return (out, (v, t, lengths)) if not bad_series.any() and grid.unit == "ns" else out


def panel_from_wide(data: pd.DataFrame, X: pd.DataFrame | None = None) -> Panel:
    """A panel from a wide table: every numeric column a series (the index holds the
    timestamps). Each column keeps its own span; ``X`` is shared by all series."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"expected a DataFrame of series, got {type(data).__name__}.")
    columns = [c for c in data.columns if pd.api.types.is_numeric_dtype(data[c].dtype)]
    if not columns:
        raise DataError("the DataFrame has no numeric columns to forecast.")
    # one column is one series, validated as such (its missing ends trimmed and reported);
    # beside others, its missing ends are the shared index's padding, not its data
    raw = {str(c): _own_span(data[c]) if len(columns) > 1 else data[c] for c in columns}
    skipped = _too_short({name: values.dropna().index.nunique() for name, values in raw.items()})
    short = {s["series"] for s in skipped}
    series, repairs = _clean_each({name: values for name, values in raw.items() if name not in short})
    _check_one_frequency(series)
    return Panel(series, _shared_exog(X, series), repairs, skipped)


def _own_span(values: pd.Series) -> pd.Series:
    """A wide column from its first to its last value: a column that starts later or ends
    earlier is a shorter series, not one mostly missing (only on a sorted index, where
    positions are times)."""
    if not values.index.is_monotonic_increasing or not values.notna().any():
        return values
    valued = np.flatnonzero(values.notna().to_numpy())
    return values.iloc[valued[0] : valued[-1] + 1]


def panel_from_series(data: object, X: pd.DataFrame | None = None) -> Panel:
    """A panel of one series (anything :func:`~tsforecast.data.validation.clean_series` takes)."""
    result = clean_series(data)
    name = str(result.series.name)
    series = {name: result.series.rename(name)}
    return Panel(series, _shared_exog(X, series), list(result.repairs))


def _shared_exog(X: object | None, series: Mapping[str, pd.Series]) -> dict[str, pd.DataFrame] | None:
    if X is None:
        return None
    return {name: exog_on_index(X, values.index) for name, values in series.items()}
