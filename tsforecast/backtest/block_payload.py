"""A block of work in the compact form it travels to a Dask worker in.

A block (:class:`tsforecast.backtest.runner.Block`) holds one task object per chain: the chain
and its :class:`~tsforecast.backtest.splits.Fold` objects, the model, the series' values and
stamps as two arrays. Sent as it is, a 500-chain block is thousands of Python objects that
Dask pickles in the client, unpickles and pickles again in the scheduler (which reads every
task it schedules) and unpickles in the worker: about 60 ms of CPU per 1,000 series, more than
the seasonal-naive forecasts themselves. :func:`pack_block` makes the block's panel groups
(the chains forecast by one ``forecast_panel`` call,
:func:`~tsforecast.backtest.panel_forecasts.panel_groups`) flat on the client: per group one
float array of values, one of stamps, an integer table of folds, the series and model names
and the model once (:class:`~tsforecast.backtest.panel_forecasts.PanelGroup`), a few objects
however many chains. Tasks that are not in a group (models fitted fold by fold, global models'
folds) travel as they are.

:meth:`PackedBlock.run` on the worker does what
:func:`~tsforecast.backtest.runner.run_block` does with the unpacked block, through the same
functions and in the same order: the groups' calls, then every other task in block order
(including the chains of a group whose call failed, rebuilt from the arrays), the residual
diagnosis and the compaction. So the output, and every number in it, is the local engine's.

:func:`seal_block` pickles the packed block once more on the client, into bytes and its
arrays (:class:`SealedBlock`): the scheduler unpickles and pickles every task it schedules, and
a sealed block is to it a few byte arrays, not a model, a thousand names and their
Series' shapes to rebuild and take apart again. Only the worker opens it.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tsforecast.backtest.chains import ChainTask
from tsforecast.backtest.frame import ChainOutput
from tsforecast.backtest.own_payload import load_own_payload
from tsforecast.backtest.panel_forecasts import (
    PanelGroup,
    finish_block,
    panel_group,
    panel_groups,
    panel_ready,
    run_panel_group,
)

__all__ = ["PANEL_BLOCK", "PackedBlock", "SealedBlock", "dask_block_size", "pack_block", "seal_block"]

#: chains per block at most when every chain of a plan is forecast by a many-series call: those
#: are cheap (1,000 seasonal-naive chains take about 40 ms), so each Dask thread gets one block,
#: up to this size, instead of several (each block is a round trip through the scheduler: a
#: few ms of CPU in the client, the scheduler and the worker); a block's forecasts stay a few MiB
PANEL_BLOCK = 2000


@dataclass(frozen=True)
class PackedBlock:
    """A block of tasks as it travels: its panel groups as flat arrays (``groups``, each with
    the positions of its chains in the block) and its other tasks as objects (``others``,
    with their positions); ``size`` tasks in all."""

    groups: tuple[tuple[np.ndarray, PanelGroup], ...]
    others: tuple[tuple[int, object], ...]
    size: int

    def run(self) -> ChainOutput:
        """Run the block as :func:`~tsforecast.backtest.runner.run_block` runs it unpacked."""
        out = ChainOutput()
        rest = list(self.others)
        for positions, group in self.groups:
            if not run_panel_group(group, out):
                # the call failed: its chains go fold by fold, in their places among the others
                rest += zip(positions.tolist(), group.tasks(), strict=True)
        rest.sort(key=lambda item: item[0])
        return finish_block((task for _, task in rest), out)


def dask_block_size(tasks: Sequence[object], threads: int) -> int | None:
    """Chains per block for ``tasks`` on ``threads`` Dask threads: one block per thread (at
    most :data:`PANEL_BLOCK` chains) when every chain is forecast by a many-series call
    (:func:`~tsforecast.backtest.panel_forecasts.panel_ready`); otherwise None, the runner's
    default (several blocks per thread, so the faster threads take more of slow models' work
    and a progress display moves)."""
    chains = 0
    for task in tasks:
        if isinstance(task, ChainTask):
            if not panel_ready(task):
                return None
            chains += 1
    return min(PANEL_BLOCK, max(1, math.ceil(chains / max(1, threads)))) if chains else None


def pack_block(tasks: Sequence[object]) -> PackedBlock:
    """``tasks`` (a block's, in order) packed for a worker: its panel groups flat, the other
    tasks as they are (see the module docstring)."""
    groups = panel_groups(tasks)
    grouped = {k for positions in groups for k in positions}
    return PackedBlock(
        tuple((np.array(positions, dtype="int64"), panel_group([tasks[k] for k in positions], shapes=True))
              for positions in groups),
        tuple((k, task) for k, task in enumerate(tasks) if k not in grouped),
        len(tasks),
    )


@dataclass(frozen=True)
class SealedBlock:
    """A :class:`PackedBlock` pickled (protocol 5, as Dask pickles: pickle, or cloudpickle for
    what only it can take, such as a model class defined in ``__main__``): the pickle stream
    ``inline`` and its out-of-band buffers (the group's arrays), all as byte arrays, which pickle
    in turn out of band, without a copy (a global model's task carries its whole panel in line).
    Made by :func:`seal_block`; opened by :meth:`run` on the worker."""

    inline: np.ndarray
    buffers: tuple[np.ndarray, ...]

    def run(self) -> ChainOutput:
        """Unpickle the block (this run's client sealed it) and run it (:meth:`PackedBlock.run`)."""
        return load_own_payload(self.inline, self.buffers).run()


def seal_block(packed: PackedBlock) -> SealedBlock:
    """``packed`` pickled into a :class:`SealedBlock` (see the module docstring)."""
    from distributed.protocol import pickle as dask_pickle  # the Dask engine's optional dependency

    buffers: list[pickle.PickleBuffer] = []
    inline = dask_pickle.dumps(packed, protocol=5, buffer_callback=buffers.append)
    # a uint8 view of each buffer: an array pickles out of band again (Dask's pickling in the
    # client and the scheduler), where a PickleBuffer received from a stream may not
    return SealedBlock(np.frombuffer(inline, dtype=np.uint8), tuple(np.frombuffer(b.raw(), dtype=np.uint8)
                                                                    for b in buffers))
