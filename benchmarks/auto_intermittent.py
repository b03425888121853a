"""``auto`` on intermittent demand against each of its candidates alone (issue #26).

The panels of ``intermittent_peers.py accuracy``: simulated items
(:func:`tsforecast.data.synthetic.make_intermittent`, seed 20240101, 156 weeks) and the weekly
number of public-holiday days per country (``holidays`` package, 2015-2024), each series with
at least 8 demands; the first ``--items`` items and ``--countries`` countries (auto validates 11
candidates per fold, so the whole panels would take an hour on a shared machine). The same
protocol: ``backtest(horizon=8, n_windows=3)``; per model the mean and median over series of
MASE at the weekly season (52), MASE with season 1, RMSSE, the 80% coverage, and CPU seconds.

    PYTHONPATH=. .venv/bin/python benchmarks/auto_intermittent.py [--items 60] [--countries 40]

``--rules F.json`` instead runs ``auto``'s own validation at each of the 3 origins of every
series once, stores every candidate's validation scores (MASE and RMSSE) and its held-out
forecast (rolled forward from its validation fit where ``auto`` rolls forward, refitted where
``auto`` refits), and then scores ranking rules on them, paired: the same fits, the error used
to rank (RMSSE, as shipped, or MASE) the only difference. ``--analyse F.json`` scores stored
runs again. Decision criterion, fixed before the run (issue #26): the ranking error with the
lower mean RMSSE on each panel; if the panels disagree, the lower mean RMSSE over all series
of both panels (each series counts once); MASE (season 52 and 1) reported beside it.

    nice -n 5 .venv/bin/python benchmarks/auto_intermittent.py --items 474 --countries 247 --rules /tmp/int.json
    .venv/bin/python benchmarks/auto_intermittent.py --analyse /tmp/int.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intermittent_peers import _season_one_scores, holiday_panel, simulated_panel  # noqa: E402

from tsforecast.backtest import backtest  # noqa: E402
from tsforecast.backtest.splits import make_folds  # noqa: E402
from tsforecast.evaluation.metrics import seasonal_naive_scale  # noqa: E402
from tsforecast.selection.auto import Auto  # noqa: E402

MODELS = ("auto", "snaive", "naive", "mean", "ets", "theta", "auto_arima", "croston_sba", "tsb", "imapa")


def run(title: str, series: dict[str, pd.Series]) -> None:
    frame = pd.concat([pd.DataFrame({"id": k, "date": v.index, "y": v.to_numpy()}) for k, v in series.items()])
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(frame, list(MODELS), horizon=8, n_windows=3, id_col="id", time_col="date",
                          target_col="y", diagnose=False)
    seconds = time.process_time() - start
    board = result.across_series()
    extra = _season_one_scores(result, series).groupby("model").agg(["mean", "median"])
    leaderboard = result.leaderboard()
    print(f"\n{title}: {len(series)} series, backtest {seconds:.1f} s CPU")
    print("| model | MASE52 mean | median | MASE1 mean | median | RMSSE mean | median | cov80 | fails |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for model in sorted(result.models, key=lambda m: extra.loc[m, ("rmsse", "mean")]):
        m1, r = extra.loc[model, "mase1"], extra.loc[model, "rmsse"]
        print(f"| `{model}` | {board.loc[model, 'mean_mase']:.3f} | {board.loc[model, 'median_mase']:.3f} | "
              f"{m1['mean']:.3f} | {m1['median']:.3f} | {r['mean']:.3f} | {r['median']:.3f} | "
              f"{leaderboard.loc[model, 'coverage']:.3f} | {int(leaderboard.loc[model, 'failures'])} |")
    chosen = result.timings.loc[result.timings["model"] == "auto", "fitted"].value_counts()
    print("auto's choices:", "; ".join(f"{label} {count}" for label, count in chosen.head(8).items()))


HORIZON, WINDOWS = 8, 3  # the protocol of ``run``
#: the simulated panel of ``intermittent_peers.py accuracy --series 500`` (474 items with 8+
#: demands); ``--items`` takes its first ones (the generator draws every item at once, so
#: another panel size would give other items)
SIMULATED_SERIES = 500


def _stored_fits(panel: str, name: str, y: pd.Series) -> list[dict]:
    """Per origin: every candidate's validation MASE and RMSSE and its held-out forecast."""
    from sklearn.base import clone

    rows = []
    for number, fold in enumerate(make_folds(len(y), HORIZON, WINDOWS)):
        train, test = y.iloc[: fold.train_end], y.iloc[fold.train_end : fold.train_end + HORIZON]
        auto = Auto()
        auto._check_training_length(train.index.freq, len(train))
        auto.freq_, auto.season_ = train.index.freq, auto._resolve_season()
        models = auto._candidate_models(train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            validation, _, validated = auto._validate(train, models)
            roll = auto._rolls_forward(len(train))
            outer = {}
            for candidate in validation.index[validation["status"] == "ok"]:
                try:
                    if roll and candidate in validated:  # what auto does with a chosen model here
                        model = validated[candidate]
                        model.update(train.iloc[len(train) - auto.horizon_:])
                    else:
                        model = clone(models[candidate]).fit(train)
                    outer[candidate] = model.predict(HORIZON).to_numpy().tolist()
                except Exception as exc:  # noqa: BLE001 - recorded as missing, as auto would skip it
                    print(f"  {name} fold {number} {candidate}: {type(exc).__name__}: {exc}", file=sys.stderr)
        values = train.to_numpy(dtype="float64")
        rows.append({"panel": panel, "series": name, "fold": number, "actual": test.to_numpy().tolist(),
                     "metric": auto.metric_, "scale52": seasonal_naive_scale(values, 52),
                     "scale1": seasonal_naive_scale(values, 1),
                     "rmsse_scale": float(np.sqrt(np.mean(np.diff(values) ** 2))),
                     "validation": {c: {"mase": float(r["mase"]), "score": float(r["score"]), "status": r["status"]}
                                    for c, r in validation.iterrows()},
                     "outer": outer})
    return rows


def rank_rule(error: str, within: float = 1.2, top_k: int = 3) -> Callable[[dict], list[str]]:
    """``auto``'s rule (the mean of those within ``within`` x the best, at most ``top_k``) with
    candidates ranked by ``error``: ``"mase"``, or ``"score"``, the error ``auto`` ranks by
    (RMSSE where it detected intermittent demand in the training data, MASE elsewhere)."""
    def choose(row: dict) -> list[str]:
        scores = {c: v[error] for c, v in row["validation"].items()
                  if v["status"] == "ok" and c in row["outer"] and np.isfinite(v[error])}
        ranked = sorted(scores, key=lambda c: scores[c])  # stable, in validation order on ties
        return [c for c in ranked if scores[c] <= within * scores[ranked[0]]][:top_k] if ranked else []
    return choose


def _scores(row: dict, members: list[str]) -> dict[str, float]:
    actual = np.asarray(row["actual"])
    point = np.maximum(np.mean([row["outer"][m] for m in members], axis=0), 0.0)  # auto floors demand at 0
    error = point - actual
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"mase52": np.mean(np.abs(error)) / row["scale52"], "mase1": np.mean(np.abs(error)) / row["scale1"],
                "rmsse": np.sqrt(np.mean(error**2)) / row["rmsse_scale"]}


def analyse(rows: list[dict]) -> None:
    """Each rule's and candidate's mean and median MASE52, MASE1, RMSSE per panel and pooled."""
    for row in rows:  # runs stored before the key was named for what it holds
        for record in row["validation"].values():
            record.setdefault("score", record.pop("rmsse", np.nan))
    rules = {"auto, RMSSE on demand (shipped)": rank_rule("score"), "auto, ranked by MASE": rank_rule("mase"),
             "best by auto's score alone": rank_rule("score", 1.0, 1), "best by MASE alone": rank_rule("mase", 1.0, 1)}
    records, picks = [], {}
    for row in rows:
        for label, choose in rules.items():
            members = choose(row)
            if members:
                records.append({"panel": row["panel"], "series": row["series"], "rule": label, **_scores(row, members)})
                picks.setdefault((row["panel"], label), []).append(", ".join(sorted(members)))
        for model in row["outer"]:
            records.append({"panel": row["panel"], "series": row["series"], "rule": model, **_scores(row, [model])})
    frame = pd.DataFrame(records).replace([np.inf, -np.inf], np.nan)
    per_series = frame.groupby(["panel", "rule", "series"]).mean(numeric_only=True)
    for panel, table in [*per_series.groupby(level="panel"), ("both panels", per_series)]:
        summary = table.groupby(level="rule").agg(["mean", "median"])
        counts = table.groupby(level="rule").size()
        n = table.index.get_level_values("series").nunique() if panel != "both panels" else len(
            table.reset_index()[["panel", "series"]].drop_duplicates())
        print(f"\n{panel}: {n} series")
        print(f"(a model validated on fewer of the {n} series is scored on those alone)")
        print("| rule / model | series | MASE52 mean | median | MASE1 mean | median | RMSSE mean | median |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for rule, r in summary.sort_values(("rmsse", "mean")).iterrows():
            cells = [r[(error, stat)] for error in ("mase52", "mase1", "rmsse") for stat in ("mean", "median")]
            print(f"| {rule} | {counts[rule]} | " + " | ".join(f"{value:.3f}" for value in cells) + " |")
    demand = pd.DataFrame([{"panel": row["panel"], "rmsse": row["metric"] == "rmsse"} for row in rows])
    print("\norigins ranked by RMSSE (intermittent training data):",
          "; ".join(f"{p} {g['rmsse'].sum()} of {len(g)}" for p, g in demand.groupby("panel")))
    for (panel, label), chosen in picks.items():
        if label.startswith("auto"):
            common = pd.Series(chosen).value_counts().head(5)
            print(f"{panel}, {label}: " + "; ".join(f"{k} {v}" for k, v in common.items()))


def store(path: Path, panels: dict[str, dict[str, pd.Series]]) -> None:
    """Run :func:`_stored_fits` on every series not yet in ``path``, saving after each series."""
    stored = json.loads(path.read_text()) if path.exists() else []
    done = {(row["panel"], row["series"]) for row in stored}
    start = time.process_time()
    for panel, series in panels.items():
        for name, y in series.items():
            if (panel, name) in done:
                continue
            stored += _stored_fits(panel, name, y)
            path.write_text(json.dumps(stored))
        print(f"{panel}: {len(series)} series stored, {time.process_time() - start:.1f} s CPU so far", file=sys.stderr)
    analyse(stored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--countries", type=int, default=40)
    parser.add_argument("--panel", choices=("both", "simulated", "holidays"), default="both")
    parser.add_argument("--rules", type=Path, default=None, help="store paired fits here (JSON) and score rules")
    parser.add_argument("--analyse", type=Path, nargs="+", default=None, help="score the rules on stored fits")
    args = parser.parse_args()
    if args.analyse:
        analyse([row for path in args.analyse for row in json.loads(path.read_text())])
        return
    enough = lambda panel: {k: v for k, v in panel.items() if np.count_nonzero(v.to_numpy()) >= 8}  # noqa: E731
    if args.rules is not None:
        panels = {}
        if args.panel in ("both", "simulated"):
            panels["simulated"] = dict(list(enough(simulated_panel(SIMULATED_SERIES)).items())[: args.items])
        if args.panel in ("both", "holidays"):
            panels["holidays"] = dict(list(enough(holiday_panel()).items())[: args.countries])
        store(args.rules, panels)
        return
    if args.panel in ("both", "simulated"):
        items = dict(list(enough(simulated_panel(SIMULATED_SERIES)).items())[: args.items])
        run(f"simulated ({len(items)} items, 156 weeks)", items)
    if args.panel in ("both", "holidays"):
        countries = dict(list(enough(holiday_panel()).items())[: args.countries])
        run(f"holidays ({len(countries)} countries, 2015-2024)", countries)


if __name__ == "__main__":
    main()
