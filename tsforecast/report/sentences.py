"""The report's sentences: its headline, the run's description (cutoffs, regressors) and how
it writes numbers.

Each says what is true of the run in front of it, also where the usual wording would not be:
a panel's cutoffs differ from series to series, and no improvement over a baseline that
forecast every point exactly (or not at all) can be put as a percentage.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral
from typing import TYPE_CHECKING

import pandas as pd

from tsforecast.backtest.result import BASELINE, SIGNIFICANCE_LEVEL

if TYPE_CHECKING:
    from tsforecast.backtest.result import BacktestResult

__all__ = [
    "number", "percent", "headline", "describe_period", "describe_cutoffs", "describe_regressors",
]

def number(value: object, digits: int = 1) -> str:
    """A number as the report's tables write it: thousands separated from 1,000 up (counts
    too), ``digits`` decimals below, "–" where there is none (None, NaN, infinite)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"
    if isinstance(value, Integral) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def percent(value: object, digits: int = 1) -> str:
    """A share as a percentage (``0.123`` -> ``12.3%``), or "–" where it is undefined: a skill
    against a baseline whose MAE is 0 is NaN or infinite, never a number to print."""
    try:
        share = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return f"{share:.{digits}%}" if math.isfinite(share) else "–"


def _names(names: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def headline(result: BacktestResult) -> dict[str, str]:
    """The best model, its skill against seasonal naive, and whether that is significant;
    in words where the skill is undefined (the baseline's MAE is 0 or missing)."""
    board = result.leaderboard()
    if board["mae"].isna().all():
        return {"title": "No model produced forecasts", "detail": "See the failures below."}
    best = str(board.index[0])
    row = board.iloc[0]
    left_out = len(result.forecasts) - len(result.scored())
    scope = (
        f" Scored on the {int(row['n'])} points every model forecast; {left_out} forecasts on points "
        "where some model failed were left out." if left_out else ""
    )
    baseline_mae = float(board.at[BASELINE, "mae"]) if BASELINE in board.index else float("nan")
    exact = result.exact_models()
    if not math.isfinite(baseline_mae) or BASELINE in exact:
        return _without_skill(board, baseline_mae, exact, scope)
    if best == BASELINE or not row["skill"] > 0:
        # a model that ties the baseline has not beaten it
        detail = "No model beat the seasonal-naive baseline on MAE."
        others = board[(board.index != BASELINE) & board["mae"].notna()]
        if len(others):
            closest, skill = str(others.index[0]), float(others["skill"].iloc[0])
            detail += (f" The closest, {closest}, was {-skill:.1%} worse." if skill < 0
                       else f" {closest} tied with it.")
        return {"title": f"Best: {BASELINE} (the baseline)", "detail": detail + scope}
    n_series = len(result.data)
    if n_series == 1:
        p_value = row["p_vs_baseline"]
        verdict = (
            f"significant (Diebold-Mariano p = {p_value:.3g})" if p_value < SIGNIFICANCE_LEVEL
            else f"not significant at 5% (Diebold-Mariano p = {p_value:.3g})"
            if math.isfinite(p_value) else "untested (fewer than 3 forecast origins)"
        )
        verdict = f"the difference is {verdict}"
    elif int(result.parameters.get("n_windows", 0)) < 3:
        verdict = "significance untested (fewer than 3 forecast origins per series)"
    else:
        verdict = (
            f"significantly better on {int(row['better'])} of {n_series} series and significantly worse "
            f"on {int(row['worse'])} (Diebold-Mariano per series, 5%)"
        )
    return {
        "title": f"Best: {best}, {row['skill']:.1%} lower MAE than seasonal naive",
        "detail": f"MAE {number(row['mae'])} against {number(baseline_mae)} for the baseline; {verdict}.{scope}",
    }


def _without_skill(board: pd.DataFrame, baseline_mae: float, exact: list[str], scope: str) -> dict[str, str]:
    """The headline when no improvement over the baseline can be computed."""
    best = str(board.index[0])
    if not math.isfinite(baseline_mae):
        return {
            "title": f"Best: {best}, MAE {number(float(board['mae'].iloc[0]))}",
            "detail": "No improvement over seasonal naive can be computed: the baseline produced no forecasts "
                      "to compare with (see the failures below)." + scope,
        }
    # the baseline forecast every scored point exactly (a constant series, say): the best
    # model did too, and a percentage of nothing is no number
    exact = [BASELINE] + [m for m in exact if m != BASELINE]
    others = board[~board.index.isin(exact) & board["mae"].notna()]
    if len(exact) == 1:
        title = f"Best: {BASELINE} (the baseline), which forecast every point exactly"
    else:
        title = f"Best: {_names(exact)}, which {'both' if len(exact) == 2 else 'all'} forecast every point exactly"
    detail = f"No improvement can be computed: the baseline's MAE is 0{'' if baseline_mae == 0 else ' (to rounding)'}."
    if len(others):
        detail += " " + _names(f"{m} had MAE {number(float(v))}" for m, v in others["mae"].items()) + "."
    failed = [str(m) for m in board.index[board["mae"].isna()]]
    if failed:
        detail += f" {_names(failed)} produced no forecasts (see the failures below)."
    return {"title": title, "detail": detail + scope}


def _stamps(values: Iterable[pd.Timestamp]) -> list[str]:
    """Timestamps as text, as dates alone where every one is at midnight (daily data)."""
    stamps = [pd.Timestamp(v) for v in values]
    if all(s == s.normalize() for s in stamps):
        return [s.strftime("%Y-%m-%d") for s in stamps]
    return [str(s) for s in stamps]


def describe_period(result: BacktestResult) -> str:
    """The data's first and last timestamps, e.g. ``2016-01-01 to 2019-12-31``."""
    start, end = result.metadata.get("start"), result.metadata.get("end")
    return " to ".join(_stamps([start, end])) if start and end else ""


def describe_cutoffs(result: BacktestResult) -> str:
    """The forecast origins in words. One series: its cutoffs. A panel: how many series,
    how many cutoffs each and the range they span (each series' folds are cut from its own
    end, so they differ where series end on different dates)."""
    # every fold has a row in timings (it ran) or failures (it did not): one row per fold,
    # where the forecasts have one per step and model
    frames = [table[["series", "cutoff"]] for table in (result.timings, result.failures)
              if not table.empty and {"series", "cutoff"} <= set(table.columns)]
    if not frames:
        cutoffs = result.metadata.get("cutoffs", [])
        if isinstance(cutoffs, dict):  # a panel: the span of every series' own
            return (f"{len(result.data)} series, each cut from its own end, from {cutoffs['earliest']} to "
                    f"{cutoffs['latest']} (forecasts.csv lists them)")
        return ", ".join(str(c) for c in cutoffs)
    table = pd.concat(frames, ignore_index=True).dropna().drop_duplicates()
    table["cutoff"] = pd.to_datetime(table["cutoff"])
    per = table.groupby("series")["cutoff"].agg(["min", "max", "size"])
    if len(per) == 1:
        return ", ".join(_stamps(sorted(table["cutoff"].unique())))
    low, high = int(per["size"].min()), int(per["size"].max())
    if per["min"].nunique() == 1 and per["max"].nunique() == 1 and low == high:
        return f"the same {low} for all {len(per):,} series: {', '.join(_stamps(sorted(table['cutoff'].unique())))}"
    first_low, first_high, last_low, last_high = _stamps(
        [per["min"].min(), per["min"].max(), per["max"].min(), per["max"].max()])
    each = f"{low} per series" if low == high else f"{low} to {high} per series"
    return (f"{len(per):,} series, {each}, cut from each series' own end: the first cutoffs fall between "
            f"{first_low} and {first_high}, the last between {last_low} and {last_high} (every series' "
            "cutoffs are in forecasts.csv)")


def describe_regressors(result: BacktestResult) -> str | None:
    """Which regressor columns the run was given and which models used them, e.g. ``promo,
    used by arima; snaive takes none and forecasts from the series alone.`` (None without)."""
    columns = [str(c) for c in result.parameters.get("exogenous") or []]
    if not columns:
        return None
    text = ", ".join(columns)
    used = result.parameters.get("exogenous_models")
    if used is None:  # a result recorded before the models that take regressors were
        return text + "."
    ignored = [m for m in result.models if m not in used]
    if not used:
        return text + ", given but unused: none of these models takes regressors."
    text += f", used by {', '.join(used)}"
    if ignored:
        verb = "takes none and forecasts" if len(ignored) == 1 else "take none and forecast"
        text += f"; {', '.join(ignored)} {verb} from the series alone"
    return text + "."
