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

from tsforecast import moved
from tsforecast.core.version import __version__

# The library logs through the standard logging module and prints nothing: without a
# handler configured by the application, its records go nowhere.
logging.getLogger(__name__).addHandler(logging.NullHandler())

moved.install()  # old module paths (tsforecast.base, tsforecast.errors...) keep working

# public name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "Forecaster": "tsforecast.models.base",
    "Naive": "tsforecast.models.baseline",
    "SeasonalNaive": "tsforecast.models.baseline",
    "Drift": "tsforecast.models.baseline",
    "Mean": "tsforecast.models.baseline",
    "AR": "tsforecast.models.arima.estimators",
    "ARMA": "tsforecast.models.arima.estimators",
    "ARIMA": "tsforecast.models.arima.estimators",
    "SARIMA": "tsforecast.models.arima.estimators",
    "AutoARIMA": "tsforecast.models.arima.auto_arima",
    "Auto": "tsforecast.selection.auto",
    "ETS": "tsforecast.models.ets",
    "Theta": "tsforecast.models.theta",
    "AutoTheta": "tsforecast.models.auto_theta",
    "MSTL": "tsforecast.models.mstl",
    "LagRidge": "tsforecast.models.ridge",
    "Croston": "tsforecast.models.intermittent",
    "CrostonSBA": "tsforecast.models.intermittent",
    "TSB": "tsforecast.models.intermittent",
    "ADIDA": "tsforecast.models.intermittent",
    "IMAPA": "tsforecast.models.intermittent",
    "intermittency": "tsforecast.models.intermittent",
    "SimpleRNN": "tsforecast.models.neural.estimator",
    "LSTM": "tsforecast.models.neural.estimator",
    "GRU": "tsforecast.models.neural.estimator",
    "WaveNet": "tsforecast.models.neural.estimator",
    "BacktestResult": "tsforecast.backtest.result",
    "write_report": "tsforecast.report",
    "monitor": "tsforecast.monitoring.run",
    "MonitorResult": "tsforecast.monitoring.run",
    "plot_forecast": "tsforecast.plotting",
    "load": "tsforecast.persistence",
    "available_models": "tsforecast.registry",
    "get_model": "tsforecast.registry",
    "available_datasets": "tsforecast.data.datasets",
    "load_dataset": "tsforecast.data.datasets",
    "load_csv": "tsforecast.data.datasets",
    "load_cta_ridership": "tsforecast.data.datasets",
    "fetch_cta_ridership": "tsforecast.data.datasets",
    "holiday_features": "tsforecast.data.calendar",
    "parse_holidays": "tsforecast.data.calendar",
    "Store": "tsforecast.store",
    "clean_series": "tsforecast.data.validation",
    "to_series": "tsforecast.data.validation",
    "mae": "tsforecast.evaluation.metrics",
    "rmse": "tsforecast.evaluation.metrics",
    "mape": "tsforecast.evaluation.metrics",
    "smape": "tsforecast.evaluation.metrics",
    "mase": "tsforecast.evaluation.metrics",
    "TsforecastError": "tsforecast.core.errors",
    "DataError": "tsforecast.core.errors",
    "ConfigError": "tsforecast.core.errors",
    "ModelError": "tsforecast.core.errors",
    "NotFittedError": "tsforecast.core.errors",
    "ModelFileError": "tsforecast.core.errors",
    "FitTimeoutError": "tsforecast.core.errors",
    "StoreError": "tsforecast.core.errors",
    "DataRepairWarning": "tsforecast.core.errors",
    "FitWarning": "tsforecast.core.errors",
}

# subpackages and modules reachable as attributes after a bare ``import tsforecast``
_SUBPACKAGES: dict[str, str] = {
    "backtest": "tsforecast.backtest",
    "hierarchy": "tsforecast.hierarchy",
    "report": "tsforecast.report",
    "persistence": "tsforecast.persistence",
    "scoring": "tsforecast.evaluation.scoring",
    "plotting": "tsforecast.plotting",
}

__all__ = [*_EXPORTS, *_SUBPACKAGES, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(_SUBPACKAGES[name])
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'tsforecast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static analysers and IDEs see the real names
    from tsforecast import backtest, hierarchy, persistence, plotting, report
    from tsforecast.backtest.result import BacktestResult
    from tsforecast.core.errors import (
        ConfigError,
        DataError,
        DataRepairWarning,
        FitTimeoutError,
        FitWarning,
        ModelError,
        ModelFileError,
        NotFittedError,
        StoreError,
        TsforecastError,
    )
    from tsforecast.data.datasets import (
        available_datasets,
        fetch_cta_ridership,
        load_csv,
        load_cta_ridership,
        load_dataset,
    )
    from tsforecast.data.validation import clean_series, to_series
    from tsforecast.evaluation import scoring
    from tsforecast.evaluation.metrics import mae, mape, mase, rmse, smape
    from tsforecast.models.arima.auto_arima import AutoARIMA
    from tsforecast.models.arima.estimators import AR, ARIMA, ARMA, SARIMA
    from tsforecast.models.auto_theta import AutoTheta
    from tsforecast.models.base import Forecaster
    from tsforecast.models.baseline import Drift, Mean, Naive, SeasonalNaive
    from tsforecast.models.ets import ETS
    from tsforecast.models.intermittent import ADIDA, IMAPA, TSB, Croston, CrostonSBA, intermittency
    from tsforecast.models.mstl import MSTL
    from tsforecast.models.neural.estimator import GRU, LSTM, SimpleRNN, WaveNet
    from tsforecast.models.ridge import LagRidge
    from tsforecast.models.theta import Theta
    from tsforecast.monitoring.run import MonitorResult, monitor
    from tsforecast.persistence import load
    from tsforecast.plotting import plot_forecast
    from tsforecast.registry import available_models, get_model
    from tsforecast.report import write_report
    from tsforecast.selection.auto import Auto
    from tsforecast.store import Store
