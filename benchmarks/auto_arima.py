"""AutoARIMA on the CTA rail series: train 2016-01-01..2019-02-28, forecast the next 14 days.

Prints wall time, chosen orders and MAE for tsforecast's AutoARIMA (the default CSS search and
the exact-likelihood search), and, when installed, for
statsforecast's AutoARIMA and pmdarima's auto_arima on the same data in the same run (they need
pandas < 3, so they live in a separate venv: see ``benchmarks/README.md``).
Published on a comparable machine: statsforecast 5.9 s, MAE 27,617, (0,0,1)(1,1,1)[7];
pmdarima 84 s, MAE 30,404.

    python benchmarks/auto_arima.py [--skip-exact] [--skip-pmdarima]
"""

from __future__ import annotations

import argparse
import importlib.util
import time
import warnings

import numpy as np
import pandas as pd
from _cta import load_rail

from tsforecast.models.auto_arima import AutoARIMA

rail = load_rail()["rail"]
train = rail["2016-01-01":"2019-02-28"].astype("float64")
test = rail["2019-03-01":"2019-03-14"].to_numpy()


def report(label: str, seconds: float, forecast: np.ndarray, orders: str) -> None:
    mae = float(np.mean(np.abs(np.asarray(forecast) - test)))
    print(f"{label:<32} {seconds:7.2f} s   MAE {mae:9,.0f}   {orders}")


def run_tsforecast(approximation: bool | None, label: str) -> None:
    start = time.perf_counter()
    model = AutoARIMA(approximation=approximation).fit(train)
    forecast = model.predict(14).to_numpy()
    report(label, time.perf_counter() - start, forecast, f"{model.label_} ({len(model.search_)} candidates)")


def run_statsforecast() -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA as SFAutoARIMA

    frame = pd.DataFrame({"unique_id": "rail", "ds": train.index, "y": train.to_numpy()})
    start = time.perf_counter()
    sf = StatsForecast(models=[SFAutoARIMA(season_length=7)], freq="D", n_jobs=1)
    forecast = sf.fit(df=frame).predict(h=14)["AutoARIMA"].to_numpy()
    seconds = time.perf_counter() - start
    p, q, P, Q, m, d, D = sf.fitted_[0, 0].model_["arma"]
    report("statsforecast AutoARIMA", seconds, forecast, f"ARIMA({p},{d},{q})({P},{D},{Q})[{m}]")


def run_pmdarima() -> None:
    import pmdarima

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pmdarima.auto_arima(train.to_numpy(), m=7, seasonal=True, stepwise=True,
                                    suppress_warnings=True, error_action="ignore")
    forecast = model.predict(14)
    report("pmdarima auto_arima", time.perf_counter() - start, forecast,
           f"{model.order}{model.seasonal_order}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-exact", action="store_true", help="skip the slow exact search")
    parser.add_argument("--skip-pmdarima", action="store_true", help="skip pmdarima (slow)")
    args = parser.parse_args()
    print(f"train {train.index[0].date()}..{train.index[-1].date()} ({len(train)} days), "
          "forecast 14 days")
    AutoARIMA(max_models=2).fit(train.iloc[-200:])  # warm-up: imports and caches
    run_tsforecast(None, "tsforecast AutoARIMA (CSS)")
    if not args.skip_exact:
        run_tsforecast(False, "tsforecast AutoARIMA (exact)")
    for name, runner in (("statsforecast", run_statsforecast), ("pmdarima", run_pmdarima)):
        if name == "pmdarima" and args.skip_pmdarima:
            continue
        if importlib.util.find_spec(name) is None:
            print(f"{name:<32} not installed (see benchmarks/README.md: the peers venv)")
            continue
        if name == "statsforecast":
            run_statsforecast()  # the first call compiles its numba code: time the second
        runner()
