"""Fourier terms: sine/cosine pairs of a seasonal period, as known-future regressors.

A season that is long (365 days, 336 half-hours) or not a whole number of observations (a
year of 52.18 weeks, 365.25 days) is costly or impossible as seasonal ARIMA/ETS states. ``K``
harmonics of it, ``sin(2 pi k t / P)`` and ``cos(2 pi k t / P)`` for ``k = 1..K``, describe a
smooth seasonal shape with ``2K`` regression coefficients (R's ``forecast::fourier``; the
"dynamic harmonic regression" of Hyndman & Athanasopoulos, FPP ch. 10.5). ``t`` is the
position of a timestamp counted in steps of the series' frequency from a fixed ``origin``, so
the terms of forecast timestamps continue those of the history exactly.

Pure functions of the index: no fitted state beyond the origin.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import Tick

from tsforecast.core.errors import ConfigError, DataError

__all__ = ["MAX_HARMONICS", "check_fourier", "check_fourier_params", "default_harmonics", "fourier_columns",
           "fourier_frame", "fourier_terms", "time_positions"]

#: the most harmonics per period: the AICc search's limit (ARIMA) and the default (ridge)
MAX_HARMONICS = 10


def default_harmonics(period: float) -> int:
    """The harmonics used when none are chosen: :data:`MAX_HARMONICS`, or fewer for a
    period shorter than twice that."""
    return max(1, min(MAX_HARMONICS, int(period // 2)))


def check_fourier(period: object, k: object) -> tuple[float, int]:
    """``(period, k)`` validated: a period of at least 2 (observations per cycle, non-integers such
    as 52.18 allowed) and ``1 <= k <= period / 2`` harmonics (beyond half the period a
    harmonic aliases onto a lower one: it adds nothing)."""
    if isinstance(period, bool) or not isinstance(period, (int, float, np.integer, np.floating)) or not (
        np.isfinite(period) and period >= 2
    ):
        raise ConfigError(f"fourier: period must be a number of observations >= 2 (e.g. 7, 52.18), got {period!r}.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 or k > float(period) / 2:
        raise ConfigError(f"fourier: K must be an integer from 1 to period / 2 = {float(period) / 2:g} "
                          f"(harmonics beyond half the period repeat lower ones), got {k!r}.")
    return float(period), int(k)


def check_fourier_params(owner: str, periods: object, ks: object) -> tuple[list[float], list[int] | None]:
    """A model's ``fourier`` periods (a number or a list) and ``fourier_k`` (an int or one
    per period, or None) validated; ``owner`` names the model in the message."""
    if periods is None:
        if ks is not None:
            raise ConfigError(f"{owner}: fourier_k needs fourier periods (e.g. fourier=[52.18]).")
        return [], None
    items = [periods] if isinstance(periods, (int, float)) and not isinstance(periods, bool) else periods
    if not isinstance(items, (list, tuple)) or not items:
        raise ConfigError(f"{owner}: fourier must be a list of seasonal periods (e.g. [52.18]), got {periods!r}.")
    if ks is None:
        return [check_fourier(p, 1)[0] for p in items], None
    # one int is the K of every period (a list gives one K per period)
    klist = [ks] * len(items) if isinstance(ks, int) and not isinstance(ks, bool) else ks
    if not isinstance(klist, (list, tuple)) or len(klist) != len(items):
        raise ConfigError(f"{owner}: fourier_k must give one K per fourier period ({len(items)}), got {ks!r}.")
    pairs = [check_fourier(p, k) for p, k in zip(items, klist, strict=True)]
    return [p for p, _ in pairs], [k for _, k in pairs]


def fourier_columns(period: float, k: int) -> list[str]:
    """The column names of :func:`fourier_terms`' output, e.g. ``sin1_52.18, cos1_52.18``.
    The sine of harmonic ``period / 2`` (an integer period, ``K = period / 2``) is zero at
    every whole step and left out, as R's ``fourier`` does."""
    names = []
    for harmonic in range(1, k + 1):
        if 2 * harmonic != period:
            names.append(f"sin{harmonic}_{period:g}")
        names.append(f"cos{harmonic}_{period:g}")
    return names


def fourier_terms(positions: np.ndarray, period: float, k: int) -> np.ndarray:
    """The Fourier terms at time ``positions`` (any real numbers), shape ``(len, columns)``
    in the order of :func:`fourier_columns`."""
    period, k = check_fourier(period, k)
    t = np.asarray(positions, dtype="float64").reshape(-1)
    columns = []
    for harmonic in range(1, k + 1):
        angle = 2 * np.pi * harmonic * t / period
        if 2 * harmonic != period:
            columns.append(np.sin(angle))
        columns.append(np.cos(angle))
    return np.column_stack(columns) if columns else np.empty((len(t), 0))


def time_positions(index: pd.DatetimeIndex, origin: pd.Timestamp, freq: object = None) -> np.ndarray:
    """Each timestamp's position in steps of ``freq`` (default: the index's) from ``origin``
    (0 at the origin, negative before it). Raises a :class:`DataError` for a timestamp off
    the frequency's grid."""
    offset = to_offset(freq if freq is not None else index.freq)
    if offset is None:
        raise DataError("fourier: the index has no frequency; give freq (e.g. 'D', 'W-SUN', '30min').")
    origin = pd.Timestamp(origin)
    if isinstance(offset, Tick):
        # fixed-length steps: exact integer arithmetic on nanoseconds
        delta = (index - origin).to_numpy(dtype="timedelta64[ns]").astype("int64")
        step = pd.Timedelta(offset).value
        positions, rest = np.divmod(delta, step)
        exact = rest == 0
    else:
        # calendar steps (weeks anchored on a day, months, quarters): positions on the grid
        # that covers the origin and the index (few points: these frequencies are coarse)
        start, end = min(origin, index.min()), max(origin, index.max())
        grid = pd.date_range(start=start, end=end, freq=offset)
        at, zero = grid.get_indexer(index), grid.get_indexer([origin])[0]
        exact = (at >= 0) & (zero >= 0)
        positions = at - zero
    if not np.all(exact):
        raise DataError(f"fourier: some timestamps are not on the {offset.freqstr} grid that starts at {origin}.")
    return positions.astype("float64")


def fourier_frame(
    index: pd.DatetimeIndex, periods: Sequence[float], ks: Sequence[int], origin: pd.Timestamp | None = None,
    freq: object = None,
) -> pd.DataFrame:
    """Fourier terms of several periods on ``index``, one column per term (see
    :func:`fourier_columns`); ``ks[i]`` harmonics for ``periods[i]``.

    ``origin`` is the timestamp at position 0 (default: the index's first). Use the training
    series' first timestamp for the history *and* the forecast timestamps, so the terms of the
    horizon continue the history's.
    """
    if len(periods) != len(ks) or not len(periods):
        raise ConfigError(f"fourier: give one K per period, got periods {list(periods)} and K {list(ks)}.")
    origin = index[0] if origin is None else origin
    positions = time_positions(index, origin, freq)
    blocks = [pd.DataFrame(fourier_terms(positions, p, k), index=index, columns=fourier_columns(*check_fourier(p, k)))
              for p, k in zip(periods, ks, strict=True)]
    return pd.concat(blocks, axis=1)
