"""The backtest loop: every model on the same folds of every series, in one import.

The engine is split by concern; this module gathers its public names for the code that
imports them from here:

* :mod:`tsforecast.backtest.chains`: per-series chains of folds, their tasks, one chain's run;
* :mod:`tsforecast.backtest.fold_work`: one fold's refit decision, timed fit, forecast,
  failure row, diagnosis and MASE scale (shared with :mod:`tsforecast.backtest.global_chains`);
* :mod:`tsforecast.backtest.frame`: a fold's forecasts as arrays and the tidy forecast frame;
* :mod:`tsforecast.backtest.runner`: running tasks here, in worker processes or on Dask;
* :mod:`tsforecast.evaluation.intervals`: the recorded quantile levels and interval bounds.
"""

from __future__ import annotations

from tsforecast.backtest.chains import (
    REFIT_CHAINS,
    Chain,
    ChainTask,
    chain_tasks,
    plan_chains,
    run_chain,
    run_task,
)
from tsforecast.backtest.fold_work import (
    TIMEOUT_ERROR,
    describe_fit,
    diagnose_fit,
    failure,
    fit_notes,
    fit_time_limit,
    fold_groups,
    fold_scales,
    forecast_fold,
)
from tsforecast.backtest.frame import FORECAST_COLUMNS, ChainOutput, FoldForecast, quantile_column, utc_values
from tsforecast.backtest.runner import run_chains
from tsforecast.evaluation.intervals import QUANTILE_LEVELS, interval_columns, quantile_levels

__all__ = [
    "Chain", "ChainOutput", "ChainTask", "FoldForecast", "plan_chains", "chain_tasks", "run_chains", "run_task",
    "run_chain", "fold_scales", "fold_groups", "interval_columns", "forecast_fold", "failure", "FORECAST_COLUMNS",
    "QUANTILE_LEVELS", "quantile_levels", "quantile_column", "TIMEOUT_ERROR", "REFIT_CHAINS", "describe_fit",
    "diagnose_fit", "fit_notes", "fit_time_limit", "utc_values",
]
