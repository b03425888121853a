"""How ``auto`` scores a candidate's validation forecasts: MASE, or RMSSE on intermittent demand.

Both are scaled errors averaged over the validation folds, so a fold on a quiet stretch counts
as much as one on a busy stretch:

* ``"mase"`` (the default): each fold's absolute errors over its in-sample seasonal-naive MAE
  (the ``scale`` column the backtest writes);
* ``"rmsse"`` (intermittent demand, see :mod:`tsforecast.selection.candidates`): each fold's
  RMSE over the in-sample one-step naive RMSE of the history before it (M5's measure,
  :func:`~tsforecast.evaluation.metrics.rmsse`), which rewards the mean demand rate rather
  than the zero median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsforecast.evaluation.intervals import normal_z
from tsforecast.evaluation.metrics import mase_with_scale, rmsse

__all__ = ["METRICS", "calibration_ratios", "validation_score"]

#: the errors ``auto`` can rank by
METRICS = ("mase", "rmsse")


def validation_score(rows: pd.DataFrame, y: pd.Series, metric: str) -> float:
    """``metric`` of validation ``rows`` (``cutoff``, ``actual``, ``forecast`` and ``scale``
    columns, as a backtest writes them) of a model of the history ``y``; NaN when undefined."""
    if metric == "mase":
        return mase_with_scale(rows["actual"], rows["forecast"], rows["scale"])
    cutoffs = rows["cutoff"] if "cutoff" in rows else rows.index.get_level_values("cutoff")
    per_fold = [rmsse(fold["actual"], fold["forecast"], y_train=y.loc[:cutoff].to_numpy(), season=1)
                for cutoff, fold in rows.groupby(np.asarray(cutoffs))]
    return float(np.mean(per_fold)) if per_fold else float("nan")


def calibration_ratios(frames: list[pd.DataFrame], median: bool, coverage: float) -> np.ndarray:
    """The validation errors of the combination (mean, or ``median``) of ``frames`` over its
    interval scale at each common point: the members' mean ``coverage`` interval half-width
    divided by its normal quantile. ``auto`` calibrates its intervals with them."""
    common = frames[0].index
    for frame in frames[1:]:
        common = common.intersection(frame.index)
    stacked = np.stack([f.loc[common, "forecast"].to_numpy() for f in frames])
    point = np.median(stacked, axis=0) if median else stacked.mean(axis=0)
    z = normal_z(coverage)
    scale = np.mean([(f.loc[common, "upper"] - f.loc[common, "lower"]).to_numpy() / (2 * z) for f in frames], axis=0)
    actual = frames[0].loc[common, "actual"].to_numpy()
    return np.abs(actual - point) / np.maximum(scale, 1e-12)
