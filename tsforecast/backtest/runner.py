"""Running a backtest's tasks (chains of folds, global models' folds) on an engine: here,
in local worker processes, or on a Dask cluster.

Tasks travel in *blocks*: consecutive chains of many series (a partition of the panel, as
statsforecast partitions by series on Spark, Dask or Ray), or one global model's task alone.
A block runs its chains one after another, diagnoses the residuals of all of them at once and
compacts its forecasts into a few arrays before it goes back (:meth:`ChainOutput.compact`).
So the cost per task (pickling, scheduling, a result object) is paid per block, and what the
caller receives and keeps is a few arrays per block, never an object per fold.

Blocks are merged in plan order whatever order they finish in, and nothing in a block depends
on which other chains share it, so the numbers are the same for any block size, ``n_jobs`` or
engine.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tsforecast.backtest.chains import ChainTask, run_task
from tsforecast.backtest.executors import run_tasks, worker_count
from tsforecast.backtest.frame import ChainOutput
from tsforecast.backtest.panel_forecasts import finish_block, run_block_panels
from tsforecast.core.errors import ConfigError

__all__ = ["Block", "plan_blocks", "progress_reporter", "run_block", "run_chains", "BLOCKS_PER_WORKER",
           "DASK_BLOCKS_PER_THREAD", "MAX_BLOCK"]

#: blocks per worker (or Dask thread) when the size is not given: enough for the faster
#: workers to take more blocks than the slower ones, and for a progress display to move
BLOCKS_PER_WORKER = 8
#: blocks per Dask thread when the size is not given: fewer than locally, since every block
#: costs a round trip through the scheduler (a few ms of CPU in the client, the scheduler and
#: the worker); a panel too large for that still streams in blocks of at most MAX_BLOCK chains
DASK_BLOCKS_PER_THREAD = 2
#: at most this many chains per block, so one block's forecasts stay a few MiB however large
#: the panel (100,000 series make a few hundred blocks, streamed back as they finish)
MAX_BLOCK = 500


@dataclass(frozen=True)
class Block:
    """Consecutive tasks run together as one unit of work."""

    tasks: tuple

    @property
    def description(self) -> str:
        """What this block does, for a progress display: its first task, and how many more."""
        first = self.tasks[0].description
        return first if len(self.tasks) == 1 else f"{first} and {len(self.tasks) - 1} more"

    def run(self) -> ChainOutput:
        """Run the block (:func:`run_block`)."""
        return run_block(self)


def plan_blocks(
    tasks: Sequence[object], n_workers: int, block_size: int | None = None, per_worker: int = BLOCKS_PER_WORKER,
) -> list[Block]:
    """``tasks`` cut into blocks in order: each global model's task alone (it is already a
    whole fold across the panel), the chains in runs of ``block_size`` (default: about
    ``per_worker`` blocks per worker, :data:`BLOCKS_PER_WORKER` unless given, at most
    :data:`MAX_BLOCK` chains each)."""
    if block_size is not None and (isinstance(block_size, bool) or not isinstance(block_size, int)
                                   or block_size < 1):
        raise ConfigError(f"block_size must be a positive integer or None, got {block_size!r}.")
    chains = sum(isinstance(t, ChainTask) for t in tasks)
    size = block_size or min(MAX_BLOCK, max(1, math.ceil(chains / (per_worker * max(1, n_workers)))))
    blocks: list[Block] = []
    run: list[object] = []
    for task in tasks:
        if not isinstance(task, ChainTask):
            blocks.append(Block((task,)))
            continue
        run.append(task)
        if len(run) == size:
            blocks.append(Block(tuple(run)))
            run = []
    if run:
        blocks.append(Block(tuple(run)))
    return blocks


def run_block(block: Block) -> ChainOutput:
    """Every task of ``block``: the chains whose model forecasts many series at once
    together (:func:`~tsforecast.backtest.panel_forecasts.run_block_panels`), the others in
    order; then the residual diagnosis of all its chains at once, and its outputs compacted
    into arrays."""
    out = ChainOutput()
    # the chains whose model forecasts many series per call, in one call per model
    done = run_block_panels(block.tasks, out)
    return finish_block((task for k, task in enumerate(block.tasks) if k not in done), out)


def run_chains(
    tasks: Sequence[object],
    *,
    n_jobs: int,
    limited: bool = False,
    progress: Callable[..., None] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    block_size: int | None = None,
) -> ChainOutput:
    """Run every task (:func:`~tsforecast.backtest.chains.chain_tasks`, and global models'
    folds) in blocks (:func:`plan_blocks`), in worker processes when ``n_jobs`` allows more
    than one (at most one per block and per core) or on a Dask cluster (``engine="dask"``,
    see :mod:`tsforecast.backtest.dask_engine`), and merge the outputs in task order.
    ``limited``: the tasks' fits have a time limit. ``progress`` hears how many tasks are done
    after each block."""
    n_workers = worker_count(n_jobs, len(tasks))
    # SIGALRM only reaches a main thread: called from another thread (a web server, a
    # notebook's executor), limited fits run in a worker process, where they are stoppable
    isolate = limited and threading.current_thread() is not threading.main_thread()
    merged = ChainOutput()
    with contextlib.ExitStack() as stack:
        if engine == "dask":
            from tsforecast.backtest.block_payload import dask_block_size, pack_block, seal_block
            from tsforecast.backtest.dask_engine import dask_client, dask_threads, run_tasks_dask

            client = stack.enter_context(dask_client(scheduler, n_workers))
            threads = dask_threads(client)  # the one query of the cluster per run
            # cheap chains: a block per thread; a block_size given is checked by plan_blocks
            size = block_size if block_size is not None else dask_block_size(tasks, threads)
            blocks = plan_blocks(tasks, threads, size, DASK_BLOCKS_PER_THREAD)
            # each block packed and sealed as it is sent (block_payload), run on the worker by its run()
            results = run_tasks_dask(run_task, (seal_block(pack_block(b.tasks)) for b in blocks), client, threads)
        else:
            blocks = plan_blocks(tasks, n_workers, block_size)
            results = run_tasks(run_block, blocks, min(n_workers, len(blocks)), isolate=isolate)
        report = progress_reporter(progress)
        done = 0
        for k, result in enumerate(results):
            merged.extend(result)  # a few arrays per block; joined once, at the end
            done += len(blocks[k].tasks)
            report(done, len(tasks), blocks[k + 1].description if k + 1 < len(blocks) else "")
    return merged


def progress_reporter(progress: Callable[..., None] | None) -> Callable[[int, int, str], None]:
    """``progress`` called as ``progress(done, total, running)`` (``running`` describes the next
    block: a model and its series), or as ``progress(done, total)`` when it takes two
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
