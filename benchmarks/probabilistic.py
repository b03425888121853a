"""Sample paths against the models' own forecast quantiles, and how well the 80% intervals
read from paths cover, over rolling origins.

For each model: fit once on the first part of a series, then roll forward with ``update`` one
observation at a time; at every origin draw ``--paths`` sample paths for 14 steps and compute

* the largest gap between the paths' 10/50/90% quantiles and ``predict_quantiles``, as a share
  of the 80% interval's width (Monte Carlo error alone is about 1-3% at 2,000 paths);
* the coverage of the paths' 80% interval (their 10% and 90% quantiles) and of the model's
  own 80% interval;
* CRPS from the paths and from the model's quantiles (2.5% .. 97.5%).

    .venv/bin/python benchmarks/probabilistic.py [--models a,b] [--origins 60] [--paths 2000]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import tsforecast
from tsforecast.evaluation.intervals import QUANTILE_LEVELS
from tsforecast.evaluation.scoring import crps_from_quantiles, crps_from_samples

HORIZON = 14


def series_to_test() -> dict[str, tuple[pd.Series, int]]:
    """name -> (series, observations used for the fit)."""
    ridership = tsforecast.load_dataset("ridership")["rail"]
    stock = tsforecast.load_dataset("stock")["ACME"]
    return {"ridership rail": (ridership, 1300), "stock ACME": (stock, 800)}


def rolling(model_name: str, y: pd.Series, n_fit: int, origins: int, n_paths: int) -> dict[str, float]:
    model = tsforecast.get_model(model_name, seed=0) if "seed" in tsforecast.get_model(model_name).get_params() \
        else tsforecast.get_model(model_name)
    model.fit(y.iloc[:n_fit])
    gaps, inside_paths, inside_model, crps_paths, crps_quantiles = [], [], [], [], []
    started = time.perf_counter()
    values = y.to_numpy()
    for k, end in enumerate(range(n_fit, min(n_fit + origins, len(y) - HORIZON + 1))):
        actual = values[end : end + HORIZON]
        paths = model.sample_paths(HORIZON, n_paths, seed=k).to_numpy()
        quantiles = model.predict_quantiles(HORIZON, QUANTILE_LEVELS)
        from_paths = np.quantile(paths, [0.1, 0.5, 0.9], axis=1).T
        own = quantiles[[0.1, 0.5, 0.9]].to_numpy()
        width = own[:, 2] - own[:, 0]
        gaps.append(np.max(np.abs(from_paths - own) / width[:, None]))
        inside_paths.append((actual >= from_paths[:, 0]) & (actual <= from_paths[:, 2]))
        inside_model.append((actual >= own[:, 0]) & (actual <= own[:, 2]))
        crps_paths.append(crps_from_samples(actual, paths))
        crps_quantiles.append(crps_from_quantiles(actual, quantiles.to_numpy(), QUANTILE_LEVELS))
        model.update(y.iloc[end : end + 1])
    return {
        "origins": len(gaps),
        "max quantile gap / width": float(np.median(gaps)),
        "paths 80% coverage": float(np.mean(inside_paths)),
        "model 80% coverage": float(np.mean(inside_model)),
        "CRPS paths": float(np.mean(crps_paths)),
        "CRPS quantiles": float(np.mean(crps_quantiles)),
        "s per origin": (time.perf_counter() - started) / max(len(gaps), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="naive,snaive,sarima,auto_arima,ets,theta,lstm,wavenet")
    parser.add_argument("--origins", type=int, default=60)
    parser.add_argument("--paths", type=int, default=2000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    rows = []
    for name, (y, n_fit) in series_to_test().items():
        for model_name in args.models.split(","):
            rows.append({"series": name, "model": model_name,
                         **rolling(model_name, y, n_fit, args.origins, args.paths)})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows).set_index(["series", "model"])
    pd.set_option("display.width", 200)
    print(table.to_string(float_format=lambda v: f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"))


if __name__ == "__main__":
    main()
