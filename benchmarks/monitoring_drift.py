"""The drift test on real data: when does the alarm fire, with and without a planted shift?

For each 60-day window (starting on the dates given), the real CTA daily rail boardings are
forecast as the production loop does: the reference is a backtest (``--folds`` folds of 14
steps) of the two years before the window; the model (``--model``, default seasonal naive) is
fitted every 7 days and rolled forward daily; each day's 1-step-ahead absolute scaled error
(on the training scale at forecast time, as the store records it) enters the drift test of
:mod:`tsforecast.monitoring.drift`. The level is multiplied by ``1 + shift`` from day 40 on
(shift 0: no break). Prints the days with an alarm and the CPU time.

    python benchmarks/monitoring_drift.py [--model snaive] [--folds 5]
        [--starts 2016-11-01,2017-05-01,2018-09-01,2019-04-01] [--shifts 0,-0.4]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
from _cta import load_rail

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.evaluation.metrics import scaled_errors, seasonal_naive_scale
from tsforecast.monitoring.drift import cusum, normal_scores, reference_errors

DAYS, BREAK = 60, 40


def alarm_days(rail: pd.Series, model_name: str, start: pd.Timestamp, shift: float, folds: int) -> list[int]:
    """The days of the window on which the drift test raised an alarm."""
    history = rail[(rail.index >= start - pd.Timedelta(days=730)) & (rail.index < start)]
    folds_frame = backtest(history, [model_name], horizon=14, n_windows=folds).forecasts
    reference = reference_errors(pd.DataFrame({
        "step": folds_frame["step"],
        "abs_scaled_error": scaled_errors(folds_frame["actual"], folds_frame["forecast"], folds_frame["scale"])}))
    truth = rail[rail.index >= start][:DAYS].copy()
    truth.iloc[BREAK:] *= 1 + shift
    data = pd.concat([history, truth])
    errors, model = [], None
    for day in range(DAYS):
        origin = start + pd.Timedelta(days=day - 1)
        if day % 7 == 0:
            model = tsforecast.get_model(model_name).fit(data[:origin])
        else:
            model.update(data[model.cutoff_ + pd.Timedelta(days=1):origin])
        scale = seasonal_naive_scale(model.y_.to_numpy(), model.season_)
        errors.append(abs(truth.iloc[day] - float(model.predict(1).iloc[0])) / scale)
    _, alarm = cusum(normal_scores(np.asarray(errors), reference))
    return np.flatnonzero(alarm).tolist()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="snaive")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--starts", default="2016-11-01,2017-05-01,2018-09-01,2019-04-01")
    parser.add_argument("--shifts", default="0,-0.4")
    args = parser.parse_args()
    rail = load_rail()["rail"].astype("float64")
    warnings.simplefilter("ignore")
    for start in args.starts.split(","):
        for shift in (float(s) for s in args.shifts.split(",")):
            began = time.process_time()
            days = alarm_days(rail, args.model, pd.Timestamp(start), shift, args.folds)
            print(f"{args.model} window from {start}, shift {shift:+.0%} on day {BREAK}: alarms on days {days} "
                  f"({time.process_time() - began:.1f} s CPU)")


if __name__ == "__main__":
    main()
