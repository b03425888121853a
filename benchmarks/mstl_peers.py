"""tsforecast's MSTL against statsforecast's, and long-season models on real long-season series.

Runs in the peers venv, with this checkout first on the path (statsforecast 2.1.1 and
tsforecast in one process, so CPU times compare):

    PYTHONPATH=. .venv-peers/bin/python benchmarks/mstl_peers.py equal     # point forecasts to 1e-6
    PYTHONPATH=. .venv-peers/bin/python benchmarks/mstl_peers.py fixture   # tests/data/mstl_statsforecast.json
    PYTHONPATH=. .venv-peers/bin/python benchmarks/mstl_peers.py accuracy [--series taylor,...] [--models mstl,...]

``equal``/``fixture``: MSTL with a trend forecaster that is the same method in both libraries
(the last value: statsforecast's ``Naive``, tsforecast's ``naive``; the line from the first to
the last value: ``RandomWalkWithDrift`` / ``drift``), on half-hourly electricity demand
(pmdarima's copy of Taylor (2003), R package ``forecast``), statsmodels' weekly CO2 and the
CTA rail series. ``accuracy``: MASE (scale: each fold's in-sample seasonal-naive MAE at the
frequency's season), 80% interval coverage and CPU seconds per fit on rolling origins, for
tsforecast ``mstl`` (ETS ZZN trend), ``ets``, ``theta``, ``arima`` with Fourier terms (K by
AICc), ``ridge`` without and with Fourier terms, ``snaive`` and statsforecast
``MSTL(AutoETS(model="ZZN"))``, ``AutoETS``, ``AutoTheta``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tsforecast  # noqa: E402
from tsforecast.backtest.splits import make_folds  # noqa: E402
from tsforecast.core.frequency import infer_season  # noqa: E402
from tsforecast.evaluation.metrics import seasonal_naive_scale  # noqa: E402
from tsforecast.models.mstl import long_season_plan  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "mstl_statsforecast.json"
LEVEL = 80
# name -> (periods, horizon, windows)
SETTINGS = {"taylor": ([48, 336], 48, 5), "co2_weekly": ([52], 13, 5), "cta_rail": ([7, 365], 14, 5)}


def load(name: str) -> pd.Series:
    """One of the benchmark's real series, on a regular index."""
    if name == "taylor":
        from pmdarima.datasets import load_taylor

        values = load_taylor()  # Monday 5 June 2000 on, half-hourly, 12 weeks
        return pd.Series(values, pd.date_range("2000-06-05", periods=len(values), freq="30min"), name=name)
    if name == "co2_weekly":
        from statsmodels.datasets import co2

        raw = co2.load_pandas().data["co2"]
        series = raw.asfreq("W-SAT").interpolate()  # a few missing weeks, filled linearly
        return series["1980":].rename(name)
    if name == "cta_rail":
        from _cta import load_rail

        rail = load_rail()["rail"]
        return rail["2010":"2019"].rename(name)  # ten years before the COVID break
    raise SystemExit(f"unknown series {name!r}")


def sf_mstl(periods: list[int], trend: str):
    from statsforecast.models import MSTL, AutoETS, Naive, RandomWalkWithDrift

    forecaster = {"naive": Naive(), "drift": RandomWalkWithDrift(), "ets": AutoETS(model="ZZN")}[trend]
    return MSTL(season_length=periods, trend_forecaster=forecaster)


def equality_cases() -> list[dict]:
    """Each series' last fold, MSTL with the naive and the drift trend, both libraries."""
    cases = []
    for name, (periods, horizon, _) in SETTINGS.items():
        y = load(name)
        if name == "taylor":
            y = y.iloc[: 3 * 336]  # three weeks keep the fixture small
        train = y.iloc[:-horizon]
        for trend in ("naive", "drift"):
            sf = sf_mstl(periods, trend).forecast(y=train.to_numpy(dtype="float64"), h=horizon)["mean"]
            ts = tsforecast.get_model("mstl", periods=periods, trend=trend).fit(train).predict(horizon)
            cases.append({"series": name, "trend": trend, "periods": periods, "horizon": horizon,
                          "freq": train.index.freqstr, "start": str(train.index[0]),
                          "y": train.to_numpy(dtype="float64").tolist(), "statsforecast": np.asarray(sf).tolist(),
                          "max_abs_diff": float(np.max(np.abs(np.asarray(sf) - ts.to_numpy())))})
    return cases


def run_equal(write_fixture: bool) -> None:
    cases = equality_cases()
    for case in cases:
        print(f"{case['series']:<11} trend {case['trend']:<6} periods {case['periods']}: "
              f"max |tsforecast - statsforecast| = {case['max_abs_diff']:.2e}")
    if write_fixture:
        # the CTA file is not ours to commit, not even a slice of it: the fixture keeps the
        # public series only
        kept = [{k: v for k, v in c.items() if k != "max_abs_diff"} for c in cases if c["series"] != "cta_rail"]
        FIXTURE.write_text(json.dumps({
            "command": "PYTHONPATH=. .venv-peers/bin/python benchmarks/mstl_peers.py fixture",
            "statsforecast": "2.1.1", "cases": kept}) + "\n")
        print(f"wrote {FIXTURE}")


def run_accuracy(names: list[str], models: list[str] | None = None) -> None:
    from statsforecast.models import AutoETS, AutoTheta

    rows = []
    for name in names:
        y = load(name)
        periods, horizon, windows = SETTINGS[name]
        season = infer_season(y.index.freq)
        plan = long_season_plan(y.index.freq, len(y) - horizon * windows)
        ours = {
            "mstl": lambda p=periods: tsforecast.get_model("mstl", periods=p),
            "ets": lambda: tsforecast.get_model("ets"),
            "theta": lambda: tsforecast.get_model("theta"),
            "arima_fourier": lambda f=plan.fourier_periods: tsforecast.get_model("arima", fourier=f),
            "snaive": lambda: tsforecast.get_model("snaive"),
            "ridge": lambda: tsforecast.get_model("ridge"),
            "ridge_fourier": lambda f=plan.fourier_periods: tsforecast.get_model("ridge", fourier=f),
        }
        peers = {
            "sf_MSTL": lambda p=periods: sf_mstl(p, "ets"),
            "sf_AutoETS": lambda m=season: AutoETS(season_length=m),
            "sf_AutoTheta": lambda m=season: AutoTheta(season_length=m),
        }
        folds = make_folds(len(y), horizon, windows)
        for model in [m for m in [*ours, *peers] if models is None or m in models]:
            errors, inside, cpu = [], [], []
            for fold in folds:
                train = y.iloc[fold.train_start:fold.train_end]
                actual = y.to_numpy()[fold.train_end:fold.train_end + horizon]
                started = time.process_time()
                if model in ours:
                    fitted = ours[model]().fit(train)
                    point = fitted.predict(horizon).to_numpy()
                    bounds = fitted.predict_interval(horizon, LEVEL / 100)
                    lower, upper = bounds["lower"].to_numpy(), bounds["upper"].to_numpy()
                else:
                    out = peers[model]().forecast(y=train.to_numpy(dtype="float64"), h=horizon, level=[LEVEL])
                    point, lower, upper = out["mean"], out[f"lo-{LEVEL}"], out[f"hi-{LEVEL}"]
                cpu.append(time.process_time() - started)
                errors.append(np.abs(actual - point) / seasonal_naive_scale(train.to_numpy(), season))
                inside.append((actual >= lower) & (actual <= upper))
            rows.append({"series": name, "model": model, "mase": float(np.mean(np.concatenate(errors))),
                         "coverage80": float(np.mean(np.concatenate(inside))), "cpu_s_per_fit": float(np.mean(cpu))})
            print(f"{name:<11} {model:<14} MASE {rows[-1]['mase']:.3f}  coverage {rows[-1]['coverage80']:.2f}  "
                  f"CPU {rows[-1]['cpu_s_per_fit']:.2f} s/fit", flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["equal", "fixture", "accuracy"])
    parser.add_argument("--series", default=",".join(SETTINGS))
    parser.add_argument("--models", default=None, help="comma-separated subset of the models")
    args = parser.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if args.what == "accuracy":
            run_accuracy(args.series.split(","), args.models.split(",") if args.models else None)
        else:
            run_equal(args.what == "fixture")


if __name__ == "__main__":
    main()
