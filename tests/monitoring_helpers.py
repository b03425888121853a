"""Helpers of the monitoring tests: a backtest result and a fitted model's forecast as the
store's forecast frames, the way the ``backtest`` and ``forecast`` commands record them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tsforecast.backtest import backtest
from tsforecast.evaluation.metrics import seasonal_naive_scale


def backtest_frame(y: pd.Series, model: str, series_id: str, *, horizon: int = 14, n_windows: int = 5) -> pd.DataFrame:
    """A backtest of ``model`` on ``y`` as the store keeps it (with ``y_true`` and its quantiles)."""
    result = backtest(y, [model], horizon=horizon, n_windows=n_windows)
    rows = result.forecasts[result.forecasts["model"] == model]
    levels = [c for c in rows.columns if isinstance(c, str) and c.startswith("q")]
    return pd.DataFrame({
        "series_id": series_id, "model": model, "origin": rows["cutoff"].to_numpy(),
        "target_time": rows["timestamp"].to_numpy(), "step": rows["step"].to_numpy(),
        "point": rows["forecast"].to_numpy(), "scale": rows["scale"].to_numpy(), "y_true": rows["actual"].to_numpy(),
        **{c: rows[c].to_numpy() for c in levels},
    })


def forecast_frame(fitted, series_id: str, horizon: int, coverage: float = 0.8) -> pd.DataFrame:
    """A fitted model's forecast as ``tsforecast forecast`` records it: the point, the two
    quantiles bounding its ``coverage`` interval and the training series' MASE scale."""
    lower, upper = round((1 - coverage) / 2, 12), round((1 + coverage) / 2, 12)
    point = fitted.predict(horizon)
    bounds = fitted.predict_quantiles(horizon, quantiles=(lower, upper))
    return pd.DataFrame({
        "series_id": series_id, "model": fitted.short_name, "origin": fitted.cutoff_,
        "target_time": point.index, "step": np.arange(1, horizon + 1), "point": point.to_numpy(),
        "scale": seasonal_naive_scale(fitted.y_.to_numpy(), fitted.season_),
        f"q{lower:g}": bounds[lower].to_numpy(), f"q{upper:g}": bounds[upper].to_numpy(),
    })
