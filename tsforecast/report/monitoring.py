"""The monitoring report: how the stored forecasts did once their actuals arrived, and where a
model drifted. Self-contained HTML like the backtest report (inline SVG, no script, nothing
fetched).

The report sits below the store and the monitoring package, so it reads plain frames
(:class:`MonitoringTables`), never a store: ``tsforecast.monitoring`` fills them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from tsforecast import plotting
from tsforecast.core.files import atomic_write
from tsforecast.data.text import stamp_text
from tsforecast.report.charts import _figure, _svg
from tsforecast.report.sentences import number, percent

__all__ = ["MonitoringTables", "render_monitoring_report", "write_monitoring_report", "ROLLING_DAYS",
           "CHARTED_SERIES"]

#: target times averaged by the rolling error and the rolling coverage
ROLLING_DAYS = 7
#: series charted at most (those with an alarm first, then the largest mean scaled error)
CHARTED_SERIES = 20
_LISTED = 200  # unscored actual rows listed at most (all are in the CSV)


@dataclass(frozen=True)
class MonitoringTables:
    """What the report shows. ``accuracy``: one row per model, series and target time (the
    freshest forecast: ``point``, ``lower``, ``upper``, ``interval``, ``actual``, ``error``,
    ``abs_scaled_error``, ``covered``, ``pinball``); ``path``: the drift test's ``z`` and
    ``cusum`` per day; ``alarms``; ``references`` (per model and series: where the reference
    came from, ``status``); ``unscored`` actual rows and ``problems`` (messages)."""

    accuracy: pd.DataFrame
    path: pd.DataFrame
    alarms: pd.DataFrame
    references: pd.DataFrame
    unscored: pd.DataFrame = field(default_factory=pd.DataFrame)
    problems: list[str] = field(default_factory=list)
    threshold: float = float("nan")
    store: str = ""


def _colours(models: list[str]) -> dict[str, tuple]:
    frame = pd.DataFrame({"model": models})
    return {m: plotting.model_colour(m, frame) for m in models}


def _forecast_chart(rows: pd.DataFrame, colours: dict[str, tuple]) -> str:
    fig, ax = _figure(3.4)
    first = rows.drop_duplicates("target_time").sort_values("target_time")
    ax.plot(first["target_time"], first["actual"], color="black", lw=1.2, label="actual")
    for model, group in rows.groupby("model", sort=False):
        ax.plot(group["target_time"], group["point"], color=colours[model], lw=1.1, label=f"{model} forecast")
        if group["lower"].notna().any():
            ax.fill_between(group["target_time"], group["lower"], group["upper"], color=colours[model], alpha=0.15,
                            lw=0, label=f"{model} interval")
    ax.set_title("Forecast (freshest) against actual", fontsize=10)
    plotting.format_values(ax.yaxis)
    plotting.place_legend(ax)
    fig.autofmt_xdate()
    return _svg(fig)


def _rolling_chart(rows: pd.DataFrame, colours: dict[str, tuple], references: pd.DataFrame) -> str:
    fig, ax = _figure(3.0)
    for model, group in rows.groupby("model", sort=False):
        rolling = group.set_index("target_time")["abs_scaled_error"].rolling(ROLLING_DAYS, min_periods=1).mean()
        ax.plot(rolling.index, rolling.to_numpy(), color=colours[model], lw=1.2, label=model)
        promised = references.loc[references["model"] == model, "reference_error"]
        if len(promised) and np.isfinite(promised.iloc[0]):
            ax.axhline(float(promised.iloc[0]), color=colours[model], lw=0.9, ls="--",
                       label=f"{model}: backtest median")
    ax.set_title(f"Scaled error, rolling mean of {ROLLING_DAYS}", fontsize=10)
    plotting.place_legend(ax)
    fig.autofmt_xdate()
    return _svg(fig)


def _cusum_chart(path: pd.DataFrame, colours: dict[str, tuple], threshold: float) -> str:
    fig, ax = _figure(2.8)
    for model, group in path.groupby("model", sort=False):
        ax.plot(group["target_time"], group["cusum"], color=colours[model], lw=1.2, label=model)
        fired = group[group["alarm"].astype(bool)]
        ax.scatter(fired["target_time"], fired["cusum"], color="red", zorder=3, s=28,
                   label=f"{model} alarm" if len(fired) else None)
    if np.isfinite(threshold):
        ax.axhline(threshold, color="red", lw=0.9, ls=":", label="threshold")
    ax.set_title("Drift statistic (CUSUM of the errors' normal scores)", fontsize=10)
    plotting.place_legend(ax)
    fig.autofmt_xdate()
    return _svg(fig)


def _calibration_chart(accuracy: pd.DataFrame, colours: dict[str, tuple]) -> str | None:
    rows = accuracy.dropna(subset=["covered"])
    if rows.empty:
        return None
    fig, ax = _figure(3.0)
    for model, group in rows.groupby("model", sort=False):
        daily = group.groupby("target_time")[["covered", "interval"]].mean()
        rolling = daily["covered"].rolling(ROLLING_DAYS, min_periods=1).mean()
        ax.plot(rolling.index, rolling.to_numpy(), color=colours[model], lw=1.2, label=f"{model} observed")
        ax.plot(daily.index, daily["interval"].to_numpy(), color=colours[model], lw=0.9, ls="--",
                label=f"{model} nominal")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Interval coverage, rolling mean of {ROLLING_DAYS}", fontsize=10)
    plotting.place_legend(ax)
    fig.autofmt_xdate()
    return _svg(fig)


def _series_table(tables: MonitoringTables) -> list[dict]:
    acc = tables.accuracy
    if acc.empty:
        return []
    grouped = acc.assign(abs_error=acc["error"].abs()).groupby(["series_id", "model"], sort=True).agg(
        n=("actual", "size"), first=("target_time", "min"), last=("target_time", "max"), mae=("abs_error", "mean"),
        mase=("abs_scaled_error", "mean"), coverage=("covered", "mean"), pinball=("pinball", "mean"))
    last_cusum = tables.path.groupby(["series_id", "model"])["cusum"].last() if len(tables.path) else pd.Series()
    alarms = tables.alarms.groupby(["series_id", "model"]).size() if len(tables.alarms) else pd.Series()
    status = tables.references.set_index(["series_id", "model"]) if len(tables.references) else pd.DataFrame()
    rows = []
    for (series_id, model), row in grouped.iterrows():
        key = (series_id, model)
        rows.append({"series": series_id, "model": model, **row.to_dict(),
                     "cusum": float(last_cusum.get(key, np.nan)), "alarms": int(alarms.get(key, 0)),
                     "reference": status.at[key, "reference"] if key in status.index else "–",
                     "reference_error": status.at[key, "reference_error"] if key in status.index else np.nan,
                     "status": status.at[key, "status"] if key in status.index else "–"})
    rows.sort(key=lambda r: (-r["alarms"], -(r["mase"] if np.isfinite(r["mase"]) else -1)))
    return rows


def render_monitoring_report(tables: MonitoringTables) -> str:
    """The monitoring report as one HTML string that needs nothing outside itself."""
    env = Environment(loader=PackageLoader("tsforecast.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = number
    env.filters["pct"] = percent
    env.filters["when"] = lambda value: stamp_text(pd.Timestamp(value)) if value is not None and not pd.isna(
        value) else "–"
    acc = tables.accuracy
    models = list(dict.fromkeys(acc["model"])) if len(acc) else []
    colours = _colours(models)
    table = _series_table(tables)
    charted = list(dict.fromkeys(r["series"] for r in table))[:CHARTED_SERIES]
    by_series = dict(tuple(acc.groupby("series_id", sort=False))) if len(acc) else {}
    paths = dict(tuple(tables.path.groupby("series_id", sort=False))) if len(tables.path) else {}
    charts = []
    for name in charted:
        rows = by_series[name].sort_values("target_time")
        references = tables.references[tables.references["series_id"] == name]
        charts.append({
            "name": name,
            # our own matplotlib output, marked safe; every user string around it is escaped
            "forecast": Markup(_forecast_chart(rows, colours)),
            "rolling": Markup(_rolling_chart(rows, colours, references)),
            "cusum": Markup(_cusum_chart(paths[name], colours, tables.threshold)) if name in paths else None,
        })
    calibration = _calibration_chart(acc, colours) if len(acc) else None
    alarms = tables.alarms.sort_values("alarm_time", ascending=False) if len(tables.alarms) else tables.alarms
    unscored = tables.unscored
    return env.get_template("monitoring.html.j2").render(
        store=tables.store,
        period=(f"{acc['target_time'].min():%Y-%m-%d} to {acc['target_time'].max():%Y-%m-%d}" if len(acc) else "–"),
        n_series=acc["series_id"].nunique() if len(acc) else 0,
        models=models,
        n_scored=len(acc),
        threshold=tables.threshold,
        alarms=alarms.to_dict(orient="records"),
        open_alarms=int(alarms["new"].sum()) if "new" in alarms.columns and len(alarms) else 0,
        table=table,
        charts=charts,
        n_charted=len(charts),
        calibration=Markup(calibration) if calibration else None,
        problems=tables.problems,
        unscored=unscored.head(_LISTED).to_dict(orient="records") if len(unscored) else [],
        n_unscored=len(unscored),
        listed=_LISTED,
        rolling_days=ROLLING_DAYS,
    )


def write_monitoring_report(tables: MonitoringTables, path: str | os.PathLike[str]) -> Path:
    """Write the monitoring report of ``tables`` to ``path`` (atomically)."""
    return atomic_write(path, render_monitoring_report(tables))
