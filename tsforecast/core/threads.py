"""One BLAS thread while a model estimates.

numpy and scipy ship OpenBLAS, which by default starts a thread per core and spins them
waiting for work. The statistical models multiply matrices no larger than their state (a
few dozen rows) thousands of times, where a second thread never pays for itself; and when
another process is busy on the other cores the spinning threads fight it: two
``auto_arima`` backtests of 55 quarterly points, run side by side on two cores, took 42 s
each with the default threads and 7.2 s with one (alone: 10.2 s and 7.4 s). That cost also
ate into ``auto``'s wall-clock ``time_budget``, so a busy machine cut candidates it had time
for. The backtest's worker processes were already limited to their share of the cores; this
limits the estimation in the calling process too, for every model, which also gives
``n_jobs=1`` the same arithmetic as the workers. PyTorch's own threads are the neural
models' ``n_threads`` and are not touched.
"""

from __future__ import annotations

import functools
from contextlib import AbstractContextManager

from threadpoolctl import ThreadpoolController

__all__ = ["one_blas_thread"]


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
