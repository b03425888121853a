"""Peak memory of a SARIMA backtest on 100,000 points (issue: under 1 GB).

Runs the backtest in a child process and prints its peak resident set size (ru_maxrss), the
baseline of a child that only imports tsforecast, and the difference.

    .venv/bin/python benchmarks/sarima_memory.py [--points 100000] [--folds 3]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

CHILD = """
import numpy as np, pandas as pd, tsforecast, warnings
from tsforecast.backtest import backtest
warnings.simplefilter("ignore")
n = {points}
rng = np.random.default_rng(0)
t = np.arange(n)
y = pd.Series(100 + 10 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 1, n).cumsum() * 0.1,
              index=pd.date_range("1800-01-01", periods=n, freq="D"))
if {run}:
    result = backtest(y, ["sarima"], horizon=14, n_windows={windows})
    print(result.leaderboard()[["mae", "n"]].to_string())
"""


def peak_mib(code: str) -> tuple[float, float]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    elapsed = time.perf_counter() - started
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--folds", type=int, default=3)
    args = parser.parse_args()
    base, _ = peak_mib(CHILD.format(points=args.points, run=False, windows=args.folds))
    peak, seconds = peak_mib(CHILD.format(points=args.points, run=True, windows=args.folds))
    print(f"{args.points:,} daily points, default sarima ARIMA(1,0,0)(0,1,1)[7] and snaive, {args.folds} folds: "
          f"peak RSS {peak:,.0f} MiB (imports and data alone: {base:,.0f} MiB), {seconds:.1f} s")


if __name__ == "__main__":
    main()
