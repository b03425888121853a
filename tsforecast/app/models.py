"""The models a command runs: their names checked against the registry (without importing
any model), built with their parameters, and trained with a progress bar."""

from __future__ import annotations

from typing import Any

from tsforecast.app.console import err, progress
from tsforecast.core.errors import ConfigError

__all__ = ["model_names", "build_models", "one_model", "only_for", "train"]


def model_names(spec: str, params: dict[str, dict]) -> list[str]:
    """The model names of ``--models``, checked against the registry and ``--param`` without
    importing any model (statsmodels and PyTorch take seconds to load: a typo is told at once)."""
    from tsforecast.registry import check_model_names

    names = [name.strip().lower() for name in str(spec).split(",") if name.strip()]
    if not names:
        raise ConfigError("--models is empty; give a comma-separated list such as sarima,lstm.")
    check_model_names(names)
    unknown_params = sorted(set(params) - set(names))
    if unknown_params:
        raise ConfigError(f"parameters (--param or model_params) for {', '.join(unknown_params)}, which are not "
                          "in --models.")
    return names


def build_models(names: list[str], params: dict[str, dict]) -> dict[str, Any]:
    """The models named, built with their parameters (this imports them)."""
    from tsforecast.registry import get_model

    return {name: get_model(name, **params.get(name, {})) for name in names}


def one_model(settings: dict[str, Any]):
    """The model of ``fit``/``forecast``, with its config parameters and the seed. A shared
    config may hold parameters of other models; names that are no model at all are refused."""
    from tsforecast.registry import available_models, get_model

    name, params = settings["model"], settings["model_params"]  # the name is checked (lower case)
    unknown = sorted(set(params) - set(available_models()))
    if unknown:
        raise ConfigError(f"model_params for {', '.join(unknown)}, which is not a model; models: "
                          f"{', '.join(available_models())}.")
    chosen = get_model(name, **params.get(name, {}))
    if "seed" in chosen.get_params():
        chosen.set_params(seed=settings["seed"])
    return chosen


def only_for(model: str, given: dict[str, dict]) -> None:
    """``--param`` for a model other than the one fitted is a mistake (a config file may hold
    other models' parameters; the command line names them on purpose)."""
    others = sorted(set(given) - {model})
    if others:
        raise ConfigError(f"--param for {', '.join(others)}, but the model is {model}.")


def train(chosen, frame, target: str, quiet: bool, X=None):
    """Fit ``chosen`` on ``frame[target]`` (and the regressors ``X``, if any), with a progress
    bar for neural models."""
    with progress(not quiet and err.is_terminal, f"training {chosen.short_name}") as update:
        if update is not None and "progress" in chosen.get_params():
            # neural models report every epoch: (epoch, max_epochs, train_loss, val_loss)
            chosen.set_params(progress=lambda epoch, total, *_: update(epoch, total))
        fitted = chosen.fit(frame[target], X)
    if "progress" in fitted.get_params():
        fitted.set_params(progress=None)
    return fitted
