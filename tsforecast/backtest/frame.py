"""One fold's forecasts as arrays, and the tidy forecast frame they are assembled into.

Each fold's forecasts come back as arrays (one per column, timestamps as datetime64 values),
or, for a model that forecasts all folds of a series in one call, as a :class:`ForecastBlock`
of several folds; a block of work compacts what it produced into blocks before it is sent
back (:meth:`ChainOutput.compact`), so what travels and what the caller keeps are a few arrays
per block of series, never an object per fold. Timings and diagnostics travel the same way,
as array tables (:class:`ArrayTable`, an array per column). The tidy frame and the other tables are
assembled once at the end, when the backtest's result is first read; nothing is built row by
row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from tsforecast.evaluation.diagnostics import residual_diagnostics_many

if TYPE_CHECKING:  # for annotations only: the frame needs no model code to be built or read
    from tsforecast.models.base import Forecaster

__all__ = ["FORECAST_COLUMNS", "TIMING_COLUMNS", "FAILURE_COLUMNS", "DIAGNOSTIC_COLUMNS", "FoldForecast",
           "ForecastBlock", "BatchedForecasts", "ArrayTable", "ChainOutput", "empty_forecast_frame",
           "quantile_column", "timing_table", "utc_values"]

#: the columns of a backtest's tidy forecast frame, in order (then one per quantile level)
FORECAST_COLUMNS = ["series", "model", "cutoff", "timestamp", "step", "actual", "forecast", "lower", "upper"]
#: the columns of a backtest's timings, one row per fold forecast
TIMING_COLUMNS = ["series", "model", "cutoff", "fit_time", "predict_time", "refitted", "fitted", "notes"]
#: the columns of a backtest's failures, one row per fit, update or predict that raised
FAILURE_COLUMNS = ["series", "model", "cutoff", "stage", "error", "message"]
#: the columns of a backtest's residual diagnostics, one row per (series, model)
DIAGNOSTIC_COLUMNS = ["series", "model", "cutoff", "n", "lags", "ljung_box_p", "acf"]


def quantile_column(level: float) -> str:
    """The forecast frame's column for quantile ``level``: ``q0.025``, ``q0.5``, ..."""
    return f"q{level:g}"


@dataclass(frozen=True)
class FoldForecast:
    """One fold's forecasts as arrays over its ``horizon`` steps; ``timestamps`` are
    datetime64 values (UTC for a timezone-aware series, whose zone is ``tz``)."""

    series: str
    model: str
    cutoff: pd.Timestamp
    timestamps: np.ndarray
    actual: np.ndarray
    forecast: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    quantiles: np.ndarray  # (horizon, levels)
    tz: object = None


@dataclass(frozen=True)
class ForecastBlock:
    """Forecasts of several folds as flat arrays: fold ``k`` of ``series[k]`` and
    ``model[k]`` made at ``cutoff[k]`` (datetime64, UTC when ``tz`` is set) covers
    ``lengths[k]`` consecutive rows of the per-row arrays; ``scale[k]`` is its MASE scale."""

    series: np.ndarray  # object, per fold
    model: np.ndarray  # object, per fold
    cutoff: np.ndarray  # datetime64, per fold
    lengths: np.ndarray  # int64, per fold
    timestamps: np.ndarray  # datetime64, per row
    actual: np.ndarray
    forecast: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    quantiles: np.ndarray  # (rows, levels)
    tz: object = None

    @classmethod
    def concat(cls, blocks: list[ForecastBlock]) -> ForecastBlock:
        """One block holding ``blocks`` in order."""
        def join(name: str) -> np.ndarray:
            return np.concatenate([getattr(b, name) for b in blocks])

        return cls(*(join(name) for name in (
            "series", "model", "cutoff", "lengths", "timestamps", "actual", "forecast", "lower", "upper",
            "quantiles")), tz=blocks[0].tz)

    @classmethod
    def of_folds(cls, folds: list[FoldForecast]) -> ForecastBlock:
        """The fold forecasts as one block."""
        tz = folds[0].tz
        cutoffs = pd.DatetimeIndex([f.cutoff for f in folds])
        return cls(
            np.array([f.series for f in folds], dtype=object), np.array([f.model for f in folds], dtype=object),
            utc_values(cutoffs), np.array([len(f.actual) for f in folds], dtype="int64"),
            *(np.concatenate([getattr(f, name) for f in folds]) for name in (
                "timestamps", "actual", "forecast", "lower", "upper", "quantiles")), tz=tz)


@dataclass(frozen=True)
class BatchedForecasts:
    """Every fold of one chain forecast in one call (a baseline's ``forecast_folds``): per
    fold its ``cutoff`` (datetime64, UTC when ``tz`` is set) and fit seconds, per fold and
    step ``timestamps``, ``actual``, ``forecast`` and the ``quantiles`` (folds, steps,
    levels) whose columns ``lower_at``/``upper_at`` are the interval."""

    series: str
    model: str
    cutoffs: np.ndarray
    timestamps: np.ndarray  # (folds, steps)
    actual: np.ndarray  # (folds, steps)
    forecast: np.ndarray  # (folds, steps)
    quantiles: np.ndarray  # (folds, steps, levels)
    lower_at: int
    upper_at: int
    fit_time: float  # per fold
    refitted: np.ndarray  # bool per fold
    tz: object = None


@dataclass(frozen=True)
class ArrayTable:
    """A table as one array per column, made a DataFrame only when read (:meth:`frame`): how
    a block of work records its timings and diagnostics, since a DataFrame per block costs
    more CPU than the block's seasonal-naive forecasts. The ``cutoff`` column holds datetime64
    values, UTC when ``tz`` is set."""

    columns: dict[str, np.ndarray]
    tz: object = None

    def __len__(self) -> int:
        return len(self.columns["cutoff"])

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (cutoffs as timestamps in their zone)."""
        return pd.DataFrame({**self.columns, "cutoff": _stamps(self.columns["cutoff"], self.tz)})


def _joined(tables: list[ArrayTable | pd.DataFrame]) -> list[ArrayTable | pd.DataFrame]:
    """``tables`` (the empty ones left out) as at most two: the array tables concatenated column by column (those of one
    zone; a backtest's series share one), the DataFrames (rows recorded one by one) concatenated.
    The caller orders the rows (:func:`~tsforecast.backtest.assemble.in_plan_order`)."""
    tables = [t for t in tables if len(t)]  # an empty piece would only blur the dtypes
    arrays = [t for t in tables if isinstance(t, ArrayTable)]
    frames = [t for t in tables if not isinstance(t, ArrayTable)]
    if len({repr(t.tz) for t in arrays}) > 1:  # never within one backtest; kept correct anyway
        arrays, frames = [], [t.frame() if isinstance(t, ArrayTable) else t for t in tables]
    joined: list[ArrayTable | pd.DataFrame] = []
    if arrays:
        joined.append(arrays[0] if len(arrays) == 1 else ArrayTable(
            {name: np.concatenate([t.columns[name] for t in arrays]) for name in arrays[0].columns}, arrays[0].tz))
    if frames:
        joined.append(frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True))
    return joined


def _table_frame(tables: list[ArrayTable | pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """One DataFrame of ``tables`` (empty, with ``columns``, when there are none)."""
    pieces = [t.frame() if isinstance(t, ArrayTable) else t for t in _joined(tables)]
    if not pieces:
        return pd.DataFrame(columns=columns)
    return pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)


@dataclass
class ChainOutput:
    """What one unit of work produced: fold forecasts (one by one in ``forecasts``, per
    chain in ``batched``, assembled into arrays in ``blocks``), timings (rows in ``timings``,
    tables, :class:`ArrayTable` or DataFrame, in ``timing_blocks``), failures, and, for the
    chains that end at the last cutoff, the in-sample residuals of the model fitted there
    (``residuals``, awaiting their diagnosis, which :meth:`diagnose` computes for all of them
    at once into ``diagnostic_blocks``; rows of the per-fold path in ``diagnostics``)
    and, when the task asks to keep it, that model itself, by (series, model)."""

    forecasts: list[FoldForecast] = field(default_factory=list)
    timings: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    diagnostics: list[dict] = field(default_factory=list)
    fitted: dict[tuple[str, str], Forecaster] = field(default_factory=dict)
    # (series, model, cutoff: a Timestamp or (datetime64, zone), season, residuals)
    residuals: list[tuple[str, str, object, int, np.ndarray]] = field(default_factory=list)
    batched: list[BatchedForecasts] = field(default_factory=list)
    blocks: list[ForecastBlock] = field(default_factory=list)
    timing_blocks: list[ArrayTable | pd.DataFrame] = field(default_factory=list)
    diagnostic_blocks: list[ArrayTable | pd.DataFrame] = field(default_factory=list)

    def extend(self, other: ChainOutput) -> None:
        """Append everything ``other`` produced (outputs are merged in task order)."""
        self.forecasts += other.forecasts
        self.timings += other.timings
        self.failures += other.failures
        self.diagnostics += other.diagnostics
        self.fitted.update(other.fitted)
        self.residuals += other.residuals
        self.batched += other.batched
        self.blocks += other.blocks
        self.timing_blocks += other.timing_blocks
        self.diagnostic_blocks += other.diagnostic_blocks

    def diagnose(self) -> None:
        """The residual diagnostics of every pending ``residuals`` entry, computed at once
        (:func:`~tsforecast.evaluation.diagnostics.residual_diagnostics_many`)."""
        if not self.residuals:
            return
        arrays = [r[4] for r in self.residuals]
        offsets = np.r_[0, np.cumsum([len(a) for a in arrays])]
        table = residual_diagnostics_many(np.concatenate(arrays), offsets, [r[3] for r in self.residuals])
        # one table of arrays (a datetime64 cutoff column, not a Timestamp per row): cheap to
        # build and to send back; a DataFrame only when the diagnostics are read
        columns = {
            "series": np.array([r[0] for r in self.residuals], dtype=object),
            "model": np.array([r[1] for r in self.residuals], dtype=object),
            "cutoff": None,
            "n": table["n"], "lags": table["lags"], "ljung_box_p": table["ljung_box_p"],
            "acf": np.fromiter(table["acf"], dtype=object, count=len(table["acf"])),  # a list per row
        }
        cutoffs = [r[2] for r in self.residuals]
        batched = _batched_cutoffs(cutoffs)
        if batched is not None:  # the many-series path
            columns["cutoff"], tz = batched
            self.diagnostic_blocks.append(ArrayTable(columns, tz))
        else:
            self.diagnostic_blocks.append(pd.DataFrame({**columns, "cutoff": _cutoff_stamps(cutoffs)}))
        self.residuals = []

    def diagnostic_frame(self) -> pd.DataFrame:
        """The residual diagnostics (:data:`DIAGNOSTIC_COLUMNS`) of every chain diagnosed."""
        self.diagnose()
        pieces = list(self.diagnostic_blocks)
        if self.diagnostics:
            pieces.append(pd.DataFrame(self.diagnostics, columns=DIAGNOSTIC_COLUMNS))
        return _table_frame(pieces, DIAGNOSTIC_COLUMNS)

    def compact(self) -> None:
        """Everything forecast so far into one :class:`ForecastBlock` and one timing table:
        what a block of work sends back (a few arrays, however many folds it forecast)."""
        if self.forecasts:
            self.blocks.append(ForecastBlock.of_folds(self.forecasts))
            self.forecasts = []
        if self.batched:
            self.blocks.append(_block_of_batched(self.batched))
            self.timing_blocks.append(_timings_of_batched(self.batched))
            self.batched = []
        if len(self.blocks) > 1:
            self.blocks = [ForecastBlock.concat(self.blocks)]
        if self.timings:
            self.timing_blocks.append(pd.DataFrame(self.timings, columns=TIMING_COLUMNS))
            self.timings = []
        if len(self.timing_blocks) > 1:
            self.timing_blocks = _joined(self.timing_blocks)
        if len(self.diagnostic_blocks) > 1:
            self.diagnostic_blocks = _joined(self.diagnostic_blocks)

    def timing_frame(self) -> pd.DataFrame:
        """The timings (:data:`TIMING_COLUMNS`) of every fold forecast."""
        self.compact()
        return _table_frame(self.timing_blocks, TIMING_COLUMNS)

    def forecast_block(self) -> ForecastBlock | None:
        """Every fold forecast so far as one :class:`ForecastBlock` (None when there is none)."""
        self.compact()
        return self.blocks[0] if self.blocks else None


def empty_forecast_frame(levels: tuple[float, ...]) -> pd.DataFrame:
    """The tidy frame with no rows: its columns (:data:`FORECAST_COLUMNS`, then a column per
    quantile of ``levels``) and their dtypes."""
    names = FORECAST_COLUMNS + [quantile_column(level) for level in levels]
    dtypes = ["object", "object", "datetime64[ns]", "datetime64[ns]", "int64"] + ["float64"] * (4 + len(levels))
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in zip(names, dtypes, strict=True)})


def _block_of_batched(chains: list[BatchedForecasts]) -> ForecastBlock:
    """Batched chains' forecasts as one block (one concatenation per column)."""
    folds = np.array([len(c.cutoffs) for c in chains])
    steps = chains[0].forecast.shape[1] if chains else 0
    quantiles = np.concatenate([c.quantiles for c in chains]).reshape(-1, chains[0].quantiles.shape[2])
    lower = np.concatenate([c.quantiles[:, :, c.lower_at] for c in chains]).reshape(-1)
    upper = np.concatenate([c.quantiles[:, :, c.upper_at] for c in chains]).reshape(-1)
    return ForecastBlock(
        np.repeat(np.array([c.series for c in chains], dtype=object), folds),
        np.repeat(np.array([c.model for c in chains], dtype=object), folds),
        np.concatenate([c.cutoffs for c in chains]), np.full(int(folds.sum()), steps, dtype="int64"),
        np.concatenate([c.timestamps for c in chains]).reshape(-1),
        np.concatenate([c.actual for c in chains]).reshape(-1),
        np.concatenate([c.forecast for c in chains]).reshape(-1),
        lower, upper, quantiles, tz=chains[0].tz,
    )


def _timings_of_batched(chains: list[BatchedForecasts]) -> ArrayTable:
    """Batched chains' timing rows as one table (:data:`TIMING_COLUMNS`)."""
    folds = np.array([len(c.cutoffs) for c in chains])
    return timing_table(np.repeat(np.array([c.series for c in chains], dtype=object), folds),
                        np.repeat(np.array([c.model for c in chains], dtype=object), folds),
                        np.concatenate([c.cutoffs for c in chains]), chains[0].tz,
                        np.repeat([c.fit_time for c in chains], folds), np.concatenate([c.refitted for c in chains]))


def timing_table(series: np.ndarray, model: np.ndarray, cutoffs: np.ndarray, tz: object, fit_time: np.ndarray,
                 refitted: np.ndarray) -> ArrayTable:
    """Timing rows (:data:`TIMING_COLUMNS`) of folds forecast from arrays: their ``cutoffs``
    (datetime64, UTC when ``tz`` is set), fit seconds and whether each was refitted; no
    predict time (the fit forecasts), no fit description or note."""
    n = len(cutoffs)
    return ArrayTable({
        "series": series, "model": model, "cutoff": cutoffs, "fit_time": np.asarray(fit_time, dtype="float64"),
        "predict_time": np.zeros(n), "refitted": refitted, "fitted": np.full(n, "", dtype=object),
        "notes": np.full(n, "", dtype=object),
    }, tz)


def _cutoff_stamp(cutoff: object) -> pd.Timestamp:
    """A queued cutoff as its Timestamp: a Timestamp, or (datetime64 value, zone) as the
    batched path queues it (UTC when the zone is set)."""
    if isinstance(cutoff, tuple):
        value, tz = cutoff
        stamp = pd.Timestamp(value)
        return stamp if tz is None else stamp.tz_localize("UTC").tz_convert(tz)
    return cutoff


def _cutoff_stamps(cutoffs: list[object]) -> pd.DatetimeIndex:
    """Queued cutoffs (see :func:`_cutoff_stamp`) as one index: from their datetime64 values
    at once when all are (value, zone) pairs of one zone, as the many-series path queues them
    (no Timestamp per series)."""
    batched = _batched_cutoffs(cutoffs)
    if batched is not None:
        return _stamps(*batched)
    return pd.DatetimeIndex([_cutoff_stamp(c) for c in cutoffs])


def _batched_cutoffs(cutoffs: list[object]) -> tuple[np.ndarray, object] | None:
    """The datetime64 values and the zone of queued cutoffs when all are (value, zone) pairs
    of one zone, as the many-series path queues them; None otherwise."""
    if cutoffs and all(isinstance(c, tuple) for c in cutoffs) and len({repr(c[1]) for c in cutoffs}) == 1:
        return np.array([c[0] for c in cutoffs]), cutoffs[0][1]
    return None


def utc_values(index: pd.DatetimeIndex) -> np.ndarray:
    """Timestamps as datetime64 values (UTC for a timezone-aware index)."""
    return (index if index.tz is None else index.tz_convert(None)).to_numpy()


def _stamps(values: np.ndarray, tz: object) -> pd.DatetimeIndex:
    """datetime64 values back to timestamps, in their zone when the series had one."""
    index = pd.DatetimeIndex(values)
    return index if tz is None else index.tz_localize("UTC").tz_convert(tz)
