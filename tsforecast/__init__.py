"""tsforecast: classical and neural forecasters behind one interface, honest backtests.

>>> import tsforecast
>>> rail = tsforecast.load_dataset("ridership")["rail"]
>>> tsforecast.get_model("snaive").fit(rail).predict(14)  # doctest: +SKIP
"""

from tsforecast import backtest
from tsforecast.backtest import BacktestResult
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
    FitWarning,
    ModelError,
    NotFittedError,
    TsforecastError,
)
from tsforecast.metrics import mae, mape, mase, rmse, smape
from tsforecast.models.auto_arima import AutoARIMA
from tsforecast.models.baseline import Drift, Mean, Naive, SeasonalNaive
from tsforecast.models.neural import GRU, LSTM, SimpleRNN, WaveNet
from tsforecast.models.statistical import AR, ARIMA, ARMA, SARIMA
from tsforecast.registry import available_models, get_model
from tsforecast.validation import clean_series, to_series

__version__ = "0.1.0"

__all__ = [
    "Forecaster",
    "Naive",
    "SeasonalNaive",
    "Drift",
    "Mean",
    "AR",
    "ARMA",
    "ARIMA",
    "SARIMA",
    "AutoARIMA",
    "SimpleRNN",
    "LSTM",
    "GRU",
    "WaveNet",
    "backtest",
    "BacktestResult",
    "available_models",
    "get_model",
    "available_datasets",
    "load_dataset",
    "load_csv",
    "load_cta_ridership",
    "fetch_cta_ridership",
    "clean_series",
    "to_series",
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "TsforecastError",
    "DataError",
    "ConfigError",
    "ModelError",
    "NotFittedError",
    "DataRepairWarning",
    "FitWarning",
    "__version__",
]
