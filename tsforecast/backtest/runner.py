"""Running a backtest's tasks (chains of folds, global models' folds) on an engine: here,
in local worker processes, or on a Dask cluster; the outputs merged in task order."""

from __future__ import annotations

import contextlib
import inspect
import threading
from collections.abc import Callable, Sequence

from tsforecast.backtest.chains import run_task
from tsforecast.backtest.executors import run_tasks, worker_count
from tsforecast.backtest.frame import ChainOutput

__all__ = ["progress_reporter", "run_chains"]


def run_chains(
    tasks: Sequence[object],
    *,
    n_jobs: int,
    limited: bool = False,
    progress: Callable[..., None] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
) -> ChainOutput:
    """Run every task (:func:`~tsforecast.backtest.chains.chain_tasks`, and global models'
    folds), in worker processes when ``n_jobs`` allows more than one (at most one per task and
    per core) or on a Dask cluster (``engine="dask"``, see :mod:`tsforecast.backtest.dask_engine`),
    and merge the outputs in task order. ``limited``: the tasks' fits have a time limit."""
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
        report = progress_reporter(progress)
        for done, result in enumerate(results, start=1):
            merged.extend(result)
            report(done, len(tasks), tasks[done].description if done < len(tasks) else "")
    return merged


def progress_reporter(progress: Callable[..., None] | None) -> Callable[[int, int, str], None]:
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
