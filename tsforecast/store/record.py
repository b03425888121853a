"""What a ``forecast`` or ``backtest`` run records in the store: its forecast rows in the
store's columns and its metadata, built from what the run already computed.

* a forecast: one row per step from the fitted model's last timestamp (the origin), the
  ``coverage`` interval's bounds as its two quantiles (``--coverage 0.8``: ``q0.1``, ``q0.9``),
  and the training series' seasonal-naive MASE scale (the season the backtest uses);
* a backtest: every fold's rows with the held-out actual as ``y_true``, the fold's scale and
  all its recorded quantiles, so its errors can serve later as the reference for drift.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tsforecast.core.frequency import infer_season
from tsforecast.core.provenance import plain_parameters, versions
from tsforecast.evaluation.intervals import interval_bounds
from tsforecast.evaluation.metrics import seasonal_naive_scale
from tsforecast.store.frames import quantile_column, utc_now

if TYPE_CHECKING:  # annotations only: a forecast run need not load the backtest package
    from tsforecast.backtest.result import BacktestResult

__all__ = ["forecast_rows_of", "forecast_meta", "backtest_rows_of", "backtest_meta"]


def forecast_rows_of(fitted: Any, table: pd.DataFrame, coverage: float) -> pd.DataFrame:
    """The store's rows of a forecast: ``table`` holds ``forecast``, ``lower`` and ``upper``
    (the ``coverage`` interval) indexed by the forecast timestamps; ``fitted`` is the model
    that made it (its training series ``y_``, last timestamp ``cutoff_`` and ``freq_``)."""
    lower, upper = interval_bounds(coverage)
    horizon = len(table)
    return pd.DataFrame({
        "series_id": str(fitted.y_.name) if fitted.y_.name is not None else "y",
        "model": fitted.short_name,
        "origin": fitted.cutoff_,
        "target_time": table.index,
        "step": np.arange(1, horizon + 1),
        "point": table["forecast"].to_numpy(dtype="float64"),
        # the MASE denominator at forecast time (NaN for a series no longer than its season)
        "scale": seasonal_naive_scale(fitted.y_.to_numpy(), infer_season(fitted.freq_)),
        quantile_column(lower): table["lower"].to_numpy(dtype="float64"),
        quantile_column(upper): table["upper"].to_numpy(dtype="float64"),
    })


def forecast_meta(fitted: Any, provenance: dict[str, Any], settings: dict[str, Any], started: dt.datetime,
                  run_folder: object) -> dict[str, Any]:
    """A forecast run's metadata: the model and its parameters, the data's hash, versions and
    times, and (as free JSON) the source, horizon, coverage and the run's folder."""
    return {
        "command": "forecast", "model": fitted.short_name, "parameters": plain_parameters(fitted),
        "data_sha256": provenance.get("data_sha256") or provenance.get("training_data_sha256"),
        "versions": versions(), "started_at": started, "finished_at": utc_now(),
        "fitted": getattr(fitted, "label_", fitted.short_name), "horizon": settings["horizon"],
        "coverage": settings["coverage"], "source": provenance.get("data") or provenance.get("model_file"),
        "model_file": provenance.get("model_file"), "run_folder": str(run_folder),
    }


def backtest_rows_of(result: BacktestResult) -> pd.DataFrame:
    """The store's rows of a backtest: every fold's forecasts with the actual as ``y_true``."""
    rows = result.forecasts
    quantiles = [quantile_column(level) for level in result.quantile_levels]
    return pd.DataFrame({
        "series_id": rows["series"].astype(str).to_numpy(), "model": rows["model"].to_numpy(),
        "origin": rows["cutoff"].to_numpy(), "target_time": rows["timestamp"].to_numpy(),
        "step": rows["step"].to_numpy(), "point": rows["forecast"].to_numpy(dtype="float64"),
        "scale": rows["scale"].to_numpy(dtype="float64"), "y_true": rows["actual"].to_numpy(dtype="float64"),
        **{column: rows[column].to_numpy(dtype="float64") for column in quantiles},
    })


def backtest_meta(result: BacktestResult, started: dt.datetime, run_folder: object) -> dict[str, Any]:
    """A backtest run's metadata: its models (comma-separated), the backtest's and the models'
    parameters, the data's hash, versions and times, and the source and the run's folder."""
    return {
        "command": "backtest", "model": ",".join(result.models),
        "parameters": {"backtest": result.parameters, "models": result.model_parameters},
        "data_sha256": result.metadata.get("data_hash"), "versions": result.metadata.get("versions") or versions(),
        "started_at": started, "finished_at": utc_now(), "source": result.metadata.get("source"),
        "series": len(result.data), "failures": len(result.failures), "run_folder": str(run_folder),
    }
