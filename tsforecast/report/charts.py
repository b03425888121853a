"""Report charts drawn with matplotlib and returned as inline SVG text.

Figures are built as :class:`matplotlib.figure.Figure` objects, never through pyplot: no
display is needed and a notebook user's backend and open figures are left alone.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = [
    "forecast_chart",
    "error_by_step_chart",
    "error_by_fold_chart",
    "last_cutoff_chart",
    "forecast_with_interval_chart",
]

_HISTORY_SHOWN = 8  # horizons of history drawn before the first cutoff


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    # svg.hashsalt keeps element ids stable, so the same run gives the same bytes
    with matplotlib.rc_context({"svg.hashsalt": "tsforecast", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _figure(height: float = 3.2) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(10, height))
    ax = fig.add_subplot()
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def forecast_chart(y: pd.Series, forecasts: pd.DataFrame, horizon: int) -> str:
    """The series around the backtest period with every model's forecasts against actuals."""
    fig, ax = _figure(3.6)
    start = forecasts["timestamp"].min()
    shown = y[y.index >= start - _HISTORY_SHOWN * horizon * y.index.freq]
    ax.plot(shown.index, shown.to_numpy(), color="black", lw=1.2, label="actual")
    for model, group in forecasts.groupby("model", sort=False):
        first = True
        for _, fold in group.groupby("cutoff"):
            ax.plot(fold["timestamp"], fold["forecast"], lw=1.1, alpha=0.9,
                    color=_colour(model, forecasts), label=model if first else None)
            first = False
    for cutoff in forecasts["cutoff"].unique():
        ax.axvline(cutoff, color="grey", lw=0.6, ls=":")
    ax.set_title("Backtest forecasts against actuals (dotted lines: cutoffs)")
    ax.legend(loc="upper left", ncols=4, fontsize=8, frameon=False)
    return _svg(fig)


def _colour(model: str, forecasts: pd.DataFrame) -> str:
    models = list(dict.fromkeys(forecasts["model"]))
    return matplotlib.colormaps["tab10"](models.index(model) % 10)


def _mae_lines(table: pd.DataFrame, x: str, forecasts: pd.DataFrame, xlabel: str, title: str) -> Figure:
    """One MAE line per model against column ``x`` of a leaderboard ``table``."""
    fig, ax = _figure()
    for model, group in table.groupby("model", sort=False):
        ax.plot(group[x], group["mae"], marker="o", ms=3, label=model,
                color=_colour(model, forecasts))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("MAE")
    ax.set_title(title)
    ax.legend(fontsize=8, frameon=False)
    return fig


def error_by_step_chart(by_step: pd.DataFrame, forecasts: pd.DataFrame) -> str:
    """MAE at each forecast step, one line per model."""
    return _svg(_mae_lines(by_step, "step", forecasts, "steps ahead", "Error by forecast step"))


def error_by_fold_chart(by_fold: pd.DataFrame, forecasts: pd.DataFrame) -> str:
    """MAE of each fold over time, one line per model."""
    fig = _mae_lines(by_fold, "cutoff", forecasts, "cutoff", "Error per fold over time")
    fig.autofmt_xdate()
    return _svg(fig)


def last_cutoff_chart(y: pd.Series, forecasts: pd.DataFrame, coverage: float, horizon: int) -> str:
    """The last fold: each model's forecast with its prediction interval."""
    last = forecasts[forecasts["cutoff"] == forecasts["cutoff"].max()]
    fig, ax = _figure(3.6)
    start = last["timestamp"].min()
    shown = y[(y.index >= start - 3 * horizon * y.index.freq)]
    ax.plot(shown.index, shown.to_numpy(), color="black", lw=1.2, label="actual")
    for model, group in last.groupby("model", sort=False):
        colour = _colour(model, forecasts)
        ax.plot(group["timestamp"], group["forecast"], color=colour, lw=1.4, label=model)
        ax.fill_between(group["timestamp"], group["lower"], group["upper"], color=colour,
                        alpha=0.15)
    ax.set_title(f"Last cutoff: forecasts with {coverage:.0%} prediction intervals")
    ax.legend(loc="upper left", ncols=4, fontsize=8, frameon=False)
    fig.autofmt_xdate()
    return _svg(fig)


def forecast_with_interval_chart(
    y: pd.Series, frame: pd.DataFrame, coverage: float, label: str
) -> str:
    """Recent history and a future forecast (``forecast``, ``lower``, ``upper`` columns)."""
    fig, ax = _figure(3.6)
    shown = y.iloc[-max(4 * len(frame), 60):]
    ax.plot(shown.index, shown.to_numpy(), color="black", lw=1.2, label="history")
    ax.plot(frame.index, frame["forecast"], color="tab:blue", lw=1.4, label=label)
    ax.fill_between(frame.index, frame["lower"], frame["upper"], color="tab:blue", alpha=0.15,
                    label=f"{coverage:.0%} interval")
    ax.set_title(f"{label} forecast")
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.autofmt_xdate()
    return _svg(fig)


def calibration_chart(calibration: pd.DataFrame, forecasts: pd.DataFrame) -> str:
    """Observed against nominal coverage of the central intervals, one line per model; the
    diagonal is perfect calibration (above it: intervals too wide, below: too narrow)."""
    fig, ax = _figure(3.4)
    nominal = np.asarray(calibration.columns, dtype="float64")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="calibrated")
    for model, row in calibration.iterrows():
        ax.plot(nominal, row.to_numpy(dtype="float64"), marker="o", ms=3, label=model,
                color=_colour(model, forecasts))
    low = max(0.0, min(nominal.min(), np.nanmin(calibration.to_numpy(dtype="float64"))) - 0.05)
    ax.set_xlim(low, 1.0)
    ax.set_ylim(low, 1.0)
    ax.set_xlabel("nominal coverage")
    ax.set_ylabel("observed coverage")
    ax.set_title("Calibration of the prediction intervals")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return _svg(fig)
