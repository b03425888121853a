"""The backtest's tables put in their documented order, with numpy instead of per-row pandas.

The forecasts come back from the engine in the order their blocks finished merging (plan
order), as one :class:`~tsforecast.backtest.frame.ForecastBlock` of folds; the tidy frame a
user reads is sorted by series (by name), model (in the order given), cutoff and step, and
carries each fold's MASE scale. Both are worked out per fold (a few thousand folds, not tens
of thousands of rows): one ``np.lexsort`` of the folds, each fold's scale found with one
``searchsorted``, and the frame built once from arrays taken in that order (a fold's steps
already ascend). No pandas merge, no sort with a key function, no copy of a finished frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from tsforecast.backtest.frame import ForecastBlock, _stamps, empty_forecast_frame, quantile_column
from tsforecast.backtest.splits import Fold
from tsforecast.evaluation.metrics import seasonal_naive_scales_panel

__all__ = ["tidy_forecasts", "in_plan_order"]


def _nanoseconds(values: object) -> np.ndarray:
    """Timestamps (a column, an index or datetime64 values) as int64 nanoseconds since the
    epoch (UTC for aware ones), comparable whatever their unit."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def tidy_forecasts(
    block: ForecastBlock | None,
    levels: Sequence[float],
    folds: Mapping[str, Sequence[Fold]],
    stamps: Mapping[str, np.ndarray],
    values: Mapping[str, np.ndarray],
    season: int,
    labels: Sequence[str],
) -> pd.DataFrame:
    """The tidy forecast frame of ``block`` (the engine's folds; quantile columns for
    ``levels``) sorted by series name, model (in ``labels`` order), cutoff and step, with a
    last column ``scale``: each row's fold's in-sample seasonal-naive MAE
    (:func:`~tsforecast.evaluation.metrics.seasonal_naive_scales_panel` over the series'
    ``values``; ``stamps`` are the series' datetime64 timestamps)."""
    if block is None or not len(block.lengths):
        return empty_forecast_frame(tuple(levels)).assign(scale=pd.Series(dtype="float64"))
    codes, names = pd.factorize(block.series)
    cutoffs = _nanoseconds(block.cutoff)
    # every fold's scale, series in the order of ``names``, cutoffs ascending within each
    ends = [np.fromiter((f.train_end for f in folds[name]), dtype="int64") for name in names]
    scales = seasonal_naive_scales_panel([values[name] for name in names],
                                         [[f.train_start for f in folds[name]] for name in names], ends, season)
    table_cutoffs = _nanoseconds(np.concatenate([stamps[name][own - 1] for name, own in zip(names, ends,
                                                                                          strict=True)]))
    table_series = np.repeat(np.arange(len(names)), [len(own) for own in ends])
    distinct = np.unique(table_cutoffs)
    width = len(distinct) + 1
    # (series, cutoff) as one integer key; the table's keys ascend, so one searchsorted finds each fold's own
    table_keys = table_series * width + np.searchsorted(distinct, table_cutoffs)
    fold_keys = codes * width + np.searchsorted(distinct, cutoffs)
    at = np.minimum(np.searchsorted(table_keys, fold_keys), len(table_keys) - 1)
    scale = np.where(table_keys[at] == fold_keys, scales[at], np.nan)
    series_rank = np.argsort(np.argsort(np.asarray(names, dtype=object), kind="stable"), kind="stable")
    model_codes, models = pd.factorize(block.model)
    position = {label: k for k, label in enumerate(labels)}
    model_rank = np.array([position.get(m, len(position)) for m in models])
    # folds in order; within a fold the steps ascend, so the rows follow their folds
    order = np.lexsort((cutoffs, model_rank[model_codes], series_rank[codes]))
    lengths = block.lengths[order]
    starts = (np.cumsum(block.lengths) - block.lengths)[order]
    total = int(lengths.sum())
    steps = np.arange(1, total + 1) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = None if (order[1:] > order[:-1]).all() else np.repeat(starts, lengths) + steps - 1

    def by_row(column: np.ndarray) -> np.ndarray:
        return column if rows is None else column[rows]

    quantiles = by_row(block.quantiles)
    return pd.DataFrame({
        "series": np.repeat(block.series[order], lengths),
        "model": np.repeat(block.model[order], lengths),
        "cutoff": _stamps(np.repeat(block.cutoff[order], lengths), block.tz),
        "timestamp": _stamps(by_row(block.timestamps), block.tz),
        "step": steps,
        "actual": by_row(block.actual), "forecast": by_row(block.forecast),
        "lower": by_row(block.lower), "upper": by_row(block.upper),
        **{quantile_column(level): quantiles[:, j] for j, level in enumerate(levels)},
        "scale": np.repeat(scale[order], lengths),
    })


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
