"""Stored forecasts scored against the actuals that arrived since.

The forecasts are the store's rows (:meth:`tsforecast.store.Store.forecasts`: ``run_id``,
``series_id``, ``model``, ``origin``, ``target_time``, ``step``, ``point``, ``scale``, one
``q<level>`` column per stored quantile); the actuals a long frame ``series_id``,
``target_time``, ``actual`` (:func:`actuals_frame` builds it from a single series or a
long table). Every forecast whose target time has a usable actual gets one score row:

* ``error``: actual - point;
* ``abs_scaled_error``: |error| over the ``scale`` recorded when the forecast was made (the
  training series' seasonal-naive MAE, the MASE denominator:
  :func:`tsforecast.evaluation.metrics.scaled_errors`); NaN where the scale is not positive;
* ``covered``: whether the actual lies inside the stored central interval (the
  ``coverage`` interval's quantile pair when the row has it, else the widest central pair it
  has; ``interval`` records that pair's nominal coverage);
* ``pinball``: the pinball loss averaged over the row's stored quantiles
  (:func:`tsforecast.evaluation.scoring.pinball_losses`).

Actuals that cannot be trusted are never scored and never dropped silently: rows without a
value, duplicate timestamps of a series with different values, ids no stored forecast has,
and series whose actuals come at another frequency than their forecasts (or timestamps off
the forecasts' grid) are listed in :attr:`Scored.unscored` with the reason, and summed up
in one message per problem (:attr:`Scored.problems`); the good rows are scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tsforecast.core.defaults import COVERAGE
from tsforecast.core.errors import DataError
from tsforecast.core.frequency import freq_label, infer_regular_freq
from tsforecast.data.series_ids import ids_as_text
from tsforecast.data.text import listed, stamp_text, stamps
from tsforecast.evaluation.intervals import central_coverage, interval_bounds
from tsforecast.evaluation.metrics import scaled_errors
from tsforecast.evaluation.scoring import pinball_losses
from tsforecast.store.frames import SCORE_COLUMNS, quantile_column, quantile_levels_of

__all__ = ["SCORE_COLUMNS", "ACTUAL_COLUMNS", "UnscoredActualsWarning", "Scored", "actuals_frame", "score_forecasts",
           "score_rows"]

#: the long actuals frame :func:`score_forecasts` reads
ACTUAL_COLUMNS = ["series_id", "target_time", "actual"]


class UnscoredActualsWarning(UserWarning):
    """Some actual rows were not scored (no value, another frequency, a duplicate timestamp, an
    unknown series id); the message names them, :attr:`Scored.unscored` lists them."""


@dataclass(frozen=True)
class Scored:
    """What scoring produced: one row per forecast scored (:data:`SCORE_COLUMNS` and
    ``point``, ``lower``, ``upper``, ``interval``, ``scale``), the actual rows that were not
    scored with their ``reason``, and one message per kind of problem."""

    scores: pd.DataFrame
    unscored: pd.DataFrame
    problems: list[str] = field(default_factory=list)


def actuals_frame(
    data: pd.Series | pd.DataFrame,
    *,
    target: str | None = None,
    id_column: str | None = None,
    series_id: str | None = None,
) -> pd.DataFrame:
    """The long actuals frame (``series_id``, ``target_time``, ``actual``) of ``data``.

    ``data`` is a Series indexed by dates (one series: ``series_id`` names it, default the
    Series' name), or a frame indexed by dates as :func:`tsforecast.data.datasets.load_csv`
    reads it, with the value column ``target`` and, for a panel in long format, the id column
    ``id_column``. Values are read as numbers; a cell that is not one is a missing actual (listed
    by :func:`score_forecasts`, never scored)."""
    if isinstance(data, pd.Series):
        frame = data.to_frame("actual")
        ids = pd.Series(series_id if series_id is not None else str(data.name), index=frame.index)
    elif isinstance(data, pd.DataFrame):
        if target is None or target not in data.columns:
            raise DataError(f"the actuals need a value column; got target {target!r}, columns {list(data.columns)}.")
        if id_column is not None and id_column not in data.columns:
            raise DataError(f"id column {id_column!r} is not a column of the actuals: {list(data.columns)}.")
        frame = data[[target]].rename(columns={target: "actual"})
        ids = ids_as_text(data[id_column]) if id_column is not None else pd.Series(
            series_id if series_id is not None else str(target), index=data.index)
    else:
        raise DataError(f"actuals must be a pandas Series or DataFrame, got {type(data).__name__}.")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise DataError("the actuals must be indexed by dates (a DatetimeIndex).")
    return pd.DataFrame({
        "series_id": ids.to_numpy(dtype=object),
        "target_time": frame.index.to_numpy(),
        "actual": pd.to_numeric(frame["actual"], errors="coerce").to_numpy(dtype="float64"),
    })


def _set_aside(actuals: pd.DataFrame, mask: np.ndarray, reason: str, aside: list[pd.DataFrame]) -> pd.DataFrame:
    if mask.any():
        aside.append(actuals[mask].assign(reason=reason))
    return actuals[~mask]


def _check_actuals(actuals: pd.DataFrame, forecasts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The actuals that can be scored, those that cannot (with a reason), and a message per problem."""
    aside: list[pd.DataFrame] = []
    problems: list[str] = []
    actuals = actuals.loc[:, ACTUAL_COLUMNS].copy()
    actuals["series_id"] = actuals["series_id"].astype(object)
    times = pd.DatetimeIndex(actuals["target_time"])
    if times.tz is not None:  # the store keeps times as naive UTC
        actuals["target_time"] = times.tz_convert("UTC").tz_localize(None)
    missing = actuals["actual"].isna().to_numpy()
    if missing.any():
        problems.append(f"{int(missing.sum())} actual(s) without a value (e.g. "
                        f"{stamps(pd.DatetimeIndex(actuals.loc[missing, 'target_time']))}): not scored.")
    actuals = _set_aside(actuals, missing, "no value", aside)
    known = set(forecasts["series_id"].astype(str))
    unknown = ~actuals["series_id"].astype(str).isin(known).to_numpy()
    if unknown.any():
        names = sorted(set(actuals.loc[unknown, "series_id"].astype(str)))
        problems.append(f"{len(names)} series id(s) of the actuals have no stored forecast: "
                        f"{listed(names)}; their "
                        f"{int(unknown.sum())} row(s) are not scored.")
    actuals = _set_aside(actuals, unknown, "unknown series id", aside)
    # the same timestamp twice: one value kept when the copies agree, none when they differ
    key = ["series_id", "target_time"]
    values_per_key = actuals.groupby(key, sort=False)["actual"].transform("nunique").to_numpy()
    conflicting = values_per_key > 1
    if conflicting.any():
        shown = actuals[conflicting].drop_duplicates(key)
        named = listed([f"{sid} {stamp_text(pd.Timestamp(t))}" for sid, t in zip(shown["series_id"],
                                                                                 shown["target_time"], strict=True)])
        problems.append(f"{int(conflicting.sum())} actual row(s) repeat a timestamp with different values "
                        f"({named}): not scored; keep one value per series and timestamp.")
    actuals = _set_aside(actuals, conflicting, "duplicate timestamp with different values", aside)
    copies = actuals.duplicated(key).to_numpy()
    if copies.any():
        problems.append(f"{int(copies.sum())} actual row(s) repeat a row with the same value: counted once.")
    actuals = _set_aside(actuals, copies, "repeated row (counted once)", aside)
    actuals, off_grid = _check_frequency(actuals, forecasts, aside)
    problems.extend(off_grid)
    unscored = pd.concat(aside, ignore_index=True) if aside else pd.DataFrame(columns=[*ACTUAL_COLUMNS, "reason"])
    return actuals, unscored, problems


def _check_frequency(actuals: pd.DataFrame, forecasts: pd.DataFrame,
                     aside: list[pd.DataFrame]) -> tuple[pd.DataFrame, list[str]]:
    """Series whose actuals come at another frequency than their forecasts are set aside
    whole (a weekly total is not a daily value); single timestamps off the forecasts' grid
    are set aside one by one."""
    problems: list[str] = []
    other: list[str] = []
    off = np.zeros(len(actuals), dtype=bool)
    positions = actuals.reset_index(drop=True).groupby("series_id", sort=False).indices
    targets = dict(tuple(forecasts.groupby(forecasts["series_id"].astype(str), sort=False)["target_time"]))
    for sid, where in positions.items():
        stored = pd.DatetimeIndex(targets[str(sid)].unique()).sort_values()
        expected = infer_regular_freq(stored) if len(stored) >= 3 else None
        if expected is None:
            continue  # too few forecasts to know their grid: the join alone decides
        times = pd.DatetimeIndex(actuals["target_time"].to_numpy()[where]).sort_values()
        found = infer_regular_freq(times) if len(times) >= 3 else None
        if found is not None and found != expected:
            off[where] = True
            other.append(f"{sid} ({freq_label(found)}, its forecasts {freq_label(expected)})")
            continue
        grid = pd.date_range(stored[0], periods=2, freq=expected)
        # on the grid: a whole number of steps from a stored target time
        anchor, step = grid[0], grid[1] - grid[0]
        if isinstance(step, pd.Timedelta) and step > pd.Timedelta(0):
            steps = (pd.DatetimeIndex(actuals["target_time"].to_numpy()[where]) - anchor) / step
            off[where[~np.isclose(steps, np.round(steps))]] = True
        else:  # calendar frequencies (months, quarters): on the grid when the offset lands on it
            on = [expected.is_on_offset(t) for t in pd.DatetimeIndex(actuals["target_time"].to_numpy()[where])]
            off[where[~np.asarray(on, dtype=bool)]] = True
    if other:
        problems.append(f"actuals at another frequency than their forecasts, not scored: {listed(other)}.")
    stray = off & ~actuals["series_id"].isin([o.split(" (")[0] for o in other]).to_numpy()
    if stray.any():
        problems.append(f"{int(stray.sum())} actual(s) off their forecasts' time grid (e.g. "
                        f"{stamps(pd.DatetimeIndex(actuals.loc[stray, 'target_time']))}): not scored.")
    if off.any():
        aside.append(actuals[off].assign(reason=np.where(stray[off], "off the forecasts' time grid",
                                                         "another frequency than the forecasts")))
    return actuals[~off], problems


def _interval_and_pinball(rows: pd.DataFrame, levels: list[float], coverage: float) -> pd.DataFrame:
    """``lower``, ``upper``, ``interval`` (nominal coverage), ``covered`` and ``pinball`` of each
    row, computed per group of rows that stored the same quantile levels."""
    out = pd.DataFrame({"lower": np.nan, "upper": np.nan, "interval": np.nan, "covered": np.nan,
                        "pinball": np.nan}, index=rows.index)
    if not levels:
        return out
    values = rows[[quantile_column(level) for level in levels]].to_numpy(dtype="float64")
    present = ~np.isnan(values)
    patterns, inverse = np.unique(present, axis=0, return_inverse=True)
    actual = rows["actual"].to_numpy(dtype="float64")
    wanted = interval_bounds(coverage)
    for number, pattern in enumerate(patterns):
        members = np.flatnonzero(inverse.reshape(-1) == number)
        have = [level for level, there in zip(levels, pattern, strict=True) if there]
        if not have:
            continue
        columns = [levels.index(level) for level in have]
        out.iloc[members, out.columns.get_loc("pinball")] = pinball_losses(
            actual[members], values[np.ix_(members, columns)], have)
        pairs = [(lo, hi) for lo in have for hi in have if lo < 0.5 and np.isclose(lo + hi, 1.0)]
        if not pairs:
            continue
        lo, hi = wanted if wanted[0] in have and wanted[1] in have else min(pairs)  # else the widest
        lower, upper = values[members, levels.index(lo)], values[members, levels.index(hi)]
        out.iloc[members, out.columns.get_loc("lower")] = lower
        out.iloc[members, out.columns.get_loc("upper")] = upper
        out.iloc[members, out.columns.get_loc("interval")] = central_coverage(lo)
        out.iloc[members, out.columns.get_loc("covered")] = ((actual[members] >= lower)
                                                            & (actual[members] <= upper)).astype(float)
    return out


def score_forecasts(
    forecasts: pd.DataFrame,
    actuals: pd.DataFrame,
    *,
    coverage: float = COVERAGE,
    scored_at: pd.Timestamp | None = None,
) -> Scored:
    """Score every stored forecast whose target time has a usable actual (see the module
    docstring). ``forecasts`` is the store's frame, ``actuals`` the long frame of
    :func:`actuals_frame`; ``coverage`` chooses the interval scored for coverage when a row
    stores several; ``scored_at`` (UTC, default now) stamps the rows."""
    missing = sorted({"run_id", "series_id", "model", "origin", "target_time", "step", "point", "scale"}
                     - set(forecasts.columns))
    if missing:
        raise DataError(f"the stored forecasts lack column(s) {listed(missing)}.")
    absent = sorted(set(ACTUAL_COLUMNS) - set(actuals.columns))
    if absent:
        raise DataError(f"the actuals lack column(s) {listed(absent)} (build them with actuals_frame).")
    good, unscored, problems = _check_actuals(actuals, forecasts)
    return Scored(score_rows(forecasts, good, coverage=coverage, scored_at=scored_at), unscored.reset_index(drop=True),
                  problems)


def score_rows(forecasts: pd.DataFrame, actuals: pd.DataFrame, *, coverage: float = COVERAGE,
               scored_at: pd.Timestamp | None = None) -> pd.DataFrame:
    """The scores of :func:`score_forecasts` for actuals known to be good (checked before, e.g.
    those the store already holds): the join and the arithmetic, no checks."""
    good = actuals
    stamp = pd.Timestamp.now(tz="UTC") if scored_at is None else pd.Timestamp(scored_at)
    rows = forecasts.assign(series_id=forecasts["series_id"].astype(str)).merge(
        good.assign(series_id=good["series_id"].astype(str)), on=["series_id", "target_time"], how="inner")
    rows = rows.sort_values(["series_id", "model", "target_time", "origin", "run_id"], kind="stable")
    rows = rows.reset_index(drop=True)
    actual, point = rows["actual"].to_numpy(dtype="float64"), rows["point"].to_numpy(dtype="float64")
    scale = rows["scale"].to_numpy(dtype="float64")
    rows["error"] = actual - point
    scaled = scaled_errors(actual, point, scale) if len(rows) else np.empty(0)
    rows["abs_scaled_error"] = np.where(scale > 0, scaled, np.nan)  # a zero or unknown scale scales nothing
    levels = sorted(quantile_levels_of(forecasts.columns).values())
    rows = pd.concat([rows, _interval_and_pinball(rows, levels, coverage)], axis=1)
    rows["scored_at"] = stamp
    extra = ["point", "lower", "upper", "interval", "scale"] + (["command"] if "command" in rows.columns else [])
    return rows[SCORE_COLUMNS + extra]
