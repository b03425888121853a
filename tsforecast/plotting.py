"""Matplotlib drawings of forecasts and backtests, for notebooks and for the HTML report.

Every ``draw_*`` function draws on an Axes it is given; the report renders them into SVG, a
notebook user calls :func:`plot_forecast` or :meth:`BacktestResult.plot
<tsforecast.backtest.result.BacktestResult.plot>`, which draw on ``ax`` or on a new figure
from ``matplotlib.pyplot.subplots`` (so a notebook shows it) and return the Axes. Nothing here
selects a backend or changes matplotlib's settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.ticker import Formatter

if TYPE_CHECKING:
    from tsforecast.models.base import Forecaster

__all__ = [
    "plot_forecast",
    "new_axes",
    "draw_backtest_forecasts",
    "draw_last_cutoff",
    "draw_error_lines",
    "draw_calibration",
    "draw_residual_acf",
    "draw_forecast",
    "draw_skill_distribution",
    "place_legend",
    "format_values",
    "ThousandsFormatter",
    "HISTORY_SHOWN",
]

#: horizons of history drawn before the first cutoff of a backtest
HISTORY_SHOWN = 8


def new_axes(height: float = 3.6) -> Axes:
    """Axes on a new pyplot figure, styled like the report's."""
    import matplotlib.pyplot as plt

    # constrained layout keeps the legend, which sits right of the plotted area, inside the
    # figure a notebook or a window shows
    _, ax = plt.subplots(figsize=(10, height), layout="constrained")
    style(ax)
    return ax


def style(ax: Axes) -> None:
    """The report's look: a light grid, no top or right frame."""
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)


class ThousandsFormatter(Formatter):
    """Tick labels written as the report's tables write numbers: thousands separated
    (``800,000``, not ``800000`` or an offset such as ``1e6``), with only as many decimals as
    the ticks need to stay distinct (``0.25``, ``0.5``, ``0.75``)."""

    def __init__(self) -> None:
        self._decimals, self._tolerance = 0, 0.0

    def set_locs(self, locs: Sequence[float]) -> None:
        """Choose the decimals once for the axis' ticks: the fewest that write each exactly."""
        super().set_locs(locs)
        ticks = np.asarray([v for v in locs if np.isfinite(v)], dtype="float64")
        gaps = np.diff(np.unique(ticks))
        spacing = float(gaps.min()) if len(gaps) else (abs(float(ticks[0])) if len(ticks) else 1.0)
        self._tolerance = 1e-6 * (spacing or 1.0)
        self._decimals = next((d for d in range(10) if np.all(np.abs(np.round(ticks, d) - ticks) <= self._tolerance)),
                              10)

    def __call__(self, x: float, pos: int | None = None) -> str:
        # a tick computed as 0 may come out as -1e-17: never print "-0"
        value = 0.0 if abs(x) <= self._tolerance else float(x)
        return self.fix_minus(f"{value:,.{self._decimals}f}")


def format_values(axis: Axis) -> None:
    """Label ``axis`` (one carrying the data's values or errors) with thousands separators."""
    axis.set_major_formatter(ThousandsFormatter())


def place_legend(ax: Axes) -> None:
    """The legend right of the plotted area, where it can never cover a line or an interval."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8, frameon=False)


def model_colour(model: str, forecasts: pd.DataFrame) -> tuple:
    """One colour per model, stable across the charts of one backtest."""
    models = list(dict.fromkeys(forecasts["model"]))
    return matplotlib.colormaps["tab10"](models.index(model) % 10)


def draw_backtest_forecasts(ax: Axes, y: pd.Series, forecasts: pd.DataFrame, horizon: int) -> None:
    """The series around the backtest period with every model's forecasts against actuals."""
    start = forecasts["timestamp"].min()
    shown = y[y.index >= start - HISTORY_SHOWN * horizon * y.index.freq]
    ax.plot(shown.index, shown.to_numpy(), color="black", lw=1.2, label="actual")
    for model, group in forecasts.groupby("model", sort=False):
        first = True
        for _, fold in group.groupby("cutoff"):
            ax.plot(fold["timestamp"], fold["forecast"], lw=1.1, alpha=0.9,
                    color=model_colour(model, forecasts), label=model if first else None)
            first = False
    for cutoff in forecasts["cutoff"].unique():
        ax.axvline(cutoff, color="grey", lw=0.6, ls=":")
    ax.set_title("Backtest forecasts against actuals (dotted lines: cutoffs)")
    format_values(ax.yaxis)
    place_legend(ax)


def draw_last_cutoff(ax: Axes, y: pd.Series, forecasts: pd.DataFrame, coverage: float, horizon: int) -> None:
    """The last fold: each model's forecast with its prediction interval."""
    last = forecasts[forecasts["cutoff"] == forecasts["cutoff"].max()]
    start = last["timestamp"].min()
    shown = y[(y.index >= start - 3 * horizon * y.index.freq)]
    ax.plot(shown.index, shown.to_numpy(), color="black", lw=1.2, label="actual")
    for model, group in last.groupby("model", sort=False):
        colour = model_colour(model, forecasts)
        ax.plot(group["timestamp"], group["forecast"], color=colour, lw=1.4, label=model)
        ax.fill_between(group["timestamp"], group["lower"], group["upper"], color=colour, alpha=0.15)
    ax.set_title(f"Last cutoff: forecasts with {coverage:.0%} prediction intervals")
    format_values(ax.yaxis)
    place_legend(ax)


def draw_error_lines(ax: Axes, table: pd.DataFrame, x: str, forecasts: pd.DataFrame, xlabel: str, title: str) -> None:
    """One MAE line per model against column ``x`` of a leaderboard ``table``."""
    for model, group in table.groupby("model", sort=False):
        ax.plot(group[x], group["mae"], marker="o", ms=3, label=model, color=model_colour(model, forecasts))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("MAE")
    ax.set_title(title)
    format_values(ax.yaxis)
    place_legend(ax)


def draw_calibration(ax: Axes, calibration: pd.DataFrame, forecasts: pd.DataFrame) -> None:
    """Observed against nominal coverage of the central intervals, one line per model; the
    diagonal is perfect calibration (above it: intervals too wide, below: too narrow)."""
    nominal = np.asarray(calibration.columns, dtype="float64")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="calibrated")
    for model, row in calibration.iterrows():
        ax.plot(nominal, row.to_numpy(dtype="float64"), marker="o", ms=3, label=model,
                color=model_colour(model, forecasts))
    low = max(0.0, min(nominal.min(), np.nanmin(calibration.to_numpy(dtype="float64"))) - 0.05)
    ax.set_xlim(low, 1.0)
    ax.set_ylim(low, 1.0)
    ax.set_xlabel("nominal coverage")
    ax.set_ylabel("observed coverage")
    ax.set_title("Calibration of the prediction intervals")
    format_values(ax.xaxis)
    format_values(ax.yaxis)
    place_legend(ax)


def draw_residual_acf(ax: Axes, diagnostics: pd.DataFrame, forecasts: pd.DataFrame) -> None:
    """Residual autocorrelation by lag, one line per model, with the approximate 95% band of
    white noise (``1.96 / sqrt(n)``)."""
    for _, row in diagnostics.iterrows():
        if len(row["acf"]):
            lags = np.arange(1, len(row["acf"]) + 1)
            ax.plot(lags, row["acf"], marker="o", ms=3, label=row["model"], color=model_colour(row["model"], forecasts))
    n = diagnostics["n"].max()
    if n and n > 0:
        band = 1.96 / np.sqrt(n)
        ax.axhspan(-band, band, color="grey", alpha=0.15, label="white-noise band")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("lag")
    ax.set_ylabel("autocorrelation")
    ax.set_title("Autocorrelation of in-sample residuals (models fitted at the last cutoff)")
    format_values(ax.yaxis)
    place_legend(ax)


def draw_skill_distribution(ax: Axes, skill: pd.DataFrame, forecasts: pd.DataFrame, baseline: str) -> None:
    """Per-series skill against ``baseline`` (columns models, rows series; 1 - MASE / the
    baseline's MASE), one box per model: the box holds the middle half of the series, the
    whiskers the 5th to 95th percentiles, the line the median. No points are drawn, so the
    chart's size does not grow with the number of series."""
    models = [m for m in skill.columns if skill[m].notna().any()]
    data = [skill[m].dropna().to_numpy() for m in models]
    if not data:
        ax.text(0.5, 0.5, "no per-series skill to show", ha="center", va="center", transform=ax.transAxes)
        return
    parts = ax.boxplot(data, orientation="horizontal", whis=(5, 95), showfliers=False, widths=0.55,
                       patch_artist=True, medianprops={"color": "black"})
    for box, model in zip(parts["boxes"], models, strict=True):
        box.set_facecolor(model_colour(model, forecasts))
        box.set_alpha(0.55)
    ax.set_yticks(range(1, len(models) + 1), models)
    ax.axvline(0, color="grey", lw=1, ls="--")
    low = min(float(np.nanpercentile(d, 5)) for d in data)
    high = max(float(np.nanpercentile(d, 95)) for d in data)
    ax.set_xlim(max(low, -1.0) - 0.05, min(max(high, 0.0), 1.0) + 0.05)
    # a model far worse than the baseline has its box left of the drawn range: say where it is
    # instead of leaving an empty row
    left = ax.get_xlim()[0]
    for row, values in enumerate(data, start=1):
        if np.percentile(values, 75) < left:
            ax.annotate(f"\N{LEFTWARDS ARROW} further left: median {np.median(values):,.2f}", (left, row),
                        xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlabel(f"skill per series: 1 - MASE / MASE of {baseline} (right of the dashed line: better than {baseline})")
    ax.set_title(f"How much each model beats {baseline}, series by series ({len(skill)} series)")
    format_values(ax.xaxis)


def draw_forecast(ax: Axes, y: pd.Series, frame: pd.DataFrame, coverage: float, label: str) -> None:
    """Recent history and a future forecast (``forecast``, ``lower``, ``upper`` columns)."""
    shown = y.iloc[-max(4 * len(frame), 60):]
    ax.plot(shown.index, shown.to_numpy(), color="black", lw=1.2, label="history")
    ax.plot(frame.index, frame["forecast"], color="tab:blue", lw=1.4, label=label)
    ax.fill_between(frame.index, frame["lower"], frame["upper"], color="tab:blue", alpha=0.15,
                    label=f"{coverage:.0%} interval")
    ax.set_title(f"{label} forecast")
    format_values(ax.yaxis)
    place_legend(ax)


def plot_forecast(
    model: Forecaster, y: pd.Series | None = None, horizon: int = 14, coverage: float = 0.8,
    ax: Axes | None = None, X: object | None = None,
) -> Axes:
    """Draw a fitted model's forecast with its prediction interval after the recent history
    (``y``, default the model's own training history) and return the Axes.

    >>> ax = tsforecast.plot_forecast(model, horizon=28)  # doctest: +SKIP
    """
    frame = model.predict_interval(horizon, coverage, X)
    frame.insert(0, "forecast", model.predict(horizon, X))
    ax = new_axes() if ax is None else ax
    draw_forecast(ax, model.y_ if y is None else y, frame, coverage, getattr(model, "label_", model.short_name))
    ax.figure.autofmt_xdate()
    return ax
