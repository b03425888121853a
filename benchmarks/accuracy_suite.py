"""The open accuracy suite: every registered model and ``auto`` on real series of every kind.

Series (all from packages already installed, or the CTA file by path):

* statsmodels: ``nile`` (yearly), ``elec_equip`` (monthly), ``elnino`` (monthly sea
  temperatures), ``interest_inflation`` ``Dp`` and ``R`` (quarterly);
* the CTA daily boarding totals 2005-01..2014-12, ``rail`` and ``bus`` (skipped when the file
  is absent);
* the bundled ``ridership`` (rail, daily) and ``stock`` (ACME, trading days).

``--set dev`` gives a second, disjoint set of real series for choosing ``auto``'s rules, so
that the open suite stays a fair report of them: statsmodels' ``macrodata`` (quarterly US
GDP, consumption, investment, CPI, M1, T-bill rate, unemployment, inflation), ``sunspots``
(yearly), ``co2`` (Mauna Loa, weekly readings averaged to months), ``danish_data`` (quarterly
money, income, bond rate), World Bank ``fertility`` (yearly, six countries), and the CTA file
outside the suite's years (2015-2019 bus and rail summed to weeks, and daily bus for the 900
days to 2019-12).

Protocol, fixed: 5 rolling-origin windows, horizon one season clipped to 8..14 (yearly 8,
quarterly 8, monthly 12, daily 14, trading days 10), refit at every window, seed 0.
Figures: MASE (each fold's errors over its in-sample seasonal-naive MAE), coverage of the
80% intervals, and seconds per fit. Nothing here is tuned per series.

    .venv/bin/python benchmarks/accuracy_suite.py [--models a,b] [--series x,y] [--jobs 2]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import tsforecast
from tsforecast.backtest import backtest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cta import CTA_PATH  # noqa: E402

HORIZONS = {1: 8, 4: 8, 5: 10, 7: 14, 12: 12}
# the error classes a model may raise: tsforecast's own (anything else is a bug to report)
TSFORECAST_ERRORS = {cls.__name__ for cls in vars(tsforecast.core.errors).values()
                     if isinstance(cls, type) and issubclass(cls, tsforecast.core.errors.TsforecastError)}


def _statsmodels_series() -> dict[str, pd.Series]:
    from statsmodels.datasets import elec_equip, elnino, interest_inflation, nile

    out = {}
    volume = nile.load_pandas().data
    out["nile"] = pd.Series(volume["volume"].to_numpy(), pd.date_range("1871", periods=len(volume), freq="YS"))
    equip = elec_equip.load_pandas().data.iloc[:, 0]
    out["elec_equip"] = pd.Series(equip.to_numpy(), pd.date_range(equip.index[0], periods=len(equip), freq="MS"))
    nino = elnino.load_pandas().data.set_index("YEAR").stack().to_numpy()
    out["elnino"] = pd.Series(nino, pd.date_range("1950-01", periods=len(nino), freq="MS"))
    macro = interest_inflation.load_pandas().data
    index = pd.date_range(f"{int(macro['year'].iloc[0])}-01", periods=len(macro), freq="QS")
    out["inflation_Dp"] = pd.Series(macro["Dp"].to_numpy(), index)
    out["interest_R"] = pd.Series(macro["R"].to_numpy(), index)
    return out


def suite() -> dict[str, pd.Series]:
    series = _statsmodels_series()
    if CTA_PATH.is_file():
        cta = tsforecast.load_cta_ridership(CTA_PATH).loc["2005-01-01":"2014-12-31"]
        series["cta_rail"] = cta["rail"].astype(float)
        series["cta_bus"] = cta["bus"].astype(float)
    series["ridership_rail"] = tsforecast.load_dataset("ridership")["rail"]
    series["stock_ACME"] = tsforecast.load_dataset("stock")["ACME"]
    return series


def dev_set() -> dict[str, pd.Series]:
    """Real series disjoint from :func:`suite`, for choosing rules without touching the suite."""
    from statsmodels.datasets import co2, danish_data, fertility, macrodata, sunspots

    out = {}
    macro = macrodata.load_pandas().data
    quarters = pd.date_range("1959-01", periods=len(macro), freq="QS")
    for column in ("realgdp", "realcons", "realinv", "cpi", "m1", "tbilrate", "unemp", "infl"):
        out[f"macro_{column}"] = pd.Series(macro[column].to_numpy(dtype="float64"), quarters)
    spots = sunspots.load_pandas().data
    out["sunspots"] = pd.Series(spots["SUNACTIVITY"].to_numpy(), pd.date_range("1700", periods=len(spots), freq="YS"))
    monthly = co2.load_pandas().data["co2"].resample("MS").mean().interpolate()
    out["co2_monthly"] = monthly.asfreq("MS")
    danish = danish_data.load_pandas().data
    for column in ("lrm", "lry", "ibo"):
        out[f"danish_{column}"] = pd.Series(danish[column].to_numpy(), pd.date_range("1974-01", periods=len(danish),
                                                                                      freq="QS"))
    rates = fertility.load_pandas().data.set_index("Country Code")
    years = [c for c in rates.columns if c.isdigit()]
    for country in ("USA", "JPN", "IND", "BRA", "NGA", "DEU"):
        values = rates.loc[country, years].astype(float).dropna()
        out[f"fertility_{country}"] = pd.Series(values.to_numpy(), pd.date_range(values.index[0], periods=len(values),
                                                                                  freq="YS"))
    if CTA_PATH.is_file():
        cta = tsforecast.load_cta_ridership(CTA_PATH).loc["2015-01-05":"2019-12-29"]
        for column in ("rail", "bus"):
            out[f"cta_{column}_weekly"] = cta[column].astype(float).resample("W-SUN").sum()
        out["cta_bus_daily"] = cta["bus"].astype(float).iloc[-900:]
    return out


SETS = {"open": suite, "dev": dev_set}


def horizon_for(y: pd.Series) -> int:
    from tsforecast.core.frequency import infer_season

    return HORIZONS.get(infer_season(tsforecast.clean_series(y).series.index.freq), 8)


def run(series: dict[str, pd.Series], models: list[str], jobs: int, output: Path | None = None) -> pd.DataFrame:
    rows = []
    for name, y in series.items():
        first_row = len(rows)
        horizon = horizon_for(y)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = backtest(y.rename(name), models, horizon=horizon, n_windows=5, n_jobs=jobs, seed=0)
        board = result.leaderboard()
        fits = result.timings.groupby("model")["fit_time"].mean()
        errors = result.failures.groupby("model")["error"].agg(lambda e: " ".join(sorted(set(e))))
        for model, row in board.iterrows():
            failed = int(row["failures"])
            rows.append({"series": name, "model": model, "mase": row["mase"], "coverage": row["coverage"],
                         "fit_seconds": fits.get(model, np.nan), "failures": failed,
                         "errors": errors.get(model, "")})
        foreign = result.failures[~result.failures["error"].isin(TSFORECAST_ERRORS)]
        for _, failure in foreign.iterrows():  # the bar: nothing but tsforecast's own errors
            print(f"  FOREIGN ERROR {failure['model']}: {failure['error']}: {failure['message']}", file=sys.stderr)
        choices = result.timings.loc[result.timings["model"] == "auto", "fitted"]
        note = f"; auto chose {choices.value_counts().index[0]}" if len(choices) else ""
        scores = ", ".join(f"{m} {v:.3f}" for m, v in board["mase"].sort_values().items())
        print(f"{name}: {len(y)} points, horizon {horizon}, {time.perf_counter() - started:.0f} s{note}\n"
              f"  MASE {scores}", file=sys.stderr, flush=True)
        if output is not None:  # each series as it finishes, so a stopped run keeps its figures
            pd.DataFrame(rows[first_row:]).to_csv(output, mode="a", header=not output.exists(), index=False)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(m for m in tsforecast.available_models()))
    parser.add_argument("--series", default=None, help="comma-separated subset of the suite")
    parser.add_argument("--set", default="open", choices=sorted(SETS),
                        help="the open suite, or the development set auto's rules were chosen on")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--output", type=Path, default=None,
                        help="append each series' rows to this CSV as it finishes")
    parser.add_argument("--summarise", type=Path, default=None,
                        help="print the tables of a CSV written by --output, running nothing")
    args = parser.parse_args()
    if args.summarise is not None:
        summarise(pd.read_csv(args.summarise))
        return
    series = SETS[args.set]()
    if args.series:
        series = {k: v for k, v in series.items() if k in args.series.split(",")}
    summarise(run(series, [m for m in args.models.split(",") if m != "snaive"], args.jobs, args.output))


def summarise(table: pd.DataFrame) -> None:
    """Print the per-series MASE table and the summary over the suite."""
    mase = table.pivot(index="series", columns="model", values="mase")
    coverage = table.pivot(index="series", columns="model", values="coverage")
    seconds = table.pivot(index="series", columns="model", values="fit_seconds")
    pd.set_option("display.width", 250)
    print("MASE (lower is better; snaive is the scale's own method)")
    print(mase.round(3).to_string())
    summary = pd.DataFrame({
        "mean MASE": mase.mean(), "median MASE": mase.median(),
        "wins": mase.idxmin(axis=1).value_counts().reindex(mase.columns).fillna(0).astype(int),
        "mean coverage (80%)": coverage.mean(), "mean |coverage - 0.8|": (coverage - 0.8).abs().mean(),
        "mean s per fit": seconds.mean(), "failures": table.groupby("model")["failures"].sum(),
    }).sort_values("mean MASE")
    if "errors" in table:  # older CSVs lack the column
        summary["errors"] = table.groupby("model")["errors"].agg(
            lambda e: " ".join(sorted({kind for text in e.dropna() for kind in str(text).split()})))
    print("\nSummary over the suite")
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
