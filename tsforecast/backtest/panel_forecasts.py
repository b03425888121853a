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

A group is first made flat (:class:`PanelGroup`: every chain's values, stamps and folds in a few
arrays), then forecast (:func:`run_panel_group`): the Dask engine makes the groups on the client
and sends them to the workers in that form instead of the tasks
(:mod:`tsforecast.backtest.block_payload`), so the same code runs them on either engine.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence

import numpy as np

from tsforecast.backtest.chains import Chain, ChainTask, datetime_unit, run_chain, run_task
from tsforecast.backtest.frame import ChainOutput, ForecastBlock, timing_table
from tsforecast.backtest.splits import Fold
from tsforecast.core.errors import ConfigError
from tsforecast.evaluation.intervals import interval_columns
from tsforecast.models.base import Forecaster

__all__ = ["PanelGroup", "finish_block", "panel_group", "panel_groups", "panel_ready", "run_block_panels",
           "run_panel_group"]


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


def panel_groups(tasks: Sequence[object]) -> list[list[int]]:
    """The positions in ``tasks`` of the chains :func:`panel_ready` accepts, grouped by what
    one ``forecast_panel`` call shares (the same model instance, refit policy, coverage,
    horizon, frequency and zone), groups and positions in task order."""
    groups: dict[tuple, list[int]] = {}
    for k, task in enumerate(tasks):
        if panel_ready(task):
            key = (id(task.model), task.refit, task.coverage, task.chain.folds[0].horizon, task.freq, task.tz)
            groups.setdefault(key, []).append(k)
    return list(groups.values())


@dataclasses.dataclass(frozen=True)
class PanelGroup:
    """Chains of one model forecast in one ``forecast_panel`` call, as flat arrays: what
    :func:`run_panel_group` reads, and what travels to a Dask worker in their place
    (:mod:`tsforecast.backtest.block_payload`).

    Chain ``k`` is model ``labels[k]`` on series ``series[k]``, whose ``lengths[k]`` values and
    stamps (datetime64, UTC when ``tz`` is set) follow those of the chains before it in
    ``values`` and ``stamps``; its ``fold_counts[k]`` folds follow those of the chains before
    it in ``fold_table`` (rows of number, train start, train end, positions in its own series).
    ``shapes``: what rebuilds each chain's Series with the group's ``freq`` and ``tz`` (see
    :meth:`tasks`), or None."""

    model: Forecaster
    refit: bool | int
    coverage: float
    horizon: int
    freq: object
    tz: object
    series: list
    labels: list
    lengths: np.ndarray  # int64 per chain
    values: np.ndarray  # float64, the chains' series one after another
    stamps: np.ndarray  # datetime64, likewise
    fold_counts: np.ndarray  # int64 per chain
    fold_table: np.ndarray  # int64 (folds, 3): number, train_start, train_end
    diagnose: np.ndarray  # bool per chain
    shapes: list | None = None  # per chain (name, index name, unit) of its Series, the rest is the group's

    def __reduce__(self) -> tuple:
        # the stamps travel as their int64 view: pickle sends a datetime64 array's bytes in line
        # (copied into the stream), an int64 array's as an out-of-band buffer (protocol 5, as
        # Dask pickles), so the view crosses to a worker without a copy. When every chain steps
        # by one interval (a regular panel), as each chain's first stamp and that step: half
        # the bytes of a block, which cross the network twice (to the scheduler, to the worker)
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        instants = self.stamps.view("int64")
        fields["stamps"] = (_even_steps(instants, self.lengths) or instants, self.stamps.dtype.str)
        return (_panel_group, (fields,))

    def tasks(self) -> list[ChainTask]:
        """The chains as tasks again (their Series rebuilt from the arrays when a model needs
        it, :meth:`~tsforecast.backtest.chains.ChainTask.series`): the per-chain path takes them
        when the group's call fails."""
        if self.shapes is None:
            raise ConfigError("this panel group was made without its chains' shapes, so it cannot make its tasks "
                              "again. Fix: make it with panel_group(tasks, shapes=True).")
        bounds = np.r_[0, np.cumsum(self.lengths)].tolist()
        first = np.r_[0, np.cumsum(self.fold_counts)].tolist()
        rows = self.fold_table.tolist()
        tasks = []
        for k, (series, label, (name, index_name, unit)) in enumerate(zip(self.series, self.labels, self.shapes,
                                                                           strict=True)):
            a, b = bounds[k], bounds[k + 1]
            folds = tuple(Fold(number, start, end, self.horizon) for number, start, end in rows[first[k]:first[k + 1]])
            tasks.append(ChainTask(Chain(series, label, folds), self.model, None, None, self.refit, self.coverage, None,
                                   diagnose=bool(self.diagnose[k]), arrays=(self.values[a:b], self.stamps[a:b]),
                                   shape=(name, index_name, self.freq, self.tz, unit)))
        return tasks


def _panel_group(fields: dict) -> PanelGroup:
    """A :class:`PanelGroup` from its pickled fields (see ``PanelGroup.__reduce__``)."""
    stamps, dtype = fields["stamps"]
    if isinstance(stamps, tuple):  # each chain's first stamp, and the one step
        stamps = _stepped(*stamps, fields["lengths"])
    return PanelGroup(**{**fields, "stamps": stamps.view(dtype)})


def _stepped(firsts: np.ndarray, step: int, lengths: np.ndarray) -> np.ndarray:
    """The int64 stamps of chains of ``lengths`` points one after another, chain ``k`` from
    ``firsts[k]`` by ``step``: point ``i`` of the panel is its chain's first stamp plus
    ``step`` times (``i`` minus its chain's first row). Computed as ``i * step`` plus a per-chain
    constant, which may overflow int64 on the way; numpy's integers wrap, so the sum is still
    exact modulo 2**64, and the true stamps fit in int64."""
    first_rows = np.cumsum(lengths) - lengths
    with np.errstate(over="ignore"):
        return np.arange(int(lengths.sum()), dtype="int64") * step + np.repeat(firsts - first_rows * step, lengths)


def _even_steps(instants: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Each chain's first stamp and the step when every chain of ``lengths`` points in
    ``instants`` (int64, one after another) steps by the same positive interval, else None."""
    if len(instants) < 2 or not len(lengths) or lengths.min() < 1:
        return None
    first_rows = np.cumsum(lengths) - lengths
    longer = np.flatnonzero(lengths > 1)
    if not len(longer):
        return None
    step = int(instants[first_rows[longer[0]] + 1] - instants[first_rows[longer[0]]])
    steps = np.diff(instants)
    steps[first_rows[1:] - 1] = step  # the jumps from one chain to the next do not count
    # every step equal (modulo 2**64 where a difference wraps): then _stepped's stamps are these, bit for bit
    if step <= 0 or not (steps == step).all():
        return None
    return instants[first_rows], step


def panel_group(tasks: Sequence[ChainTask], shapes: bool = False) -> PanelGroup:
    """``tasks`` (one group of :func:`panel_groups`) as a :class:`PanelGroup`; ``shapes``: also
    what rebuilds each chain's Series (for a group sent to another process)."""
    first = tasks[0]
    table = np.array([(f.number, f.train_start, f.train_end) for t in tasks for f in t.chain.folds],
                     dtype="int64").reshape(-1, 3)
    return PanelGroup(
        first.model, first.refit, first.coverage, first.chain.folds[0].horizon, first.freq, first.tz,
        [t.chain.series for t in tasks], [t.chain.label for t in tasks],
        np.array([len(t.arrays[0]) for t in tasks], dtype="int64"),
        np.concatenate([t.arrays[0] for t in tasks]), np.concatenate([t.arrays[1] for t in tasks]),
        np.array([len(t.chain.folds) for t in tasks], dtype="int64"), table,
        np.array([t.diagnose for t in tasks], dtype=bool),
        [_shape(t) for t in tasks] if shapes else None,
    )


def _shape(task: ChainTask) -> tuple:
    """What rebuilds ``task``'s Series from its arrays with its group's freq and tz: (name,
    index name, unit)."""
    if task.y is None:
        name, index_name, _, _, unit = task.shape
        return name, index_name, unit
    return task.y.name, task.y.index.name, datetime_unit(task.y.index)


def run_block_panels(tasks: Sequence[object], out: ChainOutput) -> set[int]:
    """Forecast the chains of ``tasks`` that :func:`panel_ready` accepts, one call per group
    (:func:`panel_groups`), into ``out``; the positions of the tasks done, so the caller runs
    the others one by one."""
    done: set[int] = set()
    for positions in panel_groups(tasks):
        if run_panel_group(panel_group([tasks[k] for k in positions]), out):
            done.update(positions)
    return done


def finish_block(tasks: Iterable[object], out: ChainOutput) -> ChainOutput:
    """The rest of a block after its panel groups: each task in order (chains into ``out``,
    other tasks' outputs appended), then the residual diagnosis of all of them at once and the
    outputs compacted into arrays (:meth:`~tsforecast.backtest.frame.ChainOutput.compact`)."""
    for task in tasks:
        if isinstance(task, ChainTask):
            run_chain(task, out)  # chains append to the block's output: no object per chain
        else:
            out.extend(run_task(task))
    out.diagnose()
    out.compact()
    return out


def run_panel_group(group: PanelGroup, out: ChainOutput) -> bool:
    """One ``forecast_panel`` call for ``group``: False, with nothing written to ``out``, when
    the call fails or a value is not finite."""
    model, horizon, tz = group.model, group.horizon, group.tz
    levels, lower_at, upper_at = interval_columns(group.coverage)
    folds_per_chain = group.fold_counts
    offsets = np.r_[0, np.cumsum(group.lengths)[:-1]]
    owner = np.repeat(np.arange(len(folds_per_chain)), folds_per_chain)  # the chain of every fold
    ends = group.fold_table[:, 2] + offsets[owner]
    last_fold = np.cumsum(folds_per_chain) - 1
    first_fold = last_fold - folds_per_chain + 1
    # refit=True fits each fold on its own window; otherwise (models that refit on all they
    # saw when rolled forward) every fold on the history since its chain's first fold
    table = group.fold_table
    starts = (table[:, 1] if group.refit is True else table[first_fold, 1][owner]) + offsets[owner]
    diagnosed = group.diagnose
    values = group.values
    started = time.perf_counter()
    try:
        # a shallow copy holds the fitted values: the task's model stays as it was given
        twin = object.__new__(type(model))
        twin.__dict__.update(model.__dict__)
        points, quantiles, residuals = twin.forecast_panel(values, starts, ends, horizon, levels, group.freq,
                                                           last_fold[diagnosed])
        if not (np.isfinite(points).all() and np.isfinite(quantiles).all()):
            return False
    except Exception:  # noqa: BLE001 - chain by chain, failures are recorded with their fold
        return False
    seconds = (time.perf_counter() - started) / len(ends)  # the call's time, shared by its folds
    stamps = group.stamps
    rows = ends[:, None] + np.arange(horizon)  # (folds, steps) positions of the test values
    series = np.array(group.series, dtype=object)[owner]
    label = np.array(group.labels, dtype=object)[owner]
    cutoffs = stamps[ends - 1]
    out.blocks.append(ForecastBlock(
        series, label, cutoffs, np.full(len(ends), horizon, dtype="int64"), stamps[rows].reshape(-1),
        values[rows].reshape(-1), points.reshape(-1), quantiles[:, :, lower_at].reshape(-1),
        quantiles[:, :, upper_at].reshape(-1), quantiles.reshape(-1, len(levels)), tz=tz))
    # with refit=True every fold is fitted; otherwise each chain's first fold is, the others rolled forward
    refitted = np.ones(len(ends), dtype=bool)
    if group.refit is not True:
        refitted[:] = False
        refitted[first_fold] = True
    out.timing_blocks.append(timing_table(series, label, cutoffs, tz, np.full(len(ends), seconds), refitted))
    season = int(twin.season_)
    for k, errors in zip(np.flatnonzero(diagnosed).tolist(), residuals, strict=True):
        out.residuals.append((group.series[k], group.labels[k], (cutoffs[last_fold[k]], tz), season, errors))
    return True
