"""The Dask engine against the local one: CPU overhead, a 100,000-series panel, an expensive model.

Four measurements (``--sections overhead,big,arima,floor``; ``floor`` only when asked):

* **overhead**: the default ``backtest`` (seasonal naive, diagnosis on) of a ragged 1,000-series
  daily panel (200-730 days, 3 folds of 14) with the local engine and one job, and on an
  *existing* LocalCluster of one single-threaded worker, started before the clock in a process
  of its own (as a ``--scheduler`` cluster is: scheduler, nanny and worker outside the client's
  process), the two in turn, best of three each (``--rounds``), each the mean of five calls in
  a row (``--repeat``). CPU seconds: for the local engine the calling thread's
  ``time.thread_time()`` (the one thread it runs in; the kept Dask client's idle event loop runs
  in another); for Dask this process's ``time.process_time()`` (the client) plus the
  user + system CPU of every process of the cluster (read with psutil before and after). The
  forecasts must be identical. Also printed: what the connected client and the idle cluster
  burn per second of wall time, doing nothing.
* **floor**: what one Dask task costs whatever it does, on the same kind of existing 1-worker
  cluster, per process (client; scheduler + nanny; worker, read apart with psutil), each the
  mean of ``--floor-repeat`` calls, best of ``--rounds``: a task that does nothing (through
  ``run_tasks_dask``, as the engine sends its blocks); the same with 4 MB of float64 in (in the
  task, or by ``scatter(direct=True)``); with 4 MB back (through ``run_tasks_dask``; by
  ``submit`` and ``gather`` through the scheduler, as the engine gathers; straight from the
  worker, ``direct=True``); and 0.1 s of a connected client and an idle cluster.
* **big**: ``backtest_partitioned`` of a generated panel of ``--big`` series (partitions of
  1,000 generated on the workers, seasonal naive and naive, 3 folds of 14) on a LocalCluster
  of two workers, with a progress line; run in a child process per size (``--big-sizes``) so
  each reports its own peak RSS (``ru_maxrss``) of the client.
* **arima**: ``auto_arima`` on ``--arima-series`` series (one fold of 14), local with one job
  against a two-worker LocalCluster started before the clock; wall seconds (the workers run in
  parallel, which is the point), identical forecasts.

    PYTHONPATH=. .venv/bin/python benchmarks/dask_engine.py [--sections overhead,big,arima,floor]
        [--big-sizes 10000,100000] [--arima-series 200] [--floor-repeat 40]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import multiprocessing
import os
import resource
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
import psutil
from distributed import LocalCluster

from tsforecast.backtest import backtest, backtest_partitioned
from tsforecast.backtest.dask_engine import close_dask_clients, dask_client, run_tasks_dask
from tsforecast.data.synthetic import make_panel

HORIZON, WINDOWS = 14, 3
COLUMNS = dict(id_col="station", time_col="date", target_col="riders")


def ragged_panel(n_series: int, seed: int = 0) -> pd.DataFrame:
    """``n_series`` daily stations of 200-730 days each (ending 2019-12-31), float values."""
    frame = make_panel(n_series, seed=seed, length=730)
    frame["riders"] = frame["riders"].astype("float64")
    lengths = dict(zip(frame["station"].unique(), np.random.default_rng(seed).integers(200, 731, n_series),
                       strict=True))
    from_end = frame.groupby("station", sort=False).cumcount(ascending=False).to_numpy()
    return frame[from_end < frame["station"].map(lengths).to_numpy()].reset_index(drop=True)


def cluster_cpu() -> float:
    """User + system CPU seconds of every process this one started (a LocalCluster's)."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _serve_cluster(workers: int, addresses: multiprocessing.Queue, stop: multiprocessing.Event) -> None:
    """A LocalCluster of ``workers`` single-threaded workers, run in a process of its own (its
    scheduler and nannies there, the workers its children) until ``stop`` is set: an existing
    cluster as ``--scheduler`` finds one, none of whose threads run in the client's process."""
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        addresses.put(cluster.scheduler_address)
        stop.wait()

@contextlib.contextmanager
def _one_worker_cluster() -> Iterator[tuple[str, multiprocessing.Process]]:
    """A one-worker LocalCluster served by a spawned process (:func:`_serve_cluster`): its
    scheduler address and that process, stopped on leaving."""
    context = multiprocessing.get_context("spawn")
    addresses, stop = context.Queue(), context.Event()
    server = context.Process(target=_serve_cluster, args=(1, addresses, stop))
    server.start()
    try:
        yield addresses.get(timeout=300), server
    finally:
        stop.set()
        server.join(timeout=60)



def overhead(n_series: int, rounds: int = 3, repeat: int = 5) -> None:
    data = ragged_panel(n_series)
    options = dict(horizon=HORIZON, n_windows=WINDOWS, **COLUMNS)
    backtest(data, ["snaive"], **options)  # imports, caches
    start = time.process_time()
    backtest(data, ["snaive"], **options)
    alone = time.process_time() - start  # before any client exists: every thread of the process
    with _one_worker_cluster() as (address, _):
        backtest(data.head(5000), ["snaive"], engine="dask", scheduler=address, **options)  # the worker imports
        # tsforecast once, as a long-running cluster has; then the rounds, local and Dask in turn
        # (the machine's load moves, so both see the same). The local run is this thread's CPU: the
        # kept client's idle event loop, in another thread of this process, is not the local engine's
        # Each measurement is the mean of ``repeat`` calls in a row: psutil reads the cluster's CPU
        # in clock ticks (10 ms), as much as the whole difference between the engines
        local_best, best = float("inf"), (float("inf"), 0.0, 0.0, 0.0)
        for _ in range(rounds):
            start = time.thread_time()
            for _ in range(repeat):
                local = backtest(data, ["snaive"], **options)
            local_best = min(local_best, (time.thread_time() - start) / repeat)
            wall, client_start, cluster_start = time.perf_counter(), time.process_time(), cluster_cpu()
            for _ in range(repeat):
                on_dask = backtest(data, ["snaive"], engine="dask", scheduler=address, **options)
            client, cluster = (time.process_time() - client_start) / repeat, (cluster_cpu() - cluster_start) / repeat
            if client + cluster < best[0]:
                best = (client + cluster, client, cluster, (time.perf_counter() - wall) / repeat)
        # what the connected client and the idle cluster burn per second of wall time, doing nothing
        time.sleep(1.0)
        idle_start, client_start, cluster_start = time.perf_counter(), time.process_time(), cluster_cpu()
        time.sleep(3.0)
        idle = (time.process_time() - client_start + cluster_cpu() - cluster_start) / (time.perf_counter() - idle_start)
        close_dask_clients()  # the runs share one kept client; closed before its cluster stops
    pd.testing.assert_frame_equal(local.forecasts, on_dask.forecasts)
    total, client, cluster, wall = best
    print(f"overhead, {n_series:,} ragged series, seasonal naive, default backtest (best of {rounds}, interleaved, "
          f"each the mean of {repeat} calls; CPU s per call):")
    print(f"  local engine, one job: {local_best:.3f} (a run before the client connected, all threads: {alone:.3f})")
    print(f"  dask, existing 1-worker LocalCluster in its own process: {total:.3f} (client {client:.3f}, scheduler + "
          f"nanny + worker {cluster:.3f}; {wall:.2f} s wall) = {total / local_best:.2f}x local; forecasts identical")
    print(f"  the connected client and idle cluster alone burn {idle:.3f} CPU s per wall s: {idle * wall:.3f} over "
          f"that run's wall time ({(total - idle * wall) / local_best:.2f}x local without it)")


def _partition(k: int) -> pd.DataFrame:
    frame = ragged_panel(1000, seed=k)
    frame["station"] = f"P{k:03d}-" + frame["station"]
    return frame


def big_child(n_series: int) -> None:
    partitions = n_series // 1000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu = time.perf_counter(), time.process_time()

    def show(done: int, total: int, running: str) -> None:
        print(f"\r  {done}/{total} partitions", end="", file=sys.stderr, flush=True)

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        result = backtest_partitioned(_partition, partitions, ["naive"], scheduler=cluster.scheduler_address,
                                      settings=dict(horizon=HORIZON, n_windows=WINDOWS, **COLUMNS), progress=show)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        workers = cluster_cpu()
        close_dask_clients()  # the run's kept client, before its cluster stops (else it tries to reconnect)
    print(file=sys.stderr)
    board = result.leaderboard
    print(f"  {result.series:,} series ({partitions} partitions of 1,000, {result.rows:,} forecast rows): "
          f"{time.perf_counter() - start:.0f} s wall, client CPU {time.process_time() - cpu:.1f} s, workers CPU "
          f"{workers:.0f} s; client peak RSS {peak:,.0f} MiB (before the run {before:,.0f} MiB); "
          f"mean MASE snaive {board.loc['snaive', 'mean_mase']:.4f}, naive {board.loc['naive', 'mean_mase']:.4f}",
          flush=True)


def arima(n_series: int) -> None:
    data = make_panel(n_series, length=400)
    options = dict(horizon=HORIZON, n_windows=1, **COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        local = backtest(data, ["auto_arima"], **options)
        local_seconds = time.perf_counter() - start
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster:
            backtest(data.head(2000), ["snaive"], engine="dask", scheduler=cluster.scheduler_address, **options)
            start = time.perf_counter()
            on_dask = backtest(data, ["auto_arima"], engine="dask", scheduler=cluster.scheduler_address, **options)
            dask_seconds = time.perf_counter() - start
            close_dask_clients()
    pd.testing.assert_frame_equal(local.forecasts, on_dask.forecasts)
    print(f"auto_arima, {n_series} series of 400 days, one fold of 14 (wall s): local one job {local_seconds:.1f}, "
          f"2-worker LocalCluster {dask_seconds:.1f} = {dask_seconds / local_seconds:.2f}x; forecasts identical")


def _process_cpu(process: psutil.Process) -> float:
    """User + system CPU seconds of ``process``."""
    times = process.cpu_times()
    return times.user + times.system


def _nothing(x: np.ndarray) -> np.ndarray:
    return x[:1]


def _four_mb(x: np.ndarray) -> np.ndarray:
    return np.zeros(500_000)


def floor(rounds: int = 3, repeat: int = 40) -> None:
    small, big = np.zeros(1), np.zeros(500_000)  # 8 bytes, 4 MB
    with _one_worker_cluster() as (address, server):
        with dask_client(address, 1) as client:
            cases = {
                "a task doing nothing": lambda: list(run_tasks_dask(_nothing, [small], client, 1)),
                "4 MB in (in the task)": lambda: list(run_tasks_dask(_nothing, [big], client, 1)),
                "4 MB in (scatter direct)": lambda: client.gather(
                    client.submit(_nothing, client.scatter(big, direct=True, hash=False), pure=False)),
                "4 MB back (run_tasks_dask)": lambda: list(run_tasks_dask(_four_mb, [small], client, 1)),
                "4 MB back (gathered via scheduler)": lambda: client.gather(
                    client.submit(_four_mb, small, pure=False), direct=False),
                "4 MB back (gathered direct)": lambda: client.gather(client.submit(_four_mb, small, pure=False),
                                                                     direct=True),
                "0.1 s idle": lambda: time.sleep(0.1),
            }
            for case in cases.values():  # connections made, functions pickled once
                case()
            scheduler = psutil.Process(server.pid)
            workers = scheduler.children(recursive=True)
            best = {name: (float("inf"),) for name in cases}
            for _ in range(rounds):
                for name, case in cases.items():
                    s0, w0, c0 = _process_cpu(scheduler), sum(map(_process_cpu, workers)), time.process_time()
                    for _ in range(repeat):
                        case()
                    c = (time.process_time() - c0) / repeat
                    s = (_process_cpu(scheduler) - s0) / repeat
                    w = (sum(map(_process_cpu, workers)) - w0) / repeat
                    best[name] = min(best[name], (c + s + w, c, s, w))
        close_dask_clients()
    print(f"floor: one Dask task on an existing 1-worker cluster (best of {rounds}, each the mean of {repeat} calls; "
          "CPU ms per call):")
    for name, (total, c, s, w) in best.items():
        print(f"  {name:<36} total {total * 1e3:5.1f}  client {c * 1e3:4.1f}  scheduler + nanny {s * 1e3:4.1f}  "
              f"worker {w * 1e3:4.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sections", default="overhead,big,arima")
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="overhead: best of this many rounds")
    parser.add_argument("--repeat", type=int, default=5, help="overhead: calls per measurement, their mean")
    parser.add_argument("--big-sizes", default="10000,100000")
    parser.add_argument("--arima-series", type=int, default=200)
    parser.add_argument("--floor-repeat", type=int, default=40, help="floor: calls per measurement, their mean")
    parser.add_argument("--big-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big_child:
        big_child(args.big_child)
        return
    sections = args.sections.split(",")
    if "overhead" in sections:
        overhead(args.series, args.rounds, args.repeat)
    if "big" in sections:
        print("partitioned panels on a 2-worker LocalCluster (seasonal naive and naive, 3 folds of 14):")
        for size in (int(s) for s in args.big_sizes.split(",")):
            subprocess.run([sys.executable, __file__, "--big-child", str(size)], check=True,
                           env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if "arima" in sections:
        arima(args.arima_series)
    if "floor" in sections:
        floor(args.rounds, args.floor_repeat)


if __name__ == "__main__":
    main()
