"""The backtest's unit of work for per-series models: a chain of folds.

Work is cut into *chains*: consecutive folds of one (series, model) pair handled by one model
instance. A chain starts with a fresh clone fitted on its first fold; each later fold in the
chain either refits the same instance (``refit=True``) or rolls it forward with ``update``
(``refit=False``, or between every N-th fold with ``refit=N``). Models are stateless across
refits by default (statistical models' ``warm_start`` is off), so with ``refit=True`` the
numbers do not depend on how folds are grouped into chains (a test checks it); how they are
grouped depends only on the refit policy and the number of folds, never on ``n_jobs``.

Models that can forecast every fold of a chain from the values alone (the baselines'
``forecast_folds``) do so in one call, without a Series per fold: the same numbers as fitting
each fold, at a small fraction of the cost, which is what keeps a backtest of thousands of
series cheap.

Global models (trained across all series, :mod:`tsforecast.backtest.global_chains`) are cut
by fold number instead; every unit of work is a task with a ``run()`` method, so
:func:`~tsforecast.backtest.runner.run_chains` runs both kinds on the same workers.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast.backtest.fold_work import (
    describe_fit,
    diagnose_fit,
    failure,
    fit_time_limit,
    fold_groups,
    forecast_fold,
    must_refit,
    timed_fit,
    timed_out,
)
from tsforecast.backtest.frame import BatchedForecasts, ChainOutput, utc_values
from tsforecast.backtest.splits import Fold
from tsforecast.core.errors import ConfigError
from tsforecast.data.panel_series import PanelSeries
from tsforecast.evaluation.intervals import interval_columns
from tsforecast.models.base import Forecaster

__all__ = ["REFIT_CHAINS", "Chain", "ChainTask", "plan_chains", "chain_tasks", "series_arrays", "run_chain",
           "run_task", "datetime_unit"]

# With refit=True, the folds of one series are split into up to this many chains per
# (series, model) pair: enough to keep two or four workers busy. With several series the
# series themselves are the parallel work, so the split shrinks (one chain per pair from four
# series on). Results do not depend on it (see the module docstring).
REFIT_CHAINS = 4


@dataclass(frozen=True)
class Chain:
    """Consecutive folds handled by one model instance."""

    series: str
    label: str
    folds: tuple[Fold, ...]


def plan_chains(
    folds: Mapping[str, Sequence[Fold]],
    labels: Sequence[str],
    refit: bool | int,
    refit_chains: int | None = None,
) -> list[Chain]:
    """Cut each series' folds (``folds``: series name -> its folds) into chains according to
    ``refit`` (see the module docstring); ``refit_chains`` (default :data:`REFIT_CHAINS`)
    chains per pair when ``refit=True``."""
    if not (refit is True or refit is False or (isinstance(refit, int) and refit >= 1)):
        raise ConfigError(f"refit must be True, False or a positive integer, got {refit!r}.")
    chains = []
    per_pair = max(1, (refit_chains or REFIT_CHAINS) // max(1, len(folds)))
    for name, series_folds in folds.items():
        groups = fold_groups(len(series_folds), refit, max(1, math.ceil(len(series_folds) / per_pair)))
        chains += [Chain(name, label, tuple(series_folds[i] for i in group)) for label in labels for group in groups]
    return chains


@dataclass(frozen=True)
class ChainTask:
    """Everything one chain needs, so it can run in another process."""

    chain: Chain
    model: Forecaster
    y: pd.Series | None  # None when the task travelled as arrays: see series()
    X: pd.DataFrame | None
    refit: bool | int
    coverage: float
    time_limit: float | None
    diagnose: bool = False  # the chain ends at the last cutoff: diagnose the model fitted there
    keep_fitted: bool = False  # ... and return that model
    #: ``y``'s values and datetime64 stamps (UTC when aware), read once per series and shared
    #: by every model's chain on it; None: read from ``y`` when needed
    arrays: tuple[np.ndarray, np.ndarray] | None = None
    #: what rebuilds ``y`` from ``arrays``: (name, index name, freq, tz, unit)
    shape: tuple | None = None

    def series(self) -> pd.Series:
        """The series: ``y``, or (a task sent to another process as arrays) the same Series
        rebuilt from ``arrays`` once, when a model needs it (the batched baselines never do)."""
        if self.y is not None:
            return self.y
        if "_series" not in self.__dict__:
            values, stamps = self.arrays
            name, index_name, freq, tz, unit = self.shape
            index = pd.DatetimeIndex(stamps.astype(f"datetime64[{unit}]"), name=index_name)
            if tz is not None:
                index = index.tz_localize("UTC").tz_convert(tz)
            object.__setattr__(self, "_series", pd.Series(values, index=pd.DatetimeIndex(index, freq=freq),
                                                          name=name))
        return self.__dict__["_series"]

    @property
    def freq(self) -> object:
        """The series' frequency."""
        return self.y.index.freq if self.y is not None else self.shape[2]

    @property
    def tz(self) -> object:
        """The series' time zone (None when naive)."""
        return self.y.index.tz if self.y is not None else self.shape[3]

    def __reduce__(self) -> tuple:
        # sent to a worker, a task whose arrays are known leaves its Series behind: the values
        # and stamps travel once (not twice), and no Series is pickled and rebuilt per chain
        y, shape = self.y, self.shape
        if y is not None and self.arrays is not None:
            shape, y = (y.name, y.index.name, y.index.freq, y.index.tz, datetime_unit(y.index)), None
        return (ChainTask, (self.chain, self.model, y, self.X, self.refit, self.coverage, self.time_limit,
                            self.diagnose, self.keep_fitted, self.arrays, shape))

    @property
    def description(self) -> str:
        """What this task does, for a progress display: the model and the series."""
        return f"{self.chain.label} on {self.chain.series}"

    def run(self) -> ChainOutput:
        """Run the chain (:func:`run_chain`)."""
        return run_chain(self)


def datetime_unit(index: pd.DatetimeIndex) -> str:
    """``index``'s datetime unit (``"ns"``, ``"us"``, ...), read from its dtype: what
    ``DatetimeIndex.unit`` gives at a tenth of the cost (it counts when every chain is sent)."""
    dtype = index.dtype
    return getattr(dtype, "unit", None) or np.datetime_data(dtype)[0]


def run_task(task: ChainTask) -> ChainOutput:
    """Run one unit of work (a :class:`ChainTask` or any task with a ``run()`` method, such as
    a global model's fold: :mod:`tsforecast.backtest.global_chains`)."""
    return task.run()


def chain_tasks(
    chains: Sequence[Chain],
    models: dict[str, Forecaster],
    data: dict[str, pd.Series],
    X: Mapping[str, pd.DataFrame] | None,
    *,
    refit: bool | int,
    coverage: float,
    time_limit: float | None,
    diagnose: bool = True,
    keep_fitted: bool = False,
    arrays: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> list[ChainTask]:
    """A task per chain; the chain holding a series' last fold diagnoses the model fitted
    there (each series' folds end at its own last observation) and, with ``keep_fitted``,
    returns it. ``arrays``: each series' values and datetime64 stamps, when the caller has
    them (:func:`series_arrays`)."""
    arrays = arrays if arrays is not None else series_arrays(data, {c.series for c in chains})
    last_end: dict[str, int] = {}
    for c in chains:
        last_end[c.series] = max(last_end.get(c.series, 0), c.folds[-1].train_end)
    tasks = []
    # a panel that builds its Series on demand (PanelSeries): a task with arrays carries them
    # and the Series' shape, so no Series is built unless a model reads one (see series())
    lazy = (data.index_name, data.freq, data.tz, data.unit) if isinstance(data, PanelSeries) else None
    for c in chains:
        last = c.folds[-1].train_end == last_end[c.series]
        own = arrays.get(c.series)
        y, shape = (None, (c.series, *lazy)) if lazy and own is not None else (data[c.series], None)
        tasks.append(ChainTask(c, models[c.label], y, None if X is None else X[c.series], refit,
                               coverage, time_limit, diagnose=diagnose and last, keep_fitted=keep_fitted and last,
                               arrays=own, shape=shape))
    return tasks


def series_arrays(
    data: Mapping[str, pd.Series], names: object = None,
    flat: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each series' values and datetime64 stamps (UTC when aware), for ``names`` (default all).
    ``flat``: all of ``data``'s values, UTC nanoseconds and lengths one series after another
    (:attr:`tsforecast.data.panel.Panel.arrays`): each series' arrays are views of them, with
    no call per Series."""
    if flat is not None:
        values, instants, lengths = flat
        stamps = instants.view("datetime64[ns]")
        starts = np.r_[0, np.cumsum(lengths)].tolist()
        return {name: (values[a:b], stamps[a:b]) for name, a, b in zip(data, starts[:-1], starts[1:], strict=True)
                if names is None or name in names}
    return {name: (y.to_numpy(), utc_values(y.index)) for name, y in data.items() if names is None or name in names}


def run_chain(task: ChainTask, out: ChainOutput | None = None) -> ChainOutput:
    """Fit, roll forward and forecast one chain, into ``out`` (a block's shared output) or a
    new output; failures are recorded, never raised."""
    chain, model, X, refit = task.chain, task.model, task.X, task.refit
    out = ChainOutput() if out is None else out
    columns = _interval_columns(task.coverage)
    if _run_batched(task, columns, out):
        return out
    y = task.series()
    first = len(out.forecasts)  # this chain's forecasts are appended after those
    fitted: Forecaster | None = None
    position = 0  # how far the fitted model has seen
    use_X = X is not None and model.supports_exog
    for fold in chain.folds:
        cutoff = y.index[fold.train_end - 1]
        record = {"series": chain.series, "model": chain.label, "cutoff": cutoff}
        stage = "fit"
        try:
            # refit=True refits every fold; refit=N (and False) fits at the chain start
            must_fit = must_refit(refit, fitted is not None)
            with timed_fit(task.time_limit, f"{chain.label} fit at cutoff {cutoff}") as fit:
                if must_fit:
                    # refitting the same instance equals a fresh clone unless the user turned
                    # a model's warm_start on (then refits start from the previous fit)
                    fitted = fitted if (fitted is not None and refit is True) else clone(model)
                    train = y.iloc[fold.train_start : fold.train_end]
                    fitted.fit(train, X.loc[train.index] if use_X else None)
                else:
                    stage = "update"
                    new = y.iloc[position : fold.train_end]
                    fitted.update(new, X.loc[new.index] if use_X else None)
            position = fold.train_end
            stage = "predict"
            start = time.perf_counter()
            forecast = forecast_fold(fitted, chain.series, chain.label, y, X if use_X else None, fold, columns)
            predict_time = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - fault isolation: record and go on
            out.failures.append(failure(record, stage, exc))
            if timed_out(exc):
                # a later fold's fit sees at least as much history and would run out of time
                # again: record the rest of the chain instead of spending the limit on each
                out.failures.extend(_not_tried(chain, y, fold, exc))
                break
            fitted = None  # the next fold starts afresh
            continue
        out.timings.append({**record, "fit_time": fit.seconds, "predict_time": predict_time,
                            "refitted": must_fit, "fitted": describe_fit(fitted), "notes": fit.notes})
        out.forecasts.append(forecast)
    if fitted is not None and len(out.forecasts) > first and out.forecasts[-1].cutoff == y.index[
            chain.folds[-1].train_end - 1]:
        if task.diagnose:
            diagnose_fit(fitted, chain.series, chain.label, out.forecasts[-1].cutoff, out)
        if task.keep_fitted:
            out.fitted[chain.series, chain.label] = fitted
    return out


def _shallow_copy(model: Forecaster) -> Forecaster:
    """``copy.copy(model)`` without the pickling protocol (sklearn's ``__getstate__``): a new
    instance sharing the attribute values, which the batched fits then overwrite."""
    twin = object.__new__(type(model))
    twin.__dict__.update(model.__dict__)
    return twin


# the same few coverages for every chain of a backtest: looked up once, not per chain
_interval_columns = functools.lru_cache(maxsize=16)(interval_columns)


def _not_tried(chain: Chain, y: pd.Series, after: Fold, cause: BaseException) -> list[dict]:
    """Failure rows for the folds of ``chain`` after ``after``, skipped because of ``cause``."""
    later = chain.folds[chain.folds.index(after) + 1:]
    rows = [failure({"series": chain.series, "model": chain.label, "cutoff": y.index[fold.train_end - 1]},
                    "fit", cause) for fold in later]
    return [{**row, "message": f"not tried: an earlier fit ran out of time ({row['message']})"} for row in rows]


def _run_batched(task: ChainTask, columns: tuple[tuple[float, ...], int, int], out: ChainOutput) -> bool:
    """Every fold of the chain in one ``forecast_folds`` call, for models that have it and
    no regressors, into ``out``: False (so the caller goes fold by fold, recording any failure
    where it happens) when the model cannot or the call fails.

    A fold rolled forward with ``update`` is fitted on the history since the chain's start:
    what the models with ``forecast_folds`` do on ``update`` (they refit on all they saw).
    The diagnosis reads the residuals of the call's last fold (``values_residuals``), so the
    fold is never fitted a second time; only ``keep_fitted`` fits one model to hand back.
    """
    chain, model, refit = task.chain, task.model, task.refit
    levels, lower_at, upper_at = columns
    forecast_folds = getattr(model, "forecast_folds", None)
    if forecast_folds is None or task.X is not None:
        return False
    if refit is not True and model.updates_in_place:
        return False  # a model that rolls forward its own way: fold by fold
    bounds = [(f.train_start if refit is True else chain.folds[0].train_start, f.train_end) for f in chain.folds]
    horizon = chain.folds[0].horizon
    if any(f.horizon != horizon for f in chain.folds):
        return False
    values, stamps = task.arrays if task.arrays is not None else (task.y.to_numpy(), utc_values(task.y.index))
    start = time.perf_counter()
    try:
        # a shallow copy holds the fitted values (sklearn's clone costs more than the fits)
        batch_model = _shallow_copy(model)
        with fit_time_limit(task.time_limit, chain.label):
            points, quantiles = batch_model.forecast_folds(values, bounds, horizon, levels, task.freq)
        if not (np.isfinite(points).all() and np.isfinite(quantiles).all()):
            return False
    except Exception:  # noqa: BLE001 - fold by fold, failures are recorded with their fold
        return False
    ends = np.array([f.train_end for f in chain.folds])
    rows = ends[:, None] + np.arange(horizon)  # (folds, steps) positions of the test values
    refitted = np.zeros(len(bounds), dtype=bool)
    refitted[0 if refit is not True else slice(None)] = True
    tz = task.tz
    out.batched.append(BatchedForecasts(
        chain.series, chain.label, stamps[ends - 1], stamps[rows], values[rows], points, quantiles, lower_at,
        upper_at, (time.perf_counter() - start) / len(bounds),  # the chain's time, shared by its folds
        refitted, tz,
    ))
    residuals = getattr(batch_model, "values_residuals", None)
    if task.diagnose and residuals is not None:
        # the cutoff as a datetime64 value (UTC when aware): Timestamps are made for all at once
        out.residuals.append((chain.series, chain.label, (stamps[ends[-1] - 1], tz), int(batch_model.season_),
                              residuals()))
    if not (task.keep_fitted or (task.diagnose and residuals is None)):
        return True
    y = task.series()
    cutoff = y.index[chain.folds[-1].train_end - 1]
    if task.keep_fitted or (task.diagnose and residuals is None):
        try:
            fitted = clone(model).fit(y.iloc[bounds[-1][0] : chain.folds[-1].train_end])
        except Exception:  # noqa: BLE001 - the forecasts stand; only the diagnosis is missing
            return True
        if task.diagnose and residuals is None:
            diagnose_fit(fitted, chain.series, chain.label, cutoff, out)
        if task.keep_fitted:
            out.fitted[chain.series, chain.label] = fitted
    return True
