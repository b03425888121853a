"""In-sample residual diagnostics: is anything predictable left in a model's one-step errors?

A model that captured the series' structure leaves residuals that look like white noise: no
autocorrelation at any lag. The Ljung-Box test asks that jointly over the first
``lags`` lags; a small p-value says the residuals are still autocorrelated, so the model has
missed something (a season, a trend, a level shift).

A backtest diagnoses thousands of series at once: :func:`residual_diagnostics_many` takes
every series' residuals as one flat array cut by offsets and computes the autocorrelations
and the test for all of them with a handful of numpy operations (no Python loop over series).
Each series' numbers depend on its own residuals only, never on which others it is computed
with (sums run within each series' own segment), so a backtest's diagnostics are the same
whatever the engine, ``n_jobs`` or block size.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import chdtrc

__all__ = ["residual_diagnostics", "residual_diagnostics_many", "diagnostic_lags", "MIN_RESIDUALS"]

#: fewer finite residuals than this: no test (NaN p-value, no lags)
MIN_RESIDUALS = 10


def diagnostic_lags(n: int | np.ndarray, season: int | np.ndarray) -> int | np.ndarray:
    """Lags tested: two seasons (at least 10, Hyndman's rule of thumb for non-seasonal data),
    at most a fifth of the residuals (elementwise for arrays)."""
    lags = np.maximum(1, np.minimum(np.maximum(10, 2 * np.asarray(season)), np.asarray(n) // 5))
    return int(lags) if np.ndim(lags) == 0 else lags


def residual_diagnostics(residuals: pd.Series | np.ndarray, season: int) -> dict[str, object]:
    """``n`` residuals used, ``lags`` tested, the Ljung-Box ``ljung_box_p`` over them and
    the residual autocorrelation ``acf`` at lags 1..``lags`` (a list); NaN p-value when there
    are too few residuals (under :data:`MIN_RESIDUALS`) or they are constant.

    The statistic is statsmodels' ``acorr_ljungbox`` (the tests compare them); one series'
    case of :func:`residual_diagnostics_many`, with the same numbers."""
    values = np.asarray(residuals, dtype="float64").reshape(-1)
    table = residual_diagnostics_many(values, np.array([0, len(values)]), np.array([season]))
    return {"n": int(table["n"][0]), "lags": int(table["lags"][0]), "ljung_box_p": float(table["ljung_box_p"][0]),
            "acf": table["acf"][0]}


def residual_diagnostics_many(
    values: np.ndarray, offsets: np.ndarray, seasons: Sequence[int] | np.ndarray
) -> dict[str, object]:
    """The diagnostics of many residual series at once: series ``i`` is
    ``values[offsets[i]:offsets[i + 1]]`` (non-finite values dropped) with season
    ``seasons[i]``. Returns arrays ``n``, ``lags``, ``ljung_box_p`` and a list ``acf`` of
    per-series lists, with the meaning of :func:`residual_diagnostics`.

    The autocovariance at lag k of every series is one product of the flat array with itself
    shifted by k and one segment sum per series (``np.add.reduceat``): no padding, no FFT, and
    each segment summed alone (see the module docstring)."""
    values = np.asarray(values, dtype="float64").reshape(-1)
    offsets = np.asarray(offsets, dtype="int64")
    seasons = np.asarray(seasons, dtype="int64").reshape(-1)
    k = len(offsets) - 1
    finite = np.isfinite(values)
    if not finite.all():  # drop the non-finite values, keeping each series' segment
        kept = np.r_[0, np.cumsum(finite)]
        offsets, values = kept[offsets], values[finite]
    n = np.diff(offsets)
    starts = offsets[:-1]
    sums = _segment_sums(values, starts, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, sums / np.maximum(n, 1), 0.0)
    series_of = np.repeat(np.arange(k), n)
    centred = values - mean[series_of]
    lows, highs = np.full(k, np.inf), np.full(k, -np.inf)
    filled = n > 0
    if filled.any():  # per-segment extremes of the non-empty segments (reduceat, not ufunc.at)
        lows[filled] = np.minimum.reduceat(values, starts[filled])
        highs[filled] = np.maximum.reduceat(values, starts[filled])
    usable = (n >= MIN_RESIDUALS) & (highs > lows)
    lags = np.where(usable, diagnostic_lags(n, seasons), 0)
    max_lag = int(lags.max()) if k else 0
    gamma = np.zeros((k, max_lag + 1))
    total = len(centred)
    pairs = np.empty(total)
    for lag in range(max_lag + 1):
        # each pair (t - lag, t) at the later value's place, t; a pair belongs to one series
        # when t is at least lag into it, so each series' first lag places hold 0 (as would a
        # zero-padded product masked by position: the same array, summed the same way)
        np.multiply(centred[lag:], centred[: total - lag], out=pairs[lag:])
        pairs[:lag] = 0.0
        if lag:
            pairs[_heads(starts, n, lag)] = 0.0
        gamma[:, lag] = _segment_sums(pairs, starts, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        acf = gamma[:, 1:] / gamma[:, :1]
        weights = 1.0 / (n[:, None] - np.arange(1, max_lag + 1))
        # a running sum over lags read at each series' own lag count: the same additions in the
        # same order whatever the longest lag of the series it is computed with
        running = np.cumsum(np.nan_to_num(acf**2 * weights), axis=1) if max_lag else np.zeros((k, 1))
        statistic = n * (n + 2) * running[np.arange(k), np.maximum(lags, 1) - 1]
    p = np.where(usable, chdtrc(np.maximum(lags, 1), statistic), np.nan)
    return {
        "n": n, "lags": lags, "ljung_box_p": p,
        "acf": [acf[i, : lags[i]].tolist() for i in range(k)],
    }


def _heads(starts: np.ndarray, n: np.ndarray, lag: int) -> np.ndarray:
    """The positions of the first ``lag`` values of every segment (all of a shorter one)."""
    inside = np.arange(lag)
    heads = starts[:, None] + inside
    return heads[inside < n[:, None]]


def _segment_sums(values: np.ndarray, starts: np.ndarray, n: np.ndarray) -> np.ndarray:
    """The sum of each segment ``values[start:start + n]`` (0 for an empty one), each summed
    alone: ``np.add.reduceat`` over the non-empty segments only, so an empty one never cuts
    its neighbour short."""
    sums = np.zeros(len(starts))
    filled = n > 0
    if filled.any():
        sums[filled] = np.add.reduceat(values, starts[filled])
    return sums
