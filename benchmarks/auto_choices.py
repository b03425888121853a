"""What ``auto`` chooses at every fold of a set, and what it scores: to compare two versions of
``auto`` (or two settings) choice by choice, not only on the mean.

For every series of a set (the open suite by default, ``--set dev`` for the development series)
the suite's protocol (``accuracy_suite.py``: 5 rolling origins, horizon one season clipped to
8..14, refit at every origin) is run with ``auto`` alone; each origin's choice (the label, e.g.
``"mean of auto_arima, ets"``), MASE (errors over the fold's in-sample seasonal-naive MAE),
coverage of the 80% interval and fit seconds are written to a CSV. ``--compare`` reads two such
CSVs and prints, per series and over the set, MASE and coverage of each and the share of
origins where the two chose the same:

    .venv/bin/python benchmarks/auto_choices.py --output /tmp/after.csv [--set dev] [--params '{...}']
    PYTHONPATH=/path/to/older/checkout .venv/bin/python benchmarks/auto_choices.py --output /tmp/before.csv
    .venv/bin/python benchmarks/auto_choices.py --compare /tmp/before.csv /tmp/after.csv
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy_suite import SETS, horizon_for  # noqa: E402

import tsforecast  # noqa: E402
from tsforecast.backtest import backtest  # noqa: E402

N_WINDOWS = 5


def choices(name: str, y: pd.Series, params: dict) -> pd.DataFrame:
    """One row per origin: the label ``auto`` chose, its MASE and 80% coverage there, fit seconds."""
    horizon = horizon_for(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(y.rename(name), {"auto": tsforecast.get_model("auto", **params)}, horizon=horizon,
                          n_windows=N_WINDOWS, seed=0)
    rows = result.forecasts[result.forecasts["model"] == "auto"]  # the backtest adds snaive, the baseline
    by_fold = rows.assign(error=(rows["actual"] - rows["forecast"]).abs() / rows["scale"],
                          inside=(rows["actual"] >= rows["lower"]) & (rows["actual"] <= rows["upper"]))
    scores = by_fold.groupby("cutoff").agg(mase=("error", "mean"), coverage=("inside", "mean"))
    timings = result.timings[result.timings["model"] == "auto"].set_index("cutoff")[["fitted", "fit_time"]]
    return scores.join(timings).reset_index().assign(series=name)


def compare(before: pd.DataFrame, after: pd.DataFrame) -> None:
    """Per series and over the set: MASE and coverage of both runs and how often they chose alike."""
    keys = ["series", "cutoff"]
    both = before.merge(after, on=keys, suffixes=("_before", "_after"))
    both["same"] = both["fitted_before"] == both["fitted_after"]
    table = both.groupby("series").agg(
        mase_before=("mase_before", "mean"), mase_after=("mase_after", "mean"),
        coverage_before=("coverage_before", "mean"), coverage_after=("coverage_after", "mean"),
        same_choice=("same", "mean"), seconds_before=("fit_time_before", "mean"),
        seconds_after=("fit_time_after", "mean"))
    pd.set_option("display.width", 250)
    print(table.round(3).to_string())
    print(f"\nmean over {len(table)} series: MASE {table['mase_before'].mean():.3f} -> "
          f"{table['mase_after'].mean():.3f}, "
          f"80% coverage {table['coverage_before'].mean():.3f} -> {table['coverage_after'].mean():.3f}, "
          f"same choice at {both['same'].sum()} of {len(both)} origins")
    for _, row in both[~both["same"]].iterrows():
        print(f"  {row['series']} {row['cutoff']}: {row['fitted_before']} -> {row['fitted_after']} "
              f"(MASE {row['mase_before']:.3f} -> {row['mase_after']:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="open", choices=sorted(SETS))
    parser.add_argument("--series", default=None, help="comma-separated subset")
    parser.add_argument("--params", default="{}", help="auto's parameters as JSON")
    parser.add_argument("--output", type=Path, default=None, help="append each series' rows to this CSV")
    parser.add_argument("--compare", type=Path, nargs=2, default=None, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        compare(*(pd.read_csv(path) for path in args.compare))
        return
    series = SETS[args.set]()
    if args.series:
        series = {k: v for k, v in series.items() if k in args.series.split(",")}
    params = json.loads(args.params)
    print(f"tsforecast from {Path(tsforecast.__file__).parent}", file=sys.stderr)
    for name, y in series.items():
        started = time.process_time()
        table = choices(name, y, params)
        print(f"{name}: MASE {table['mase'].mean():.3f}, coverage {table['coverage'].mean():.3f}, "
              f"{time.process_time() - started:.1f} CPU s; " + "; ".join(table["fitted"]), file=sys.stderr, flush=True)
        if args.output is not None:
            table.to_csv(args.output, mode="a", header=not args.output.exists(), index=False)


if __name__ == "__main__":
    main()
