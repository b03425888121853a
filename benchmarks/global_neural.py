"""Local against global neural models on a panel: accuracy and time.

The same backtest (the bundled ``stations`` panel by default: 30 ragged daily series of 120 to
1,399 days; ``--panel cta``: CTA rail and bus boardings, 2 daily series read by path and
skipped cleanly when the file is absent; ``--panel stocks``: 10 monthly US stock prices,
matplotlib's sample data; the panels, horizon 14 and folds of ``global_peers.py``, whose loader
this imports; rolling windows every 14 steps, seed 0) with each neural model fitted
per series (``scope="local"``) and once per fold across all series (``scope="global"``, the
default). Prints, per model and scope: seconds of the whole backtest, fits, mean and median
MASE over series, the share of series where the model beats seasonal naive, 80% coverage, and
the series a local fit could not handle (too short). Torch runs one thread; "CPU s" is
``time.process_time`` of the whole backtest (less disturbed by a busy machine than seconds).

    .venv/bin/python benchmarks/global_neural.py [--models lstm,gru] [--panel stations|cta|stocks]
        [--series 30] [--folds 3] [--jobs 1] [--length N] [--scopes local,global] [--max-epochs N]
"""

from __future__ import annotations

import argparse
import time
import warnings

import pandas as pd

# the panels, their column names and the horizon of the neuralforecast comparison, so both
# benchmarks score the same folds (this script's directory is on sys.path when it runs)
from global_peers import HORIZON, PANEL, SEED, load_panel

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.data.synthetic import make_panel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lstm")
    parser.add_argument("--panel", choices=("stations", "cta", "stocks"), default="stations",
                        help="the real panel (global_peers.py's loaders; ignored with --series)")
    parser.add_argument("--series", type=int, default=None,
                        help="a synthetic panel of this many stations from make_panel instead of --panel")
    parser.add_argument("--length", type=int, default=None, help="days per station with --series (default ragged)")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--scopes", default="local,global", help="which of local,global to run")
    parser.add_argument("--max-epochs", type=int, default=None, help="the networks' max_epochs (default: their own)")
    args = parser.parse_args()
    # torch on one thread, as global_peers.py runs it (the networks' default, stated for the record)
    extra = {"n_threads": 1} if args.max_epochs is None else {"n_threads": 1, "max_epochs": args.max_epochs}
    if args.series is None:
        panel = load_panel(args.panel, None)
        if panel is None:
            print(f"skipped: the data of panel {args.panel!r} is absent")
            return
    else:
        panel = make_panel(args.series, length=args.length)
    rows = []
    for name in args.models.split(","):
        for scope in args.scopes.split(","):
            model = tsforecast.get_model(name, scope=scope, **extra)
            started, cpu = time.perf_counter(), time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = backtest(panel, {name: model}, horizon=HORIZON, n_windows=args.folds,
                                  n_jobs=args.jobs, seed=SEED, **PANEL)
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
    print(f"\npanel {args.panel if args.series is None else 'synthetic'}: {panel['station'].nunique()} series, "
          f"{args.folds} folds, horizon {HORIZON}")
    print("snaive on the same folds: mean MASE", round(board.loc["snaive", "mean_mase"], 3),
          "median MASE", round(board.loc["snaive", "median_mase"], 3))
    print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
