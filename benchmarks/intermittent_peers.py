"""Intermittent-demand models: equal to statsforecast's, and how accurate on intermittent panels.

Two sections, each runnable alone:

``equality`` (peers venv: statsforecast 2.1.1) fits statsforecast's ``CrostonClassic``,
``CrostonSBA``, ``TSB(0.1, 0.1)``, ``ADIDA`` and ``IMAPA`` and tsforecast's ``croston``,
``croston_sba``, ``tsb``, ``adida`` and ``imapa`` on the same series and prints, per model, the
largest absolute difference of the point forecasts and of the in-sample fitted values. The
series: ``--series`` simulated items (:func:`tsforecast.data.synthetic.make_intermittent`,
seed 20240101) and a real panel: the weekly number of public-holiday days of every country
the ``holidays`` package knows, 2015-2024 (real calendars, mostly zero weeks). Series with
fewer than two demands are counted and skipped (tsforecast refuses them; see the module
docstring of :mod:`tsforecast.models.intermittent`). With ``--fixture PATH`` it also writes a
few fixed series and statsforecast's forecasts of them to PATH, which
``tests/test_intermittent.py`` checks tsforecast against without statsforecast installed.

``accuracy`` (project venv) backtests the new models against naive, mean, ets and the
seasonal-naive baseline with :func:`tsforecast.backtest` (8 weeks ahead, 3 windows) on the
simulated panel and on the holiday panel, and prints per model: the mean and median MASE
over series at the leaderboard's scale (the weekly season, 52), MASE with season 1 (MAE
over the in-sample naive MAE, the scale for intermittent demand) and RMSSE (M5), the 80%
interval coverage and the CPU seconds of the whole backtest.

    .venv-peers/bin/python benchmarks/intermittent_peers.py equality \\
        --fixture tests/data/intermittent_statsforecast.json
    .venv/bin/python benchmarks/intermittent_peers.py accuracy --series 500
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's tsforecast, whichever venv runs the script

from tsforecast.data.synthetic import make_intermittent  # noqa: E402
from tsforecast.evaluation.metrics import rmsse, seasonal_naive_scale  # noqa: E402
from tsforecast.models.intermittent import MIN_DEMANDS  # noqa: E402
from tsforecast.registry import get_model  # noqa: E402

MODELS = ("croston", "croston_sba", "tsb", "adida", "imapa")
SEED = 20240101
FIXTURE_COMMAND = ("PYTHONPATH=. .venv-peers/bin/python benchmarks/intermittent_peers.py equality "
                   "--fixture tests/data/intermittent_statsforecast.json")


def holiday_panel(first_year: int = 2015, last_year: int = 2024) -> dict[str, pd.Series]:
    """Weekly number of public-holiday days per country (``holidays`` package), Monday-start
    weeks ending on Sundays."""
    import holidays

    days = pd.date_range(f"{first_year}-01-05", f"{last_year}-12-29", freq="D")  # whole weeks
    panel = {}
    for code in sorted(holidays.list_supported_countries(include_aliases=False)):
        dates = pd.DatetimeIndex(sorted(holidays.country_holidays(code, years=range(first_year, last_year + 1))))
        panel[f"holidays-{code}"] = pd.Series(1.0, index=dates).reindex(days, fill_value=0.0).resample("W-SUN").sum()
    return panel


def simulated_panel(n_series: int) -> dict[str, pd.Series]:
    frame = make_intermittent(n_series=n_series, seed=SEED)
    return {item: group.set_index("date")["demand"].astype("float64").asfreq("W-SUN")
            for item, group in frame.groupby("item", sort=False)}


def _statsforecast_models() -> dict[str, object]:
    from statsforecast.models import ADIDA, IMAPA, TSB, CrostonClassic, CrostonSBA

    return {"croston": CrostonClassic(), "croston_sba": CrostonSBA(), "tsb": TSB(alpha_d=0.1, alpha_p=0.1),
            "adida": ADIDA(), "imapa": IMAPA()}


def _reference(peers: dict[str, object], values: np.ndarray) -> dict[str, tuple[float, np.ndarray]]:
    out = {}
    for name, model in peers.items():
        result = model.forecast(values, 1, fitted=True)
        out[name] = (float(result["mean"][0]), np.asarray(result["fitted"], dtype="float64"))
    return out


def equality(n_series: int, fixture: Path | None) -> None:
    import statsforecast

    peers = _statsforecast_models()
    panels = {"simulated": simulated_panel(n_series), "holidays": holiday_panel()}
    print(f"statsforecast {statsforecast.__version__}; point forecast and fitted values, max |difference|")
    for panel, series in panels.items():
        worst = {name: [0.0, 0.0] for name in MODELS}
        skipped = 0
        start = time.process_time()
        for y in series.values():
            values = y.to_numpy()
            if 0 < np.count_nonzero(values) < MIN_DEMANDS:
                skipped += 1
                continue
            reference = _reference(peers, values)
            for name in MODELS:
                model = get_model(name).fit(y)
                point, fitted = reference[name]
                ours = model.fitted_values().to_numpy()
                worst[name][0] = max(worst[name][0], abs(float(model.predict(1).iloc[0]) - point))
                if not np.array_equal(np.isnan(ours), np.isnan(fitted)):
                    raise SystemExit(f"{name}: fitted values are NaN at different places")
                worst[name][1] = max(worst[name][1], float(np.nanmax(np.abs(ours - fitted), initial=0.0)))
        print(f"\n{panel}: {len(series) - skipped} series (skipped {skipped} with one demand), "
              f"{time.process_time() - start:.1f} s CPU")
        for name, (point, fitted) in worst.items():
            print(f"  {name:12s} forecast {point:.3g}   fitted {fitted:.3g}")
    if fixture is not None:
        write_fixture(fixture, peers, panels)


def write_fixture(path: Path, peers: dict[str, object], panels: dict[str, dict[str, pd.Series]]) -> None:
    """A few fixed series and statsforecast's forecasts and fitted values of them."""
    import statsforecast

    # the last 80 weeks of four items and two years of German holidays keep the file small
    simulated = [(name, y.iloc[-80:]) for name, y in list(panels["simulated"].items())[:4]]
    chosen = [*simulated, ("holidays-DE", panels["holidays"]["holidays-DE"].iloc[-104:]),
              # a mean demand interval of exactly 2.5: Python's round gives 2 (half to even)
              ("half-interval", pd.Series([0, 3, 0, 0, 2, 0, 0, 0], dtype="float64")),
              ("all-zero", pd.Series(np.zeros(12)))]
    entries = []
    for name, y in chosen:
        values = y.to_numpy(dtype="float64")
        reference = _reference(peers, values)
        entries.append({
            "name": name, "y": values.tolist(),
            "forecast": {m: reference[m][0] for m in MODELS},
            "fitted": {m: [None if np.isnan(v) else float(v) for v in reference[m][1]] for m in MODELS},
        })
    document = {"command": FIXTURE_COMMAND, "statsforecast": statsforecast.__version__,
                "models": {"croston": "CrostonClassic()", "croston_sba": "CrostonSBA()",
                           "tsb": "TSB(alpha_d=0.1, alpha_p=0.1)", "adida": "ADIDA()", "imapa": "IMAPA()"},
                "series": entries}
    # one line per list of numbers: a reviewable file, not one number per line
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]",
                  json.dumps(document, indent=1))
    path.write_text(text + "\n", encoding="utf-8")
    print(f"\nwrote {path} ({len(entries)} series)")


def _season_one_scores(result: object, series: dict[str, pd.Series]) -> pd.DataFrame:
    """MASE with season 1 and RMSSE per (series, model), each fold on its own training window."""
    rows = []
    scored = result.scored()
    for (item, model, cutoff), group in scored.groupby(["series", "model", "cutoff"], sort=False):
        train = series[item].loc[: cutoff.tz_localize(None) if cutoff.tzinfo else cutoff].to_numpy()
        scale = seasonal_naive_scale(train, 1)
        error = np.abs(group["actual"].to_numpy() - group["forecast"].to_numpy())
        rows.append({"series": item, "model": model,
                     "mase1": error.mean() / scale if scale > 0 else np.nan,
                     "rmsse": rmsse(group["actual"], group["forecast"], y_train=train)})
    return pd.DataFrame(rows).groupby(["series", "model"]).mean()


def accuracy(n_series: int) -> None:
    from tsforecast.backtest import backtest

    models = [*MODELS, "naive", "mean", "ets"]
    panels = {f"simulated ({n_series} items, 156 weeks)": simulated_panel(n_series),
              "holidays (weekly public-holiday days per country, 2015-2024)": holiday_panel()}
    for title, series in panels.items():
        series = {k: v for k, v in series.items() if np.count_nonzero(v.to_numpy()) >= 8}
        frame = pd.concat([pd.DataFrame({"id": k, "date": v.index, "y": v.to_numpy()}) for k, v in series.items()])
        start = time.process_time()
        result = backtest(frame, models, horizon=8, n_windows=3, id_col="id", time_col="date",
                                     target_col="y", diagnose=False)
        seconds = time.process_time() - start
        board = result.across_series()
        extra = _season_one_scores(result, series).groupby("model").agg(["mean", "median"])
        coverage = result.leaderboard()["coverage"]
        failures = result.leaderboard()["failures"]
        print(f"\n{title}: {len(series)} series, backtest {seconds:.1f} s CPU")
        print(f"{'model':12s} {'MASE52 mean':>11s} {'median':>7s} {'MASE1 mean':>10s} {'median':>7s} "
              f"{'RMSSE mean':>10s} {'median':>7s} {'cov80':>6s} {'fails':>5s}")
        for model in result.models:
            m1, r = extra.loc[model, "mase1"], extra.loc[model, "rmsse"]
            print(f"{model:12s} {board.loc[model, 'mean_mase']:11.3f} {board.loc[model, 'median_mase']:7.3f} "
                  f"{m1['mean']:10.3f} {m1['median']:7.3f} {r['mean']:10.3f} {r['median']:7.3f} "
                  f"{coverage[model]:6.3f} {int(failures[model]):5d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("section", choices=("equality", "accuracy"))
    parser.add_argument("--series", type=int, default=None, help="simulated items (equality 200, accuracy 500)")
    parser.add_argument("--fixture", type=Path, default=None, help="equality: also write the test fixture here")
    args = parser.parse_args()
    if args.section == "equality":
        equality(args.series or 200, args.fixture)
    else:
        accuracy(args.series or 500)


if __name__ == "__main__":
    main()
