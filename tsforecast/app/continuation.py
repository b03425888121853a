"""Rolling a fitted (or loaded) model forward onto newer observations of its series.

A scheduled job fits weekly and forecasts daily from the saved model with the day's data
file: either a longer copy of the history the model has, or only the newest days (a daily
export). Only the observations newer than the model's last timestamp are appended (with
:meth:`~tsforecast.models.base.Forecaster.update`, no refit), after checking that they continue the
model's series. A forecast must never quietly be stale or wrong, so:

* the data is read on the model's clock (:func:`tsforecast.data.dates.on_clock`) and on the model's
  frequency, which the model knows: a file of one new day needs no frequency of its own;
* timestamps off the model's grid, or data of a coarser frequency, are refused;
* where the data overlaps the history, most values must agree (a few revised values warn);
* a gap after the model's last timestamp (missing days or empty values) is refused, or
  filled by linear interpolation with ``fill_gap=True`` (a warning says how many values);
* new values far off the history's level (another series, other units) are refused unless
  ``allow_level_shift=True`` (:mod:`tsforecast.evaluation.level_shift`);
* no newer observation at all is a :class:`StaleDataWarning` naming both last timestamps
  (the CLI's ``--require-new-data`` makes it an error with its own exit code).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tsforecast.core.errors import DataError, DataRepairWarning, StaleDataWarning
from tsforecast.core.frequency import freq_label, infer_regular_freq, infer_season
from tsforecast.data.dates import on_clock, parse_dates
from tsforecast.data.text import listed, stamp_text
from tsforecast.data.validation import clean_series, clean_values
from tsforecast.evaluation.level_shift import check_level

__all__ = ["continue_with", "roll_forward", "Continuation", "StaleDataWarning", "REVISED_SHARE"]

#: above this share of differing overlapping values the data is taken for another series
REVISED_SHARE = 0.5


@dataclass(frozen=True)
class Continuation:
    """What :func:`roll_forward` did: observations appended (``filled`` of them interpolated),
    the model's last timestamp before and the data's last observed timestamp (None: no value),
    and the data as read on the model's clock."""

    appended: int
    filled: int
    model_last: pd.Timestamp
    data_last: pd.Timestamp | None
    data: pd.Series


def _on_model_clock(model, y: pd.Series) -> pd.Series:
    """``y`` indexed by timestamps comparable with the model's (its timezone rule)."""
    if not isinstance(y, pd.Series):
        raise DataError(f"the new data must be a pandas Series indexed by dates, got {type(y).__name__}.")
    index = y.index if isinstance(y.index, pd.DatetimeIndex) else parse_dates(y.index, "the data's dates")
    if index.hasnans:
        raise DataError(f"the data has {int(index.isna().sum())} row(s) without a date. Fix: remove them or "
                        "fill in their dates.")
    return pd.Series(y.to_numpy(), index=on_clock(index, model.cutoff_.tz), name=y.name)


def _check_frequency(model, index: pd.DatetimeIndex, data_tz: object) -> None:
    """Every timestamp on the model's grid, and the data not of a coarser frequency (weekly
    values on a daily model all lie on its grid, but every day between them is missing)."""
    cutoff, freq, history = model.cutoff_, model.freq_, model.y_.index
    stamps = index.unique().sort_values()
    if stamps.empty:
        return
    own = index.freq if index.freq is not None else infer_regular_freq(stamps)  # None: fewer than 3
    newer = stamps[stamps > cutoff]
    grid = pd.date_range(cutoff, newer[-1], freq=freq) if len(newer) else history[:0]
    known = stamps[(stamps >= history[0]) & (stamps <= cutoff)]
    off = known.difference(history).union(newer.difference(grid))
    coarser = own is not None and stamps[0] + own > stamps[0] + freq
    if coarser or (len(off) and own is not None and own != freq):
        raise DataError(f"the data is {freq_label(own)} but the model was fitted on {freq_label(freq)} data. "
                        "Fix: give data of the model's frequency, or fit a model on this data.")
    if len(off):
        moved = (f" The data's times were converted from {data_tz} to the model's {cutoff.tz}, which moves them."
                 if data_tz is not None and cutoff.tz is not None and str(data_tz) != str(cutoff.tz) else "")
        raise DataError(f"timestamps {listed([stamp_text(t) for t in off])} of the data are not on the model's "
                        f"{freq_label(freq)} grid (its last timestamp is {stamp_text(cutoff)}).{moved} Fix: give "
                        "data at the model's times" + (" (in its timezone)." if moved else "."))


def _check_overlap(model, older: pd.Series) -> str | None:
    """Where the data repeats the model's history, most values must agree; a few revised
    values (data providers correct past days) are returned as a warning's text: the model
    keeps the history it was fitted on."""
    history = model.y_
    if not older.notna().any():
        return None
    # only validated here (non-numbers, conflicting duplicates are errors), never put on the
    # grid: a few past days, or a past mostly blank, are only compared, and none reaches the model
    given = clean_values(older.dropna())
    overlap = history.index.intersection(given.index)
    if not len(overlap):
        return None
    differs = ~np.isclose(history.loc[overlap].to_numpy(), given.loc[overlap].to_numpy(), rtol=1e-9, atol=0.0)
    if differs.mean() > REVISED_SHARE:
        raise DataError(
            f"the data does not continue the model's series: {int(differs.sum())} of the "
            f"{len(overlap)} values they share differ (first at {stamp_text(overlap[differs.argmax()])}). "
            "Fix: give the same series the model was fitted on, or refit it with `tsforecast fit`."
        )
    if not differs.any():
        return None
    return (f"{int(differs.sum())} of the {len(overlap)} values the data shares with the model's history "
            f"differ (first at {stamp_text(overlap[differs.argmax()])}); the model keeps the values it was fitted on")


def _check_gap(model, present: pd.DatetimeIndex, fill_gap: bool) -> None:
    """Every timestamp from the model's next one to the data's last observed one has a value,
    unless ``fill_gap``: a gap silently interpolated would forecast from invented days."""
    cutoff, freq = model.cutoff_, model.freq_
    expected = pd.date_range(cutoff + freq, present[-1], freq=freq)
    missing = expected.difference(present)
    if fill_gap and 2 * len(missing) > len(expected):
        raise DataError(
            f"the gap after the model's last timestamp {stamp_text(cutoff)} is too long to fill: {len(missing)} of the "
            f"{len(expected)} values up to {stamp_text(present[-1])} are missing, so most would be invented. "
            "Fix: give the missing values, or refit the model with `tsforecast fit`."
        )
    if len(missing) and not fill_gap:
        where = (f"the model ends at {stamp_text(cutoff)}, so the next observation is {stamp_text(expected[0])}, "
                 f"but the data's first newer one is {stamp_text(present[0])}" if present[0] != expected[0] else
                 f"the data has no value for {listed([stamp_text(t) for t in missing])} after the model's last "
                 f"timestamp {stamp_text(cutoff)}")
        raise DataError(
            f"the data does not continue the model's series: {where} ({len(missing)} value(s) missing). "
            "Fix: give the missing values, or fill them by linear interpolation with --fill-gap (fill_gap = true)."
        )


def roll_forward(
    model, y: pd.Series, *, fill_gap: bool = False, allow_level_shift: bool = False, X: pd.DataFrame | None = None
) -> Continuation:
    """Append the observations of ``y`` newer than ``model``'s last timestamp (no refit).

    ``y`` is the data as read (e.g. a column of :func:`tsforecast.load_csv`): a longer copy
    of the model's series or only its newest observations. It is validated on the model's
    frequency and clock; the module docstring lists the checks, each a
    :class:`~tsforecast.core.errors.DataError` saying what is wrong and how to fix it. Nothing is
    appended when a check fails. No newer observation emits a :class:`StaleDataWarning`.
    ``X`` holds the regressors of the new observations for a model fitted with some.
    """
    cutoff, freq = model.cutoff_, model.freq_
    data = _on_model_clock(model, y)
    _check_frequency(model, data.index, getattr(y.index, "tz", None))
    # warnings wait until every check has passed: a refused run says one thing, the error
    notes = [note for note in [_check_overlap(model, data[data.index <= cutoff])] if note]
    newer = data[data.index > cutoff]
    present = newer.dropna().index.unique().sort_values()
    observed = data.dropna().index
    data_last = observed.max() if len(observed) else None
    if not len(present):
        shown = "has no values" if data_last is None else f"ends at {stamp_text(data_last)}"
        warnings.warn(
            f"no new data: the data {shown} and the model's last timestamp is {stamp_text(cutoff)}, so the "
            f"forecast is the one from {stamp_text(cutoff)} again. Fix: check that the latest data has arrived "
            "(--require-new-data / require_new_data = true makes this an error).",
            StaleDataWarning, stacklevel=2,
        )
        if notes:
            warnings.warn("; ".join(notes), DataRepairWarning, stacklevel=2)
        return Continuation(0, 0, cutoff, data_last, data)
    _check_gap(model, present, fill_gap)
    # the model's last observation first, so that a gap right after it is filled from it
    cleaned = clean_series(pd.concat([model.y_.iloc[-1:], newer.rename(model.y_.name)]), freq=freq)
    new_values = cleaned.series.iloc[1:]
    filled = new_values.index.difference(present)
    if not allow_level_shift:
        season = getattr(model, "season_", None) or infer_season(freq)
        check_level(model.y_, new_values.drop(filled), season,
                    what=f"the {len(present)} new value(s) after {stamp_text(cutoff)}")
    if cleaned.repairs:
        intro = f"after the model's last timestamp {stamp_text(cutoff)} (fill_gap): " if len(filled) else ""
        notes.append(intro + "; ".join(cleaned.repairs))
    if notes:
        warnings.warn("; ".join(notes), DataRepairWarning, stacklevel=2)
    model.update(new_values, X)
    return Continuation(len(new_values), len(filled), cutoff, data_last, data)


def continue_with(model, y: pd.Series, *, fill_gap: bool = False, allow_level_shift: bool = False) -> int:
    """:func:`roll_forward`, returning only how many observations were appended."""
    return roll_forward(model, y, fill_gap=fill_gap, allow_level_shift=allow_level_shift).appended
