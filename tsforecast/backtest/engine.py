"""The backtest loop: every model on the same folds of every series.

Work is cut into *chains*: consecutive folds of one (series, model) pair handled by one model
instance. A chain starts with a fresh clone fitted on its first fold; each later fold in the
chain either refits the same instance (``refit=True``) or rolls it forward with ``update``
(``refit=False``, or between every N-th fold with ``refit=N``). Models are stateless across
refits by default (statistical models' ``warm_start`` is off), so with ``refit=True`` the
numbers do not depend on how folds are grouped into chains (a test checks it); how they are
grouped depends only on the refit policy and the number of folds, never on ``n_jobs``.

Each fold's forecasts come back as arrays (one per column, timestamps as datetime64 values),
assembled into the tidy frame once at the end; nothing is built row by row. Models that can
forecast every fold of a chain from the values alone (the baselines' ``forecast_folds``) do so
in one call, without a Series per fold: the same numbers as fitting each fold, at a small
fraction of the cost, which is what keeps a backtest of thousands of series cheap.

Global models (trained across all series, :mod:`tsforecast.backtest.global_chains`) are cut
by fold number instead; every unit of work is a task with a ``run()`` method, so
:func:`run_chains` runs both kinds on the same workers.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast.backtest.executors import run_tasks, worker_count
from tsforecast.backtest.splits import Fold
from tsforecast.core.errors import ConfigError, FitTimeoutError, FitWarning
from tsforecast.models.base import Forecaster

__all__ = [
    "Chain", "ChainOutput", "ChainTask", "FoldForecast", "plan_chains", "chain_tasks", "run_chains", "run_task",
    "fold_scales", "fold_groups", "interval_columns", "forecast_fold", "failure", "FORECAST_COLUMNS",
    "QUANTILE_LEVELS", "quantile_levels", "quantile_column", "TIMEOUT_ERROR",
]

# With refit=True, the folds of one series are split into up to this many chains per
# (series, model) pair: enough to keep two or four workers busy. With several series the
# series themselves are the parallel work, so the split shrinks (one chain per pair from four
# series on). Results do not depend on it (see the module docstring).
REFIT_CHAINS = 4

#: the columns of a backtest's tidy forecast frame, in order (then one per quantile level)
FORECAST_COLUMNS = ["series", "model", "cutoff", "timestamp", "step", "actual", "forecast", "lower", "upper"]

#: forecast quantiles every backtest records: the bounds of the 50, 80, 90 and 95% central
#: intervals and the median, for pinball loss, CRPS and the calibration of several levels
QUANTILE_LEVELS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)


def quantile_levels(coverage: float) -> tuple[float, ...]:
    """:data:`QUANTILE_LEVELS` plus the bounds of the ``coverage`` interval."""
    bounds = (round((1 - coverage) / 2, 12), round((1 + coverage) / 2, 12))
    return tuple(sorted(set(QUANTILE_LEVELS) | set(bounds)))


def quantile_column(level: float) -> str:
    """The forecast frame's column for quantile ``level``: ``q0.025``, ``q0.5``, ..."""
    return f"q{level:g}"


@dataclass(frozen=True)
class Chain:
    """Consecutive folds handled by one model instance."""

    series: str
    label: str
    folds: tuple[Fold, ...]


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


@dataclass
class ChainOutput:
    """What one chain produced: fold forecasts, timings, failures and, for the chains that
    end at the last cutoff, the residual diagnostics of the model fitted there (and, when the
    task asks to keep it, that model itself, by (series, model))."""

    forecasts: list[FoldForecast] = field(default_factory=list)
    timings: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    diagnostics: list[dict] = field(default_factory=list)
    fitted: dict[tuple[str, str], Forecaster] = field(default_factory=dict)

    def extend(self, other: ChainOutput) -> None:
        self.forecasts += other.forecasts
        self.timings += other.timings
        self.failures += other.failures
        self.diagnostics += other.diagnostics
        self.fitted.update(other.fitted)

    def forecast_frame(self, levels: tuple[float, ...]) -> pd.DataFrame:
        """The tidy frame (:data:`FORECAST_COLUMNS`, then a column per quantile of
        ``levels``), assembled from the fold arrays at once."""
        quantile_names = [quantile_column(level) for level in levels]
        if not self.forecasts:
            dtypes = ["object", "object", "datetime64[ns]", "datetime64[ns]", "int64"] + ["float64"] * (
                4 + len(levels))
            return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in zip(
                FORECAST_COLUMNS + quantile_names, dtypes, strict=True)})
        lengths = np.array([len(f.actual) for f in self.forecasts])
        quantiles = np.concatenate([f.quantiles for f in self.forecasts])
        return pd.DataFrame({
            "series": np.repeat(np.array([f.series for f in self.forecasts], dtype=object), lengths),
            "model": np.repeat(np.array([f.model for f in self.forecasts], dtype=object), lengths),
            "cutoff": pd.DatetimeIndex([f.cutoff for f in self.forecasts]).repeat(lengths),
            "timestamp": _stamps(np.concatenate([f.timestamps for f in self.forecasts]), self.forecasts[0].tz),
            "step": np.concatenate([np.arange(1, n + 1) for n in lengths]),
            "actual": np.concatenate([f.actual for f in self.forecasts]),
            "forecast": np.concatenate([f.forecast for f in self.forecasts]),
            "lower": np.concatenate([f.lower for f in self.forecasts]),
            "upper": np.concatenate([f.upper for f in self.forecasts]),
            **{name: quantiles[:, j] for j, name in enumerate(quantile_names)},
        })


def utc_values(index: pd.DatetimeIndex) -> np.ndarray:
    """Timestamps as datetime64 values (UTC for a timezone-aware index)."""
    return (index if index.tz is None else index.tz_convert(None)).to_numpy()


def _stamps(values: np.ndarray, tz: object) -> pd.DatetimeIndex:
    """datetime64 values back to timestamps, in their zone when the series had one."""
    index = pd.DatetimeIndex(values)
    return index if tz is None else index.tz_localize("UTC").tz_convert(tz)


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


def fold_groups(n_folds: int, refit: bool | int, refit_size: int = 1) -> list[range]:
    """Fold numbers ``0 .. n_folds - 1`` cut into the consecutive groups one model instance
    handles: ``refit_size`` folds per group with ``refit=True``, all of them with ``False``,
    N with an integer N (refit at each group's start, roll forward within it)."""
    size = refit_size if refit is True else (n_folds if refit is False else int(refit))
    return [range(i, min(i + size, n_folds)) for i in range(0, n_folds, size)]


# the ``error`` a failure row carries when a fit ran out of its time limit
TIMEOUT_ERROR = FitTimeoutError.__name__


@contextlib.contextmanager
def fit_time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with SIGALRM. The caller runs it in a main thread
    (:func:`run_chains` moves the work into a worker process otherwise). The alarm is
    delivered when control returns to Python, which statsmodels' and PyTorch's fits do many
    times a second."""
    if seconds is None:
        yield
        return

    def expire(signum, frame):
        raise FitTimeoutError(f"{what} exceeded the time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class ChainTask:
    """Everything one chain needs, so it can run in another process."""

    chain: Chain
    model: Forecaster
    y: pd.Series
    X: pd.DataFrame | None
    refit: bool | int
    coverage: float
    time_limit: float | None
    diagnose: bool = False  # the chain ends at the last cutoff: diagnose the model fitted there
    keep_fitted: bool = False  # ... and return that model

    @property
    def description(self) -> str:
        """What this task does, for a progress display: the model and the series."""
        return f"{self.chain.label} on {self.chain.series}"

    def run(self) -> ChainOutput:
        return run_chain(self)


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
) -> list[ChainTask]:
    """A task per chain; the chain holding a series' last fold diagnoses the model fitted
    there (each series' folds end at its own last observation) and, with ``keep_fitted``,
    returns it."""
    last_end: dict[str, int] = {}
    for c in chains:
        last_end[c.series] = max(last_end.get(c.series, 0), c.folds[-1].train_end)
    tasks = []
    for c in chains:
        last = c.folds[-1].train_end == last_end[c.series]
        tasks.append(ChainTask(c, models[c.label], data[c.series], None if X is None else X[c.series], refit,
                               coverage, time_limit, diagnose=diagnose and last, keep_fitted=keep_fitted and last))
    return tasks


def run_chain(task: ChainTask) -> ChainOutput:
    """Fit, roll forward and forecast one chain; failures are recorded, never raised."""
    chain, model, y, X, refit = task.chain, task.model, task.y, task.X, task.refit
    levels, lower_at, upper_at = interval_columns(task.coverage)
    batched = _run_batched(task, levels, lower_at, upper_at)
    if batched is not None:
        return batched
    out = ChainOutput()
    fitted: Forecaster | None = None
    position = 0  # how far the fitted model has seen
    use_X = X is not None and model.supports_exog
    for fold in chain.folds:
        cutoff = y.index[fold.train_end - 1]
        record = {"series": chain.series, "model": chain.label, "cutoff": cutoff}
        stage = "fit"
        try:
            start = time.perf_counter()
            # refit=True refits every fold; refit=N (and False) fits at the chain start
            must_fit = fitted is None or refit is True
            with fit_time_limit(task.time_limit, f"{chain.label} fit at cutoff {cutoff}"), \
                    warnings.catch_warnings(record=True) as caught:
                # a fit's own notes (an optimiser that stopped early) belong with its fold in
                # the result, not on a terminal once per worker; other warnings pass through
                warnings.simplefilter("always")
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
            notes = fit_notes(caught)
            position = fold.train_end
            fit_time = time.perf_counter() - start
            stage = "predict"
            start = time.perf_counter()
            forecast = forecast_fold(fitted, chain.series, chain.label, y, X if use_X else None, fold,
                                     (levels, lower_at, upper_at))
            predict_time = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - fault isolation: record and go on
            out.failures.append(failure(record, stage, exc))
            if _timed_out(exc):
                # a later fold's fit sees at least as much history and would run out of time
                # again: record the rest of the chain instead of spending the limit on each
                out.failures.extend(_not_tried(chain, y, fold, exc))
                break
            fitted = None  # the next fold starts afresh
            continue
        out.timings.append({**record, "fit_time": fit_time, "predict_time": predict_time,
                            "refitted": must_fit, "fitted": describe_fit(fitted), "notes": notes})
        out.forecasts.append(forecast)
    if fitted is not None and out.forecasts and out.forecasts[-1].cutoff == y.index[chain.folds[-1].train_end - 1]:
        if task.diagnose:
            out.diagnostics.append(diagnose_fit(fitted, chain.series, chain.label, out.forecasts[-1].cutoff))
        if task.keep_fitted:
            out.fitted[chain.series, chain.label] = fitted
    return out


def interval_columns(coverage: float) -> tuple[tuple[float, ...], int, int]:
    """The quantile levels a backtest records, and the positions of the ``coverage``
    interval's bounds among them."""
    levels = quantile_levels(coverage)
    return levels, levels.index(round((1 - coverage) / 2, 12)), levels.index(round((1 + coverage) / 2, 12))


def forecast_fold(
    fitted: Forecaster, series: str, label: str, y: pd.Series, X: pd.DataFrame | None, fold: Fold,
    columns: tuple[tuple[float, ...], int, int],
) -> FoldForecast:
    """One fold's forecasts from a model fitted up to its cutoff (``columns``: see
    :func:`interval_columns`; ``X``: the regressors, when the model uses them)."""
    levels, lower_at, upper_at = columns
    test_index = y.index[fold.train_end : fold.test_end]
    future_X = None if X is None else X.loc[test_index]
    point = fitted.predict(fold.horizon, future_X)
    quantiles = fitted.predict_quantiles(fold.horizon, levels, future_X).to_numpy()
    return FoldForecast(
        series, label, y.index[fold.train_end - 1], utc_values(test_index),
        y.to_numpy()[fold.train_end : fold.test_end], point.to_numpy(),
        quantiles[:, lower_at], quantiles[:, upper_at], quantiles, y.index.tz,
    )


def _timed_out(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised from, the time limit's interruption (a model may wrap
    what interrupted its fit in its own error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, FitTimeoutError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _not_tried(chain: Chain, y: pd.Series, after: Fold, cause: BaseException) -> list[dict]:
    """Failure rows for the folds of ``chain`` after ``after``, skipped because of ``cause``."""
    later = chain.folds[chain.folds.index(after) + 1:]
    rows = [failure({"series": chain.series, "model": chain.label, "cutoff": y.index[fold.train_end - 1]},
                    "fit", cause) for fold in later]
    return [{**row, "message": f"not tried: an earlier fit ran out of time ({row['message']})"} for row in rows]


def failure(record: dict, stage: str, exc: BaseException) -> dict:
    """A failure row: ``record`` (series, model, cutoff), the stage, the error's type and
    the first line of its message."""
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return {**record, "stage": stage, "error": type(exc).__name__, "message": message}


def _run_batched(
    task: ChainTask, levels: tuple[float, ...], lower_at: int, upper_at: int
) -> ChainOutput | None:
    """Every fold of the chain in one ``forecast_folds`` call, for models that have it and
    no regressors; ``None`` (so the caller goes fold by fold, recording any failure where it
    happens) when the model cannot or the call fails.

    A fold rolled forward with ``update`` is fitted on the history since the chain's start:
    what the models with ``forecast_folds`` do on ``update`` (they refit on all they saw).
    """
    chain, model, y, refit = task.chain, task.model, task.y, task.refit
    forecast_folds = getattr(model, "forecast_folds", None)
    if forecast_folds is None or task.X is not None:
        return None
    if refit is not True and type(model)._update is not Forecaster._update:
        return None  # a subclass that rolls forward its own way: fold by fold
    bounds = [(f.train_start if refit is True else chain.folds[0].train_start, f.train_end) for f in chain.folds]
    horizon = chain.folds[0].horizon
    if any(f.horizon != horizon for f in chain.folds):
        return None
    start = time.perf_counter()
    try:
        with fit_time_limit(task.time_limit, f"{chain.label} fits of {len(bounds)} folds"):
            # a shallow copy holds the fitted values (sklearn's clone costs more than the fits)
            points, quantiles = copy.copy(model).forecast_folds(y.to_numpy(), bounds, horizon, levels, y.index.freq)
        if not (np.isfinite(points).all() and np.isfinite(quantiles).all()):
            return None
    except Exception:  # noqa: BLE001 - fold by fold, failures are recorded with their fold
        return None
    # the chain's time, shared equally by its folds
    share = (time.perf_counter() - start) / len(bounds)
    out = ChainOutput()
    values, stamps = y.to_numpy(), utc_values(y.index)
    cutoffs = [y.index[f.train_end - 1] for f in chain.folds]
    for k, (fold, cutoff) in enumerate(zip(chain.folds, cutoffs, strict=True)):
        out.timings.append({"series": chain.series, "model": chain.label, "cutoff": cutoff, "fit_time": share,
                            "predict_time": 0.0, "refitted": refit is True or k == 0, "fitted": "",
                            "notes": ""})
        q = quantiles[k]
        out.forecasts.append(FoldForecast(
            chain.series, chain.label, cutoff, stamps[fold.train_end : fold.test_end],
            values[fold.train_end : fold.test_end], points[k], q[:, lower_at], q[:, upper_at], q, y.index.tz,
        ))
    if task.diagnose or task.keep_fitted:
        last = chain.folds[-1]
        try:
            fitted = clone(model).fit(y.iloc[bounds[-1][0] : last.train_end])
        except Exception:  # noqa: BLE001 - the forecasts stand; only the diagnosis is missing
            return out
        if task.diagnose:
            out.diagnostics.append(diagnose_fit(fitted, chain.series, chain.label, y.index[last.train_end - 1]))
        if task.keep_fitted:
            out.fitted[chain.series, chain.label] = fitted
    return out


def fit_notes(caught: list[warnings.WarningMessage]) -> str:
    """The FitWarnings of one fit as one text (each message once); any other warning is
    issued again as it was."""
    notes = []
    for w in caught:
        if issubclass(w.category, FitWarning):
            text = str(w.message)
            if text not in notes:
                notes.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return "; ".join(notes)


def diagnose_fit(fitted: Forecaster, series: str, label: str, cutoff: pd.Timestamp) -> dict:
    """Residual diagnostics of the model fitted at the last cutoff (none if it has no
    in-sample forecasts)."""
    from tsforecast.evaluation.diagnostics import residual_diagnostics

    record = {"series": series, "model": label, "cutoff": cutoff}
    try:
        return {**record, **residual_diagnostics(fitted.residuals(), fitted.season_)}
    except Exception as exc:  # noqa: BLE001 - a diagnostic must never fail the backtest
        return {**record, "n": 0, "lags": 0, "ljung_box_p": float("nan"), "acf": [],
                "error": f"{type(exc).__name__}: {exc}"}


def describe_fit(model: Forecaster) -> str:
    """What a fitted model chose (orders, an ETS form, auto's pick), if it says, with the
    estimator that fitted it where a model has a choice (``by css-ml``)."""
    try:
        label = str(getattr(model, "label_", "") or "")
    except AttributeError:
        return ""
    estimator = getattr(model, "estimator_", None)
    return f"{label} by {estimator}" if label and estimator else label


def fold_scales(y: pd.Series, folds: Sequence[Fold], season: int) -> np.ndarray:
    """MASE denominators: each fold's in-sample seasonal-naive MAE on its training window
    (:func:`~tsforecast.evaluation.metrics.seasonal_naive_scale` of it, NaN when the window holds no more
    than a season), all folds from one cumulative sum."""
    values = y.to_numpy()
    total = np.r_[0.0, np.cumsum(np.abs(values[season:] - values[:-season]))]
    starts = np.array([f.train_start for f in folds])
    ends = np.array([f.train_end for f in folds])
    count = ends - starts - season
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (total[np.maximum(ends - season, 0)] - total[np.minimum(starts, len(total) - 1)])
                        / np.maximum(count, 1), np.nan)


def run_chains(
    tasks: Sequence[object],
    *,
    n_jobs: int,
    limited: bool = False,
    progress: Callable[..., None] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> ChainOutput:
    """Run every task (:func:`chain_tasks`, and global models' folds), in worker processes
    when ``n_jobs`` allows more than one (at most one per task and per core) or on a Dask
    cluster (``engine="dask"``, see :mod:`tsforecast.backtest.dask_engine`), and merge the
    outputs in task order. ``limited``: the tasks' fits have a time limit."""
    n_workers = worker_count(n_jobs, len(tasks))
    # SIGALRM only reaches a main thread: called from another thread (a web server, a
    # notebook's executor), limited fits run in a worker process, where they are stoppable
    isolate = limited and threading.current_thread() is not threading.main_thread()
    merged = ChainOutput()
    with contextlib.ExitStack() as stack:
        if engine == "dask":
            from tsforecast.backtest.dask_engine import dask_client, run_tasks_dask

            client = stack.enter_context(dask_client(scheduler, n_workers))
            results = run_tasks_dask(run_task, tasks, client)
        else:
            results = run_tasks(run_task, tasks, n_workers, isolate=isolate)
        report = _progress_reporter(progress)
        for done, result in enumerate(results, start=1):
            merged.extend(result)
            report(done, len(tasks), tasks[done].description if done < len(tasks) else "")
    return merged


def _progress_reporter(progress: Callable[..., None] | None) -> Callable[[int, int, str], None]:
    """``progress`` called as ``progress(done, total, running)`` (``running`` describes the next
    task: a model and its series), or as ``progress(done, total)`` when it takes two
    arguments, as callbacks written before the description existed do."""
    if progress is None:
        return lambda done, total, running: None
    try:
        inspect.signature(progress).bind(0, 0, "")
    except TypeError:
        return lambda done, total, running: progress(done, total)
    except ValueError:  # no signature to read (a builtin): the documented form
        pass
    return progress
