"""Coverage of the neural models' 80% prediction intervals over many rolling origins, and
their point accuracy there against the naive forecast (the last value).

Each model is fitted once, then rolled forward with ``update`` one observation at a time; at
every origin it forecasts 14 steps with an 80% interval. Two calibrations of the same fitted
model are compared on the same forecasts:

* plain split conformal: the conformal quantile of the validation tail's absolute residuals;
* locally scaled (tsforecast's intervals): residuals divided by their window's scale.

Series: the stock-like tickers (GARCH volatility, jumps), the embedded ridership series and,
when the file is present, the real CTA rail series 2014-2019.

    python benchmarks/neural_intervals.py [--models lstm,wavenet] [--origins 400]
                                          [--params '{"normalize": "window"}']
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import pandas as pd
from _cta import CTA_PATH

import tsforecast
from tsforecast.models.conformal import conformal_quantile

HORIZON, COVERAGE = 14, 0.8


def series_to_test() -> dict[str, tuple[pd.Series, int]]:
    """name -> (series, observations used for fitting)."""
    stock = tsforecast.load_dataset("stock")
    cases = {f"stock {ticker}": (stock[ticker], 800) for ticker in ("ACME", "BOLT", "CRUX", "DYNA")}
    cases["ridership (embedded)"] = (tsforecast.load_dataset("ridership")["rail"], 1000)
    if CTA_PATH.is_file():
        rail = tsforecast.load_cta_ridership(CTA_PATH)["rail"].loc["2014":"2019"]
        cases["CTA rail 2014-2019"] = (rail, 1500)
    return cases


def rolling_coverage(model_name: str, y: pd.Series, n_fit: int, origins: int, params: dict) -> dict[str, float]:
    model = tsforecast.get_model(model_name, seed=0, **params).fit(y.iloc[:n_fit])
    plain_width = conformal_quantile(model.residuals_, COVERAGE)
    inside_plain, inside_scaled, widths_plain, widths_scaled = [], [], [], []
    errors, naive_errors = [], []
    values = y.to_numpy()
    for end in range(n_fit, min(n_fit + origins, len(y) - HORIZON + 1)):
        point = model.predict(HORIZON).to_numpy()
        bounds = model.predict_interval(HORIZON, COVERAGE)
        actual = values[end : end + HORIZON]
        inside_plain.append(np.abs(actual - point) <= plain_width)
        inside_scaled.append((actual >= bounds["lower"].to_numpy()) & (actual <= bounds["upper"].to_numpy()))
        errors.append(np.abs(actual - point).mean())
        naive_errors.append(np.abs(actual - values[end - 1]).mean())
        widths_plain.append(2 * plain_width.mean())
        widths_scaled.append((bounds["upper"] - bounds["lower"]).mean())
        model.update(y.iloc[end : end + 1])
    return {
        "origins": len(inside_plain),
        "MAE / naive": np.mean(errors) / np.mean(naive_errors),
        "plain coverage": np.mean(inside_plain),
        "plain width": np.mean(widths_plain),
        "scaled coverage": np.mean(inside_scaled),
        "scaled width": np.mean(widths_scaled),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lstm")
    parser.add_argument("--origins", type=int, default=400)
    parser.add_argument("--params", default="{}", help="JSON of extra model parameters")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"nominal coverage {COVERAGE}, horizon {HORIZON}, every origin after the fit, rolled forward")
    for model_name in args.models.split(","):
        rows = {name: rolling_coverage(model_name, y, n_fit, args.origins, json.loads(args.params))
                for name, (y, n_fit) in series_to_test().items()}
        table = pd.DataFrame(rows).T
        table["origins"] = table["origins"].astype(int)
        print(f"\n{model_name}")
        print(table.to_string(float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"))
        for kind in ("plain", "scaled"):
            miss = (table[f"{kind} coverage"] - COVERAGE).abs().mean()
            print(f"  {kind:<6} mean |coverage - {COVERAGE}| = {miss:.3f}")


if __name__ == "__main__":
    main()
