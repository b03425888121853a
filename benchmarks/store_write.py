"""Forecast store write and read speed: one backtest run of 1,000 series x 14 steps x 3 folds
x 2 models (84,000 forecast rows, nine quantiles each: 756,000 quantile rows) recorded in a
SQLite file and, when a server is given, in PostgreSQL; rows per second of this process's
CPU (the database server's own CPU is not counted) and of the wall clock.

    .venv/bin/python benchmarks/store_write.py [--series 1000] [--postgres URL]

PostgreSQL: ``--postgres postgresql+psycopg://user:pw@host/db`` or the environment variable
``TSFORECAST_TEST_POSTGRES_URL`` (what .ci/run exports); the database should be empty or a
store already, and the run is left in it.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tsforecast.evaluation.intervals import QUANTILE_LEVELS
from tsforecast.store import Store


def backtest_frame(n_series: int, horizon: int = 14, folds: int = 3, models=("snaive", "ets")) -> pd.DataFrame:
    """A backtest's rows in the store's columns (values random: speed does not depend on them)."""
    rng = np.random.default_rng(0)
    per_series = horizon * folds
    n = n_series * per_series * len(models)
    origins = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.repeat(np.arange(folds) * horizon, horizon), "D")
    steps = np.tile(np.arange(1, horizon + 1), folds)
    frame = pd.DataFrame({
        "series_id": np.repeat([f"store_{i:05d}" for i in range(n_series)], per_series * len(models)),
        "model": np.tile(np.repeat(list(models), per_series), n_series),
        "origin": np.tile(origins.to_numpy(), n_series * len(models)),
        "step": np.tile(steps, n_series * len(models)),
        "point": rng.normal(100, 10, n), "scale": np.repeat(rng.uniform(1, 5, n_series), per_series * len(models)),
        "y_true": rng.normal(100, 10, n),
    })
    frame.insert(3, "target_time", frame["origin"] + pd.to_timedelta(frame["step"], "D"))
    for level in QUANTILE_LEVELS:
        frame[f"q{level:g}"] = frame["point"] + 10 * (level - 0.5)
    return frame


def measure(url: str, frame: pd.DataFrame) -> None:
    meta = {"command": "backtest", "model": "snaive,ets", "parameters": {"horizon": 14, "n_windows": 3}}
    rows = len(frame) * (1 + sum(str(c).startswith("q") for c in frame.columns))
    with Store(url) as store:
        store.record_run(meta, frame.head(10))  # the store exists and the schema is checked: not timed
        cpu, wall = time.process_time(), time.perf_counter()
        run_id = store.record_run(meta, frame)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        read_cpu, read_wall = time.process_time(), time.perf_counter()
        back = store.forecasts(run_id=run_id)
        read_cpu, read_wall = time.process_time() - read_cpu, time.perf_counter() - read_wall
    assert len(back) == len(frame)
    print(f"{store.url.split('://')[0] if '://' in store.url else 'sqlite'}: wrote {len(frame):,} forecast rows + "
          f"{rows - len(frame):,} quantile rows in {cpu:.2f} s CPU / {wall:.2f} s wall = "
          f"{rows / cpu:,.0f} rows/s CPU, {rows / wall:,.0f} rows/s wall; read back in {read_cpu:.2f} s CPU "
          f"/ {read_wall:.2f} s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("TSFORECAST_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    frame = backtest_frame(args.series)
    with tempfile.TemporaryDirectory() as folder:
        measure(str(Path(folder) / "store.db"), frame)
    if args.postgres:
        measure(args.postgres, frame)
    else:
        print("postgresql: skipped (give --postgres URL or set TSFORECAST_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
