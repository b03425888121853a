"""Rolling a fitted (or loaded) model forward onto a longer copy of its series.

A scheduled job fits weekly and forecasts daily from the saved model with the day's data
file, which repeats the history the model already has and adds newer observations. Only the
newer ones are appended (with :meth:`~tsforecast.base.Forecaster.update`, no refit), after
checking that the file continues the model's series: same frequency, no gap after the
model's last timestamp, and the same values where the two overlap.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from tsforecast.errors import DataError, DataRepairWarning
from tsforecast.frequency import freq_label

__all__ = ["continue_with", "REVISED_SHARE"]

#: above this share of differing overlapping values the data is taken for another series
REVISED_SHARE = 0.5


def continue_with(model, y: pd.Series) -> int:
    """Append the observations of ``y`` newer than ``model``'s last timestamp; returns how
    many. ``y`` must be clean (see :func:`tsforecast.clean_series`) and continue the model's
    series; a :class:`~tsforecast.errors.DataError` says how it does not. A few revised
    overlapping values (data providers correct past days) are reported as a warning: the
    model keeps the history it was fitted on."""
    cutoff, freq = model.cutoff_, model.freq_
    if y.index.freq is not None and y.index.freq != freq:
        raise DataError(
            f"the data is {freq_label(y.index.freq)} but the model was fitted on {freq_label(freq)} data."
        )
    history = model.y_
    overlap = history.index.intersection(y.index)
    if len(overlap):
        saved, given = history.loc[overlap].to_numpy(), y.loc[overlap].to_numpy()
        differs = ~np.isclose(saved, given, rtol=1e-9, atol=0.0)
        if differs.mean() > REVISED_SHARE:
            raise DataError(
                f"the data does not continue the model's series: {int(differs.sum())} of the "
                f"{len(overlap)} values they share differ (first at {overlap[differs.argmax()]}). "
                "Fix: give the same series the model was fitted on, or refit it with `tsforecast fit`."
            )
        if differs.any():
            warnings.warn(
                f"{int(differs.sum())} of the {len(overlap)} values the data shares with the model's history "
                f"differ (first at {overlap[differs.argmax()]}); the model keeps the values it was fitted on.",
                DataRepairWarning, stacklevel=2,
            )
    newer = y.loc[y.index > cutoff]
    if newer.empty:
        return 0
    expected = cutoff + freq
    if newer.index[0] != expected:
        raise DataError(
            f"the data does not continue the model's series: the model ends at {cutoff}, so the next "
            f"observation is {expected}, but the data's first newer one is {newer.index[0]}."
        )
    model.update(newer)
    return len(newer)
