"""Locally scaled split-conformal intervals: the arithmetic behind ``ridge``'s and the neural
forecasters' intervals (how a model uses it: :mod:`tsforecast.models.calibration`).

A plain split-conformal interval has the same width whatever the recent behaviour of the
series: calibrated on a calm validation tail it is far too narrow when volatility rises
(stock prices: 0.56 coverage for a nominal 0.8 over 400 rolling origins), and too wide after
a level drop. Here each validation residual is divided by the *scale of its input window*,
the mean absolute ``lag``-difference of the observations the network read, and a forecast's
half-width is the conformal quantile of those ratios times the scale of its own window
(normalised conformal prediction, Papadopoulos et al. 2008; Lei et al. 2018). Widths follow
volatility and level; for a stable series the scale is nearly constant and nothing changes.

Measured with ``python benchmarks/neural_intervals.py``.
"""

from __future__ import annotations

import math

import numpy as np

from tsforecast.evaluation.metrics import seasonal_naive_scale, seasonal_naive_scales

__all__ = ["scale_lag", "window_scales", "latest_scales", "floor_scale", "conformal_quantile", "block_widths"]

#: a window's scale never falls below this share of the series' overall scale, so a flat
#: stretch (a holiday run of zeros) cannot produce a zero-width interval or divide by zero
_SCALE_FLOOR = 0.05


def scale_lag(season: int, window: int) -> int:
    """The difference lag that measures a window's scale: the season when it fits in the
    window (so a weekly pattern is not mistaken for noise), else one step."""
    return season if 1 < season < window else 1


def window_scales(series: np.ndarray, starts: np.ndarray, window: int, lag: int) -> np.ndarray:
    """Mean absolute ``lag``-difference of each window ``series[s : s + window]``, for every
    start ``s`` in ``starts``."""
    # a window's seasonal-naive scale at lag ``lag`` (the MASE denominator), every window from
    # one cumulative sum: O(n)
    starts = np.asarray(starts)
    return seasonal_naive_scales(series, starts, starts + window, lag)


def latest_scales(windows: np.ndarray, lag: int, floor: float) -> np.ndarray:
    """The scale of each row of ``windows`` (the latest window of each simulated path, or of
    the series), never below ``floor``."""
    windows = np.asarray(windows, dtype="float64")
    return np.maximum(np.abs(windows[..., lag:] - windows[..., :-lag]).mean(axis=-1), floor)


def floor_scale(series: np.ndarray, lag: int) -> float:
    """The smallest scale a window may have: a share of the whole series' scale (1 if flat)."""
    overall = seasonal_naive_scale(series, lag)  # NaN for a series no longer than the lag
    return _SCALE_FLOOR * overall if overall > 0 else 1.0


def conformal_quantile(scores: np.ndarray, coverage: float) -> np.ndarray:
    """Per-column split-conformal quantile of ``scores`` (rows: calibration samples): the
    ``ceil((n + 1) * coverage) / n`` empirical quantile, which guarantees ``coverage`` for
    exchangeable data."""
    n = len(scores)
    level = min(1.0, math.ceil((n + 1) * coverage) / n)
    return np.quantile(scores, level, axis=0, method="higher")


def block_widths(scores: np.ndarray, coverage: float, scale: float, horizon: int, block: int) -> np.ndarray:
    """Half-widths of ``horizon`` steps forecast ``block`` at a time, for a model calibrated
    per step on the ratios ``scores`` (rows: calibration samples, columns: the block's steps)
    and a forecast whose window has scale ``scale``. Past the first block forecasts are made
    from forecasts: step ``j`` of block ``b`` adds its in-block error to ``b`` times the
    error of a block's last step (variances add)."""
    per_step = conformal_quantile(scores, coverage) * scale
    steps = np.arange(horizon)
    return np.sqrt(per_step[steps % block] ** 2 + (steps // block) * per_step[block - 1] ** 2)
