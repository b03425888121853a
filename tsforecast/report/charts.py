"""Report charts: the drawings of :mod:`tsforecast.plotting` rendered to inline SVG text.

Figures are built as :class:`matplotlib.figure.Figure` objects, never through pyplot: no
display is needed and a notebook user's backend and open figures are left alone.
"""

from __future__ import annotations

import io

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tsforecast import plotting

__all__ = [
    "forecast_chart",
    "error_by_step_chart",
    "error_by_fold_chart",
    "last_cutoff_chart",
    "forecast_with_interval_chart",
    "calibration_chart",
    "residual_acf_chart",
    "skill_distribution_chart",
]


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
    plotting.style(ax)
    return fig, ax


def forecast_chart(y: pd.Series, forecasts: pd.DataFrame, horizon: int) -> str:
    """The series around the backtest period with every model's forecasts against actuals."""
    fig, ax = _figure(3.6)
    plotting.draw_backtest_forecasts(ax, y, forecasts, horizon)
    fig.autofmt_xdate()
    return _svg(fig)


def error_by_step_chart(by_step: pd.DataFrame, forecasts: pd.DataFrame) -> str:
    """MAE at each forecast step, one line per model."""
    fig, ax = _figure()
    plotting.draw_error_lines(ax, by_step, "step", forecasts, "steps ahead", "Error by forecast step")
    return _svg(fig)


def error_by_fold_chart(by_fold: pd.DataFrame, forecasts: pd.DataFrame) -> str:
    """MAE of each fold over time, one line per model."""
    fig, ax = _figure()
    plotting.draw_error_lines(ax, by_fold, "cutoff", forecasts, "cutoff", "Error per fold over time")
    fig.autofmt_xdate()
    return _svg(fig)


def last_cutoff_chart(y: pd.Series, forecasts: pd.DataFrame, coverage: float, horizon: int) -> str:
    """The last fold: each model's forecast with its prediction interval."""
    fig, ax = _figure(3.6)
    plotting.draw_last_cutoff(ax, y, forecasts, coverage, horizon)
    fig.autofmt_xdate()
    return _svg(fig)


def forecast_with_interval_chart(y: pd.Series, frame: pd.DataFrame, coverage: float, label: str) -> str:
    """Recent history and a future forecast (``forecast``, ``lower``, ``upper`` columns)."""
    fig, ax = _figure(3.6)
    plotting.draw_forecast(ax, y, frame, coverage, label)
    fig.autofmt_xdate()
    return _svg(fig)


def calibration_chart(calibration: pd.DataFrame, forecasts: pd.DataFrame) -> str:
    """Observed against nominal coverage of the central intervals, one line per model."""
    fig, ax = _figure(3.4)
    plotting.draw_calibration(ax, calibration, forecasts)
    return _svg(fig)


def residual_acf_chart(diagnostics: pd.DataFrame, forecasts: pd.DataFrame) -> str:
    """Residual autocorrelation by lag, one line per model."""
    fig, ax = _figure(3.2)
    plotting.draw_residual_acf(ax, diagnostics, forecasts)
    return _svg(fig)


def skill_distribution_chart(skill: pd.DataFrame, forecasts: pd.DataFrame, baseline: str) -> str:
    """The distribution of per-series skill against the baseline, one box per model."""
    fig, ax = _figure(0.9 + 0.45 * max(1, skill.shape[1]))
    plotting.draw_skill_distribution(ax, skill, forecasts, baseline)
    return _svg(fig)
