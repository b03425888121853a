"""``auto`` on intermittent demand against each of its candidates alone (issue #26).

The panels of ``intermittent_peers.py accuracy``: simulated items
(:func:`tsforecast.data.synthetic.make_intermittent`, seed 20240101, 156 weeks) and the weekly
number of public-holiday days per country (``holidays`` package, 2015-2024), each series with
at least 8 demands; the first ``--items`` items and ``--countries`` countries (auto validates 11
candidates per fold, so the whole panels would take an hour on a shared machine). The same
protocol: ``backtest(horizon=8, n_windows=3)``; per model the mean and median over series of
MASE at the weekly season (52), MASE with season 1, RMSSE, the 80% coverage, and CPU seconds.

    PYTHONPATH=. .venv/bin/python benchmarks/auto_intermittent.py [--items 60] [--countries 40]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intermittent_peers import _season_one_scores, holiday_panel, simulated_panel  # noqa: E402

from tsforecast.backtest import backtest  # noqa: E402

MODELS = ("auto", "snaive", "naive", "mean", "ets", "theta", "auto_arima", "croston_sba", "tsb", "imapa")


def run(title: str, series: dict[str, pd.Series]) -> None:
    frame = pd.concat([pd.DataFrame({"id": k, "date": v.index, "y": v.to_numpy()}) for k, v in series.items()])
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(frame, list(MODELS), horizon=8, n_windows=3, id_col="id", time_col="date",
                          target_col="y", diagnose=False)
    seconds = time.process_time() - start
    board = result.across_series()
    extra = _season_one_scores(result, series).groupby("model").agg(["mean", "median"])
    leaderboard = result.leaderboard()
    print(f"\n{title}: {len(series)} series, backtest {seconds:.1f} s CPU")
    print("| model | MASE52 mean | median | MASE1 mean | median | RMSSE mean | median | cov80 | fails |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for model in sorted(result.models, key=lambda m: extra.loc[m, ("rmsse", "mean")]):
        m1, r = extra.loc[model, "mase1"], extra.loc[model, "rmsse"]
        print(f"| `{model}` | {board.loc[model, 'mean_mase']:.3f} | {board.loc[model, 'median_mase']:.3f} | "
              f"{m1['mean']:.3f} | {m1['median']:.3f} | {r['mean']:.3f} | {r['median']:.3f} | "
              f"{leaderboard.loc[model, 'coverage']:.3f} | {int(leaderboard.loc[model, 'failures'])} |")
    chosen = result.timings.loc[result.timings["model"] == "auto", "fitted"].value_counts()
    print("auto's choices:", "; ".join(f"{label} {count}" for label, count in chosen.head(8).items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--countries", type=int, default=40)
    parser.add_argument("--panel", choices=("both", "simulated", "holidays"), default="both")
    args = parser.parse_args()
    enough = lambda panel: {k: v for k, v in panel.items() if np.count_nonzero(v.to_numpy()) >= 8}  # noqa: E731
    if args.panel in ("both", "simulated"):
        items = dict(list(enough(simulated_panel(max(args.items * 2, 10))).items())[: args.items])
        run(f"simulated ({len(items)} items, 156 weeks)", items)
    if args.panel in ("both", "holidays"):
        countries = dict(list(enough(holiday_panel()).items())[: args.countries])
        run(f"holidays ({len(countries)} countries, 2015-2024)", countries)


if __name__ == "__main__":
    main()
