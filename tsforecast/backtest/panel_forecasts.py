"""A block's chains forecast together: one call per model for all the series of a block.

A model class that can forecast the folds of many series from their values alone says so by
having a ``forecast_panel`` method (the baselines: :meth:`tsforecast.models.baseline.SeasonalNaive.forecast_panel`),
which takes every series of the block in one flat array and the ``(start, end)`` of every
fold in it. :func:`run_block_panels` gives it all the chains of a block that it can take, in
one call per model, and turns the answer into the block's output arrays directly (one
:class:`~tsforecast.backtest.frame.ForecastBlock`, one timing table, the residuals to
diagnose): no Python call per series, no object per chain.

A chain is taken when its model has ``forecast_panel`` and fits from values alone
(``fits_from_values``), it has no regressors, no time limit, keeps no fitted model, its folds
share one horizon and, with ``refit`` other than True, its model does not roll forward its own
way (``updates_in_place``): the cases where the per-chain path
(:func:`tsforecast.backtest.chains.run_chain`, one ``forecast_folds`` call per chain) would give
the same numbers, which a test checks. Everything else, and a model's group whose call fails or
gives a value that is not finite, goes through the per-chain path, which records failures fold
by fold.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from tsforecast.backtest.chains import ChainTask
from tsforecast.backtest.frame import ChainOutput, ForecastBlock, timing_table
from tsforecast.evaluation.intervals import interval_columns

__all__ = ["panel_ready", "run_block_panels"]


def panel_ready(task: object) -> bool:
    """Whether ``task`` is a chain its model can forecast with the other chains of its block
    (see the module docstring)."""
    if not isinstance(task, ChainTask) or task.arrays is None:
        return False
    model = task.model
    if getattr(model, "forecast_panel", None) is None or not getattr(model, "fits_from_values", False):
        return False
    if task.X is not None or task.time_limit is not None or task.keep_fitted:
        return False
    if task.refit is not True and model.updates_in_place:
        return False
    horizon = task.chain.folds[0].horizon
    return all(f.horizon == horizon for f in task.chain.folds)


def run_block_panels(tasks: Sequence[object], out: ChainOutput) -> set[int]:
    """Forecast the chains of ``tasks`` that :func:`panel_ready` accepts, one call per model
    (the same model instance, coverage and horizon), into ``out``; the positions of the tasks
    done, so the caller runs the others one by one."""
    groups: dict[tuple, list[int]] = {}
    for k, task in enumerate(tasks):
        if panel_ready(task):
            key = (id(task.model), task.coverage, task.chain.folds[0].horizon, task.freq, task.tz)
            groups.setdefault(key, []).append(k)
    done: set[int] = set()
    for positions in groups.values():
        if _run_group([tasks[k] for k in positions], out):
            done.update(positions)
    return done


def _run_group(tasks: list[ChainTask], out: ChainOutput) -> bool:
    """One ``forecast_panel`` call for ``tasks`` (chains of one model): False, with nothing
    written to ``out``, when the call fails or a value is not finite."""
    first = tasks[0]
    model, horizon = first.model, first.chain.folds[0].horizon
    levels, lower_at, upper_at = interval_columns(first.coverage)
    lengths = np.array([len(t.arrays[0]) for t in tasks])
    offsets = np.r_[0, np.cumsum(lengths)[:-1]]
    values = np.concatenate([t.arrays[0] for t in tasks])
    folds_per_chain = np.array([len(t.chain.folds) for t in tasks])
    owner = np.repeat(np.arange(len(tasks)), folds_per_chain)  # the chain of every fold
    ends = np.array([f.train_end for t in tasks for f in t.chain.folds]) + offsets[owner]
    # refit=True fits each fold on its own window; otherwise (models that refit on all they
    # saw when rolled forward) every fold on the history since its chain's first fold
    starts = np.array([f.train_start if t.refit is True else t.chain.folds[0].train_start
                       for t in tasks for f in t.chain.folds]) + offsets[owner]
    last_fold = np.cumsum(folds_per_chain) - 1
    diagnosed = np.array([t.diagnose for t in tasks], dtype=bool)
    started = time.perf_counter()
    try:
        # a shallow copy holds the fitted values: the task's model stays as it was given
        twin = object.__new__(type(model))
        twin.__dict__.update(model.__dict__)
        points, quantiles, residuals = twin.forecast_panel(values, starts, ends, horizon, levels, first.freq,
                                                           last_fold[diagnosed])
        if not (np.isfinite(points).all() and np.isfinite(quantiles).all()):
            return False
    except Exception:  # noqa: BLE001 - chain by chain, failures are recorded with their fold
        return False
    seconds = (time.perf_counter() - started) / len(ends)  # the call's time, shared by its folds
    stamps = np.concatenate([t.arrays[1] for t in tasks])
    rows = ends[:, None] + np.arange(horizon)  # (folds, steps) positions of the test values
    series = np.array([t.chain.series for t in tasks], dtype=object)[owner]
    label = np.array([t.chain.label for t in tasks], dtype=object)[owner]
    cutoffs = stamps[ends - 1]
    out.blocks.append(ForecastBlock(
        series, label, cutoffs, np.full(len(ends), horizon, dtype="int64"), stamps[rows].reshape(-1),
        values[rows].reshape(-1), points.reshape(-1), quantiles[:, :, lower_at].reshape(-1),
        quantiles[:, :, upper_at].reshape(-1), quantiles.reshape(-1, len(levels)), tz=first.tz))
    # with refit=True every fold is fitted; otherwise each chain's first fold is, the others rolled forward
    refitted = np.ones(len(ends), dtype=bool)
    if first.refit is not True:
        refitted[:] = False
        refitted[last_fold - folds_per_chain + 1] = True
    out.timing_blocks.append(timing_table(series, label, cutoffs, first.tz, np.full(len(ends), seconds), refitted))
    season = int(twin.season_)
    for k, errors in zip(np.flatnonzero(diagnosed).tolist(), residuals, strict=True):
        out.residuals.append((tasks[k].chain.series, tasks[k].chain.label, (cutoffs[last_fold[k]], first.tz),
                              season, errors))
    return True
