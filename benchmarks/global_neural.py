"""Local against global neural models on a panel: accuracy and time.

The same backtest (the bundled ``stations`` panel by default: 30 ragged daily series of 120 to
1,399 days; horizon 14, rolling windows every 14 days, seed 0) with each neural model fitted
per series (``scope="local"``) and once per fold across all series (``scope="global"``, the
default). Prints, per model and scope: seconds of the whole backtest, fits, mean and median
MASE over series, the share of series where the model beats seasonal naive, 80% coverage, and
the series a local fit could not handle (too short). Torch runs one thread; "CPU s" is
``time.process_time`` of the whole backtest (less disturbed by a busy machine than seconds).

    .venv/bin/python benchmarks/global_neural.py [--models lstm,gru] [--series 30] [--folds 3]
        [--jobs 1] [--length N] [--scopes local,global] [--max-epochs N]
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.data.synthetic import make_panel

PANEL = dict(id_col="station", time_col="date", target_col="riders")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lstm")
    parser.add_argument("--series", type=int, default=None, help="stations from make_panel (default: the bundled 30)")
    parser.add_argument("--length", type=int, default=None, help="days per station with --series (default ragged)")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--scopes", default="local,global", help="which of local,global to run")
    parser.add_argument("--max-epochs", type=int, default=None, help="the networks' max_epochs (default: their own)")
    args = parser.parse_args()
    extra = {} if args.max_epochs is None else {"max_epochs": args.max_epochs}
    if args.series is None:
        panel = tsforecast.load_dataset("stations").reset_index()
    else:
        panel = make_panel(args.series, length=args.length)
    rows = []
    for name in args.models.split(","):
        for scope in args.scopes.split(","):
            model = tsforecast.get_model(name, scope=scope, **extra)
            started, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = backtest(panel, {name: model}, horizon=14, n_windows=args.folds, n_jobs=args.jobs,
                                  seed=0, **PANEL)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            board = result.across_series()
            failed = result.failures.loc[result.failures["model"] == name, "series"].nunique()
            fits = result.timings.loc[result.timings["model"] == name, "refitted"].sum()
            rows.append({
                "model": name, "scope": scope, "seconds": round(seconds, 1), "CPU s": round(cpu, 1),
                "fits": int(fits) if scope == "local" else args.folds,
                "series scored": int(board.loc[name, "series"]),
                "mean MASE": board.loc[name, "mean_mase"], "median MASE": board.loc[name, "median_mase"],
                "beats snaive": board.loc[name, "beats_baseline"],
                "coverage 80%": result.leaderboard().loc[name, "coverage"],
                "series failed": failed,
            })
            print(pd.DataFrame(rows[-1:]).round(3).to_string(index=False), flush=True)
    print("\nsnaive on the same folds: mean MASE", round(board.loc["snaive", "mean_mase"], 3))
    print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
