"""The backtest loop: every model on the same folds of every series.

Work is cut into *chains*: consecutive folds of one (series, model) pair handled by one model
instance. A chain starts with a fresh clone fitted on its first fold; each later fold in the
chain either refits the same instance (``refit=True``) or rolls it forward with ``update``
(``refit=False``, or between every N-th fold with ``refit=N``). Models are stateless across
refits by default (statistical models' ``warm_start`` is off), so with ``refit=True`` the
numbers do not depend on how folds are grouped into chains (a test checks it); how they are
grouped depends only on the refit policy and the number of folds, never on ``n_jobs``.

Each fold's forecasts come back as arrays (one per column), assembled into the tidy frame
once at the end; nothing is built row by row.
"""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from tsforecast.backtest.executors import run_tasks, worker_count
from tsforecast.backtest.splits import Fold
from tsforecast.base import Forecaster
from tsforecast.errors import ConfigError, TsforecastError
from tsforecast.metrics import seasonal_naive_scale

__all__ = [
    "Chain", "ChainOutput", "FoldForecast", "plan_chains", "run_chains", "fold_scales", "FORECAST_COLUMNS",
    "QUANTILE_LEVELS", "quantile_levels", "quantile_column",
]

# With refit=True, folds are split into this many chains per (series, model) pair: enough to
# keep two or four workers busy. Results do not depend on it (see the module docstring).
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
    """One fold's forecasts as arrays over its ``horizon`` steps."""

    series: str
    model: str
    cutoff: pd.Timestamp
    timestamps: pd.DatetimeIndex
    actual: np.ndarray
    forecast: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    quantiles: np.ndarray  # (horizon, levels)


@dataclass
class ChainOutput:
    """What one chain produced: fold forecasts, timings, failures and, for the chains that
    end at the last cutoff, the residual diagnostics of the model fitted there."""

    forecasts: list[FoldForecast] = field(default_factory=list)
    timings: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)
    diagnostics: list[dict] = field(default_factory=list)

    def extend(self, other: ChainOutput) -> None:
        self.forecasts += other.forecasts
        self.timings += other.timings
        self.failures += other.failures
        self.diagnostics += other.diagnostics

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
            # Index.repeat / append keep a timezone, which a numpy round trip would drop
            "cutoff": pd.DatetimeIndex([f.cutoff for f in self.forecasts]).repeat(lengths),
            "timestamp": self.forecasts[0].timestamps.append([f.timestamps for f in self.forecasts[1:]]),
            "step": np.concatenate([np.arange(1, n + 1) for n in lengths]),
            "actual": np.concatenate([f.actual for f in self.forecasts]),
            "forecast": np.concatenate([f.forecast for f in self.forecasts]),
            "lower": np.concatenate([f.lower for f in self.forecasts]),
            "upper": np.concatenate([f.upper for f in self.forecasts]),
            **{name: quantiles[:, j] for j, name in enumerate(quantile_names)},
        })


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
    for name, series_folds in folds.items():
        if refit is True:
            size = max(1, math.ceil(len(series_folds) / (refit_chains or REFIT_CHAINS)))
        else:
            size = len(series_folds) if refit is False else int(refit)
        groups = [tuple(series_folds[i : i + size]) for i in range(0, len(series_folds), size)]
        chains += [Chain(name, label, group) for label in labels for group in groups]
    return chains


class _FitTimeout(TsforecastError):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with SIGALRM. The caller runs it in a main thread
    (:func:`run_chains` moves the work into a worker process otherwise). The alarm is
    delivered when control returns to Python, which statsmodels' and PyTorch's fits do many
    times a second."""
    if seconds is None:
        yield
        return

    def expire(signum, frame):
        raise _FitTimeout(f"{what} exceeded the time limit of {seconds:g} s")

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


def run_chain(task: ChainTask) -> ChainOutput:
    """Fit, roll forward and forecast one chain; failures are recorded, never raised."""
    chain, model, y, X, refit = task.chain, task.model, task.y, task.X, task.refit
    out = ChainOutput()
    fitted: Forecaster | None = None
    position = 0  # how far the fitted model has seen
    use_X = X is not None and model.supports_exog
    levels = quantile_levels(task.coverage)
    lower_at = levels.index(round((1 - task.coverage) / 2, 12))
    upper_at = levels.index(round((1 + task.coverage) / 2, 12))
    for fold in chain.folds:
        cutoff = y.index[fold.train_end - 1]
        record = {"series": chain.series, "model": chain.label, "cutoff": cutoff}
        stage = "fit"
        try:
            start = time.perf_counter()
            # refit=True refits every fold; refit=N (and False) fits at the chain start
            must_fit = fitted is None or refit is True
            with _time_limit(task.time_limit, f"{chain.label} fit at cutoff {cutoff}"):
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
            fit_time = time.perf_counter() - start
            stage = "predict"
            start = time.perf_counter()
            test_index = y.index[fold.train_end : fold.test_end]
            future_X = X.loc[test_index] if use_X else None
            point = fitted.predict(fold.horizon, future_X)
            quantiles = fitted.predict_quantiles(fold.horizon, levels, future_X).to_numpy()
            predict_time = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - fault isolation: record and go on
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            out.failures.append({**record, "stage": stage, "error": type(exc).__name__,
                                 "message": message})
            fitted = None  # the next fold starts afresh
            continue
        out.timings.append({**record, "fit_time": fit_time, "predict_time": predict_time,
                            "refitted": must_fit, "fitted": _describe(fitted)})
        out.forecasts.append(FoldForecast(
            chain.series, chain.label, cutoff, test_index,
            y.to_numpy()[fold.train_end : fold.test_end], point.to_numpy(),
            quantiles[:, lower_at], quantiles[:, upper_at], quantiles,
        ))
    if task.diagnose and fitted is not None and out.forecasts and out.forecasts[-1].cutoff == y.index[
            chain.folds[-1].train_end - 1]:
        out.diagnostics.append(_diagnose(fitted, chain, out.forecasts[-1].cutoff))
    return out


def _diagnose(fitted: Forecaster, chain: Chain, cutoff: pd.Timestamp) -> dict:
    """Residual diagnostics of the model fitted at the last cutoff (none if it has no
    in-sample forecasts)."""
    from tsforecast.diagnostics import residual_diagnostics

    record = {"series": chain.series, "model": chain.label, "cutoff": cutoff}
    try:
        return {**record, **residual_diagnostics(fitted.residuals(), fitted.season_)}
    except Exception as exc:  # noqa: BLE001 - a diagnostic must never fail the backtest
        return {**record, "n": 0, "lags": 0, "ljung_box_p": float("nan"), "acf": [],
                "error": f"{type(exc).__name__}: {exc}"}


def _describe(model: Forecaster) -> str:
    """What a fitted model chose (orders, an ETS form, auto's pick), if it says."""
    try:
        return str(getattr(model, "label_", "") or "")
    except AttributeError:
        return ""


def fold_scales(y: pd.Series, folds: Sequence[Fold], season: int) -> list[float]:
    """MASE denominators: each fold's in-sample seasonal-naive MAE on its training window."""
    values = y.to_numpy()
    return [seasonal_naive_scale(values[f.train_start : f.train_end], season) for f in folds]


def run_chains(
    chains: Sequence[Chain],
    models: dict[str, Forecaster],
    data: dict[str, pd.Series],
    X: Mapping[str, pd.DataFrame] | None,
    *,
    refit: bool | int,
    coverage: float,
    time_limit: float | None,
    n_jobs: int,
    progress: Callable[[int, int], None] | None = None,
    diagnose: bool = True,
) -> ChainOutput:
    """Run every chain, in worker processes when ``n_jobs`` allows more than one (at most one
    per chain and per core), and merge the outputs in chain order."""
    # each series' folds end at its own last observation: the chain holding that fold diagnoses
    last_end: dict[str, int] = {}
    for c in chains:
        last_end[c.series] = max(last_end.get(c.series, 0), c.folds[-1].train_end)
    tasks = [ChainTask(c, models[c.label], data[c.series], None if X is None else X[c.series], refit, coverage,
                       time_limit, diagnose=diagnose and c.folds[-1].train_end == last_end[c.series])
             for c in chains]
    n_workers = worker_count(n_jobs, len(tasks))
    # SIGALRM only reaches a main thread: called from another thread (a web server, a
    # notebook's executor), limited fits run in a worker process, where they are stoppable
    isolate = time_limit is not None and threading.current_thread() is not threading.main_thread()
    merged = ChainOutput()
    results = run_tasks(run_chain, tasks, n_workers, isolate=isolate)
    for done, result in enumerate(results, start=1):
        merged.extend(result)
        if progress is not None:
            progress(done, len(tasks))
    return merged
