"""How should ``auto`` turn its validation into a forecast? Rules compared on held-out folds.

For every series of a set (``--set dev`` by default: the development series of
``accuracy_suite.py``, disjoint from the open suite) and each of its 5 rolling origins (the
suite's protocol), this script runs ``auto``'s own validation on the training data of that
origin, fits every candidate on the whole training data, and stores the candidates'
validation forecasts and their forecasts of the held-out fold. Rules that turn the first
into a forecast (pick the best; average the best k; average those near the best; a fixed
combination) are then scored on the second, all from the same fits, so the comparison is
paired and costs one run:

    .venv/bin/python benchmarks/auto_rules.py --output /tmp/rules.json [--set dev] [--jobs 2]
    .venv/bin/python benchmarks/auto_rules.py --analyse /tmp/rules.json

``--analyse`` takes several files; a series stored again in a later one (a rerun of some
series after a change to ``auto``) replaces its rows from the earlier ones.

MASE as in the suite (each fold's errors over its in-sample seasonal-naive MAE), averaged
over folds and steps per series, then over series.

``--peers benchmarks/peers_suite_mase.csv`` adds the criterion of issue #26: the geometric mean
over series of MASE(rule) / MASE(the best of statsforecast's AutoARIMA, AutoETS and AutoTheta
on that series), from the stored per-series table of ``accuracy_peers.py`` (same folds).
``--extras sarima,drift`` (with ``--set``) validates those models too at every stored origin,
on the plan ``auto`` used there, and scores the shipped rule with them as candidates.
``--replace theta`` (with ``--extras auto_theta``) scores it with those candidates dropped.
``--coverage`` (with ``--set``) replicates ``auto``'s intervals for the shipped rule at every
stored origin and prints their 80% and 95% coverage (module ``coverage`` below).
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
from joblib import Parallel, delayed
from sklearn.base import clone

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy_suite import SETS, horizon_for  # noqa: E402

import tsforecast  # noqa: E402
from tsforecast.backtest.splits import make_folds  # noqa: E402
from tsforecast.evaluation.metrics import seasonal_naive_scale  # noqa: E402
from tsforecast.selection.auto import Auto  # noqa: E402
from tsforecast.selection.combo import COMBO_MEMBERS  # noqa: E402

N_WINDOWS = 5
#: scored beside the candidates, to see whether the candidate set itself should change
EXTRA_MODELS = ("sarima", "drift", "arima")


def _outer_forecasts(name: str, y: pd.Series, candidates: tuple[str, ...] | None = None) -> list[dict]:
    y = tsforecast.clean_series(y).series
    horizon = horizon_for(y)
    rows = []
    for number, fold in enumerate(make_folds(len(y), horizon, N_WINDOWS)):
        train, test = y.iloc[: fold.train_end], y.iloc[fold.train_end : fold.train_end + horizon]
        auto = Auto(candidates=candidates)
        auto._check_training_length(train.index.freq, len(train))
        auto.freq_, auto.season_ = train.index.freq, auto._resolve_season()
        models = auto._candidate_models(train)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            validation, inner, _ = auto._validate(train, models)
            validation_seconds = time.perf_counter() - started
            for extra in EXTRA_MODELS:
                models.setdefault(extra, tsforecast.get_model(extra))
            outer = {}
            for candidate, model in models.items():
                try:
                    fitted = clone(model).fit(train)
                    bounds = fitted.predict_interval(horizon, 0.8)
                    outer[candidate] = pd.DataFrame({"forecast": fitted.predict(horizon).to_numpy(),
                                                     "lower": bounds["lower"].to_numpy(),
                                                     "upper": bounds["upper"].to_numpy()})
                except Exception as exc:  # noqa: BLE001 - a candidate that fails is recorded as missing
                    print(f"  {name} fold {number} {candidate}: {type(exc).__name__}: {exc}", file=sys.stderr)
            if all(member in outer for member in COMBO_MEMBERS):  # the fixed combination, from its members
                outer["combo"] = sum(outer[member] for member in COMBO_MEMBERS) / len(COMBO_MEMBERS)
        rows.append({"series": name, "fold": number, "actual": test.to_numpy(), "season": auto.season_,
                     "scale": seasonal_naive_scale(train.to_numpy(), auto.season_), "validation": validation,
                     "inner": inner, "outer": outer, "validation_seconds": validation_seconds})
    print(f"{name}: done", file=sys.stderr, flush=True)
    return rows


# ------------------------------------------------------------------ rules
def _inner_mase(inner: dict[str, pd.DataFrame], members: list[str]) -> float:
    """Validation MASE of the mean of ``members`` on their common validation points."""
    frames = [inner[m] for m in members]
    common = frames[0].index
    for frame in frames[1:]:
        common = common.intersection(frame.index)
    point = np.mean([f.loc[common, "forecast"].to_numpy() for f in frames], axis=0)
    error = np.abs(point - frames[0].loc[common, "actual"].to_numpy()) / frames[0].loc[common, "scale"].to_numpy()
    return float(pd.Series(error, index=common).groupby(level="cutoff").mean().mean())


def _ranked(row: dict, combo: bool = False) -> list[str]:
    """The candidates validated and forecast, best first; ``combo`` among them only if asked."""
    v = row["validation"]
    ok = v[(v["status"] == "ok") & v.index.isin(list(row["outer"]))]
    ranked = ok.sort_values("mase", kind="stable").index.tolist()
    return ranked if combo else [m for m in ranked if m != "combo"]


def rule_combo_if_best(ratio: float = 1.2) -> Callable[[dict], list[str]]:
    """``combo`` (the trio's mean) when it validates best, else the within-``ratio`` rule (shipped)."""
    within = rule_within(ratio)

    def choose(row: dict) -> list[str]:
        ranked = _ranked(row, combo=True)
        return ["combo"] if ranked and ranked[0] == "combo" else within(row)
    return choose


def rule_combo_when_few_windows(windows: int, ratio: float = 1.2) -> Callable[[dict], list[str]]:
    """``combo`` when validation ran fewer than ``windows`` folds (too few to trust), else within."""
    within = rule_within(ratio)

    def choose(row: dict) -> list[str]:
        folds = row["inner"]["auto_arima"].index.get_level_values("cutoff").nunique() if (
            "auto_arima" in row["inner"]) else 0
        return ["combo"] if folds < windows and "combo" in row["outer"] else within(row)
    return choose


def trio_guarded(choose: Callable[[dict], list[str]]) -> Callable[[dict], list[str]]:
    """Like :func:`guarded`, but the trio (those of it that fit) instead of the fallback alone."""
    def guard(row: dict) -> list[str]:
        status = row["validation"]["status"].get("auto_arima", "")
        members = [m for m in TRIO if m in row["outer"]]
        if status.startswith("skipped: needs") and members:
            return members
        return choose(row)
    return guard


def rule_top(k: int, how: str = "mean") -> Callable[[dict], list[str]]:
    return lambda row: _ranked(row)[:k]


def rule_within(ratio: float, k: int = 3, combo: bool = False) -> Callable[[dict], list[str]]:
    def choose(row: dict) -> list[str]:
        ranked = _ranked(row, combo)
        if not ranked:
            return []
        scores = row["validation"]["mase"]
        return [m for m in ranked if scores[m] <= ratio * scores[ranked[0]]][:k]
    return choose


def rule_fixed(members: tuple[str, ...]) -> Callable[[dict], list[str]]:
    return lambda row: [m for m in members if m in row["outer"]]


def rule_best_k_by_validation(max_k: int = 3) -> Callable[[dict], list[str]]:
    """The k (1..max_k) whose mean of the top k validates best."""
    def choose(row: dict) -> list[str]:
        ranked = _ranked(row)
        if not ranked:
            return []
        options = [ranked[:k] for k in range(1, min(max_k, len(ranked)) + 1)]
        return min(options, key=lambda members: _inner_mase(row["inner"], members))
    return choose


def rule_fixed_unless(members: tuple[str, ...], margin: float) -> Callable[[dict], list[str]]:
    """The fixed combination, unless one candidate validates ``margin`` better than it."""
    def choose(row: dict) -> list[str]:
        fixed = [m for m in members if m in row["inner"] and m in row["outer"]]
        ranked = _ranked(row)
        if not fixed:
            return ranked[:1]
        combined = _inner_mase(row["inner"], fixed)
        if ranked and row["validation"]["mase"][ranked[0]] < (1 - margin) * combined:
            return ranked[:1]
        return fixed
    return choose


def rule_single(model: str) -> Callable[[dict], list[str]]:
    return lambda row: [model] if model in row["outer"] else []


def guarded(choose: Callable[[dict], list[str]], fallback: str = "auto_arima") -> Callable[[dict], list[str]]:
    """``auto``'s guard: the fallback unvalidated when the history is too short to validate it."""
    def guard(row: dict) -> list[str]:
        status = row["validation"]["status"].get(fallback, "")
        if status.startswith("skipped: needs") and fallback in row["outer"]:
            return [fallback]
        return choose(row)
    return guard


def _scaled_errors(row: dict, candidate: str) -> pd.Series:
    frame = row["inner"][candidate]
    return (frame["actual"] - frame["forecast"]).abs() / frame["scale"]


def _validation_error(row: dict, candidate: str, kind: str) -> float:
    """A candidate's validation error other than auto's (the mean MASE over folds)."""
    errors = _scaled_errors(row, candidate)
    per_fold = errors.groupby(level="cutoff").mean().sort_index()
    if kind == "rmsse":
        return float(np.sqrt((errors**2).mean()))
    if kind == "horizon":  # step j weighs j: the far steps, most of a held-out fold's error
        steps = errors.index.get_level_values("step").to_numpy()
        return float((errors.to_numpy() * steps).sum() / steps.sum())
    if kind == "recent":  # each fold half the weight of the next
        weights = 0.5 ** np.arange(len(per_fold))[::-1]
        return float((per_fold.to_numpy() * weights).sum() / weights.sum())
    return float({"median": per_fold.median, "max": per_fold.max, "last": lambda: per_fold.iloc[-1],
                  "geo": lambda: np.exp(np.log(np.maximum(per_fold, 1e-12)).mean())}[kind]())


def rule_within_by(kind: str, ratio: float = 1.2, k: int = 3) -> Callable[[dict], list[str]]:
    """The shipped rule on another validation error (:func:`_validation_error`)."""
    def choose(row: dict) -> list[str]:
        errors = pd.Series({m: _validation_error(row, m, kind) for m in _ranked(row)}).sort_values(kind="stable")
        return errors[errors <= ratio * errors.iloc[0]].index[:k].tolist() if len(errors) else []
    return choose


def rule_weighted(ratio: float, k: int = 3, power: float = 1.0) -> Callable[[dict], dict[str, float]]:
    """Those within ``ratio`` of the best (at most ``k``), weighted by validation MASE^-power."""
    def choose(row: dict) -> dict[str, float]:
        scores = row["validation"]["mase"]
        members = rule_within(ratio, k)(row)
        weights = np.array([scores[m] for m in members], dtype="float64") ** -power
        return dict(zip(members, weights / weights.sum(), strict=True))
    return choose


def rule_softmax(tau: float, k: int = 3) -> Callable[[dict], dict[str, float]]:
    """The best ``k``, weighted by exp(-(score / best - 1) / tau) (Akaike-like weights)."""
    def choose(row: dict) -> dict[str, float]:
        members = _ranked(row)[:k]
        scores = row["validation"]["mase"][members].to_numpy()
        weights = np.exp(-(scores / scores[0] - 1) / tau)
        return dict(zip(members, weights / weights.sum(), strict=True))
    return choose


def rule_shrunk(choose: Callable[[dict], list[str]], share: float) -> Callable[[dict], dict[str, float]]:
    """``choose``'s mean, shrunk by ``share`` toward ``combo`` (the trio's mean)."""
    def shrunk(row: dict) -> dict[str, float]:
        members = choose(row)
        if "combo" not in row["outer"] or not members:
            return {m: 1 / len(members) for m in members}
        weights = {m: (1 - share) / len(members) for m in members}
        weights["combo"] = weights.get("combo", 0.0) + share
        return weights
    return shrunk


def rule_distinct(ratio: float = 1.2, k: int = 3) -> Callable[[dict], list[str]]:
    """The shipped rule, counting candidates whose validation forecasts coincide once (``snaive``
    is ``naive`` on yearly data, ``mstl`` is ``ets``'s STL on one weekly season)."""
    def choose(row: dict) -> list[str]:
        kept: list[str] = []
        for m in _ranked(row):
            values = row["inner"][m]["forecast"].to_numpy()
            if not any(len(values) == len(row["inner"][o]) and np.allclose(values, row["inner"][o]["forecast"],
                                                                            rtol=1e-9, atol=0) for o in kept):
                kept.append(m)
        scores = row["validation"]["mase"]
        return [m for m in kept if scores[m] <= ratio * scores[kept[0]]][:k] if kept else []
    return choose


def rule_one_se(k: int = 3, multiple: float = 1.0) -> Callable[[dict], list[str]]:
    """Those whose mean per-fold excess error over the best is within ``multiple`` standard errors."""
    def choose(row: dict) -> list[str]:
        ranked = _ranked(row)
        if not ranked:
            return []
        best = _scaled_errors(row, ranked[0])
        kept = []
        for m in ranked:
            errors = _scaled_errors(row, m)
            common = errors.index.intersection(best.index)
            excess = (errors.loc[common] - best.loc[common]).groupby(level="cutoff").mean()
            spread = excess.std(ddof=1) / np.sqrt(len(excess)) if len(excess) > 1 else np.inf
            if m == ranked[0] or excess.mean() <= multiple * spread:
                kept.append(m)
        return kept[:k]
    return choose


TRIO = ("ets", "theta", "auto_arima")
RULES: dict[str, tuple[Callable[[dict], list[str]], str]] = {
    "best": (rule_top(1), "mean"),
    "mean of top 2": (rule_top(2), "mean"),
    "mean of top 3": (rule_top(3), "mean"),
    "median of top 3": (rule_top(3), "median"),
    "mean of top 4": (rule_top(4), "mean"),
    "mean within 10% of best": (rule_within(1.10), "mean"),
    "mean within 20% of best": (rule_within(1.20), "mean"),
    "mean within 20% of best, up to 4": (rule_within(1.20, 4), "mean"),
    "k of top 3 by validation": (rule_best_k_by_validation(3), "mean"),
    "mean ets, theta, auto_arima": (rule_fixed(TRIO), "mean"),
    "median ets, theta, auto_arima": (rule_fixed(TRIO), "median"),
    "trio unless one is 10% better": (rule_fixed_unless(TRIO, 0.10), "mean"),
    "trio unless one is 20% better": (rule_fixed_unless(TRIO, 0.20), "mean"),
    "guarded, best": (guarded(rule_top(1)), "mean"),
    "guarded, mean of top 2": (guarded(rule_top(2)), "mean"),
    "guarded, mean of top 3": (guarded(rule_top(3)), "mean"),
    "guarded, within 1.1x of best": (guarded(rule_within(1.1)), "mean"),
    "guarded, within 1.2x of best (shipped)": (guarded(rule_within(1.2)), "mean"),
    "guarded, within 1.3x of best": (guarded(rule_within(1.3)), "mean"),
    "guarded, within 1.5x of best": (guarded(rule_within(1.5)), "mean"),
    "guarded, within 1.3x, up to 2": (guarded(rule_within(1.3, 2)), "mean"),
    "guarded, combo if best, else within 1.2x": (guarded(rule_combo_if_best()), "mean"),
    "guarded, within 1.2x, combo one of them": (guarded(rule_within(1.2, combo=True)), "mean"),
    "guarded, combo under 3 folds, else within 1.2x": (guarded(rule_combo_when_few_windows(3)), "mean"),
    "trio-guarded, within 1.2x": (trio_guarded(rule_within(1.2)), "mean"),
    "trio-guarded, combo if best, else within 1.2x": (trio_guarded(rule_combo_if_best()), "mean"),
    "combo alone (guarded)": (guarded(rule_single("combo")), "mean"),
    # issue #26, second study: weights, shrinkage, other validation errors (benchmarks/README.md)
    "guarded, within 1.2x, up to 4": (guarded(rule_within(1.2, 4)), "mean"),
    "guarded, within 1.2x, inverse-error weights": (guarded(rule_weighted(1.2)), "mean"),
    "guarded, within 1.5x, inverse-squared weights": (guarded(rule_weighted(1.5, power=2)), "mean"),
    "guarded, top 3, inverse-error weights": (guarded(rule_weighted(np.inf)), "mean"),
    "guarded, top 3, inverse-squared weights": (guarded(rule_weighted(np.inf, power=2)), "mean"),
    "guarded, top 3, softmax weights (tau 0.1)": (guarded(rule_softmax(0.1)), "mean"),
    "guarded, within 1.2x, shrunk 25% to combo": (guarded(rule_shrunk(rule_within(1.2), 0.25)), "mean"),
    "guarded, within 1.2x, shrunk 50% to combo": (guarded(rule_shrunk(rule_within(1.2), 0.5)), "mean"),
    "guarded, within 1.2x, identical candidates once": (guarded(rule_distinct()), "mean"),
    "guarded, within one standard error, up to 3": (guarded(rule_one_se()), "mean"),
    "guarded, within half a standard error, up to 3": (guarded(rule_one_se(multiple=0.5)), "mean"),
    **{f"guarded, within 1.2x by {kind} error": (guarded(rule_within_by(kind)), "mean")
       for kind in ("horizon", "recent", "rmsse", "median", "geo", "max", "last")},
    "auto_arima alone": (rule_single("auto_arima"), "mean"),
    "ridge alone": (rule_single("ridge"), "mean"),
    "ets alone": (rule_single("ets"), "mean"),
    "theta alone": (rule_single("theta"), "mean"),
    "sarima alone": (rule_single("sarima"), "mean"),
    "lstm alone": (rule_single("lstm"), "mean"),
}


def score(rows: list[dict], choose: Callable[[dict], list[str] | dict[str, float]], how: str) -> pd.Series:
    """Per (series, fold): the rule's mean scaled error on the held-out fold (NaN if it had none).
    A rule returns the members (combined by ``how``) or a dict of members and their weights."""
    out = {}
    for row in rows:
        members = choose(row)
        if not members:
            out[row["series"], row["fold"]] = np.nan
            continue
        stacked = np.stack([row["outer"][m]["forecast"].to_numpy() for m in members])
        if isinstance(members, dict):
            point = np.asarray(list(members.values())) @ stacked
        else:
            point = np.median(stacked, axis=0) if how == "median" else stacked.mean(axis=0)
        out[row["series"], row["fold"]] = float(np.mean(np.abs(point - row["actual"]) / row["scale"]))
    return pd.Series(out)


def analyse(rows: list[dict], peers: pd.Series | None = None) -> None:
    """Print each rule's MASE per series and the summary, on the folds every rule forecast;
    with ``peers`` (the best statsforecast MASE per series) the geometric mean of the ratios."""
    folds = pd.DataFrame({name: score(rows, choose, how) for name, (choose, how) in RULES.items()})
    # only where the history is long enough for them
    optional = [c for c in folds.columns if c.startswith(("lstm", "ridge"))]
    common = folds.dropna(subset=[c for c in folds.columns if c not in optional])
    print(f"{len(common)} of {len(folds)} folds forecast by every rule "
          f"({', '.join(optional) or 'none'} scored where present)")
    table = common.groupby(level=0).mean()
    pd.set_option("display.width", 250)
    print("MASE per series (held-out folds)")
    print(table.T.round(3).to_string())
    reference = table["auto_arima alone"]
    summary = pd.DataFrame({
        "mean MASE": table.mean(), "median MASE": table.median(),
        "mean ratio to auto_arima": table.div(reference, axis=0).mean(),
        "series worse than auto_arima": table.gt(reference + 1e-12, axis=0).sum(),
        "geo-mean MASE": np.exp(np.log(table).mean()),
    })
    if peers is not None:
        ratios = table.div(peers.reindex(table.index), axis=0)
        summary["geo ratio to best sf"] = np.exp(np.log(ratios).mean())
        summary["series below best sf"] = ratios.lt(1).sum()
    summary = summary.sort_values("geo ratio to best sf" if peers is not None else "mean MASE")
    print("\nSummary")
    print(summary.round(4).to_string())


def _to_json(row: dict) -> dict:
    """A stored run as plain JSON (data, never code: it is read back without pickle)."""
    def frame(f: pd.DataFrame) -> dict:
        return json.loads(f.reset_index().to_json(orient="split", date_format="iso", index=False))
    return {**row, "actual": row["actual"].tolist(), "season": int(row["season"]),
            "validation": frame(row["validation"]),
            "inner": {name: frame(f) for name, f in row["inner"].items()},
            "outer": {name: frame(f) for name, f in row["outer"].items()}}


def _from_json(row: dict) -> dict:
    def frame(d: dict, index: list[str]) -> pd.DataFrame:
        f = pd.DataFrame(d["data"], columns=d["columns"])
        if "cutoff" in f:
            f["cutoff"] = pd.to_datetime(f["cutoff"])
        return f.set_index(index) if index else f
    return {**row, "actual": np.asarray(row["actual"], dtype="float64"),
            "validation": frame(row["validation"], ["candidate"]),
            "inner": {name: frame(f, ["cutoff", "step"]) for name, f in row["inner"].items()},
            "outer": {name: frame(f, []) for name, f in row["outer"].items()}}


def best_peers(path: Path) -> pd.Series:
    """The best statsforecast MASE per series from a table with a ``series`` column."""
    return pd.read_csv(path, index_col="series", comment="#").min(axis=1)


def _outer_of(name: str, model: object, train: pd.Series, horizon: int) -> dict[str, pd.DataFrame]:
    """``{name: its forecast and 80% bounds of the held-out fold}`` fitted on ``train`` (empty if it fails)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = clone(model).fit(train)
            bounds = fitted.predict_interval(horizon, 0.8)
            return {name: pd.DataFrame({"forecast": fitted.predict(horizon).to_numpy(),
                                        "lower": bounds["lower"].to_numpy(), "upper": bounds["upper"].to_numpy()})}
    except Exception as exc:  # noqa: BLE001 - a model that fails is recorded as missing
        print(f"  {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return {}


def without(rows: list[dict], dropped: tuple[str, ...]) -> list[dict]:
    """``rows`` as if ``dropped`` had not been candidates (for a replacement: ``--replace``)."""
    return [{**row, "validation": row["validation"].drop(index=list(dropped), errors="ignore"),
             "inner": {k: v for k, v in row["inner"].items() if k not in dropped},
             "outer": {k: v for k, v in row["outer"].items() if k not in dropped}} for row in rows]


def with_extras(rows: list[dict], set_name: str, extras: tuple[str, ...]) -> list[dict]:
    """``rows`` with ``extras`` validated too, at each stored origin, on the plan auto used there."""
    from tsforecast.backtest import backtest
    from tsforecast.evaluation.metrics import mase_with_scale

    series = SETS[set_name]()
    out = []
    for row in rows:
        y = tsforecast.clean_series(series[row["series"]]).series
        fold = make_folds(len(y), horizon_for(y), N_WINDOWS)[row["fold"]]
        train = y.iloc[: fold.train_end]
        auto = Auto()
        auto._check_training_length(train.index.freq, len(train))
        auto.freq_, auto.season_ = train.index.freq, auto._resolve_season()
        models = {**auto._candidate_models(train), **{e: tsforecast.get_model(e) for e in extras}}
        plan = auto._plan(len(train), models)
        row = {**row, "inner": dict(row["inner"]), "validation": row["validation"].copy()}
        for extra in extras:
            if extra not in row["outer"]:  # not stored by the run: fitted on the origin's history now
                row["outer"] = {**row["outer"], **_outer_of(extra, models[extra], train, len(row["actual"]))}
            if extra not in plan.candidates or extra not in row["outer"]:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = backtest(train, {extra: models[extra]}, horizon=plan.horizon, n_windows=plan.n_windows,
                                  seed=None, refit=False, diagnose=False)
            if result.failures.empty:
                frame = result.forecasts[result.forecasts["model"] == extra].set_index(["cutoff", "step"])
                row["inner"][extra] = frame
                row["validation"].loc[extra, ["mase", "status"]] = [
                    mase_with_scale(frame["actual"], frame["forecast"], frame["scale"]), "ok"]
        out.append(row)
    return out


#: members whose intervals are the point +- a normal quantile times a spread: their 95% spread
#: is their stored 80% one; the others (ETS's simulated, ridge's conformal, MSTL's ETS trend)
#: are refitted for their own bounds at each level
_NORMAL_MEMBERS = {"naive", "snaive", "drift", "theta", "auto_arima", "arima", "sarima"}


def coverage(rows: list[dict], set_name: str, levels: tuple[float, ...] = (0.8, 0.95)) -> pd.DataFrame:
    """Per series, the coverage of ``auto``'s intervals (the shipped rule's members, their mean
    spread at each level, calibrated halfway towards the conformal quantile of the validation
    ratios as ``Auto._predict_interval`` does) on the held-out folds."""
    from tsforecast.evaluation.intervals import normal_z
    from tsforecast.models.conformal import conformal_quantile
    from tsforecast.selection.scores import calibration_ratios

    choose = RULES["guarded, within 1.2x of best (shipped)"][0]
    series, records = SETS[set_name](), []
    for row in rows:
        members = choose(row)
        y = tsforecast.clean_series(series[row["series"]]).series
        horizon = horizon_for(y)
        train = y.iloc[: make_folds(len(y), horizon, N_WINDOWS)[row["fold"]].train_end]
        auto = Auto()
        auto._check_training_length(train.index.freq, len(train))
        auto.freq_, auto.season_ = train.index.freq, auto._resolve_season()
        models = auto._candidate_models(train)
        point = np.mean([row["outer"][m]["forecast"].to_numpy() for m in members], axis=0)
        spread = {level: [] for level in levels}
        for m in members:
            if m in _NORMAL_MEMBERS:
                bounds = row["outer"][m]
                for level in levels:
                    spread[level].append((bounds["upper"] - bounds["lower"]).to_numpy() / (2 * normal_z(0.8)))
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted = clone(models[m]).fit(train)
            for level in levels:
                bounds = fitted.predict_interval(horizon, level)
                spread[level].append((bounds["upper"] - bounds["lower"]).to_numpy() / (2 * normal_z(level)))
        ratios = np.empty(0)
        if all(m in row["inner"] for m in members):
            ratios = calibration_ratios([row["inner"][m] for m in members], False, 0.8)
        record = {"series": row["series"], "calibrated": len(ratios) >= 10}
        for level in levels:
            z = normal_z(level)
            factor = (z + float(conformal_quantile(ratios[:, None], level)[0])) / 2 if len(ratios) >= 10 else z
            half = factor * np.mean(spread[level], axis=0)
            record[f"coverage {level:g}"] = float(np.mean(np.abs(row["actual"] - point) <= half))
        records.append(record)
    return pd.DataFrame(records).groupby("series").mean()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default="dev", choices=sorted(SETS))
    parser.add_argument("--series", default=None, help="comma-separated subset")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--candidates", default=None, help="comma-separated, instead of auto's defaults")
    parser.add_argument("--output", type=Path, default=None, help="store the fits' forecasts here (JSON)")
    parser.add_argument("--analyse", type=Path, nargs="+", default=None, help="score the rules on stored runs")
    parser.add_argument("--peers", type=Path, default=None, help="per-series statsforecast MASE (CSV)")
    parser.add_argument("--extras", default=None, help="with --analyse and --set: validate these models too")
    parser.add_argument("--replace", default=None,
                        help="with --extras: drop these candidates too (replace theta by auto_theta)")
    parser.add_argument("--coverage", action="store_true", help="with --analyse and --set: auto's 80%%/95%% coverage")
    args = parser.parse_args()
    peers = best_peers(args.peers) if args.peers else None
    if args.analyse:
        rows = []
        for path in args.analyse:  # a series stored again in a later file replaces its earlier rows
            stored = [_from_json(row) for row in json.loads(path.read_text())]
            again = {row["series"] for row in stored}
            rows = [row for row in rows if row["series"] not in again] + stored
        if args.coverage:
            table = coverage(rows, args.set)
            print(table.round(3).to_string())
            for column in [c for c in table.columns if c.startswith("coverage")]:
                level = float(column.split()[1])
                print(f"{column}: mean {table[column].mean():.3f}, mean |coverage - {level:g}| "
                      f"{(table[column] - level).abs().mean():.3f} over {len(table)} series")
            return
        analyse(rows, peers)
        if args.extras:
            extras = tuple(args.extras.split(","))
            rows = with_extras(rows, args.set, extras)
            shipped = {"guarded, within 1.2x of best (shipped)": RULES["guarded, within 1.2x of best (shipped)"],
                       **{f"{extra} alone": (rule_single(extra), "mean") for extra in extras}}
            if args.replace:
                rows = without(rows, tuple(args.replace.split(",")))
            print(f"\nThe shipped rule with {', '.join(extras)} validated as candidates too"
                  + (f", without {args.replace}:" if args.replace else ":"))
            for name, (choose, how) in shipped.items():
                table = score(rows, choose, how).groupby(level=0).mean()
                line = f"  {name}: mean MASE {table.mean():.4f}, geo-mean {np.exp(np.log(table).mean()):.4f}"
                if peers is not None:
                    line += f", geo ratio to best sf {np.exp(np.log(table / peers.reindex(table.index)).mean()):.4f}"
                print(line)
        return
    series = SETS[args.set]()
    if args.series:
        series = {k: v for k, v in series.items() if k in args.series.split(",")}
    candidates = tuple(args.candidates.split(",")) if args.candidates else None
    if args.output is not None and args.output.exists():  # resume: the series already stored are kept
        done = {row["series"] for row in json.loads(args.output.read_text())}
        series = {k: v for k, v in series.items() if k not in done}
    rows = []
    for part in Parallel(n_jobs=args.jobs, return_as="generator")(
            delayed(_outer_forecasts)(name, y, candidates) for name, y in series.items()):
        rows += part
        if args.output is not None:  # after each series, so a stopped run keeps what it did
            stored = json.loads(args.output.read_text()) if args.output.exists() else []
            args.output.write_text(json.dumps(stored + [_to_json(row) for row in part]))
    analyse(rows, peers)


if __name__ == "__main__":
    main()
