"""Self-contained HTML reports: a Jinja2 template (autoescape on) with inline SVG charts.

The report reads a :class:`~tsforecast.backtest.BacktestResult`; the result knows nothing of
the report (``write_report(result, path)``, not a method of the result).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tsforecast.backtest.result import BASELINE, SIGNIFICANCE_LEVEL
from tsforecast.core.files import atomic_write
from tsforecast.report import charts
from tsforecast.report.hierarchy import hierarchy_section
from tsforecast.report.sentences import (
    describe_cutoffs,
    describe_period,
    describe_regressors,
    headline,
    number,
    percent,
)

if TYPE_CHECKING:
    from tsforecast.backtest.result import BacktestResult

__all__ = ["render_report", "write_report", "headline", "CHARTED_BY_VOLUME", "CHARTED_WORST", "LISTED_ROWS"]

# A report of many series stays a few MB and opens fast: it charts only a selection of them
# (the largest by volume, then the worst for the best model) and lists at most LISTED_ROWS
# failures and repairs; every number is in the run's CSV files.
CHARTED_BY_VOLUME = 10
CHARTED_WORST = 10
LISTED_ROWS = 200
_EXTREMES = 10  # rows of the best- and worst-series tables
_NAMED_SERIES = 5  # a title names this many series at most


def render_report(result: BacktestResult) -> str:
    """The report as one HTML string that needs nothing outside itself."""
    env = Environment(
        loader=PackageLoader("tsforecast.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = number
    env.filters["pct"] = percent
    horizon = int(result.parameters["horizon"])
    board = result.leaderboard()
    panel = _panel_section(result) if len(result.data) > 1 else None
    series_charts = []
    if not result.forecasts.empty:
        single = len(result.data) == 1
        by_step = result.leaderboard(by="step") if single else None
        by_series = dict(tuple(result.forecasts.groupby("series", sort=False)))
        chosen = panel["charted"] if panel else {name: "" for name in result.data}
        for name, why in chosen.items():
            rows = by_series.get(name)
            if rows is None:
                continue
            y = result.data[name]
            # our own matplotlib output, so it is marked safe; every user string around it
            # (series and model names, file names, messages) is escaped by the template
            series_charts.append({
                "name": name,
                "why": why,
                "forecasts": Markup(charts.forecast_chart(y, rows, horizon)),
                "last": Markup(charts.last_cutoff_chart(y, rows, result.coverage, horizon)),
                "by_step": Markup(charts.error_by_step_chart(by_step, result.forecasts)) if single else None,
                # per fold only where it is cheap: a panel's charted series already show their folds
                "by_fold": Markup(charts.error_by_fold_chart(
                    result.series_table(name, "cutoff"), rows)) if len(chosen) <= 3 else None,
            })
    calibration = result.calibration() if not result.forecasts.empty and result.quantile_levels else None
    calibration_svg = (
        Markup(charts.calibration_chart(calibration, result.forecasts))
        if calibration is not None and not calibration.empty else None
    )
    diagnostics = []
    diagnosed = dict(tuple(result.diagnostics.groupby("series", sort=False))) if not result.diagnostics.empty else {}
    for name in (result.data if len(result.data) <= CHARTED_BY_VOLUME + CHARTED_WORST else ()):
        rows = diagnosed.get(name)
        if rows is None:
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
    names = list(result.data)
    fit_notes = result.fit_notes()
    return template.render(
        data_label=", ".join(names) if len(names) <= _NAMED_SERIES else
        f"{len(names):,} series ({', '.join(names[:3])}, ...)",
        panel=panel,
        hierarchy=hierarchy_section(result),
        diagnostics_summary=_diagnostics_summary(result) if len(names) > CHARTED_BY_VOLUME + CHARTED_WORST else None,
        listed_rows=LISTED_ROWS,
        charted_by_volume=CHARTED_BY_VOLUME,
        headline=headline(result),
        period=describe_period(result),
        cutoffs=describe_cutoffs(result),
        regressors=describe_regressors(result),
        leaderboard=board.reset_index().to_dict(orient="records"),
        coverage=result.coverage,
        charts=series_charts,
        failures=result.failures.head(LISTED_ROWS).to_dict(orient="records"),
        n_failures=len(result.failures),
        repairs=result.repairs[:LISTED_ROWS],
        n_repairs=len(result.repairs),
        parameters=result.parameters,
        model_parameters=result.model_parameters,
        metadata=result.metadata,
        baseline=BASELINE,
        chosen=chosen,
        fit_notes=fit_notes.head(LISTED_ROWS).to_dict(orient="records"),
        n_fit_notes=len(fit_notes),
        calibration_chart=calibration_svg,
        diagnostics=diagnostics,
        calibration=None if calibration is None else [
            {"model": model, "cells": [(f"{c:.0%}", row[c]) for c in calibration.columns]}
            for model, row in calibration.iterrows()
        ],
    )


def _panel_section(result: BacktestResult) -> dict:
    """The across-series view of a panel: the leaderboard over series, the distribution of
    per-series skill, the best and worst series for the best model, and which series to chart
    (name -> why it was chosen)."""
    across = result.across_series()
    scores = result.series_scores()
    if scores.empty or across.empty:
        return {"across": [], "skill_chart": None, "best": [], "worst": [], "charted": {}, "model": None}
    mase = scores.pivot(index="series", columns="model", values="mase")
    mase = mase.reindex(columns=[m for m in result.models if m in mase.columns])
    volume = pd.Series({name: float(np.nanmean(np.abs(y.to_numpy()))) for name, y in result.data.items()})
    skill_chart = None
    if BASELINE in mase.columns and mase.shape[1] > 1:
        skill = 1 - mase.drop(columns=BASELINE).div(mase[BASELINE], axis=0)
        skill_chart = Markup(charts.skill_distribution_chart(skill, result.forecasts, BASELINE))
    model = str(across.index[0])
    ranked = mase[model].dropna().sort_values()

    def rows(names: list[str]) -> list[dict]:
        return [{"series": name, "mase": mase.at[name, model],
                 "baseline": mase.at[name, BASELINE] if BASELINE in mase.columns else float("nan"),
                 "winner": str(mase.loc[name].idxmin()) if mase.loc[name].notna().any() else "–",
                 "volume": volume.get(name, float("nan"))} for name in names]

    charted: dict[str, str] = {}
    for name in volume.sort_values(ascending=False).index[:CHARTED_BY_VOLUME]:
        charted[name] = "largest by volume"
    for name in ranked.index[::-1]:
        if len(charted) >= CHARTED_BY_VOLUME + CHARTED_WORST:
            break
        charted.setdefault(name, f"among the worst for {model}")
    return {
        "across": across.reset_index().to_dict(orient="records"),
        "skill_chart": skill_chart,
        "model": model,
        "best": rows(list(ranked.index[:_EXTREMES])),
        "worst": rows(list(ranked.index[::-1][:_EXTREMES])),
        "charted": charted,
    }


def _diagnostics_summary(result: BacktestResult) -> list[dict]:
    """Residual diagnostics over many series: per model, the series diagnosed and the share
    whose residuals still hold autocorrelation (Ljung-Box p below 0.05)."""
    table = result.diagnostics
    if table.empty:
        return []
    out = []
    for model, group in table.groupby("model", sort=False):
        p = pd.to_numeric(group["ljung_box_p"], errors="coerce").dropna()
        out.append({"model": model, "series": len(p), "share": float((p < SIGNIFICANCE_LEVEL).mean()) if len(p)
                    else float("nan"), "median_p": float(p.median()) if len(p) else float("nan")})
    return out


def write_report(result: BacktestResult, path: str | os.PathLike[str]) -> Path:
    """Write the self-contained HTML report of ``result`` to ``path`` (atomically)."""
    return atomic_write(path, render_report(result))
