"""statsforecast's AutoARIMA, AutoETS and AutoTheta on the open accuracy suite, on exactly the
folds ``accuracy_suite.py`` gives tsforecast's models (same series, horizons, 5 rolling
origins, MASE with each fold's in-sample seasonal-naive MAE as the scale, 80% intervals).

Runs in the peers venv (see this folder's README), where tsforecast is installed too, so the
series, horizons and folds come from the same code:

    .venv-peers/bin/python benchmarks/accuracy_peers.py [--series x,y]
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
from accuracy_suite import SETS, horizon_for  # noqa: E402

import tsforecast  # noqa: E402
from tsforecast.backtest.splits import make_folds  # noqa: E402
from tsforecast.core.frequency import infer_season  # noqa: E402
from tsforecast.evaluation.metrics import seasonal_naive_scale  # noqa: E402

N_WINDOWS, LEVEL = 5, 80


def peer_models(season: int) -> dict:
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta

    return {
        "sf_AutoARIMA": lambda: AutoARIMA(season_length=season),
        "sf_AutoETS": lambda: AutoETS(season_length=season),
        "sf_AutoTheta": lambda: AutoTheta(season_length=season),
    }


def score(y: pd.Series) -> list[dict]:
    clean = tsforecast.clean_series(y).series
    season = infer_season(clean.index.freq)
    horizon = horizon_for(y)
    values = clean.to_numpy(dtype="float64")
    rows = []
    for name, make in peer_models(season).items():
        errors, inside, seconds = [], [], []
        for fold in make_folds(len(values), horizon, N_WINDOWS):
            train = values[fold.train_start : fold.train_end]
            actual = values[fold.train_end : fold.train_end + horizon]
            started = time.perf_counter()
            out = make().forecast(y=train, h=horizon, level=[LEVEL])
            seconds.append(time.perf_counter() - started)
            point = np.asarray(out["mean"])
            errors.append(np.abs(actual - point) / seasonal_naive_scale(train, season))
            inside.append((actual >= out[f"lo-{LEVEL}"]) & (actual <= out[f"hi-{LEVEL}"]))
        rows.append({"model": name, "mase": float(np.mean(np.concatenate(errors))),
                     "coverage": float(np.mean(np.concatenate(inside))), "fit_seconds": float(np.mean(seconds))})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default=None, help="comma-separated subset of the suite")
    parser.add_argument("--set", default="open", choices=sorted(SETS), help="the open suite or the development set")
    args = parser.parse_args()
    series = SETS[args.set]()
    if args.series:
        series = {k: v for k, v in series.items() if k in args.series.split(",")}
    rows = []
    for name, y in series.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for row in score(y):
                rows.append({"series": name, **row})
        print(f"{name}: " + ", ".join(f"{r['model']} {r['mase']:.3f}" for r in rows if r["series"] == name),
              file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    print("MASE")
    print(table.pivot(index="series", columns="model", values="mase").round(3).to_string())
    summary = table.groupby("model").agg(
        mean_mase=("mase", "mean"), median_mase=("mase", "median"), mean_coverage=("coverage", "mean"),
        mean_s_per_fit=("fit_seconds", "mean"),
    )
    miss = table.assign(miss=(table["coverage"] - 0.8).abs())
    summary["mean |coverage - 0.8|"] = miss.groupby("model")["miss"].mean()
    print("\nSummary over the suite")
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
