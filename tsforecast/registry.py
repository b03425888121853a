"""The model registry: CLI name -> Forecaster class.

The CLI's choices, the README's model table and the contract test suite all read
:data:`MODELS`, so a model registered here is documented and tested everywhere at once.
"""

from __future__ import annotations

import difflib
import inspect

from tsforecast.base import Forecaster
from tsforecast.errors import ConfigError
from tsforecast.models.auto import Auto
from tsforecast.models.auto_arima import AutoARIMA
from tsforecast.models.baseline import Drift, Mean, Naive, SeasonalNaive
from tsforecast.models.ets import ETS
from tsforecast.models.neural import GRU, LSTM, SimpleRNN, WaveNet
from tsforecast.models.ridge import LagRidge
from tsforecast.models.statistical import AR, ARIMA, ARMA, SARIMA
from tsforecast.models.theta import Theta

__all__ = ["MODELS", "available_models", "get_model", "model_parameters"]

MODELS: dict[str, type[Forecaster]] = {
    cls.short_name: cls
    for cls in (Naive, SeasonalNaive, Drift, Mean, AR, ARMA, ARIMA, SARIMA, AutoARIMA, ETS, Theta, LagRidge,
                SimpleRNN, LSTM, GRU, WaveNet, Auto)
}


def available_models() -> list[str]:
    """Registered model names, in registry order."""
    return list(MODELS)


def model_parameters(name: str) -> dict[str, object]:
    """A model's constructor parameters with their defaults."""
    cls = _model_class(name)
    signature = inspect.signature(cls.__init__)
    return {
        p.name: p.default for p in signature.parameters.values() if p.name != "self"
    }


def _model_class(name: str) -> type[Forecaster]:
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in MODELS:
        close = difflib.get_close_matches(str(key), list(MODELS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"unknown model {name!r}.{hint} Available models: {', '.join(MODELS)}."
        )
    return MODELS[key]


def get_model(name: str, **params: object) -> Forecaster:
    """Build the model registered as ``name`` with ``params``.

    >>> get_model("snaive", season=7)
    SeasonalNaive(season=7)
    """
    cls = _model_class(name)
    accepted = model_parameters(name)
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ConfigError(
            f"model {name!r} has no parameter(s) {', '.join(unknown)}; its parameters are: "
            f"{', '.join(accepted) or '(none)'}."
        )
    return cls(**params)
