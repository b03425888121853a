"""The backtest engine on many series: CPU seconds per series against statsforecast, and memory.

The panel is the project's generator (``tsforecast.data.synthetic.make_panel``): daily station
series, ragged (each cut to 200-730 days ending on 2019-12-31; ``--full-length`` keeps all 730
days). Each library backtests the same models on the same folds (horizon 14, 3 windows every
14 days, one core) and is scored the same way: MASE against the in-sample seasonal-naive MAE
of each fold's training window, averaged over series. tsforecast runs the path users call,
``backtest(...)`` with its defaults (the residual diagnosis on); the seasonal-naive rows also
show that call with its tidy forecast frame read inside the clock (``+ frame``: the result
builds its tables when first read, and statsforecast's ``cross_validation`` returns a frame)
and ``diagnose=False``. ``--clock cpu`` times CPU seconds (``time.process_time()``), which
a shared machine's load disturbs less than wall time; the forecasts of both libraries are
checked equal for seasonal naive.

* seasonal naive on ``--series`` series;
* fixed-order SARIMA (1,0,0)(0,1,1)[7] (tsforecast's ``sarima`` default) against
  statsforecast's ``ARIMA`` with the same orders, and ``auto_arima`` against statsforecast's
  ``AutoARIMA``, on ``--arima-series`` series (they take seconds per series);
* ``ets`` (every admissible form, chosen by AICc) against statsforecast's ``AutoETS`` on
  ``--arima-series`` series;
* ``--memory N``: peak RSS of a separate process backtesting N series with three models
  (``snaive, naive, drift``), and the size of the forecast frame it returns.

statsforecast needs pandas < 3 and lives in the peers venv (``benchmarks/README.md``);
tsforecast runs there unchanged, so one run compares both:

    .venv-peers/bin/python benchmarks/panel_engine.py [--series 1000] [--arima-series 100]
        [--models snaive,sarima,auto_arima,ets] [--memory 10000] [--clock cpu]
"""

from __future__ import annotations

import argparse
import importlib.util
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

from tsforecast.backtest import backtest
from tsforecast.data.synthetic import make_panel

HORIZON, WINDOWS, SEASON = 14, 3, 7
# wall seconds by default (the figures in the README); --clock cpu counts this process's CPU
# seconds, which a shared machine's load disturbs less (both libraries run in this process)
CLOCK = [time.perf_counter]
SFC_NAMES = {"snaive": "SeasonalNaive", "sarima": "ARIMA", "auto_arima": "AutoARIMA", "ets": "AutoETS"}


RAGGED = True


def panel(n_series: int, length: int = 730) -> pd.DataFrame:
    """``n_series`` stations of ``length`` days, or (``RAGGED``) each cut to 200-``length``."""
    frame = make_panel(n_series, length=length)
    frame["riders"] = frame["riders"].astype("float64")
    if not RAGGED:
        return frame
    lengths = dict(zip(frame["station"].unique(), np.random.default_rng(0).integers(200, length + 1, n_series),
                       strict=True))
    from_end = frame.groupby("station", sort=False).cumcount(ascending=False).to_numpy()
    return frame[from_end < frame["station"].map(lengths).to_numpy()].reset_index(drop=True)


def mase_by_series(forecasts: pd.DataFrame, data: pd.DataFrame) -> pd.Series:
    """Mean MASE per series of a frame with ``station, cutoff, date, forecast`` columns."""
    values = {name: group["riders"].to_numpy() for name, group in data.groupby("station", sort=False)}
    starts = {name: group["date"].iloc[0] for name, group in data.groupby("station", sort=False)}
    scales = {}
    for (name, cutoff) in forecasts[["station", "cutoff"]].drop_duplicates().itertuples(index=False):
        y = values[name][: (cutoff - starts[name]).days + 1]
        scales[(name, cutoff)] = np.mean(np.abs(y[SEASON:] - y[:-SEASON]))
    actual = data.set_index(["station", "date"])["riders"]
    errors = np.abs(forecasts["forecast"].to_numpy() - actual.loc[
        list(zip(forecasts["station"], forecasts["date"], strict=True))].to_numpy())
    scale = np.array([scales[k] for k in zip(forecasts["station"], forecasts["cutoff"], strict=True)])
    return pd.Series(errors / scale).groupby([forecasts["station"].to_numpy(), forecasts["cutoff"].to_numpy()]).mean(
    ).groupby(level=0).mean()


LAST: dict[str, pd.DataFrame] = {}


def run_tsforecast(data: pd.DataFrame, model: str, diagnose: bool = True, frame: bool = False) -> tuple[float, float]:
    """(seconds, mean MASE) of ``model`` alone: the backtest's time minus the seasonal-naive
    baseline's share (it always runs) unless the model is the baseline. ``frame``: the clock
    also counts reading ``result.forecasts`` (the result builds its tidy frame when first read;
    statsforecast's ``cross_validation`` returns one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = CLOCK[0]()
        result = backtest(data, [model], horizon=HORIZON, n_windows=WINDOWS, id_col="station",
                          time_col="date", target_col="riders", diagnose=diagnose)
        if frame:
            len(result.forecasts)
        seconds = CLOCK[0]() - start
    if model != "snaive":
        timings = result.timings
        baseline = timings.loc[timings["model"] == "snaive", ["fit_time", "predict_time"]].to_numpy().sum()
        seconds -= baseline
    frame = result.forecasts[result.forecasts["model"] == model].rename(
        columns={"series": "station", "timestamp": "date"})
    LAST["tsforecast"] = frame
    return seconds, float(mase_by_series(frame, data).mean())


def run_statsforecast(data: pd.DataFrame, model: str) -> tuple[float, float]:
    from statsforecast import StatsForecast
    from statsforecast.models import ARIMA, AutoARIMA, AutoETS, SeasonalNaive

    make = {
        "snaive": lambda: SeasonalNaive(season_length=SEASON),
        "sarima": lambda: ARIMA(order=(1, 0, 0), seasonal_order=(0, 1, 1), season_length=SEASON),
        "auto_arima": lambda: AutoARIMA(season_length=SEASON),
        "ets": lambda: AutoETS(season_length=SEASON),
    }[model]
    frame = data.rename(columns={"station": "unique_id", "date": "ds", "riders": "y"})
    engine = StatsForecast(models=[make()], freq="D", n_jobs=1)
    start = CLOCK[0]()
    out = engine.cross_validation(df=frame, h=HORIZON, n_windows=WINDOWS, step_size=HORIZON)
    seconds = CLOCK[0]() - start
    out = out.reset_index() if "unique_id" not in out.columns else out
    out = out.rename(columns={"unique_id": "station", "ds": "date", SFC_NAMES[model]: "forecast"})
    LAST["statsforecast"] = out
    return seconds, float(mase_by_series(out, data).mean())


def memory_child(n_series: int) -> None:
    data = panel(n_series)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = CLOCK[0]()
    result = backtest(data, ["naive", "drift"], horizon=HORIZON, n_windows=WINDOWS, id_col="station",
                                 time_col="date", target_col="riders", diagnose=False)
    len(result.forecasts)  # the result builds its tidy frame when first read: counted here
    seconds = CLOCK[0]() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    frame = result.forecasts.memory_usage(deep=True).sum() / 2**20
    print(f"{n_series:,} series x 3 models (snaive, naive, drift): {seconds:.1f} s, peak RSS {peak:,.0f} MiB "
          f"(panel and imports {before:,.0f} MiB), forecast frame {frame:,.0f} MiB for {len(result.forecasts):,} rows")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--arima-series", type=int, default=100)
    parser.add_argument("--models", default="snaive,sarima,auto_arima")
    parser.add_argument("--memory", type=int, default=0, help="series for the memory run (0: skip)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="time in wall seconds or in this process's CPU seconds")
    parser.add_argument("--memory-child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--full-length", action="store_true", help="every series 730 days (not ragged)")
    args = parser.parse_args()
    global RAGGED
    RAGGED = not args.full_length
    if args.memory_child:
        memory_child(args.memory_child)
        return
    CLOCK[0] = time.process_time if args.clock == "cpu" else time.perf_counter
    peers = importlib.util.find_spec("statsforecast") is not None
    if not peers:
        print("statsforecast is not installed here: tsforecast only (see benchmarks/README.md)")
    days = "200-730 (ragged)" if RAGGED else "730"
    print(f"horizon {HORIZON}, {WINDOWS} windows, {days} days per series, one core, {args.clock} seconds; "
          f"pandas {pd.__version__}")
    print(f"{'model':<11} {'series':>6} {'tsforecast s/series':>20} {'statsforecast s/series':>23} "
          f"{'ratio':>6} {'MASE tsf':>9} {'MASE sfc':>9}")
    for model in args.models.split(","):
        n = args.series if model == "snaive" else args.arima_series
        data = panel(n)
        if peers:  # statsforecast's numba compilation is not part of its time
            run_statsforecast(panel(2), model)
        # the cheap model is timed best of three for both libraries: one run is a few tenths
        # of a second, where a shared machine's noise is large
        repeats = 5 if model == "snaive" else 1
        # (diagnose, frame read inside the clock): the default call; the default call and its
        # tidy forecast frame (what statsforecast returns); without the diagnosis
        variants = [(True, False), (True, True), (False, False)] if model == "snaive" else [(True, False)]
        for diagnose, frame in variants:
            if peers:  # interleaved, so both libraries see the same load
                runs = [(run_tsforecast(data, model, diagnose, frame), run_statsforecast(data, model))
                        for _ in range(repeats)]
                seconds, mase = min(r[0] for r in runs)
                peer_seconds, peer_mase = min(r[1] for r in runs)
            else:
                seconds, mase = min(run_tsforecast(data, model, diagnose, frame) for _ in range(repeats))
            label = f"{model} (+ frame)" if frame else model if diagnose else f"{model} (diagnose=False)"
            line = f"{label:<11} {n:>6} {seconds / n:>20.6f}"
            if peers:
                line += f" {peer_seconds / n:>23.6f} {seconds / peer_seconds:>6.2f} {mase:>9.4f} {peer_mase:>9.4f}"
            else:
                line += f" {'':>23} {'':>6} {mase:>9.4f}"
            print(line, flush=True)
        if peers and model == "snaive":
            mine = LAST["tsforecast"].set_index(["station", "date"])["forecast"].sort_index()
            theirs = LAST["statsforecast"].set_index(["station", "date"])["forecast"].sort_index()
            same = mine.index.equals(theirs.index) and np.array_equal(mine.to_numpy(), theirs.to_numpy())
            print(f"  seasonal-naive forecasts identical to statsforecast's: {same} ({len(mine):,} points)")
    if args.memory:
        subprocess.run([sys.executable, __file__, "--memory-child", str(args.memory)], check=True)


if __name__ == "__main__":
    main()
