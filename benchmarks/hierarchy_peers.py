"""Reconciliation against hierarchicalforecast, on the same base forecasts, and accuracy per level.

Runs in the peers venv (tsforecast is installed there too; this checkout is put first on the
path so its code is the one measured):

    .venv-peers/bin/python benchmarks/hierarchy_peers.py                 # compare + accuracy per level
    .venv-peers/bin/python benchmarks/hierarchy_peers.py --fixture tests/data/hierarchy_reference.json

``--fixture`` writes hierarchicalforecast's outputs on fixed synthetic inputs (a 3-level
hierarchy with a one-member region), which ``tests/test_hierarchy_reference.py`` checks
without the peers installed. The default run backtests every series of two hierarchies with
tsforecast (``backtest_hierarchy``), takes each model's base forecasts, in-sample values and
residuals at the last cutoff, reconciles them with hierarchicalforecast's ``BottomUp``,
``TopDown`` (forecast and average proportions) and ``MinTrace`` (ols, wls_struct,
mint_shrink) and prints the largest difference from tsforecast's reconciled forecasts
(relative to the series' scale), then MASE per level for the base and every method.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "benchmarks"))

from tsforecast.backtest import backtest  # noqa: E402
from tsforecast.backtest.hierarchical import backtest_hierarchy, level_accuracy  # noqa: E402
from tsforecast.hierarchy import (  # noqa: E402
    aggregate,
    aggregate_wide,
    reconcile,  # noqa: E402
)

QUANTILES = [0.1, 0.5, 0.9]


def peer(method: str):
    """hierarchicalforecast's reconciler for one of tsforecast's method names."""
    from hierarchicalforecast.methods import BottomUp, MinTrace, TopDown

    return {
        "bottom_up": BottomUp, "top_down": lambda: TopDown(method="forecast_proportions"),
        "top_down_hist": lambda: TopDown(method="average_proportions"),
        "mint_ols": lambda: MinTrace(method="ols"), "mint_wls": lambda: MinTrace(method="wls_struct"),
        "mint_shrink": lambda: MinTrace(method="mint_shrink"),
    }[method]()


def peer_reconcile(S, tags, y_hat, y_insample, y_hat_insample, sigmah) -> dict:
    """Every method's reconciled means (and, for the linear ones, Normality quantiles with the
    shrinkage correlation of the residuals) from hierarchicalforecast."""
    from hierarchicalforecast.probabilistic_methods import Normality

    out = {}
    for method in ("bottom_up", "top_down", "top_down_hist", "mint_ols", "mint_wls", "mint_shrink"):
        reconciler = peer(method)
        kwargs = {"S": S, "y_hat": y_hat, "y_insample": y_insample, "y_hat_insample": y_hat_insample}
        if method.startswith("top_down"):
            kwargs["tags"] = tags
        mean = reconciler.fit_predict(**kwargs)["mean"]
        out[method] = {"mean": mean}
        if hasattr(reconciler, "P") and method != "top_down":
            normal = Normality(S=S, P=reconciler.P, y_hat=y_hat, sigmah=sigmah, covariance_type="shrink",
                               residuals=y_insample - y_hat_insample)
            res = normal.get_prediction_quantiles({"mean": S @ reconciler.P @ y_hat}, np.asarray(QUANTILES))
            out[method]["quantiles"] = res["quantiles"]
    return out


def write_fixture(path: Path) -> None:
    """hierarchicalforecast's outputs on fixed inputs, for tests/test_hierarchy_reference.py."""
    import hierarchicalforecast

    rng = np.random.default_rng(20261206)
    T, H = 48, 6
    dates = pd.date_range("2024-01-01", periods=T, freq="D")
    layout = {"North": ["11", "12", "13"], "South": ["21", "22"], "West": ["31"]}  # West: one member
    rows = [(region, store, d, float(rng.gamma(4.0, 25.0) + 10 * np.sin(t)))
            for region, stores in layout.items() for store in stores for t, d in enumerate(dates)]
    bottom = pd.DataFrame(rows, columns=["region", "store", "ds", "y"])
    h = aggregate(bottom, ["region", "store"])
    n = len(h.ids)
    y_insample = h.values.to_numpy().T
    y_hat_insample = y_insample + rng.normal(0, 8, (n, T)) * np.sqrt(h.S.sum(axis=1))[:, None]
    y_hat = y_insample[:, -H:] * rng.uniform(0.85, 1.15, (n, H))
    sigmah = rng.uniform(5, 15, (n, H)) * np.sqrt(h.S.sum(axis=1))[:, None]
    tags = {name: np.asarray(rows) for name, rows in h.levels.items()}
    peers = peer_reconcile(h.S, tags, y_hat, y_insample, y_hat_insample, sigmah)
    fixture = {
        "producer": "benchmarks/hierarchy_peers.py --fixture tests/data/hierarchy_reference.json "
                    "(run with the peers venv's python)",
        "hierarchicalforecast": hierarchicalforecast.__version__,
        "bottom": bottom.assign(ds=bottom["ds"].dt.strftime("%Y-%m-%d")).to_dict(orient="list"),
        "ids": h.ids, "S": h.S.tolist(), "y_hat": y_hat.tolist(), "y_hat_insample": y_hat_insample.tolist(),
        "sigmah": sigmah.tolist(), "quantiles": QUANTILES,
        "reconciled": {m: {k: np.asarray(v).tolist() for k, v in r.items()} for m, r in peers.items()},
    }
    path.write_text(json.dumps(fixture))
    print(f"wrote {path} ({path.stat().st_size:,} bytes)")


def compare(h, result, model: str) -> dict[str, float]:
    """Largest |tsforecast - hierarchicalforecast| / mean |y| over all series and steps, per
    method, on the base forecasts of ``model`` at the last cutoff."""
    last = result.forecasts["cutoff"].max()
    rows = result.forecasts[result.forecasts["cutoff"] == last]
    values = h.values.loc[:last]
    # the same fold again, keeping its fitted models for their residuals (same fits, same numbers)
    horizon = int(result.parameters["horizon"])
    part = backtest(h.values.iloc[: len(values) + horizon], [model], horizon=horizon, n_windows=1,
                    keep_fitted=True, diagnose=False)
    residuals = pd.concat([part.fitted[(name, model)].residuals().rename(name) for name in h.ids], axis=1).dropna()
    fitted = values.loc[residuals.index].to_numpy() - residuals.to_numpy()
    y_hat = rows[rows["model"] == model].pivot(index="series", columns="step", values="forecast").reindex(h.ids)
    tags = {name: np.asarray(r) for name, r in h.levels.items()}
    y_insample = values.loc[residuals.index].to_numpy().T
    peers = peer_reconcile(h.S, tags, y_hat.to_numpy(), y_insample, fitted.T, np.ones(y_hat.shape))
    scale = float(np.abs(values.to_numpy()).mean())
    out = {}
    for method, theirs in peers.items():
        # top_down_hist averages the shares over the same in-sample span hierarchicalforecast saw
        ours = reconcile(h, y_hat.to_numpy(), method, history=y_insample.T, residuals=residuals.to_numpy())
        mine = rows[rows["model"] == f"{model}/{method}"].pivot(index="series", columns="step", values="forecast")
        out[method] = float(np.abs(ours - theirs["mean"]).max() / scale)
        if method != "top_down_hist":  # the backtest's shares come from the whole history
            out[method] = max(out[method], float(np.abs(mine.reindex(h.ids).to_numpy() - theirs["mean"]).max() / scale))
    return out


def run(name: str, h, models: list[str], horizon: int, folds: int, overhead: bool = False) -> None:
    started = time.process_time()
    result = backtest_hierarchy(h, models, horizon=horizon, n_windows=folds)
    seconds = time.process_time() - started
    if overhead:  # the same series and folds in a plain backtest: what reconciling per fold costs
        started = time.process_time()
        plain = backtest(h.values, models, horizon=horizon, n_windows=folds)
        alone = time.process_time() - started
        mine = result.forecasts[result.forecasts["model"].isin(models)].set_index(["series", "model", "cutoff", "step"])
        theirs = plain.forecasts.set_index(["series", "model", "cutoff", "step"]).loc[mine.index]
        print(f"{name}: backtest_hierarchy {seconds:.1f} CPU s, a plain backtest of the same series and folds "
              f"{alone:.1f} CPU s ({seconds / alone:.2f}x); base forecasts differ by at most "
              f"{float((mine['forecast'] - theirs['forecast']).abs().max()):.1e}")
    print(f"\n## {name}: {len(h.ids)} series ({h.n_bottom} bottom), levels {', '.join(h.levels)}; "
          f"{folds} folds of horizon {horizon}; backtest + reconciliation {seconds:.1f} CPU s")
    for model in models:
        diffs = compare(h, result, model)
        print(f"{model}: largest difference from hierarchicalforecast / mean |y|: "
              + ", ".join(f"{m} {d:.1e}" for m, d in diffs.items()))
    table = level_accuracy(result)
    print("MASE per level (rows) and model (columns):")
    print(table.round(3).T.to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixture", type=Path, help="write the reference fixture to this path and stop")
    parser.add_argument("--models", default="ets,theta,ridge")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--overhead", action="store_true", help="also time a plain backtest of the same series")
    args = parser.parse_args()
    if args.fixture:
        write_fixture(args.fixture)
        return
    models = args.models.split(",")
    from _cta import CTA_PATH

    import tsforecast

    if CTA_PATH.is_file():
        cta = tsforecast.load_cta_ridership(CTA_PATH).loc["2016":"2019", ["rail", "bus"]]
        run("CTA ridership, total = rail + bus (2016-2019)", aggregate_wide(cta), models, 14, args.folds, args.overhead)
    else:
        print(f"skipped CTA: {CTA_PATH} is not present")
    stations = tsforecast.load_dataset("stations")
    run_stations(stations, models, args.folds, args.overhead)


def run_stations(stations: pd.DataFrame, models: list[str], folds: int, overhead: bool) -> None:
    """The bundled stations panel (synthetic: made by the project's generator) in three levels:
    total, a group of stations, station. The panel has no real grouping attribute, so stations
    are grouped by the tens digit of their number (S01-S09, S10-S19, S20-S29, S30); the stations open over the
    whole span 2018-07-01..2019-10-26 are kept (the hierarchy needs every member at every date)."""
    frame = stations.reset_index()
    frame["ds"] = pd.to_datetime(frame["date"])
    start, end = pd.Timestamp("2018-07-01"), pd.Timestamp("2019-10-26")
    span = frame.groupby("station")["ds"].agg(["min", "max"])
    kept_ids = sorted(span.index[(span["min"] <= start) & (span["max"] >= end)])
    group = {s: f"G{int(s[1:]) // 10 + 1}" for s in kept_ids}
    kept = frame[frame["station"].isin(kept_ids) & (frame["ds"] >= start) & (frame["ds"] <= end)]
    kept = kept.assign(group=kept["station"].map(group))
    h = aggregate(kept, ["group", "station"], time_column="ds", target_column="riders")
    run(f"stations panel (synthetic), group > station, {len(kept_ids)} stations, {start:%Y-%m-%d}..{end:%Y-%m-%d}",
        h, models, 14, folds, overhead)


if __name__ == "__main__":
    main()
