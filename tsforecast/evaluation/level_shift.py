"""Whether new observations are at the level of a series' history, or look like another series.

A scheduled job that appends a day's data to a saved model cannot tell from the values alone
that its export now holds another column (another series, or the same one in other units):
with no overlap to compare, the model would roll forward onto values 10,000 times its own
and forecast nonsense with enormous intervals. The check compares the *median* of the new
values with the history's *recent level* (the median of its last two seasons, so that a
weekly pattern does not tilt it), in two ways:

* the distance in units of the history's scale, its in-sample seasonal-naive MAE (the MASE
  denominator, :func:`tsforecast.evaluation.metrics.seasonal_naive_scale`);
* the ratio of the two levels.

The new values are refused only when **both** are extreme: more than :data:`MAX_SCALES`
scales away *and* more than :data:`MAX_RATIO` times (or less than 1/:data:`MAX_RATIO` of)
the recent level, or of the other sign. The distance alone would refuse an ordinary 30% dip
of a very smooth series (hundreds of its small scales); the ratio alone would refuse a count
series going from 0.5 to 11 a day, a few scales of its noise. Real level shifts pass: on the
Chicago Transit Authority ridership (rail, bus, total), every single day and every week of
2003-2021 appended to the two years before it is at most 12.1 scales away (ratios down to
0.175): the March 2020 drop (rail to a quarter that week, to an eighth over April) is 8 to 10
scales, Thanksgiving and Christmas Day 8.5 to 10. The same days at 10,000 times are all refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from tsforecast.core.errors import DataError
from tsforecast.evaluation.metrics import seasonal_naive_scale

__all__ = ["MAX_SCALES", "MAX_RATIO", "LevelComparison", "compare_level", "check_level"]

#: new values further than this many history scales from its recent level may be refused
MAX_SCALES = 100.0
#: ... when their level is also more than this many times the recent level (or below its inverse)
MAX_RATIO = 20.0
_RECENT_SEASONS = 2
_MIN_RECENT = 8


@dataclass(frozen=True)
class LevelComparison:
    """The new values' level next to the history's (see the module docstring)."""

    new_level: float
    history_level: float
    scale: float
    n_new: int
    n_recent: int

    @property
    def distance(self) -> float:
        """``|new_level - history_level|`` in history scales (inf on a scale of 0)."""
        gap = abs(self.new_level - self.history_level)
        if gap == 0:
            return 0.0
        return gap / self.scale if self.scale > 0 else math.inf

    @property
    def ratio(self) -> float:
        """``new_level / history_level``; NaN when the levels are of different signs or the
        history's is 0 (no ratio says how far apart they are)."""
        if self.history_level == 0 or self.new_level * self.history_level < 0:
            return math.nan
        return self.new_level / self.history_level

    @property
    def far(self) -> bool:
        """Both the distance and the ratio are beyond what real level shifts reach."""
        ratio = self.ratio
        beyond = math.isnan(ratio) or not 1 / MAX_RATIO <= ratio <= MAX_RATIO
        return beyond and self.distance > MAX_SCALES


def compare_level(history: ArrayLike, new: ArrayLike, season: int) -> LevelComparison:
    """The level of ``new`` (median) against the recent level of ``history`` (the median of its
    last two seasons, at least 8 values) in units of ``history``'s seasonal-naive MAE."""
    past = np.asarray(history, dtype="float64").reshape(-1)
    fresh = np.asarray(new, dtype="float64").reshape(-1)
    if past.size == 0 or fresh.size == 0:
        raise DataError("comparing levels needs history and new values; one of them is empty.")
    recent = past[-max(_RECENT_SEASONS * season, _MIN_RECENT):]
    scale = seasonal_naive_scale(past, season) if past.size > season else math.nan
    if not (math.isfinite(scale) and scale > 0) and past.size > 1:
        # a history shorter than a season, or flat from season to season: its step-to-step MAE
        scale = seasonal_naive_scale(past, 1)
    return LevelComparison(
        new_level=float(np.median(fresh)), history_level=float(np.median(recent)),
        scale=scale if math.isfinite(scale) else 0.0, n_new=int(fresh.size), n_recent=int(recent.size),
    )


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def check_level(history: ArrayLike, new: ArrayLike, season: int, *, what: str = "the new values") -> LevelComparison:
    """:func:`compare_level`, raising a :class:`~tsforecast.core.errors.DataError` with the numbers
    when the new values are far off the history's level (:attr:`LevelComparison.far`)."""
    level = compare_level(history, new, season)
    if level.far:
        ratio = level.ratio
        times = (f"{_number(ratio)} times the history's recent level" if math.isfinite(ratio)
                 else "of another sign than the history's recent level")
        raise DataError(
            f"{what} do not look like the model's series: their level (median {_number(level.new_level)} of "
            f"{level.n_new} value(s)) is {times} (median {_number(level.history_level)} of its last "
            f"{level.n_recent} values) and {_number(level.distance)} history scales (seasonal-naive MAE "
            f"{_number(level.scale)}) away from it; real level shifts stay within {MAX_RATIO:g} times. "
            "Fix: give the column (and units) the model was fitted on, or refit it with `tsforecast fit`; "
            "if the shift is real, allow it with --allow-level-shift (allow_level_shift = true)."
        )
    return level
