"""What holiday calendars (``--holidays``) do to daily forecasts: rolling-origin backtests with
and without the holiday columns of :mod:`tsforecast.data.calendar`.

Data:

* the CTA daily boarding totals (Chicago; read by path, skipped cleanly when absent), ``rail``
  and ``bus``, in two periods: ``2019`` (history from 2014-01-01, 13 folds x 28 days: every
  day of 2019 from 2019-01-08 forecast once) and ``2021`` (history from 2020-07-01, after the
  pandemic's drop, 8 folds x 28 days up to the file's end, 2021-11-30), calendar ``US``;
* pmdarima's bundled daily example ``dated.csv`` (2019-01-01..2019-11-23, 327 days of an
  undocumented daily count with clear dips on US holidays; read from pmdarima if importable,
  else from the peers venv by path, skipped when absent), 8 folds x 14 days, calendar ``US``.

Variants: ``none`` (no regressors), ``day`` (the holiday indicator: what ``--holidays US``
builds), ``around`` (the indicator plus the day before and after: ``--holiday-days-around``). Models that
take no regressors (ridge) run once. Each backtest refits every fold except the neural
model, which is fitted at the first cutoff and rolled forward (``refit=False``), as a daily
schedule would. Figures: MASE (each error over its fold's seasonal-naive scale) over all
forecast days and over the holiday dates only (``hol``), and the days around them (``±1``),
and CPU seconds of the backtest.

    python benchmarks/holiday_calendars.py [--periods 2019,2021,dated] [--models sarima,ridge,lstm]
                                  [--variants none,day,around]
"""

from __future__ import annotations

import argparse
import io
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _cta import CTA_PATH

import tsforecast
from tsforecast.backtest import backtest
from tsforecast.data.calendar import holiday_dates, holiday_features, parse_holidays

ROOT = Path(__file__).resolve().parents[1]
#: where the peers venv keeps pmdarima's data (main checkout or a worktree beside it)
DATED_PATHS = [p / ".venv-peers/lib/python3.11/site-packages/pmdarima/datasets/data/dated.tar.gz"
               for p in (ROOT, ROOT.parent / "main")]
NEURAL = {"rnn", "lstm", "gru", "wavenet"}


def cta_periods() -> dict[str, tuple[pd.Series, int, int]]:
    """name -> (series, folds, horizon) for the CTA file, or nothing when it is absent."""
    if not CTA_PATH.is_file():
        print(f"skipped CTA: {CTA_PATH} is not present")
        return {}
    cta = tsforecast.load_cta_ridership(CTA_PATH)
    out = {}
    for column in ("rail", "bus"):
        out[f"2019 {column}"] = (cta.loc["2014-01-01":"2019-12-31", column].astype(float), 13, 28)
        out[f"2021 {column}"] = (cta.loc["2020-07-01":"2021-11-30", column].astype(float), 8, 28)
    return out


def dated_period() -> dict[str, tuple[pd.Series, int, int]]:
    """pmdarima's dated example, or nothing when it cannot be found."""
    try:
        from pmdarima.datasets import load_date_example

        y = load_date_example()[0] if isinstance(load_date_example(), tuple) else load_date_example()
    except ImportError:
        path = next((p for p in DATED_PATHS if p.is_file()), None)
        if path is None:
            print("skipped dated: pmdarima's dated.tar.gz is not installed")
            return {}
        with tarfile.open(path) as archive:
            member = next(m for m in archive.getmembers() if m.name.endswith(".csv"))
            frame = pd.read_csv(io.BytesIO(archive.extractfile(member).read()))
        y = pd.Series(frame["y"].to_numpy(float), index=pd.DatetimeIndex(pd.to_datetime(frame["date"]), freq="D"))
    return {"dated": (y.rename("y"), 8, 14)}


def run(y: pd.Series, models: list[str], X: pd.DataFrame | None, folds: int, horizon: int):
    """One backtest (refit every fold; the neural models fitted once and rolled forward)."""
    start = time.process_time()
    frames = []
    for refit, names in ((True, [m for m in models if m not in NEURAL]), (False, [m for m in models if m in NEURAL])):
        if names:
            result = backtest(y, names, horizon=horizon, n_windows=folds, X=X, refit=refit, n_jobs=1,
                                         diagnose=False)
            frames.append(result.scored())
    return pd.concat(frames), time.process_time() - start


def mase(rows: pd.DataFrame) -> float:
    return float((np.abs(rows["actual"] - rows["forecast"]) / rows["scale"]).mean()) if len(rows) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periods", default="2019,2021,dated")
    parser.add_argument("--models", default="sarima,ridge,lstm")
    parser.add_argument("--variants", default="none,day,around")
    args = parser.parse_args()
    torch.set_num_threads(1)
    calendar = parse_holidays("US")
    periods = {**cta_periods(), **dated_period()}
    wanted = args.periods.split(",")
    models, variants = args.models.split(","), args.variants.split(",")
    print("period     | model  | variant | MASE all | MASE hol | MASE ±1 | hol days | CPU s")
    for name, (y, folds, horizon) in periods.items():
        if not any(name.startswith(w) for w in wanted):
            continue
        days = holiday_dates(calendar, range(y.index[0].year, y.index[-1].year + 1))
        near = days.union(days + pd.Timedelta(days=1)).union(days - pd.Timedelta(days=1))
        for variant in variants:
            X = None if variant == "none" else holiday_features(y.index, calendar, around=variant == "around")
            chosen = models if variant == "none" else [m for m in models if tsforecast.get_model(m).supports_exog]
            if not chosen:
                continue
            scored, seconds = run(y, chosen, X, folds, horizon)
            for model, rows in scored.groupby("model", sort=False):
                if model == "snaive" and variant != "none":
                    continue
                holiday = rows[rows["timestamp"].isin(days)]
                print(f"{name:10} | {model:6} | {variant:7} | {mase(rows):8.3f} | {mase(holiday):8.3f} | "
                      f"{mase(rows[rows['timestamp'].isin(near)]):7.3f} | {holiday['timestamp'].nunique():8d} | "
                      f"{seconds:5.1f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
