"""``auto_arima``'s chosen orders against statsforecast's ``AutoARIMA`` on short monthly and
quarterly real series: how often they agree, which is larger, and why they differ.

Series (none from R's ``datasets`` nor the fpp2/fpp3 collections): statsmodels' ``macrodata``
(12 quarterly columns), ``danish_data`` (5 quarterly), ``interest_inflation`` (2 quarterly),
``elec_equip`` (monthly), ``elnino`` and ``co2`` cut into disjoint 180-month stretches, pmdarima's
bundled ``wineind`` (176 months, from R's forecast package) and ``woolyrnq`` (quarterly), and,
when the file is present, CTA rail and bus boardings summed to months (2001-2015, 2011-2025).

For each series the last season-long block (12 months, 8 quarters) is held out; both libraries
fit on the rest. Printed per series: the two orders, whether our search visited
statsforecast's order and what criterion it gave it there, the exact AICc of both orders
(tsforecast's SARIMA, the same estimator for both) and the MASE of both forecasts on the
held-out block. Runs in the peers venv (statsforecast needs pandas < 3):

    PYTHONPATH=. .venv-peers/bin/python benchmarks/arima_orders.py [--series a,b]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cta import CTA_PATH  # noqa: E402

import tsforecast  # noqa: E402
from tsforecast.evaluation.metrics import seasonal_naive_scale  # noqa: E402
from tsforecast.models.arima.auto_arima import AutoARIMA  # noqa: E402
from tsforecast.models.arima.estimators import describe_orders  # noqa: E402

STRETCH = 180  # months in each piece of a long monthly series


def _pieces(name: str, y: pd.Series, size: int = STRETCH) -> dict[str, pd.Series]:
    return {f"{name}_{i}": y.iloc[start : start + size] for i, start in enumerate(range(0, len(y) - size + 1, size))}


def short_series() -> dict[str, pd.Series]:
    """Short real monthly and quarterly series (see the module docstring)."""
    from statsmodels.datasets import co2, danish_data, elec_equip, elnino, interest_inflation, macrodata

    out: dict[str, pd.Series] = {}
    macro = macrodata.load_pandas().data
    quarters = pd.date_range("1959-01", periods=len(macro), freq="QS")
    for column in ("realgdp", "realcons", "realinv", "realgovt", "realdpi", "cpi", "m1", "tbilrate", "unemp",
                   "pop", "infl", "realint"):
        out[f"macro_{column}"] = pd.Series(macro[column].to_numpy(dtype="float64"), quarters)
    danish = danish_data.load_pandas().data
    for column in ("lrm", "lry", "lpy", "ibo", "ide"):
        out[f"danish_{column}"] = pd.Series(danish[column].to_numpy(dtype="float64"),
                                            pd.date_range("1974-01", periods=len(danish), freq="QS"))
    rates = interest_inflation.load_pandas().data
    index = pd.date_range(f"{int(rates['year'].iloc[0])}-01", periods=len(rates), freq="QS")
    for column in ("Dp", "R"):
        out[f"interest_inflation_{column}"] = pd.Series(rates[column].to_numpy(dtype="float64"), index)
    equip = elec_equip.load_pandas().data.iloc[:, 0]
    out["elec_equip"] = pd.Series(equip.to_numpy(), pd.date_range(equip.index[0], periods=len(equip), freq="MS"))
    nino = elnino.load_pandas().data.set_index("YEAR").stack().to_numpy(dtype="float64")
    out.update(_pieces("elnino", pd.Series(nino, pd.date_range("1950-01", periods=len(nino), freq="MS"))))
    monthly = co2.load_pandas().data["co2"].resample("MS").mean().interpolate().asfreq("MS")
    out.update(_pieces("co2", monthly))
    try:
        from pmdarima.datasets import load_wineind, load_woolyrnq

        wine = load_wineind()
        out["wineind"] = pd.Series(np.asarray(wine, dtype="float64"), pd.date_range("1980-01", periods=len(wine),
                                                                                     freq="MS"))
        wool = load_woolyrnq()
        out["woolyrnq"] = pd.Series(np.asarray(wool, dtype="float64"), pd.date_range("1965-01", periods=len(wool),
                                                                                      freq="QS"))
    except ImportError:
        pass
    if CTA_PATH.is_file():
        cta = tsforecast.load_cta_ridership(CTA_PATH)
        for column in ("rail", "bus"):
            months = cta[column].astype(float).resample("MS").sum().loc["2001-01":"2025-12"]
            months = months.iloc[: len(months) - (1 if len(months) % 2 else 0)]  # whole months only
            out[f"cta_{column}_2001"] = months.loc["2001-01":"2015-12"].iloc[:STRETCH]
            out[f"cta_{column}_2011"] = months.loc["2011-01":].iloc[:STRETCH]
    return out


def _sf_orders(values: np.ndarray, season: int) -> tuple[tuple, tuple, str, np.ndarray]:
    from statsforecast.models import AutoARIMA as SfAutoARIMA

    model = SfAutoARIMA(season_length=season).fit(values)
    p, q, P, Q, m, d, D = model.model_["arma"]
    names = list(model.model_["coef"])
    differences = d + D
    trend = "n"
    if "intercept" in names:
        trend = "c"
    elif "drift" in names:
        trend = "t" if differences == 1 else "n"
    return (p, d, q), (P, D, Q, m if (P or D or Q) else 0), trend, np.asarray(model.predict(h=1_000)["mean"])


def _exact_aicc(train: pd.Series, order: tuple, seasonal_order: tuple, trend: str) -> float:
    model = tsforecast.get_model("sarima", order=order, seasonal_order=seasonal_order[:3],
                                 season=seasonal_order[3] or None, trend=trend).fit(train)
    return float(model.results_.aicc)


def study(name: str, y: pd.Series) -> dict:
    y = tsforecast.clean_series(y).series
    season = 12 if y.index.freqstr.startswith("M") else 4
    horizon = 12 if season == 12 else 8
    train, test = y.iloc[:-horizon], y.iloc[-horizon:].to_numpy()
    scale = seasonal_naive_scale(train.to_numpy(), season)
    started = time.process_time()
    ours = AutoARIMA().fit(train)
    our_seconds = time.process_time() - started
    started = time.process_time()
    sf_order, sf_seasonal, sf_trend, sf_forecast = _sf_orders(train.to_numpy(), season)
    sf_seconds = time.process_time() - started
    sf_label = f"{describe_orders(sf_order, sf_seasonal)} trend={sf_trend}"
    our_label = f"{describe_orders(ours.order_, ours.seasonal_order_)} trend={ours.trend_}"
    visited = ours.search_.get(sf_label, np.nan)
    row = {
        "series": name, "n": len(train), "season": season, "ours": our_label, "statsforecast": sf_label,
        "same": our_label == sf_label,
        "same_d": (ours.order_[1], ours.seasonal_order_[1]) == (sf_order[1], sf_seasonal[1]),
        "our_terms": sum(ours.order_[::2]) + sum(ours.seasonal_order_[:3:2]),
        "sf_terms": sum(sf_order[::2]) + sum(sf_seasonal[:3:2]),
        "our_criterion": ours.search_[our_label] if our_label in ours.search_ else np.nan,
        "our_criterion_of_sf": visited, "search_size": len(ours.search_),
        "our_mase": float(np.mean(np.abs(ours.predict(horizon).to_numpy() - test)) / scale),
        "sf_mase": float(np.mean(np.abs(sf_forecast[:horizon] - test)) / scale),
        "our_seconds": our_seconds, "sf_seconds": sf_seconds,
    }
    for who, order, seasonal, trend in (("our", ours.order_, ours.seasonal_order_, ours.trend_),
                                        ("sf", sf_order, sf_seasonal, sf_trend)):
        try:
            row[f"{who}_exact_aicc"] = _exact_aicc(train, order, seasonal, trend)
        except tsforecast.core.errors.TsforecastError:
            row[f"{who}_exact_aicc"] = np.nan
    return row


def summarise(table: pd.DataFrame) -> None:
    pd.set_option("display.width", 250)
    print(table.drop(columns=["our_seconds", "sf_seconds"]).round(3).to_string(index=False))
    differ = table[~table["same"]]
    ratio = np.exp(np.mean(np.log(table["our_mase"] / table["sf_mase"])))
    print(f"\n{len(table)} series: same orders on {int(table['same'].sum())}, same differencing on "
          f"{int(table['same_d'].sum())}; terms (p+q+P+Q) mean {table['our_terms'].mean():.2f} ours, "
          f"{table['sf_terms'].mean():.2f} statsforecast; ours larger on "
          f"{int((table['our_terms'] > table['sf_terms']).sum())}, "
          f"smaller on {int((table['our_terms'] < table['sf_terms']).sum())}")
    print(f"MASE on the held-out block: mean {table['our_mase'].mean():.3f} ours, {table['sf_mase'].mean():.3f} "
          f"statsforecast; geometric mean of the ratio {ratio:.3f}")
    same_d = differ[differ["same_d"]]
    print(f"Of the {len(differ)} that differ, {len(differ) - len(same_d)} differ in d or D; of the {len(same_d)} "
          f"with the same differencing, our search visited statsforecast's order on "
          f"{int(same_d['our_criterion_of_sf'].notna().sum())} (and scored it worse than its own choice on "
          f"{int((same_d['our_criterion_of_sf'] > same_d['our_criterion']).sum())}); exact AICc lower for our order "
          f"on {int((same_d['our_exact_aicc'] < same_d['sf_exact_aicc']).sum())}")
    print(f"CPU seconds a fit: ours {table['our_seconds'].mean():.2f}, statsforecast {table['sf_seconds'].mean():.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default=None, help="comma-separated subset")
    parser.add_argument("--output", type=Path, default=None, help="write the table here (CSV)")
    args = parser.parse_args()
    series = short_series()
    if args.series:
        series = {k: v for k, v in series.items() if k in args.series.split(",")}
    rows = []
    for name, y in series.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows.append(study(name, y))
        row = rows[-1]
        print(f"{name}: ours {row['ours']} ({row['our_mase']:.3f}), statsforecast {row['statsforecast']} "
              f"({row['sf_mase']:.3f})", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    if args.output is not None:
        table.to_csv(args.output, index=False)
    summarise(table)


if __name__ == "__main__":
    main()
