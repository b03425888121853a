"""The numerics of the intermittent-demand models, compiled with numba.

Simple exponential smoothing (SES) as statsforecast runs it for Croston, TSB, ADIDA and IMAPA
(``src/ses.cpp`` of statsforecast 2.x): the smoothed value starts at the first observation,
the forecast after ``x[0..i]`` is ``alpha * x[i] + (1 - alpha) * previous``, the sum of
squared one-step errors runs from the second observation, and an "optimised" alpha is found
by golden-section search on [0.1, 0.3] down to an interval of 1e-12. Every operation happens
in the same order as there, so the forecasts agree to the last few bits
(``benchmarks/intermittent_peers.py`` measures it). Compiled because ADIDA's and IMAPA's
in-sample fitted values re-run that search for every prefix of the history (quadratic work).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "SES_BOUNDS",
    "adida_fitted",
    "chunk_forecast",
    "demand_intervals",
    "expand_between_demands",
    "golden_section_alpha",
    "imapa_fitted",
    "ses_forecast",
]

#: the interval statsforecast searches an optimised SES alpha in (its ``_optimized_ses_forecast``)
SES_BOUNDS = (0.1, 0.3)
_GOLDEN = (np.sqrt(5.0) + 1.0) / 2.0
_TOLERANCE = 1e-12


def demand_intervals(values: np.ndarray) -> np.ndarray:
    """Periods from one demand (a nonzero value) to the next, the first counted from just
    before the series' start: ``[0, 3, 0, 0, 2]`` -> ``[2, 3]``."""
    positions = np.flatnonzero(values != 0) + 1
    return np.diff(positions, prepend=0).astype("float64")


@numba.njit(cache=True)
def _ses_sse(alpha: float, x: np.ndarray) -> float:
    if x.size < 2:
        return 0.0
    complement = 1.0 - alpha
    level = x[0]
    sse = 0.0
    for i in range(1, x.size):
        level = alpha * x[i - 1] + complement * level
        error = x[i] - level
        sse += error * error
    return sse


@numba.njit(cache=True)
def ses_forecast(x: np.ndarray, alpha: float) -> tuple[float, np.ndarray]:
    """The next value's SES forecast and the in-sample one-step forecasts (NaN first)."""
    fitted = np.empty(x.size)
    if x.size == 1:
        fitted[0] = np.nan
        return x[0], fitted
    complement = 1.0 - alpha
    fitted[0] = x[0]
    for i in range(1, x.size):
        fitted[i] = alpha * x[i - 1] + complement * fitted[i - 1]
    forecast = alpha * x[x.size - 1] + complement * fitted[x.size - 1]
    fitted[0] = np.nan
    return forecast, fitted


@numba.njit(cache=True)
def golden_section_alpha(x: np.ndarray, lower: float, upper: float) -> float:
    """The SES alpha in [lower, upper] with the least in-sample squared error (golden section;
    it stops early where both probes tie, as statsforecast's does)."""
    a, b = lower, upper
    c = b - (b - a) / _GOLDEN
    d = a + (b - a) / _GOLDEN
    fc = _ses_sse(c, x)
    fd = _ses_sse(d, x)
    while abs(b - a) >= _TOLERANCE:
        if fc < fd:
            b = d
            d = c
            fd = fc
            c = b - (b - a) / _GOLDEN
            fc = _ses_sse(c, x)
        elif fd < fc:
            a = c
            c = d
            fc = fd
            d = a + (b - a) / _GOLDEN
            fd = _ses_sse(d, x)
        else:
            break
    return (b + a) / 2.0


@numba.njit(cache=True)
def chunk_forecast(y: np.ndarray, level: int) -> float:
    """The optimised-SES forecast of the next sum of ``level`` periods, from the sums of
    consecutive blocks of ``level`` periods that end at the last observation (the oldest
    ``len(y) % level`` observations are dropped, as in ADIDA). A single block is its own
    forecast; fewer observations than one block give the last observation."""
    n = y.size
    lost = n % level
    n_chunks = (n - lost) // level
    if n_chunks == 0:
        return y[n - 1]
    sums = np.empty(n_chunks)
    for i in range(n_chunks):
        total = 0.0
        base = lost + i * level
        for j in range(level):
            total += y[base + j]
        sums[i] = total
    if n_chunks == 1:
        return sums[0]
    alpha = golden_section_alpha(sums, 0.1, 0.3)
    forecast, _ = ses_forecast(sums, alpha)
    return forecast


@numba.njit(cache=True)
def expand_between_demands(per_demand: np.ndarray, y: np.ndarray, before_first: float) -> np.ndarray:
    """A value per period from values that change only after a demand: period ``i`` gets the
    value set by the latest demand before it (``per_demand[k]`` after the k-th demand,
    ``before_first`` until the first one; NaN at period 0). How statsforecast spreads the
    one-step forecasts of the demand sizes and intervals over the periods."""
    out = np.empty(y.size)
    out[0] = np.nan
    k = 0
    for i in range(1, y.size):
        if y[i - 1] != 0:
            k += 1
            out[i] = per_demand[k]
        elif k > 0:
            out[i] = out[i - 1]
        else:
            out[i] = before_first
    return out


@numba.njit(cache=True)
def adida_fitted(y: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """ADIDA's in-sample one-step forecasts: period ``i + 1`` from ``y[:i + 1]`` at
    aggregation ``levels[i]`` (NaN first)."""
    out = np.empty(y.size)
    out[0] = np.nan
    for i in range(y.size - 1):
        out[i + 1] = chunk_forecast(y[: i + 1], levels[i]) / levels[i]
    return out


@numba.njit(cache=True)
def imapa_fitted(y: np.ndarray) -> np.ndarray:
    """IMAPA's in-sample one-step forecasts, each from the history before it (NaN first; 0
    before the first demand). Levels round half away from zero here, as statsforecast's."""
    out = np.empty(y.size)
    out[0] = np.nan
    for i in range(1, y.size):
        count = 0
        previous = 0
        total = 0.0
        for j in range(i):
            if y[j] != 0.0:
                count += 1
                total += j + 1 - previous
                previous = j + 1
        if count == 0:
            out[i] = 0.0
            continue
        top = min(max(1, int(np.floor(total / count + 0.5))), i)
        acc = 0.0
        for level in range(1, top + 1):
            acc += chunk_forecast(y[:i], level) / level
        out[i] = acc / top
    return out
