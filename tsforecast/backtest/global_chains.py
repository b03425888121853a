"""Global models in a backtest: one fit per fold across every series of a panel.

A model whose :attr:`~tsforecast.models.base.Forecaster.is_global` is true (the neural models'
default ``scope="global"``) is not run per series. Fold number ``k`` of every series (each
series' folds are cut from its own end, so the cutoffs may differ) forms one training set: the
model is fitted once on all those training windows (``fit_global``) and forecasts each series'
fold with the shared network. The work is cut by fold number instead of by series: with
``refit=True`` each fold is one task (so ``n_jobs`` workers train different folds at once);
with ``refit=False`` or N the first fold of a group trains and the later ones roll every series
forward with ``update``, as for local models.

The numbers do not depend on ``n_jobs``, the engine or how tasks are grouped: a fold's fit
sees the same series in the same order with the same seed wherever it runs. Failures are
recorded per series (a series shorter than the window, for instance) and the others go on; a
failed global fit is recorded for every series of that fold.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from sklearn.base import clone

from tsforecast.backtest.fold_work import diagnose_fit, failure, fold_groups, forecast_fold, must_refit, timed_fit
from tsforecast.backtest.frame import ChainOutput
from tsforecast.backtest.splits import Fold
from tsforecast.evaluation.intervals import interval_columns
from tsforecast.models.base import Forecaster

__all__ = ["GlobalChain", "GlobalTask", "plan_global_chains", "global_tasks", "run_global_chain"]


@dataclass(frozen=True)
class GlobalChain:
    """Consecutive fold numbers of one global model, handled by one fitted network."""

    label: str
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class GlobalTask:
    """Everything one global chain needs, so it can run in another process."""

    chain: GlobalChain
    model: Forecaster
    data: Mapping[str, pd.Series]
    X: Mapping[str, pd.DataFrame] | None
    folds: Mapping[str, Sequence[Fold]]
    refit: bool | int
    coverage: float
    time_limit: float | None
    diagnose: bool = False  # the chain ends at the last fold: diagnose every series' model

    @property
    def description(self) -> str:
        """What this task does, for a progress display: the model and how many series."""
        return f"{self.chain.label} (global) on {len(self.data)} series"

    def run(self) -> ChainOutput:
        return run_global_chain(self)


def plan_global_chains(n_folds: int, labels: Sequence[str], refit: bool | int) -> list[GlobalChain]:
    """Chains of fold numbers per global model: one fold each with ``refit=True``."""
    return [GlobalChain(label, tuple(group)) for label in labels for group in fold_groups(n_folds, refit)]


def global_tasks(
    chains: Sequence[GlobalChain],
    models: Mapping[str, Forecaster],
    data: Mapping[str, pd.Series],
    X: Mapping[str, pd.DataFrame] | None,
    folds: Mapping[str, Sequence[Fold]],
    *,
    refit: bool | int,
    coverage: float,
    time_limit: float | None,
    diagnose: bool = True,
) -> list[GlobalTask]:
    """A task per global chain, over the series that have folds."""
    used = {name: data[name] for name in folds}
    used_X = None if X is None else {name: X[name] for name in folds}
    last = max(len(f) for f in folds.values()) - 1
    return [GlobalTask(c, models[c.label], used, used_X, folds, refit, coverage, time_limit,
                       diagnose=diagnose and c.numbers[-1] == last) for c in chains]


def run_global_chain(task: GlobalTask) -> ChainOutput:
    """Fit (or roll forward) the global model on every series' fold, then forecast each
    series; failures are recorded per series, never raised."""
    chain, model = task.chain, task.model
    columns = interval_columns(task.coverage)
    use_X = task.X is not None and model.supports_exog
    out = ChainOutput()
    views: dict[str, Forecaster] = {}
    fitted_series: set[str] = set()  # the series the last fit gave a model
    seen: dict[str, int] = {}  # how far each series' model has seen
    for number in chain.numbers:
        folds = {name: fs[number] for name, fs in task.folds.items() if number < len(fs)}
        cutoffs = {name: task.data[name].index[f.train_end - 1] for name, f in folds.items()}
        # refit every fold with refit=True; otherwise at a group's start, or when a series
        # lost its model (a failed update), as a local chain starts afresh after a failure
        must_fit = must_refit(task.refit, bool(views) and set(views) == fitted_series)
        problems: dict[str, tuple[str, BaseException]] = {}
        try:
            with timed_fit(task.time_limit, f"{chain.label} global fit of fold {number + 1}") as fit:
                if must_fit:
                    train = {name: task.data[name].iloc[f.train_start : f.train_end] for name, f in folds.items()}
                    train_X = {name: task.X[name].loc[y.index] for name, y in train.items()} if use_X else None
                    views, failed = clone(model).fit_global_partial(train, train_X)
                    fitted_series = set(views)
                    problems = {name: ("fit", exc) for name, exc in failed.items()}
                else:
                    for name, view in list(views.items()):
                        new = task.data[name].iloc[seen[name] : folds[name].train_end]
                        try:
                            view.update(new, task.X[name].loc[new.index] if use_X else None)
                        except Exception as exc:  # noqa: BLE001 - this series fails, the others go on
                            problems[name] = ("update", exc)
                            del views[name]
        except Exception as exc:  # noqa: BLE001 - the whole fold fails, recorded for every series
            out.failures += [failure({"series": name, "model": chain.label, "cutoff": cutoffs[name]}, "fit", exc)
                             for name in folds]
            views = {}
            continue
        seen = {name: f.train_end for name, f in folds.items()}
        share = fit.seconds / len(folds)  # the fit's time, shared by its series
        described = f"global over {len(views)} series"
        for name, fold in folds.items():
            record = {"series": name, "model": chain.label, "cutoff": cutoffs[name]}
            if name not in views:
                out.failures.append(failure(record, *problems.get(name, ("fit", RuntimeError("not fitted")))))
                continue
            start = time.perf_counter()
            try:
                forecast = forecast_fold(views[name], name, chain.label, task.data[name],
                                         task.X[name] if use_X else None, fold, columns)
            except Exception as exc:  # noqa: BLE001 - fault isolation: record and go on
                out.failures.append(failure(record, "predict", exc))
                continue
            out.timings.append({**record, "fit_time": share, "predict_time": time.perf_counter() - start,
                                "refitted": must_fit, "fitted": described, "notes": fit.notes})
            out.forecasts.append(forecast)
    if task.diagnose:
        forecast = {f.series for f in out.forecasts if f.cutoff == cutoffs.get(f.series)}
        for name, view in views.items():
            if name in forecast:
                diagnose_fit(view, name, chain.label, cutoffs[name], out)
        out.diagnose()
    return out
