"""Helpers of the monitoring tests: a fitted model's forecast and a backtest as the store's
rows, built by the functions the ``forecast`` and ``backtest`` commands record with
(:mod:`tsforecast.store.record`)."""

from __future__ import annotations

import pandas as pd

from tsforecast.backtest import backtest
from tsforecast.store.record import backtest_rows_of, forecast_rows_of


def backtest_rows(y: pd.Series, model: str, *, horizon: int = 14, n_windows: int = 5) -> pd.DataFrame:
    """A backtest of ``model`` on ``y`` as ``tsforecast backtest --store`` records it."""
    return backtest_rows_of(backtest(y, [model], horizon=horizon, n_windows=n_windows))


def forecast_rows(fitted, horizon: int, coverage: float = 0.8) -> pd.DataFrame:
    """A fitted model's forecast as ``tsforecast forecast --store`` records it."""
    table = fitted.predict_interval(horizon, coverage)
    table.insert(0, "forecast", fitted.predict(horizon))
    return forecast_rows_of(fitted, table, coverage)
