"""Fixed-order SARIMA estimators side by side on the station panel: time per fit and MASE.

    .venv/bin/python benchmarks/arima_estimators.py [--series 20]
    .venv-peers/bin/python benchmarks/arima_estimators.py   # adds statsforecast's ARIMA

SARIMA(1,0,0)(0,1,1)[7] on ``--series`` stations of 730 days (``tsforecast.data.synthetic.make_panel``),
3 folds of 14 days, one fit per fold, MASE against each fold's in-sample seasonal-naive scale.
Estimators: statsmodels' own fit, CSS-ML with the exact (stationary) start everywhere, CSS-ML
as shipped (diffuse start on differenced models without regressors) and, where installed,
statsforecast's ``ARIMA`` (CSS-ML in C++).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from statsmodels.tsa.arima.model import ARIMA as StatsmodelsARIMA

from tsforecast.data.synthetic import make_panel
from tsforecast.models.arima.estimators import fit_arima
from tsforecast.models.arima.kalman import KalmanState
from tsforecast.models.arima.mle import fit_css_ml

HORIZON, SEASON, FOLDS = 14, 7, 3
ORDER, SEASONAL_ORDER = (1, 0, 0), (0, 1, 1, SEASON)


def tsforecast_forecaster(estimator: str, initial_state: str = "auto"):
    def forecast(train: np.ndarray) -> tuple[np.ndarray, float]:
        if estimator == "css-ml":
            model = StatsmodelsARIMA(train, order=ORDER, seasonal_order=SEASONAL_ORDER, trend="n")
            results = fit_css_ml(model, initial_state=initial_state)
        else:
            results, _, _ = fit_arima(train, None, ORDER, SEASONAL_ORDER, "n", estimator=estimator)
        return KalmanState.from_results(results).forecast(HORIZON)[0], float(results.params[1])

    return forecast


def statsforecast_forecaster():
    from statsforecast.arima import Arima, forecast_arima

    def forecast(train: np.ndarray) -> tuple[np.ndarray, float]:
        fit = Arima(train, order=ORDER, seasonal={"order": SEASONAL_ORDER[:3], "period": SEASON}, method="CSS-ML")
        return np.asarray(forecast_arima(fit, h=HORIZON)["mean"]), float(list(fit["coef"].values())[1])

    return forecast


def evaluate(forecast, series: list[np.ndarray]) -> tuple[float, float, float, float]:
    seconds, errors, sma = 0.0, [], []
    for y in series:
        for k in range(FOLDS, 0, -1):
            cut = len(y) - k * HORIZON
            train, test = y[:cut], y[cut: cut + HORIZON]
            start = time.perf_counter()
            mean, seasonal_ma = forecast(train)
            seconds += time.perf_counter() - start
            scale = np.mean(np.abs(train[SEASON:] - train[:-SEASON]))
            errors.append(np.mean(np.abs(mean - test)) / scale)
            sma.append(seasonal_ma)
    return seconds / (len(series) * FOLDS), float(np.mean(errors)), min(sma), max(sma)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=20)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    panel = make_panel(args.series, length=730)
    series = [group["riders"].to_numpy(dtype="float64") for _, group in panel.groupby("station", sort=False)]
    contenders = {
        "statsmodels' fit": tsforecast_forecaster("statsmodels"),
        "CSS-ML, exact start": tsforecast_forecaster("css-ml", initial_state="stationary"),
        "CSS-ML (default)": tsforecast_forecaster("css-ml"),
    }
    try:
        contenders["statsforecast ARIMA"] = statsforecast_forecaster()
    except ImportError:
        print("(statsforecast not installed here: run in the peers venv to compare)")
    tsforecast_forecaster("css-ml")(series[0][:200])  # compile the likelihood before timing
    print(f"SARIMA{ORDER}{SEASONAL_ORDER[:3]}[{SEASON}], {len(series)} stations x {FOLDS} folds")
    print(f"{'estimator':24s} {'s/fit':>8s} {'MASE':>8s}  seasonal MA range")
    for name, forecast in contenders.items():
        per_fit, mase, low, high = evaluate(forecast, series)
        print(f"{name:24s} {per_fit:8.3f} {mase:8.4f}  {low:.2f} .. {high:.2f}")


if __name__ == "__main__":
    main()
