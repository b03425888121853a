"""AutoARIMA on the CTA rail series: train 2016-01-01..2019-02-28, forecast the next 14 days.

Prints wall time, chosen orders and MAE for tsforecast's AutoARIMA (the default CSS search and
the exact-likelihood search), and, when installed, for
statsforecast's AutoARIMA and pmdarima's auto_arima on the same data in the same run (they need
pandas < 3, so they live in a separate venv: see ``benchmarks/README.md``).
Published on a comparable machine: statsforecast 5.9 s, MAE 27,617, (0,0,1)(1,1,1)[7];
pmdarima 84 s, MAE 30,404.

One 14-day window is a noisy judge of an order search, so each chosen model is also scored
beyond it, the same way for every library: the exact-likelihood AICc of its orders on the
training data (lower is better; the criterion all three searches minimise), and the mean MAE
of 14-day forecasts from each week's origin over 2019-03-01..2019-05-31 (12 origins), the
orders fitted once by tsforecast's SARIMA and rolled forward with ``update``.

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

import tsforecast
from tsforecast.models.arima.auto_arima import AutoARIMA
from tsforecast.models.arima.estimators import describe_orders

rail = load_rail()["rail"]
train = rail["2016-01-01":"2019-02-28"].astype("float64")
test = rail["2019-03-01":"2019-03-14"].to_numpy()


def beyond_one_window(order: tuple, seasonal_order: tuple) -> tuple[float, float]:
    """(AICc on the training data, mean MAE of weekly 14-day forecasts over 2019-03..05)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = tsforecast.get_model("sarima", order=order, seasonal_order=seasonal_order).fit(train)
    errors = []
    while model.cutoff_ + pd.Timedelta(days=14) <= pd.Timestamp("2019-05-31"):
        forecast = model.predict(14)
        errors.append(np.mean(np.abs(forecast - rail[forecast.index])))
        model.update(rail[forecast.index[:7]])
    return float(model.results_.aicc), float(np.mean(errors))


def report(label: str, seconds: float, forecast: np.ndarray, order: tuple, seasonal_order: tuple) -> None:
    mae = float(np.mean(np.abs(np.asarray(forecast) - test)))
    aicc, rolling = beyond_one_window(tuple(order), tuple(seasonal_order))
    print(f"{label:<36} {seconds:6.2f} s   MAE {mae:7,.0f}   {describe_orders(order, seasonal_order):<23} "
          f"AICc {aicc:9,.1f}   12 weeks MAE {rolling:7,.0f}")


def run_tsforecast(approximation: bool | None, label: str) -> None:
    start = time.perf_counter()
    model = AutoARIMA(approximation=approximation).fit(train)
    forecast = model.predict(14).to_numpy()
    report(f"{label}, {len(model.search_)} fits", time.perf_counter() - start, forecast,
           model.order_, model.seasonal_order_)


def run_statsforecast(warm_up: bool = False) -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoARIMA as SFAutoARIMA

    frame = pd.DataFrame({"unique_id": "rail", "ds": train.index, "y": train.to_numpy()})
    start = time.perf_counter()
    sf = StatsForecast(models=[SFAutoARIMA(season_length=7)], freq="D", n_jobs=1)
    forecast = sf.fit(df=frame).predict(h=14)["AutoARIMA"].to_numpy()
    seconds = time.perf_counter() - start
    p, q, P, Q, m, d, D = sf.fitted_[0, 0].model_["arma"]
    if not warm_up:
        report("statsforecast AutoARIMA", seconds, forecast, (p, d, q), (P, D, Q, m))


def run_pmdarima() -> None:
    import pmdarima

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = pmdarima.auto_arima(train.to_numpy(), m=7, seasonal=True, stepwise=True,
                                    suppress_warnings=True, error_action="ignore")
    forecast = model.predict(14)
    report("pmdarima auto_arima", time.perf_counter() - start, forecast, model.order,
           model.seasonal_order)


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
            run_statsforecast(warm_up=True)  # the first call compiles its numba code: time the second
        runner()
