"""Self-contained HTML reports: a Jinja2 template (autoescape on) with inline SVG charts.

The report reads a :class:`~tsforecast.backtest.BacktestResult`; the result knows nothing of
the report (``write_report(result, path)``, not a method of the result).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tsforecast.backtest.result import BASELINE, SIGNIFICANCE_LEVEL
from tsforecast.outputs import atomic_write
from tsforecast.report import charts

if TYPE_CHECKING:
    from tsforecast.backtest.result import BacktestResult

__all__ = ["render_report", "write_report", "headline"]


def _number(value: object, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"
    return str(value)


def headline(result: BacktestResult) -> dict[str, str]:
    """The best model, its skill against seasonal naive, and whether that is significant."""
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
    if best == BASELINE:
        detail = "No model beat the seasonal-naive baseline on MAE."
        if len(board) > 1 and board["mae"].notna().iloc[1]:
            detail += f" The closest, {board.index[1]}, was {-board.iloc[1]['skill']:.1%} worse."
        return {"title": f"Best: {best} (the baseline)", "detail": detail + scope}
    n_series = len(result.data)
    if n_series == 1:
        p_value = row["p_vs_baseline"]
        verdict = (
            f"significant (Diebold-Mariano p = {p_value:.3g})" if p_value < SIGNIFICANCE_LEVEL
            else f"not significant at 5% (Diebold-Mariano p = {p_value:.3g})"
            if math.isfinite(p_value) else "untested (fewer than 3 forecast origins)"
        )
        verdict = f"the difference is {verdict}"
    else:
        verdict = (
            f"significantly better on {row['better']} of {n_series} series and significantly worse "
            f"on {row['worse']} (Diebold-Mariano per series, 5%)"
        )
    return {
        "title": f"Best: {best}, {row['skill']:.1%} lower MAE than seasonal naive",
        "detail": f"MAE {_number(row['mae'])} against {_number(board.loc[BASELINE, 'mae'])} for "
                  f"the baseline; {verdict}.{scope}",
    }


def render_report(result: BacktestResult) -> str:
    """The report as one HTML string that needs nothing outside itself."""
    env = Environment(
        loader=PackageLoader("tsforecast.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _number
    horizon = int(result.parameters["horizon"])
    board = result.leaderboard()
    series_charts = []
    if not result.forecasts.empty:
        by_step = result.leaderboard(by="step")
        by_fold = result.leaderboard(by="fold")
        for name, y in result.data.items():
            rows = result.forecasts[result.forecasts["series"] == name]
            if rows.empty:
                continue
            # our own matplotlib output, so it is marked safe; every user string around it
            # (series and model names, file names, messages) is escaped by the template
            series_charts.append({
                "name": name,
                "forecasts": Markup(charts.forecast_chart(y, rows, horizon)),
                "last": Markup(charts.last_cutoff_chart(y, rows, result.coverage, horizon)),
                "by_step": Markup(charts.error_by_step_chart(
                    by_step, result.forecasts)) if len(result.data) == 1 else None,
                "by_fold": Markup(charts.error_by_fold_chart(
                    by_fold[by_fold["series"] == name], rows)),
            })
    calibration = result.calibration() if not result.forecasts.empty and result.quantile_levels else None
    calibration_svg = (
        Markup(charts.calibration_chart(calibration, result.forecasts))
        if calibration is not None and not calibration.empty else None
    )
    diagnostics = []
    for name in result.data:
        rows = result.diagnostics[result.diagnostics["series"] == name]
        if rows.empty:
            continue
        diagnostics.append({
            "series": name,
            "rows": [{"model": r["model"], "n": r["n"], "lags": r["lags"], "p": r["ljung_box_p"],
                      "largest": max((abs(v) for v in r["acf"]), default=float("nan"))}
                     for _, r in rows.iterrows()],
            # charts for the first series only: a report for many series stays small
            "chart": Markup(charts.residual_acf_chart(rows, result.forecasts)) if not diagnostics else None,
        })
    template = env.get_template("report.html.j2")
    chosen = [] if result.timings.empty else [
        {"model": model, "choices": ", ".join(f"{label} ({count} of {len(group)} fits)"
                                              for label, count in group["fitted"].value_counts().items())}
        for model, group in result.timings[result.timings["fitted"] != ""].groupby("model", sort=False)
    ]
    return template.render(
        headline=headline(result),
        leaderboard=board.reset_index().to_dict(orient="records"),
        coverage=result.coverage,
        charts=series_charts,
        failures=result.failures.to_dict(orient="records"),
        repairs=result.repairs,
        parameters=result.parameters,
        model_parameters=result.model_parameters,
        metadata=result.metadata,
        baseline=BASELINE,
        chosen=chosen,
        calibration_chart=calibration_svg,
        diagnostics=diagnostics,
        calibration=None if calibration is None else [
            {"model": model, "cells": [(f"{c:.0%}", row[c]) for c in calibration.columns]}
            for model, row in calibration.iterrows()
        ],
    )


def write_report(result: BacktestResult, path: str | os.PathLike[str]) -> Path:
    """Write the self-contained HTML report of ``result`` to ``path`` (atomically)."""
    return atomic_write(path, render_report(result))
