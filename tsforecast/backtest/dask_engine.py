"""Running a backtest's work on a Dask ``distributed`` cluster, beyond one machine.

``backtest(..., engine="dask")`` hands blocks of chains of work (many series, a model, their
folds; see :mod:`tsforecast.backtest.runner`) to a cluster, one task per block, so the work is
distributed by series. Without an address a :class:`distributed.LocalCluster` of ``n_jobs``
worker processes starts for the run and stops after it; with ``scheduler="tcp://host:8786"``
the run uses that cluster (started with ``dask scheduler`` and ``dask worker`` on the machines,
each with tsforecast installed) and leaves it running.

**One client per scheduler address, per process.** The first run on an address connects a
:class:`distributed.Client` to it; later runs in the same process reuse that client (no new
connection, handshake or worker set-up per run: what makes many small runs, such as ``auto``'s
or a scheduler's loop, cheap on an existing cluster). A client whose connection is no longer
running is replaced by a new one. The clients are closed when the process exits (``atexit``),
or earlier with :func:`close_dask_clients`; the cluster itself is never stopped by tsforecast.
Each worker is set up once, when a run first sees it (:func:`set_up_worker`: one BLAS thread
per Dask thread, glibc's malloc thresholds back at their usual ceilings).

What a backtest sends is a block of chains packed as a few flat arrays and sealed
(:mod:`tsforecast.backtest.block_payload`): Dask pickles a task in the client, unpickles and
pickles it again in the scheduler and unpickles it in the worker, so an object per series would
be paid for three times; sealed (pickled once in the client), the block is to the scheduler
only bytes and arrays, opened by the worker.

The numbers are the serial run's: each task is the function a serial run calls, on the same
inputs, models are seeded, and every worker process is limited to one BLAS and one PyTorch
thread per Dask thread (:func:`~tsforecast.core.threads.limit_process_threads`), as the local
worker pool does. A task that fails is recorded by the chain itself, as in a local run; a
worker that dies raises :class:`~tsforecast.backtest.executors.WorkerError`.

Trust: a Dask cluster runs whatever its clients send it (functions and data travel pickled,
which is how Dask works), so point ``scheduler`` only at a cluster of your own. Nothing a run
reads from a file (data, a saved model) is ever unpickled, here or on the workers.

Dask is an optional dependency: ``pip install "tsforecast[dask]"``.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import itertools
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from tsforecast.backtest.executors import WorkerError, check_main_is_guarded
from tsforecast.core.errors import ConfigError
from tsforecast.core.threads import limit_process_threads

__all__ = ["close_dask_clients", "connect_scheduler", "dask_client", "dask_threads", "run_tasks_dask",
           "set_up_worker"]

T = TypeVar("T")
R = TypeVar("R")

# tasks in flight per Dask thread: enough to keep every worker busy while results come back
# in order, few enough that a plan of 100,000 chains is never serialised at once
_IN_FLIGHT_PER_THREAD = 4
# seconds to wait for a scheduler given by address before saying it cannot be reached
_CONNECT_TIMEOUT = 10


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "the Dask engine needs the optional Dask dependencies. Fix: pip install \"tsforecast[dask]\"."
        ) from None
    return distributed


# the clients connected to schedulers given by address, kept for the process (module docstring)
_CLIENTS: dict[str, Any] = {}
# per client (by id), the workers already limited to one BLAS thread per Dask thread
_PREPARED: dict[int, set[str]] = {}
_CLIENTS_LOCK = threading.Lock()


def _shared_client(distributed: Any, scheduler: str) -> Any:
    """The process's client for ``scheduler``: the one connected before if it still runs,
    else a new one (kept, and closed at exit)."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(scheduler)
        if client is not None and client.status == "running":
            return client
        if client is not None:  # lost its scheduler: replaced, and the old one let go
            _PREPARED.pop(id(client), None)
            with contextlib.suppress(Exception):
                client.close()
        client = connect_scheduler(distributed, scheduler, _CONNECT_TIMEOUT)
        if not _CLIENTS:
            atexit.register(close_dask_clients)
        _CLIENTS[scheduler] = client
        return client


def close_dask_clients(scheduler: str | None = None) -> None:
    """Close the clients kept for schedulers given by address, or only the one for
    ``scheduler`` (done at exit; call it to disconnect earlier, or before stopping a cluster
    of your own: the next run connects again)."""
    with _CLIENTS_LOCK:
        names = list(_CLIENTS) if scheduler is None else [a for a in _CLIENTS if a == scheduler]
        clients = [_CLIENTS.pop(name) for name in names]
        for client in clients:
            _PREPARED.pop(id(client), None)
    for client in clients:
        with contextlib.suppress(Exception):  # a scheduler already gone: nothing to close
            client.close()


@contextlib.contextmanager
def dask_client(scheduler: str | None, n_workers: int) -> Iterator[Any]:
    """A :class:`distributed.Client` for one run: the process's client for ``scheduler`` (an
    address such as ``tcp://10.0.0.5:8786``; connected on first use and kept, see the module
    docstring), or one on a fresh LocalCluster of ``n_workers`` single-threaded worker
    processes that is shut down afterwards."""
    distributed = _import_distributed()
    if scheduler is not None:
        yield _shared_client(distributed, scheduler)
        return
    check_main_is_guarded()
    cluster = distributed.LocalCluster(
        n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0",  # any free port
        silence_logs=logging.ERROR,
    )
    with contextlib.closing(cluster), contextlib.closing(distributed.Client(cluster)) as client:
        yield client


def connect_scheduler(distributed: Any, scheduler: str, timeout: float) -> Any:
    """A :class:`distributed.Client` connected to ``scheduler`` within ``timeout`` seconds, or
    a :class:`ConfigError` saying it cannot be reached.

    The client's own ``timeout`` covers opening the connection, not the handshake after it:
    a port that accepts and never answers (a wrong port, a stuck scheduler, an HTTP server)
    would keep it waiting forever. So the connection runs in a daemon thread under a deadline
    of our own; a thread still waiting past it is abandoned (it ends with the process)."""
    outcome: dict[str, Any] = {}

    def attempt() -> None:
        try:
            outcome["client"] = distributed.Client(scheduler, timeout=timeout)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=attempt, name="tsforecast-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout)
    if "client" in outcome:
        return outcome["client"]
    exc = outcome.get("error")
    why = f"{type(exc).__name__}: {exc}" if exc is not None else f"no answer within {timeout:g} s"
    raise ConfigError(
        f"cannot reach the Dask scheduler at {scheduler!r} ({why}). Fix: check the address and port, start "
        "the scheduler (dask scheduler; dask worker ADDRESS on each machine) or leave --scheduler out for a "
        "local cluster."
    )


def dask_threads(client: Any) -> int:
    """The Dask threads of the cluster behind ``client`` (a :class:`ConfigError` when it has
    no workers), each worker not seen before by ``client`` set up on the way
    (:func:`set_up_worker`, one round trip per new worker, not one per run). One query of the
    scheduler per run: the caller hands the count on to :func:`run_tasks_dask`."""
    workers = client.scheduler_info().get("workers", {})
    if not workers:
        raise ConfigError("the Dask cluster has no workers. Fix: start at least one (dask worker ADDRESS).")
    # a worker is known by its address and process id: one restarted at the same address is new
    known = {f"{address}#{info.get('pid', '')}": address for address, info in workers.items()}
    with _CLIENTS_LOCK:
        # only the kept clients remember; a run's own LocalCluster client is new every time
        shared = any(c is client for c in _CLIENTS.values())
        seen = _PREPARED.setdefault(id(client), set()) if shared else set()
        new = sorted(set(known) - seen)
    if new:
        client.run(set_up_worker, workers=[known[key] for key in new])
        with _CLIENTS_LOCK:
            seen.update(new)
    return sum(w.get("nthreads", 1) for w in workers.values())


# glibc's own ceilings for the thresholds below (64-bit): what a process that never set them
# reaches, the mmap threshold adapting upwards from 128 KiB
_MMAP_THRESHOLD = 32 << 20
_TRIM_THRESHOLD = 64 << 20
# mallopt's parameter numbers (glibc's malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def set_up_worker() -> None:
    """Run once in each Dask worker process: one BLAS and PyTorch thread per Dask thread
    (:func:`~tsforecast.core.threads.limit_process_threads`), and glibc's malloc thresholds back
    at their usual ceilings (:data:`_MMAP_THRESHOLD`, :data:`_TRIM_THRESHOLD`).

    Dask's nanny starts its workers with ``MALLOC_TRIM_THRESHOLD_=65536`` (its
    ``distributed.nanny.pre-spawn-environ``), to hand freed memory back to the system at once.
    With glibc that also pins the mmap threshold at 128 KiB: every array of more than 128 KiB
    is a fresh ``mmap`` whose pages fault in one by one, and a block's arrays (a few MiB each)
    are all that size. A block of 500 seasonal-naive chains took 60-70 ms on such a worker
    against 18-20 ms in a plain process. Elsewhere (another C library, Windows, macOS) there is
    nothing to undo and nothing is changed."""
    limit_process_threads(1)
    if not _glibc():
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - a glibc without mallopt
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def _glibc() -> bool:
    """Whether this process runs on glibc (asked of the C library itself: no file is read)."""
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (AttributeError, ValueError, OSError):  # not a POSIX system, or not a GNU libc
        return False


def run_tasks_dask(
    function: Callable[[T], R], tasks: Iterable[T], client: Any, threads: int | None = None,
) -> Iterator[R]:
    """``function(task)`` for every task on the cluster behind ``client``, yielded in task
    order (as :func:`~tsforecast.backtest.executors.run_tasks` does); ``threads``: the
    cluster's Dask threads when the caller has asked already (:func:`dask_threads`).

    The first tasks go in one message (``Client.map``: one graph, one round trip to the
    scheduler), as many as :data:`_IN_FLIGHT_PER_THREAD` per Dask thread; results come back as
    they complete (``distributed.as_completed``), each yielded as soon as the ones before it
    are, and the room they leave is filled again (one message per refill). So the client never
    holds every task's result at once, and ``tasks`` (an iterable: a generator packs each task
    only when it is sent) is read only as far as it is sent."""
    distributed = _import_distributed()
    limit = _IN_FLIGHT_PER_THREAD * max(1, dask_threads(client) if threads is None else threads)
    remaining = enumerate(tasks)
    position: dict[Any, int] = {}
    finished: dict[int, Any] = {}
    flowing = distributed.as_completed()

    def submit_more() -> None:
        # results waiting for an earlier, slower one count too: no more work until it is in
        items = list(itertools.islice(remaining, max(0, limit - len(position) - len(finished))))
        if not items:
            return
        # Dask serialises the function and the tasks (pickle, cloudpickle for what pickle
        # cannot take); pure=False: two equal tasks are still two runs (results are not cached).
        # A global model's task carries the whole panel (18 MB for 1,000 series of two years),
        # which it needs; Dask's advice to load such data with Dask is not for us
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sending large graph")
            futures = client.map(function, [task for _, task in items], pure=False)
        for (k, _), future in zip(items, futures, strict=True):
            position[future] = k
            flowing.add(future)

    try:
        submit_more()
        following = 0
        for future in flowing:
            try:
                finished[position.pop(future)] = future.result()
            except distributed.KilledWorker as exc:
                raise WorkerError(
                    "a Dask worker died while running a task (killed, or out of memory?); run with "
                    "engine='local' and one job to see the model's own error."
                ) from exc
            future.release()
            ready = []
            while following in finished:
                ready.append(finished.pop(following))
                following += 1
            submit_more()  # before the caller takes the results: the workers get on with the next
            yield from ready
    finally:
        for future in position:
            future.cancel()
