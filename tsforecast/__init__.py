"""tsforecast: classical and neural forecasters behind one interface, honest backtests.

>>> import tsforecast
>>> rail = tsforecast.load_dataset("ridership")["rail"]
>>> tsforecast.get_model("snaive").fit(rail).predict(14)  # doctest: +SKIP

The public names below are imported on first use (PEP 562), so ``import tsforecast`` and
``tsforecast --help`` stay fast: statsmodels and PyTorch load only when a model needs them.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

# The library logs through the standard logging module and prints nothing: without a
# handler configured by the application, its records go nowhere.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "Forecaster": "tsforecast.base",
    "Naive": "tsforecast.models.baseline",
    "SeasonalNaive": "tsforecast.models.baseline",
    "Drift": "tsforecast.models.baseline",
    "Mean": "tsforecast.models.baseline",
    "AR": "tsforecast.models.statistical",
    "ARMA": "tsforecast.models.statistical",
    "ARIMA": "tsforecast.models.statistical",
    "SARIMA": "tsforecast.models.statistical",
    "AutoARIMA": "tsforecast.models.auto_arima",
    "Auto": "tsforecast.models.auto",
    "ETS": "tsforecast.models.ets",
    "Theta": "tsforecast.models.theta",
    "LagRidge": "tsforecast.models.ridge",
    "SimpleRNN": "tsforecast.models.neural",
    "LSTM": "tsforecast.models.neural",
    "GRU": "tsforecast.models.neural",
    "WaveNet": "tsforecast.models.neural",
    "BacktestResult": "tsforecast.backtest.result",
    "write_report": "tsforecast.report",
    "plot_forecast": "tsforecast.plotting",
    "load": "tsforecast.persistence",
    "available_models": "tsforecast.registry",
    "get_model": "tsforecast.registry",
    "available_datasets": "tsforecast.datasets",
    "load_dataset": "tsforecast.datasets",
    "load_csv": "tsforecast.datasets",
    "load_cta_ridership": "tsforecast.datasets",
    "fetch_cta_ridership": "tsforecast.datasets",
    "clean_series": "tsforecast.validation",
    "to_series": "tsforecast.validation",
    "mae": "tsforecast.metrics",
    "rmse": "tsforecast.metrics",
    "mape": "tsforecast.metrics",
    "smape": "tsforecast.metrics",
    "mase": "tsforecast.metrics",
    "TsforecastError": "tsforecast.errors",
    "DataError": "tsforecast.errors",
    "ConfigError": "tsforecast.errors",
    "ModelError": "tsforecast.errors",
    "NotFittedError": "tsforecast.errors",
    "ModelFileError": "tsforecast.errors",
    "FitTimeoutError": "tsforecast.errors",
    "DataRepairWarning": "tsforecast.errors",
    "FitWarning": "tsforecast.errors",
}

# subpackages and modules reachable as attributes after a bare ``import tsforecast``
_SUBPACKAGES = ("backtest", "report", "persistence", "scoring", "plotting")

__all__ = [*_EXPORTS, *_SUBPACKAGES, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"tsforecast.{name}")
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'tsforecast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static analysers and IDEs see the real names
    from tsforecast import backtest, persistence, plotting, report, scoring
    from tsforecast.backtest.result import BacktestResult
    from tsforecast.base import Forecaster
    from tsforecast.datasets import (
        available_datasets,
        fetch_cta_ridership,
        load_csv,
        load_cta_ridership,
        load_dataset,
    )
    from tsforecast.errors import (
        ConfigError,
        DataError,
        DataRepairWarning,
        FitTimeoutError,
        FitWarning,
        ModelError,
        ModelFileError,
        NotFittedError,
        TsforecastError,
    )
    from tsforecast.metrics import mae, mape, mase, rmse, smape
    from tsforecast.models.auto import Auto
    from tsforecast.models.auto_arima import AutoARIMA
    from tsforecast.models.baseline import Drift, Mean, Naive, SeasonalNaive
    from tsforecast.models.ets import ETS
    from tsforecast.models.neural import GRU, LSTM, SimpleRNN, WaveNet
    from tsforecast.models.ridge import LagRidge
    from tsforecast.models.statistical import AR, ARIMA, ARMA, SARIMA
    from tsforecast.models.theta import Theta
    from tsforecast.persistence import load
    from tsforecast.plotting import plot_forecast
    from tsforecast.registry import available_models, get_model
    from tsforecast.report import write_report
    from tsforecast.validation import clean_series, to_series
