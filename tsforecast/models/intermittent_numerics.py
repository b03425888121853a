"""The numerics of the intermittent-demand models, compiled with numba.

Simple exponential smoothing (SES) as statsforecast runs it for Croston, TSB, ADIDA and IMAPA
(``src/ses.cpp`` of statsforecast 2.x): the smoothed value starts at the first observation,
the forecast after ``x[0..i]`` is ``alpha * x[i] + (1 - alpha) * previous``, the sum of
squared one-step errors runs from the second observation, and an "optimised" alpha is found
by golden-section search on [0.1, 0.3] down to an interval of 1e-12. Every operation happens
in the same order as there, so the forecasts agree to the last few bits
(``benchmarks/intermittent_peers.py`` measures it). Compiled because ADIDA's and IMAPA's
in-sample fitted values re-run that search for every prefix of the history (quadratic work;
IMAPA's continues the search's SES runs from one prefix to the next instead, see
:func:`imapa_fitted`).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.typed import Dict

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
# a smoothing run remembered by (stream, alpha): the block length and offset of the sums it
# ran on, and the alpha; its value is (level after the last sum read, SSE so far, sums read)
_RUN_KEY = types.Tuple((types.int64, types.int64, types.float64))
_RUN_STATE = types.Tuple((types.float64, types.float64, types.int64))


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
def _ses_run(x: np.ndarray, alpha: float, runs: Dict, level_key: int, offset: int) -> tuple[float, float]:
    """``_ses_sse(alpha, x)`` and the smoothed level after ``x[-1]``, continuing the run kept
    in ``runs`` for this (stream, alpha) when there is one: a stream's sums only grow at the
    end, so the run goes on from where it stopped with the same operations in the same order
    (the same bits as starting over). ``x`` holds at least 2 values."""
    key = (level_key, offset, alpha)
    if key in runs:
        level, sse, done = runs[key]
    else:
        level, sse, done = x[0], 0.0, 1
    complement = 1.0 - alpha
    for i in range(done, x.size):
        level = alpha * x[i - 1] + complement * level
        error = x[i] - level
        sse += error * error
    runs[key] = (level, sse, x.size)
    return sse, level


@numba.njit(cache=True)
def _golden_search(x: np.ndarray, lower: float, upper: float, runs: Dict, level_key: int, offset: int) -> float:
    """:func:`golden_section_alpha` with its SSE runs kept in ``runs`` for the stream
    ``(level_key, offset)`` (see :func:`_ses_run`)."""
    a, b = lower, upper
    c = b - (b - a) / _GOLDEN
    d = a + (b - a) / _GOLDEN
    fc = _ses_run(x, c, runs, level_key, offset)[0]
    fd = _ses_run(x, d, runs, level_key, offset)[0]
    while abs(b - a) >= _TOLERANCE:
        if fc < fd:
            b = d
            d = c
            fd = fc
            c = b - (b - a) / _GOLDEN
            fc = _ses_run(x, c, runs, level_key, offset)[0]
        elif fd < fc:
            a = c
            c = d
            fc = fd
            d = a + (b - a) / _GOLDEN
            fd = _ses_run(x, d, runs, level_key, offset)[0]
        else:
            break
    return (b + a) / 2.0


@numba.njit(cache=True)
def golden_section_alpha(x: np.ndarray, lower: float, upper: float) -> float:
    """The SES alpha in [lower, upper] with the least in-sample squared error (golden section;
    it stops early where both probes tie, as statsforecast's does)."""
    if x.size < 2:
        return (upper + lower) / 2.0  # every alpha has SSE 0: both probes tie at once
    return _golden_search(x, lower, upper, Dict.empty(_RUN_KEY, _RUN_STATE), 0, 0)


@numba.njit(cache=True)
def _block_sums(y: np.ndarray, level: int) -> np.ndarray:
    """The sums of consecutive blocks of ``level`` periods ending at ``y[-1]`` (the oldest
    ``len(y) % level`` periods dropped), each summed left to right as ADIDA does."""
    n = y.size
    lost = n % level
    n_chunks = (n - lost) // level
    sums = np.empty(n_chunks)
    for i in range(n_chunks):
        total = 0.0
        base = lost + i * level
        for j in range(level):
            total += y[base + j]
        sums[i] = total
    return sums


@numba.njit(cache=True)
def chunk_forecast(y: np.ndarray, level: int) -> float:
    """The optimised-SES forecast of the next sum of ``level`` periods, from the sums of
    consecutive blocks of ``level`` periods that end at the last observation (the oldest
    ``len(y) % level`` observations are dropped, as in ADIDA). A single block is its own
    forecast; fewer observations than one block give the last observation."""
    if y.size < level:
        return y[y.size - 1]
    sums = _block_sums(y, level)
    if sums.size == 1:
        return sums[0]
    alpha = golden_section_alpha(sums, SES_BOUNDS[0], SES_BOUNDS[1])
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
    before the first demand). Levels round half away from zero here, as statsforecast's.

    The same numbers as :func:`chunk_forecast` on every prefix, with less work: the mean
    demand interval comes from running sums (O(1) per step), and the SES runs of the alpha
    search are kept per stream (block length and offset): the block sums of prefix ``i + L``
    are those of prefix ``i`` and one more, so a probe the search made before continues from
    where it stopped (:func:`_ses_run`) instead of reading the whole prefix again. Where the
    optimum sits at a bound (most intermittent series), each step costs O(1) per probe;
    elsewhere only the probes that are new at this step read the prefix."""
    out = np.empty(y.size)
    out[0] = np.nan
    runs = Dict.empty(_RUN_KEY, _RUN_STATE)
    count = 0
    previous = 0
    total = 0.0
    for i in range(1, y.size):
        # period i - 1 joins the history: the same additions, in the same order, as summing
        # the intervals of y[:i] afresh, so the levels (and every value) are unchanged
        if y[i - 1] != 0.0:
            count += 1
            total += i - previous
            previous = i
        if count == 0:
            out[i] = 0.0
            continue
        top = min(max(1, int(np.floor(total / count + 0.5))), i)
        acc = 0.0
        for level in range(1, top + 1):
            sums = _block_sums(y[:i], level)
            if sums.size == 1:
                forecast = sums[0]  # chunk_forecast's rule: one block is its own forecast
            else:
                alpha = _golden_search(sums, SES_BOUNDS[0], SES_BOUNDS[1], runs, level, i % level)
                # ses_forecast's last step, from the level its run ended on (the same recursion)
                forecast = alpha * sums[sums.size - 1] + (1.0 - alpha) * _ses_run(sums, alpha, runs, level,
                                                                                 i % level)[1]
            acc += forecast / level
        out[i] = acc / top
    return out
