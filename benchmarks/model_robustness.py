"""Robustness sweep: no registered model raises anything but a tsforecast error, on any series.

Every registered model (``tsforecast.registry``; neural ones with few epochs, torch on one
thread) is fitted on each series, then asked for ``predict`` and ``predict_interval`` over
the suite's horizon. Series: the open suite and the dev set (``accuracy_suite.py`` SETS, the
CTA ones skipped when the file is absent) and deliberately hard inputs (:func:`hard_inputs`):
monthly series of 3, 8 and 13 points, a constant, all zeros, a level of 1e12, negative values
(also for the multiplicative variants ``ets`` ``MAM`` and ``theta`` ``multiplicative``), a
daily series with missing days and a NaN that ``clean_series`` fills, intermittent demand,
weekly data with a 52.18-week year, and half-hourly demand.

Each cell of the table is ``ok`` or the error's class and message. The bar (issue #26): a
failure is always a tsforecast error (``tsforecast/core/errors.py``) whose message names the
problem, and a model refusing a series for its length says how many points it needs
(``at least N``). Cells that break it are listed as ``FOREIGN`` (another exception class) or
``NO COUNT`` (a length refusal without a number); the script exits 1 when there is any.

    PYTHONPATH=. .venv/bin/python benchmarks/model_robustness.py [--sets open,dev,hard]
        [--models ets,theta] [--series nile,short_3] [--out robustness.csv]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from tsforecast.core.errors import TsforecastError
from tsforecast.core.threads import limit_process_threads
from tsforecast.registry import REGISTRY, get_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy_suite import SETS, horizon_for  # noqa: E402

#: few epochs keep the networks cheap; the sweep is about failures, not accuracy
NEURAL = {"max_epochs": 3, "min_epochs": 1, "epoch_windows": 512}
#: the registered models with non-default parameters, and extra variants (name -> (model, params))
VARIANTS: dict[str, tuple[str, dict]] = {
    **{name: (name, NEURAL) for name in ("rnn", "lstm", "gru", "wavenet")},
    "ets_MAM": ("ets", {"model": "MAM"}),
    "theta_multiplicative": ("theta", {"method": "multiplicative"}),
}
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "data" / "mstl_statsforecast.json"
# a refusal for the series' length: it must say how many points are needed
_LENGTH = re.compile(r"too short|needs? at least|observations|more history|points", re.IGNORECASE)
_COUNT = re.compile(r"at least \d+|needs? \d+|\d+ (?:observations|points)", re.IGNORECASE)


def hard_inputs() -> dict[str, pd.Series]:
    """Short, flat, huge, negative, gappy, intermittent, weekly and half-hourly series."""
    rng = np.random.default_rng(0)

    def monthly(values: np.ndarray) -> pd.Series:
        return pd.Series(values, pd.date_range("2015-01", periods=len(values), freq="MS"))

    t = np.arange(72)
    seasonal = 100 + 0.5 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, len(t))
    out = {f"short_{n}": monthly(seasonal[:n]) for n in (3, 8, 13)}
    out["constant"] = monthly(np.full(48, 7.0))
    out["zeros"] = monthly(np.zeros(48))
    out["level_1e12"] = monthly(1e12 + 1e9 * (seasonal - 100))
    out["negative"] = monthly(seasonal - 200)
    daily = pd.Series(50 + 5 * np.sin(2 * np.pi * np.arange(200) / 7) + rng.normal(0, 1, 200),
                      pd.date_range("2022-01-01", periods=200, freq="D"))
    daily.iloc[50] = np.nan
    out["gappy_daily"] = daily.drop(daily.index[[20, 21, 90, 150]])  # clean_series fills both
    demand = rng.poisson(3, 150) * (rng.random(150) < 0.2)
    out["intermittent"] = pd.Series(demand.astype(float), pd.date_range("2022-01-01", periods=150, freq="D"))
    weeks = np.arange(300)
    out["weekly_52.18"] = pd.Series(400 + 30 * np.sin(2 * np.pi * weeks / (365.25 / 7)) + rng.normal(0, 4, 300),
                                    pd.date_range("2018-01-07", periods=300, freq="W-SUN"))
    case = next(c for c in json.loads(FIXTURE.read_text())["cases"] if c["periods"] == [48, 336])
    out["half_hourly"] = pd.Series(case["y"], pd.date_range(case["start"], periods=len(case["y"]), freq=case["freq"]))
    return out


def attempt(model: str, params: dict, y: pd.Series, horizon: int) -> tuple[str, str]:
    """Fit, predict and predict_interval; (status, detail): ``ok``, ``error`` (a tsforecast
    error: its class and message), ``NO COUNT`` (a length refusal without the number) or
    ``FOREIGN`` (any other exception, with where it was raised)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = get_model(model, **params).fit(y)
            fitted.predict(horizon)
            fitted.predict_interval(horizon, 0.8)
    except TsforecastError as exc:
        message = f"{type(exc).__name__}: {exc}"
        if _LENGTH.search(str(exc)) and "observations" in str(exc) and not _COUNT.search(str(exc)):
            return "NO COUNT", message
        return "error", message
    except Exception as exc:  # noqa: BLE001 - the sweep's purpose: any other exception is a finding
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return "FOREIGN", f"{type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})"
    return "ok", ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="open,dev,hard", help="comma-separated: open, dev, hard")
    parser.add_argument("--models", default=None, help="comma-separated model or variant names (default all)")
    parser.add_argument("--series", default=None, help="comma-separated series names (default all)")
    parser.add_argument("--out", type=Path, default=None, help="write the full table (CSV) here")
    args = parser.parse_args()
    limit_process_threads(1)
    series: dict[str, pd.Series] = {}
    for name in args.sets.split(","):
        series.update(hard_inputs() if name == "hard" else SETS[name]())
    if args.series:
        series = {k: v for k, v in series.items() if k in args.series.split(",")}
    models = {name: VARIANTS.get(name, (name, {})) for name in [*REGISTRY, *VARIANTS]}
    if args.models:
        models = {k: v for k, v in models.items() if k in args.models.split(",")}
    rows = []
    for label, y in series.items():
        horizon = horizon_for(y.dropna()) if len(y.dropna()) > 2 else 8
        for name, (model, params) in models.items():
            started = time.process_time()
            status, detail = attempt(model, params, y.rename(label), horizon)
            rows.append({"series": label, "model": name, "status": status, "detail": detail,
                         "cpu_s": round(time.process_time() - started, 2)})
            if status != "ok":
                print(f"{label:>22} {name:<22} {status}: {detail[:160]}", file=sys.stderr, flush=True)
        print(f"{label}: {len(y)} points done", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    if args.out is not None:
        table.to_csv(args.out, index=False)
    summary = table.pivot_table(index="model", columns="status", values="series", aggfunc="count", fill_value=0)
    print(summary.to_string())
    print(f"\n{len(table)} fits on {len(series)} series, {table['cpu_s'].sum():.0f} CPU s")
    bad = table[table["status"].isin(["FOREIGN", "NO COUNT"])]
    for _, row in bad.iterrows():
        print(f"{row['status']}: {row['model']} on {row['series']}: {row['detail']}")
    return 1 if len(bad) else 0


if __name__ == "__main__":
    sys.exit(main())
