"""Running independent work units serially or in worker processes on this machine.

Workers are *spawned* (a fresh interpreter, not a fork of a process that may hold PyTorch or
BLAS threads), receive their work as cloudpickle payloads (so locally defined models and
callbacks travel too), and:

* never outnumber the work units or the cores (``--jobs 999`` starts as many workers as
  ``--jobs 2`` on a 2-core machine with enough work);
* limit BLAS and PyTorch to ``cores // workers`` threads each, so workers x threads <= cores;
* die with their parent: on Linux each worker asks the kernel for SIGKILL when its parent
  exits (``PR_SET_PDEATHSIG``), so a killed run (SIGTERM, SIGKILL) leaves no worker behind;
  an interrupted or failed run terminates its pool before the error propagates.
"""

from __future__ import annotations

import ast
import ctypes
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

import cloudpickle

from tsforecast.backtest.own_payload import load_own_payload
from tsforecast.core.errors import ConfigError
from tsforecast.core.threads import limit_process_threads

__all__ = ["cpu_count", "worker_count", "run_tasks", "WorkerError", "unguarded_main_script",
           "check_main_is_guarded"]

_DONE = object()


class WorkerError(RuntimeError):
    """A worker process died (killed, out of memory) or could not start: not the user's
    mistake, so not a :class:`~tsforecast.core.errors.TsforecastError`."""

T = TypeVar("T")
R = TypeVar("R")


def cpu_count() -> int:
    """Cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_count(n_jobs: int, n_tasks: int) -> int:
    """Workers for ``n_jobs`` (joblib's convention: -1 all cores, -2 all but one) capped at the
    number of tasks and of cores."""
    cores = cpu_count()
    wanted = n_jobs if n_jobs > 0 else max(1, cores + 1 + n_jobs)
    return max(1, min(wanted, cores, n_tasks))


def _mentions_main_guard(node: ast.AST) -> bool:
    """Whether ``node`` compares ``__name__`` with ``"__main__"`` (``==``, ``in``, either way
    round, alone or inside ``and``/``or``)."""
    for compare in ast.walk(node):
        if isinstance(compare, ast.Compare):
            sides = [compare.left, *compare.comparators]
            if any(isinstance(side, ast.Name) and side.id == "__name__" for side in sides) and any(
                isinstance(c, ast.Constant) and c.value == "__main__" for side in sides for c in ast.walk(side)
            ):
                return True
    return False


def unguarded_main_script() -> str | None:
    """The path of the script this process runs, when it has no ``if __name__ == "__main__":``
    block; otherwise None (a guarded script, a notebook, ``python -c``, an unreadable file).

    A spawned worker imports the main script again before it runs any work: a script whose
    top level calls ``backtest(..., n_jobs=2)`` would start the backtest again in every worker,
    which multiprocessing refuses, so every worker dies. Found before any worker starts, the
    mistake gets a message that says what to add."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not str(path).endswith(".py") or getattr(main, "__spec__", None) is not None:
        return None  # not a plain script: `python -m` runs a module, whose guard is its own affair
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    # any test of __name__ against "__main__" counts as a guard, wherever it stands: the point is
    # to catch the plain script, never to refuse one that guards itself in its own way
    return None if _mentions_main_guard(tree) else str(path)


def check_main_is_guarded() -> None:
    """A :class:`ConfigError` saying what to add when :func:`unguarded_main_script` finds one:
    called before starting worker processes (the local pool, Dask's LocalCluster)."""
    script = unguarded_main_script()
    if script is not None:
        raise ConfigError(
            f"worker processes (n_jobs > 1, or a local Dask cluster) import your script {script} again, and it has no "
            "`if __name__ == \"__main__\":` block, so each worker would start the run again. Fix: put the code "
            "that runs the backtest under `if __name__ == \"__main__\":` at the end of the script, or use n_jobs=1."
        )


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover - exotic libc
            pass
    if os.getppid() == 1:  # the parent died before the line above ran
        os._exit(1)


def _init_worker(threads: int) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    limit_process_threads(threads)


def _run_payload(payload: bytes) -> Any:
    # what this run's own parent pickled a moment ago and sent over the pool's pipe
    function, task = load_own_payload(payload)
    return function(task)


def run_tasks(
    function: Callable[[T], R],
    tasks: Sequence[T],
    n_workers: int,
    *,
    threads_per_worker: int | None = None,
    isolate: bool = False,
) -> Iterator[R]:
    """``function(task)`` for every task, yielded in task order.

    ``n_workers == 1`` runs them here, one after another (unless ``isolate``: then in one
    worker process); otherwise in that many spawned worker processes (see the module
    docstring), each with ``threads_per_worker`` threads (default: ``cores // n_workers``).
    At most two tasks per worker are in flight, so a long plan is never pickled at once.
    A worker that dies (killed, out of memory) raises :class:`WorkerError`.
    """
    if n_workers <= 1 and not isolate:
        for task in tasks:
            yield function(task)
        return
    check_main_is_guarded()
    n_workers = max(n_workers, 1)
    threads = threads_per_worker or max(1, cpu_count() // n_workers)
    executor = ProcessPoolExecutor(
        n_workers, mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(threads,),
    )
    remaining = iter(tasks)
    pending: deque[Future] = deque()

    def submit_next() -> None:
        task = next(remaining, _DONE)
        if task is not _DONE:
            pending.append(executor.submit(_run_payload, cloudpickle.dumps((function, task))))

    try:
        for _ in range(2 * n_workers):
            submit_next()
        while pending:
            try:
                result = pending.popleft().result()
            except BrokenProcessPool as exc:
                raise WorkerError(
                    "a worker process died or could not start (killed, or out of memory?); "
                    "run with one job (n_jobs=1) to see the model's own error."
                ) from exc
            submit_next()
            yield result
    finally:
        # normally a no-op; on an error, an interrupt or an abandoned generator it stops the
        # workers instead of letting them finish the work in flight. The pool is not waited
        # for: a signal that lands while a worker is still being spawned can leave the pool's
        # bookkeeping waiting on a process that never started, and an interrupted run must
        # end at once (the workers are terminated and joined here, with a bound)
        processes = list((getattr(executor, "_processes", None) or {}).values())
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
        executor.shutdown(wait=False, cancel_futures=True)
