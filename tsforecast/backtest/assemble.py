"""The backtest's tables put in their documented order, with numpy instead of per-row pandas.

The forecasts come back from the engine in the order their blocks finished merging (plan
order); the tidy frame a user reads is sorted by series (by name), model (in the order given),
cutoff and step, and carries each fold's MASE scale. Both are done here with integer codes,
one ``np.lexsort`` and one ``searchsorted`` lookup, instead of a pandas merge and a sort with
a key function over every row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tsforecast.backtest.splits import Fold
from tsforecast.evaluation.metrics import seasonal_naive_scales_panel

__all__ = ["tidy_forecasts", "in_plan_order"]


def _nanoseconds(values: object) -> np.ndarray:
    """Timestamps (a column, an index or datetime64 values) as int64 nanoseconds since the
    epoch (UTC for aware ones), comparable whatever their unit."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def tidy_forecasts(
    frame: pd.DataFrame,
    folds: Mapping[str, Sequence[Fold]],
    stamps: Mapping[str, np.ndarray],
    values: Mapping[str, np.ndarray],
    season: int,
    labels: Sequence[str],
) -> pd.DataFrame:
    """``frame`` (the engine's forecast frame) sorted by series name, model (in ``labels``
    order), cutoff and step, with a last column ``scale``: each row's fold's in-sample
    seasonal-naive MAE (:func:`~tsforecast.evaluation.metrics.seasonal_naive_scales_panel` over the
    series' ``values``; ``stamps`` are the series' datetime64 timestamps)."""
    if frame.empty:
        return frame.assign(scale=pd.Series(dtype="float64"))
    codes, names = pd.factorize(frame["series"])
    cutoffs = _nanoseconds(frame["cutoff"])
    # every fold's scale, series in the order of ``names``, cutoffs ascending within each
    ends = [np.array([f.train_end for f in folds[name]]) for name in names]
    own_cutoffs = [stamps[name][own - 1] for name, own in zip(names, ends, strict=True)]
    scales = seasonal_naive_scales_panel([values[name] for name in names],
                                         [[f.train_start for f in folds[name]] for name in names], ends, season)
    table_cutoffs = _nanoseconds(np.concatenate(own_cutoffs))
    table_series = np.repeat(np.arange(len(names)), [len(c) for c in own_cutoffs])
    distinct = np.unique(table_cutoffs)
    width = len(distinct) + 1
    # (series, cutoff) as one integer key; the table's keys ascend, so one searchsorted finds each row's fold
    table_keys = table_series * width + np.searchsorted(distinct, table_cutoffs)
    row_keys = codes * width + np.searchsorted(distinct, cutoffs)
    at = np.minimum(np.searchsorted(table_keys, row_keys), len(table_keys) - 1)
    scale = np.where(table_keys[at] == row_keys, scales[at], np.nan)
    series_rank = np.argsort(np.argsort(np.asarray(names, dtype=object), kind="stable"), kind="stable")
    model_codes, models = pd.factorize(frame["model"])
    position = {label: k for k, label in enumerate(labels)}
    model_rank = np.array([position.get(m, len(position)) for m in models])
    order = np.lexsort((frame["step"].to_numpy(), cutoffs, model_rank[model_codes], series_rank[codes]))
    frame = frame.assign(scale=scale)
    if not (order[1:] > order[:-1]).all():
        frame = frame.take(order)
    return frame.reset_index(drop=True)


def in_plan_order(timings: pd.DataFrame, series: Sequence[str], labels: Sequence[str]) -> pd.DataFrame:
    """``timings`` ordered by series (in the panel's order), model (in ``labels`` order) and
    cutoff, whichever order the engine's blocks produced them in."""
    if timings.empty:
        return timings.reset_index(drop=True)
    series_position = {name: k for k, name in enumerate(series)}
    model_position = {label: k for k, label in enumerate(labels)}
    codes, names = pd.factorize(timings["series"])
    model_codes, models = pd.factorize(timings["model"])
    order = np.lexsort((
        _nanoseconds(timings["cutoff"]),
        np.array([model_position.get(m, len(model_position)) for m in models])[model_codes],
        np.array([series_position.get(n, len(series_position)) for n in names])[codes],
    ))
    return timings.take(order).reset_index(drop=True)
