"""The backtest loop: every model on the same folds of every series.

Work is cut into *chains*: consecutive folds of one (series, model) pair handled by one model
instance. A chain starts with a fresh clone fitted on its first fold; each later fold in the
chain either refits the same instance (``refit=True``: statistical models warm-start from the
previous parameters) or rolls it forward with ``update`` (``refit=False`` or between every
N-th fold with ``refit=N``). How folds are cut into chains depends only on the refit policy
and the number of folds, never on ``n_jobs``, so serial and parallel runs give identical
numbers.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone

from tsforecast.backtest.splits import Fold
from tsforecast.base import Forecaster
from tsforecast.errors import ConfigError, TsforecastError
from tsforecast.metrics import seasonal_naive_scale

__all__ = ["Chain", "ChainOutput", "plan_chains", "run_chains"]

# With refit=True, folds are split into this many chains per (series, model) pair: enough
# to keep two or four workers busy, few enough that warm starts pay off.
_REFIT_CHAINS = 4


@dataclass(frozen=True)
class Chain:
    """Consecutive folds handled by one model instance."""

    series: str
    label: str
    folds: tuple[Fold, ...]


@dataclass
class ChainOutput:
    """What one chain produced: forecast rows, timings and failures."""

    rows: list[dict] = field(default_factory=list)
    timings: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)


def plan_chains(
    series_names: Sequence[str], labels: Sequence[str], folds: Sequence[Fold], refit: bool | int
) -> list[Chain]:
    """Cut the folds into chains according to ``refit`` (see the module docstring)."""
    if refit is True:
        size = max(1, math.ceil(len(folds) / _REFIT_CHAINS))
    elif refit is False:
        size = len(folds)
    elif isinstance(refit, int) and refit >= 1:
        size = refit
    else:
        raise ConfigError(f"refit must be True, False or a positive integer, got {refit!r}.")
    groups = [tuple(folds[i : i + size]) for i in range(0, len(folds), size)]
    return [Chain(s, label, group) for s in series_names for label in labels for group in groups]


class _FitTimeout(TsforecastError):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float | None, what: str) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (SIGALRM; only possible in a main thread)."""
    usable = seconds is not None and threading.current_thread() is threading.main_thread()
    if not usable or not hasattr(signal, "setitimer"):
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


def _run_chain(
    chain: Chain,
    model: Forecaster,
    y: pd.Series,
    X: pd.DataFrame | None,
    refit: bool | int,
    coverage: float,
    time_limit: float | None,
    torch_threads: int | None,
) -> ChainOutput:
    if torch_threads is not None:
        import torch

        torch.set_num_threads(torch_threads)
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
            with _time_limit(time_limit, f"{chain.label} fit at cutoff {cutoff}"):
                if must_fit:
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
            bounds = fitted.predict_interval(fold.horizon, coverage, future_X)
            predict_time = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - fault isolation: record and go on
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            out.failures.append({**record, "stage": stage, "error": type(exc).__name__,
                                 "message": message})
            fitted = None  # the next fold starts afresh
            continue
        out.timings.append({**record, "fit_time": fit_time, "predict_time": predict_time,
                            "refitted": must_fit})
        actual = y.iloc[fold.train_end : fold.test_end].to_numpy()
        for step in range(fold.horizon):
            out.rows.append({
                **record,
                "timestamp": test_index[step],
                "step": step + 1,
                "actual": actual[step],
                "forecast": point.iloc[step],
                "lower": bounds["lower"].iloc[step],
                "upper": bounds["upper"].iloc[step],
            })
    return out


def fold_scales(y: pd.Series, folds: Sequence[Fold], season: int) -> list[float]:
    """MASE denominators: each fold's in-sample seasonal-naive MAE on its training window."""
    values = y.to_numpy()
    return [seasonal_naive_scale(values[f.train_start : f.train_end], season) for f in folds]


def run_chains(
    chains: Sequence[Chain],
    models: dict[str, Forecaster],
    data: dict[str, pd.Series],
    X: pd.DataFrame | None,
    *,
    refit: bool | int,
    coverage: float,
    time_limit: float | None,
    n_jobs: int,
    progress: Callable[[int, int], None] | None = None,
) -> ChainOutput:
    """Run every chain (in parallel with joblib when ``n_jobs != 1``) and merge the outputs."""
    n_workers = n_jobs if n_jobs > 0 else max(1, (_cpu_count() + 1 + n_jobs))
    # limit each worker's torch threads so workers x threads <= cores
    torch_threads = max(1, _cpu_count() // n_workers) if n_workers > 1 else None
    tasks = (
        delayed(_run_chain)(c, models[c.label], data[c.series], X, refit, coverage, time_limit,
                            torch_threads)
        for c in chains
    )
    merged = ChainOutput()
    done = 0
    if n_workers == 1:
        results = (task[0](*task[1], **task[2]) for task in tasks)
    else:
        results = Parallel(n_jobs=n_workers, return_as="generator")(tasks)
    for result in results:
        merged.rows += result.rows
        merged.timings += result.timings
        merged.failures += result.failures
        done += 1
        if progress is not None:
            progress(done, len(chains))
    return merged


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
