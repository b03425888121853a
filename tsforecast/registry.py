"""The model registry: CLI name -> Forecaster class, by dotted path, imported on first use.

The CLI's choices, ``tsforecast models``, the README's model table and the contract test suite
all read this registry, so a model registered here is documented and tested everywhere at once.
Names are known without importing any model, so a misspelt ``--models`` is refused at once;
a class (and statsmodels or PyTorch behind it) is imported only when that model is used.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tsforecast.core.errors import ConfigError

# The registry sits below the models and imports none of them, not even for type hints (an
# import cycle is one whichever way it is spelt): a class here is a Forecaster subclass, typed
# as ``type``, and a model as ``Any``.

__all__ = ["MODELS", "ModelEntry", "REGISTRY", "available_models", "check_model_names", "get_model",
           "model_class", "model_parameters", "model_summary"]


@dataclass(frozen=True)
class ModelEntry:
    """Where a registered model's class lives (``module:Class``) and what it is, in one line."""

    path: str
    summary: str


#: name -> entry, in the order ``tsforecast models`` lists them
REGISTRY: dict[str, ModelEntry] = {
    "naive": ModelEntry("tsforecast.models.baseline:Naive",
                        "the last value, repeated: the baseline for random walks and prices"),
    "snaive": ModelEntry("tsforecast.models.baseline:SeasonalNaive",
                         "the last season, repeated: the baseline for seasonal data (MASE's yardstick)"),
    "drift": ModelEntry("tsforecast.models.baseline:Drift",
                        "the line from the first to the last value, extended: a trending baseline"),
    "mean": ModelEntry("tsforecast.models.baseline:Mean", "the training mean: the baseline for noise around a level"),
    "ar": ModelEntry("tsforecast.models.arima.estimators:AR",
                     "autoregression AR(p): short-memory dynamics, no season"),
    "arma": ModelEntry("tsforecast.models.arima.estimators:ARMA", "ARMA(p, q) on a stationary series"),
    "arima": ModelEntry("tsforecast.models.arima.estimators:ARIMA",
                        "ARIMA(p, d, q): differenced for trends, no season"),
    "sarima": ModelEntry("tsforecast.models.arima.estimators:SARIMA",
                         "seasonal ARIMA with fixed orders (default (1,0,0)(0,1,1)[season])"),
    "auto_arima": ModelEntry("tsforecast.models.arima.auto_arima:AutoARIMA",
                             "ARIMA with orders chosen by a stepwise AICc search (as R's auto.arima)"),
    "ets": ModelEntry("tsforecast.models.ets:ETS",
                      "exponential smoothing (error, trend, season) with the form chosen by AICc"),
    "theta": ModelEntry("tsforecast.models.theta:Theta",
                        "the Theta method on the deseasonalised series: cheap and strong on short series"),
    "auto_theta": ModelEntry("tsforecast.models.auto_theta:AutoTheta",
                             "standard, optimised and dynamic Theta models, the best by in-sample error"),
    "croston": ModelEntry("tsforecast.models.intermittent:Croston",
                          "Croston's method for intermittent demand: smoothed sizes over smoothed intervals"),
    "croston_sba": ModelEntry("tsforecast.models.intermittent:CrostonSBA",
                              "Croston with the Syntetos-Boylan bias correction (x 0.95): intermittent demand"),
    "tsb": ModelEntry("tsforecast.models.intermittent:TSB",
                      "Teunter-Syntetos-Babai: smoothed size times smoothed occurrence (demand that dies out)"),
    "adida": ModelEntry("tsforecast.models.intermittent:ADIDA",
                        "aggregate to the mean demand interval, smooth, disaggregate: intermittent demand"),
    "imapa": ModelEntry("tsforecast.models.intermittent:IMAPA",
                        "ADIDA averaged over aggregation levels 1..mean demand interval: intermittent demand"),
    "mstl": ModelEntry("tsforecast.models.mstl:MSTL",
                       "several seasons (day and week, week and year) removed by STL, ETS on the rest"),
    "ridge": ModelEntry("tsforecast.models.ridge:LagRidge",
                        "direct ridge regression on recent lags, last year and the calendar (long daily data)"),
    "rnn": ModelEntry("tsforecast.models.neural:SimpleRNN", "Elman recurrent network on a window of recent values"),
    "lstm": ModelEntry("tsforecast.models.neural:LSTM", "LSTM network on a window of recent values (and covariates)"),
    "gru": ModelEntry("tsforecast.models.neural:GRU", "GRU network on a window of recent values (and covariates)"),
    "wavenet": ModelEntry("tsforecast.models.neural:WaveNet",
                          "WaveNet-style dilated causal convolutions over a long window"),
    "combo": ModelEntry("tsforecast.selection.combo:Combo",
                        "the mean of the ETS, ARIMA and Theta forecasts (the M4 combination)"),
    "auto": ModelEntry("tsforecast.selection.auto:Auto",
                       "chooses and combines models per series by validation on its training data"),
}


def available_models() -> list[str]:
    """Registered model names, in registry order."""
    return list(REGISTRY)


def _key(name: object) -> str:
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in REGISTRY:
        close = difflib.get_close_matches(str(key), list(REGISTRY), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown model {name!r}.{hint} Available models: {', '.join(REGISTRY)}.")
    return key


def check_model_names(names: list[str]) -> None:
    """A :class:`ConfigError` for the first name that is not registered (nothing is imported)."""
    for name in names:
        _key(name)


def model_summary(name: str) -> str:
    """The registered model's one-line description."""
    return REGISTRY[_key(name)].summary


def model_class(name: str) -> type:
    """The class registered as ``name``, imported now if it was not yet."""
    module, _, attribute = REGISTRY[_key(name)].path.partition(":")
    return getattr(importlib.import_module(module), attribute)


class _Classes(Mapping):
    """name -> class, each imported when it is first looked up."""

    def __getitem__(self, name: str) -> type:
        if name not in REGISTRY:
            raise KeyError(name)
        return model_class(name)

    def __contains__(self, name: object) -> bool:
        return name in REGISTRY  # without importing the class

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)


#: name -> Forecaster class (a read-only mapping; looking a class up imports it)
MODELS: Mapping[str, type] = _Classes()


def model_parameters(name: str) -> dict[str, object]:
    """A model's constructor parameters with their defaults."""
    signature = inspect.signature(model_class(name).__init__)
    return {p.name: p.default for p in signature.parameters.values() if p.name != "self"}


def get_model(name: str, **params: object) -> Any:
    """Build the model registered as ``name`` with ``params``.

    >>> get_model("snaive", season=7)
    SeasonalNaive(season=7)
    """
    accepted = model_parameters(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ConfigError(
            f"model {name!r} has no parameter(s) {', '.join(unknown)}; its parameters are: "
            f"{', '.join(accepted) or '(none)'}."
        )
    return model_class(name)(**params)
