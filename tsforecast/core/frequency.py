"""Frequencies: inferring a series' regular spacing, its seasonal period, and future timestamps.

The seasonal period is the number of observations in one natural cycle of the frequency:
daily 7 (a week), business-day 5, weekly 52, monthly 12, quarterly 4, hourly 24. It is used by
seasonal naive, MASE, SARIMA defaults and the neural window length.
"""

from __future__ import annotations

import warnings

import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset, CustomBusinessDay

__all__ = ["infer_season", "future_index", "infer_regular_freq", "freq_label"]

# Base frequency code (pandas "rule code" prefix) -> observations per natural cycle.
_SEASON_BY_CODE = {
    "B": 5,
    "C": 5,
    "D": 7,
    "W": 52,
    "M": 12,
    "MS": 12,
    "ME": 12,
    "BM": 12,
    "BME": 12,
    "BMS": 12,
    "SM": 24,
    "SMS": 24,
    "Q": 4,
    "QS": 4,
    "QE": 4,
    "BQ": 4,
    "BQE": 4,
    "BQS": 4,
    "h": 24,
    "H": 24,
    "bh": 8,
    "BH": 8,
    "min": 60,
    "T": 60,
    "s": 60,
    "S": 60,
    "Y": 1,
    "YS": 1,
    "YE": 1,
    "A": 1,
    "AS": 1,
}


def freq_label(freq: BaseOffset) -> str:
    """A short, human-readable name of a frequency (``"D"``, ``"B"``, ``"W-SUN"``, ...)."""
    if isinstance(freq, CustomBusinessDay):
        return "B (trading days)"
    return freq.freqstr


def infer_season(freq: BaseOffset | str) -> int:
    """Observations per natural cycle for ``freq`` (1 when the frequency has no cycle).

    Multiples shorten the cycle: 2-hourly data has a season of 12, 15-minute data 4.
    """
    offset = to_offset(freq)
    if isinstance(offset, CustomBusinessDay):
        return 5
    code = offset.rule_code.split("-")[0]
    base = _SEASON_BY_CODE.get(code, 1)
    n = max(int(getattr(offset, "n", 1)), 1)
    if code in {"min", "T"} and n > 1:
        # sub-hourly: the natural cycle is a day
        return max(24 * 60 // n, 1)
    if base % n == 0 and n > 1:
        return base // n
    return base if n == 1 else 1


def future_index(last: pd.Timestamp, freq: BaseOffset, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps that follow ``last`` at frequency ``freq``."""
    start = last + freq
    return pd.date_range(start=start, periods=horizon, freq=freq, name=None)


# Candidate regular frequencies, finest first; used when pandas cannot infer one because
# some timestamps are missing.
_CANDIDATES = ("s", "min", "h", "D", "W", "MS", "ME", "QS", "QE", "YS", "YE")
_NOMINAL = {
    "s": pd.Timedelta(seconds=1),
    "min": pd.Timedelta(minutes=1),
    "h": pd.Timedelta(hours=1),
    "D": pd.Timedelta(days=1),
}


def infer_regular_freq(index: pd.DatetimeIndex) -> BaseOffset | None:
    """The coarsest regular frequency on whose grid every timestamp of ``index`` lies.

    Returns ``None`` when no candidate grid holds the timestamps. The index must be sorted and
    free of duplicates. Weekly candidates are anchored on the weekday of the first timestamp.
    """
    if len(index) < 3:
        return None
    with warnings.catch_warnings():
        # pandas 3 announces that infer_freq will return an offset; to_offset takes either
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        exact = pd.infer_freq(index)
    if exact is not None:
        return to_offset(exact)
    best: BaseOffset | None = None
    span = index[-1] - index[0]
    for code in _CANDIDATES:
        nominal = _NOMINAL.get(code)
        if nominal is not None and span / nominal > 20 * len(index):
            continue  # a grid that fine would be mostly empty; skip building it
        if code == "W":
            code = "W-" + index[0].day_name()[:3].upper()
        offset = to_offset(code)
        grid = pd.date_range(index[0], index[-1], freq=offset)
        if len(grid) == 0 or grid[0] != index[0]:
            continue
        if index.isin(grid).all():
            best = offset  # keep going: a coarser grid that also fits is the better answer
    return best
