"""Neural forecasters on the CTA rail series, in the setup of Géron's Hands-On ML, ch. 15.

Train on 2016-01-01..2018-12-31, then roll forward with ``update`` over 2019 and score the
forecasts made from every origin of the validation period, all origins in one batched pass
(``predict_at``):

* one day ahead for 2019-02-26..2019-05-31 (each from the 56 days before it);
* the same with covariates: bus as a past input, the day type as known in advance;
* 14 days ahead from every origin 2019-02-25..2019-05-17, MAE averaged over the 14 steps.

Published MAEs there: seasonal naive 41,274; SimpleRNN(32) 29,015; multivariate RNN 22,062;
14-day direct model 35,017.

    python benchmarks/neural_cta.py [--sections univariate,covariates,ahead14]
                                    [--models rnn,lstm,gru,wavenet] [--params '{"normalize": "global"}']
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
import torch
from _cta import load_rail

import tsforecast

cta = load_rail()
TRAIN_START, TRAIN_END = "2016-01-01", "2018-12-31"
ONE_DAY_CUTOFFS = pd.date_range("2019-02-25", "2019-05-30")
AHEAD_CUTOFFS = pd.date_range("2019-02-25", "2019-05-17")
PUBLISHED = {"univariate": 29_015, "covariates": 22_062, "ahead14": 35_017}


def evaluate(name: str, params: dict, X: pd.DataFrame | None, cutoffs: pd.DatetimeIndex,
             horizon: int) -> tuple[float, np.ndarray, float, int]:
    """Fit, roll forward over 2019, forecast from every cutoff; MAE, per-step MAE, fit s, epochs."""
    model = tsforecast.get_model(name, **params)
    start = time.perf_counter()
    model.fit(cta.loc[TRAIN_START:TRAIN_END, "rail"],
              None if X is None else X.loc[TRAIN_START:TRAIN_END])
    seconds = time.perf_counter() - start
    rolled = slice(pd.Timestamp(TRAIN_END) + pd.Timedelta(days=1), cutoffs[-1])
    model.update(cta.loc[rolled, "rail"], None if X is None else X.loc[rolled])
    forecasts = model.predict_at(cutoffs, horizon, X)
    actual = np.stack([
        cta["rail"].iloc[cta.index.get_loc(c) + 1 : cta.index.get_loc(c) + 1 + horizon].to_numpy()
        for c in cutoffs
    ])
    errors = np.abs(forecasts.to_numpy() - actual)
    return float(errors.mean()), errors.mean(axis=0), seconds, len(model.history_.train_loss)


def seasonal_naive_mae() -> float:
    days = ONE_DAY_CUTOFFS + pd.Timedelta(days=1)
    return float(np.abs(cta["rail"].shift(7)[days] - cta["rail"][days]).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="univariate,covariates,ahead14")
    parser.add_argument("--models", default="rnn,lstm,gru,wavenet")
    parser.add_argument("--params", default="{}", help="JSON of extra model parameters")
    args = parser.parse_args()
    torch.set_num_threads(2)
    extra = json.loads(args.params)
    models = args.models.split(",")
    print(f"seasonal naive (lag 7), one day ahead: MAE {seasonal_naive_mae():,.0f} (published 41,274)")
    covariates = cta[["bus", "day_type"]]
    for section in args.sections.split(","):
        best = np.inf
        for name in models if section != "ahead14" else [m for m in models if m in ("lstm", "wavenet")]:
            params = dict(extra)
            X, cutoffs, horizon = None, ONE_DAY_CUTOFFS, 1
            if section == "covariates":
                params["past_covariates"] = ("bus",)
                X = covariates
            elif section == "ahead14":
                cutoffs, horizon = AHEAD_CUTOFFS, 14
            mae, per_step, seconds, epochs = evaluate(name, params, X, cutoffs, horizon)
            best = min(best, mae)
            steps = "" if horizon == 1 else "  per step " + " ".join(f"{v / 1000:.0f}k" for v in per_step)
            print(f"{section:<11} {name:<8} MAE {mae:9,.0f}   fit {seconds:5.1f} s "
                  f"({epochs} epochs, {seconds / epochs:.2f} s/epoch){steps}")
        print(f"{section:<11} best     MAE {best:9,.0f}   (published {PUBLISHED[section]:,})")


if __name__ == "__main__":
    main()
