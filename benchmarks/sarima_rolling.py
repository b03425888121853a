"""Rolling one-day SARIMA(1,0,0)(0,1,1)[7] over 2019-03-01..05-31 (92 refits), as published.

Prints wall time and MAE for: the plain statsmodels loop, tsforecast refitting without and
with warm starts, and tsforecast rolling forward with update(); ratios are within this run.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from _cta import load_rail
from statsmodels.tsa.arima.model import ARIMA as SMARIMA

import tsforecast

rail = load_rail()["rail"]
days = pd.date_range("2019-03-01", "2019-05-31")
ORDERS = {"order": (1, 0, 0), "seasonal_order": (0, 1, 1, 7)}


def plain_loop() -> list[float]:
    preds = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for day in days:
            train = rail["2019-01-01" : day - pd.Timedelta(days=1)]
            preds.append(SMARIMA(train, **ORDERS).fit().forecast().iloc[0])
    return preds


def tsforecast_refits(warm: bool) -> list[float]:
    model = tsforecast.get_model("sarima", warm_start=warm, **ORDERS)
    return [model.fit(rail["2019-01-01" : d - pd.Timedelta(days=1)]).predict(1).iloc[0] for d in days]


def tsforecast_update() -> list[float]:
    model = tsforecast.get_model("sarima", **ORDERS).fit(rail["2019-01-01":"2019-02-28"])
    preds = []
    for day in days:
        preds.append(model.predict(1).iloc[0])
        model.update(rail[day:day])
    return preds


def timed(label: str, run) -> float:
    run()  # warm-up run: imports and caches
    start = time.perf_counter()
    preds = run()
    seconds = time.perf_counter() - start
    mae = float(np.mean(np.abs(np.array(preds) - rail[days].to_numpy())))
    print(f"{label:<34} {seconds:7.2f} s   MAE {mae:10,.1f}")
    return seconds


if __name__ == "__main__":
    base = timed("statsmodels plain loop (92 refits)", plain_loop)
    cold = timed("tsforecast refit, warm_start=False", lambda: tsforecast_refits(False))
    warm = timed("tsforecast refit, warm_start=True", lambda: tsforecast_refits(True))
    roll = timed("tsforecast update (roll forward)", tsforecast_update)
    print(f"overhead of tsforecast (cold refits / plain): {cold / base:.2f}x")
    print(f"warm-start refits / plain loop:              {warm / base:.2f}x")
    print(f"cold refits / roll-forward speed-up:          {cold / roll:.1f}x")
    print(f"warm refits / roll-forward speed-up:          {warm / roll:.1f}x")
