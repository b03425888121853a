"""Thread caps, written once: one BLAS thread while a model estimates; a worker process's
share of the cores (:func:`limit_process_threads`); PyTorch's threads for a block
(:func:`torch_threads`).

**One BLAS thread while a model estimates** (:func:`one_blas_thread`). numpy and scipy ship
OpenBLAS, which by default starts a thread per core and spins them waiting for work. The
statistical models multiply matrices no larger than their state (a few dozen rows) thousands
of times, where a second thread never pays for itself; and when another process is busy on
the other cores the spinning threads fight it: two ``auto_arima`` backtests of 55 quarterly
points, run side by side on two cores, took 42 s each with the default threads and 7.2 s
with one (alone: 10.2 s and 7.4 s). That cost also ate into ``auto``'s wall-clock
``time_budget``, so a busy machine cut candidates it had time for. The backtest's worker
processes were already limited to their share of the cores; this limits the estimation in
the calling process too, for every model, which also gives ``n_jobs=1`` the same arithmetic
as the workers. PyTorch's own threads are the neural models' ``n_threads``
(:func:`torch_threads`) and are not touched by it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager

from threadpoolctl import ThreadpoolController, threadpool_limits

__all__ = ["one_blas_thread", "limit_process_threads", "torch_threads", "THREAD_VARIABLES"]

#: the environment variables OpenMP, MKL and OpenBLAS read for their thread count when they load
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    # built once, at the first fit: by then tsforecast.models.base has imported scikit-learn and
    # scipy, which load numpy's and scipy's OpenBLAS, the two the models use (the tests read
    # every loaded library afresh inside a fit). Inspecting the loaded libraries costs 3 ms,
    # a limit on the cached controller 0.02 ms.
    return ThreadpoolController()


def one_blas_thread() -> AbstractContextManager:
    """A context in which numpy's and scipy's BLAS use a single thread (restored on exit)."""
    return _controller().limit(limits=1, user_api="blas")


def limit_process_threads(threads: int) -> None:
    """Cap this whole process at ``threads`` threads for BLAS, OpenMP and PyTorch: run once in
    a worker process (the local pool's initializer, each Dask worker) so that workers x
    threads never exceed the cores.

    Three routes, since the libraries read their setting at different times: the environment
    variables (read by BLAS and torch when they load later), threadpoolctl (libraries loaded
    already, such as numpy's BLAS) and ``torch.set_num_threads`` when torch is loaded."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads)
    threadpool_limits(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


@contextlib.contextmanager
def torch_threads(n_threads: int | None) -> Iterator[None]:
    """Use ``n_threads`` PyTorch intra-op threads inside the block (``None``: leave torch's
    setting alone), then restore the previous value. Imports torch only when it limits it."""
    if n_threads is None:
        yield
        return
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
