"""The options of the ``tsforecast`` commands: one default and one check per option.

A run's settings come from three layers, later ones winning: the defaults below, a TOML
config file (``--config``), the command line. Every value, wherever it came from, passes
the same check before any data is read, so ``jobs = "2"`` in a config file and ``--jobs 0``
on the command line fail alike: a :class:`~tsforecast.core.errors.ConfigError` naming the
option (CLI exit code 2), not an error deep inside the run.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

from tsforecast.app.outputs import check_stem
from tsforecast.core.errors import ConfigError
from tsforecast.core.params import ENGINES, check_jobs, check_seconds, check_seed
from tsforecast.data.csv_dialect import check_decimal, check_sep

__all__ = ["OPTIONS", "DEFAULTS", "resolve_settings", "read_config", "parse_refit", "parse_params"]


def _fail(name: str, must: str, value: object) -> ConfigError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return ConfigError(f"{name.replace('_', '-')} must be {must}, got {shown}.")


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, "a non-empty text", value)
    return value


def _names(name: str, value: object) -> str:
    """A comma-separated list, or (in TOML) a list of names: returned comma-separated."""
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return ",".join(v.strip() for v in value)
    if isinstance(value, str) and value.strip():
        return value
    raise _fail(name, "a comma-separated list of names (or a list of strings in a config file)", value)


def _integer(low: int | None) -> Callable[[str, object], int]:
    def check(name: str, value: object) -> int:
        if not isinstance(value, Integral) or isinstance(value, bool) or (low is not None and value < low):
            raise _fail(name, "an integer" + (f" >= {low}" if low is not None else ""), value)
        return int(value)

    return check


def _jobs(name: str, value: object) -> int:
    return check_jobs(None, name.replace("_", "-"), value)


def _seed(name: str, value: object) -> int:
    return check_seed(None, name, value)


def _seconds(name: str, value: object) -> float:
    return check_seconds(None, name.replace("_", "-"), value)


def _boolean(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, "true or false", value)
    return value


def _stem(name: str, value: object) -> str:
    return check_stem(value, "--name")


def _existing_file(name: str, value: object) -> str:
    path = Path(_text(name, value))
    if not path.is_file():
        raise ConfigError(f"--data {path}: no such file.")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"--data {path}: the file is not readable.")
    return str(path)


def _fraction(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise _fail(name, "a number strictly between 0 and 1", value)
    return float(value)


def _separator(name: str, value: object) -> str:
    return check_sep(value, name.replace("_", "-"))


def _decimal_mark(name: str, value: object) -> str:
    return check_decimal(value, name.replace("_", "-"))


def _engine(name: str, value: object) -> str:
    if value not in ENGINES:
        raise _fail(name, " or ".join(repr(e) for e in ENGINES), value)
    return str(value)


def _model_name(name: str, value: object) -> str:
    return _text(name, value).strip().lower()


def parse_refit(name: str, value: object) -> bool | int:
    """``true``, ``false`` or a positive integer N (refit every N folds)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Integral) and value >= 1:
        return int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"true", "yes"}:
            return True
        if text in {"false", "no"}:
            return False
        if text.isdigit() and int(text) >= 1:
            return int(text)
    raise _fail(name, "true, false or a positive number N (refit every N folds)", value)


def _model_params(name: str, value: object) -> dict[str, dict[str, Any]]:
    if not isinstance(value, dict):
        raise ConfigError(f"model_params must be a table of tables ([model_params.lstm] hidden = 64), got {value!r}.")
    for model, params in value.items():
        if not isinstance(params, dict):
            raise ConfigError(
                f"model_params.{model} must be a table of parameters ([model_params.{model}] ...), got {params!r}."
            )
    return value


def parse_params(items: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``--param MODEL.NAME=VALUE`` options as ``model_params`` tables. The value is read as a
    TOML value, as a config file would write it (``inf``, ``60``, ``true``, ``["ets", "theta"]``);
    anything that is not one is kept as text (``lstm.normalize=window``)."""
    params: dict[str, dict[str, Any]] = {}
    for item in items:
        key, equals, raw = item.partition("=")
        model, dot, name = key.strip().partition(".")
        if not (equals and dot and model and name.strip() and raw.strip()):
            raise ConfigError(f"--param {item!r}: write MODEL.NAME=VALUE, e.g. --param auto.time_budget=inf.")
        try:
            parsed = tomllib.loads(f"value = {raw.strip()}")
        except tomllib.TOMLDecodeError:
            parsed = {}
        # one TOML value, or else the text as given (a value with a line break in it is text too)
        value = parsed["value"] if set(parsed) == {"value"} else raw.strip()
        params.setdefault(model.strip().lower(), {})[name.strip()] = value
    return params


def _merge_model_params(base: object, extra: dict[str, dict[str, Any]]) -> object:
    """The config file's ``model_params`` with the command line's on top, parameter by
    parameter (a config's other parameters of the same model stay)."""
    if not isinstance(base, dict):
        return base  # left for the check to refuse
    merged = dict(base)
    for model, params in extra.items():
        merged[model] = {**base[model], **params} if isinstance(base.get(model), dict) else params
    return merged


@dataclass(frozen=True)
class Option:
    """One option: its default and the check every value passes (None: no value, allowed)."""

    default: Any
    check: Callable[[str, object], Any]


#: option name -> default and check (command line > config file > these defaults)
OPTIONS: dict[str, Option] = {
    "models": Option("sarima,lstm", _names),
    "model": Option("sarima", _model_name),  # fit and forecast: one model
    "model_file": Option(None, _text),  # fit --save / forecast --from
    "coverage": Option(0.8, _fraction),
    "dataset": Option("ridership", _text),
    "data": Option(None, _existing_file),
    "target": Option(None, _text),
    "date_column": Option(None, _text),
    "id_column": Option(None, _text),  # long format: the column naming each row's series
    "date_format": Option(None, _text),
    "sep": Option(None, _separator),  # a CSV's field separator; None: detected
    "decimal": Option(None, _decimal_mark),  # a CSV's decimal mark; None: detected
    "exog": Option(None, _names),
    "horizon": Option(14, _integer(1)),
    "windows": Option(5, _integer(1)),
    "step": Option(None, _integer(1)),
    "window": Option(None, _integer(1)),
    "refit": Option(True, parse_refit),
    "seed": Option(0, _seed),
    "jobs": Option(1, _jobs),
    "time_limit": Option(None, _seconds),
    "engine": Option("local", _engine),
    "scheduler": Option(None, _text),  # a Dask scheduler's address (engine dask)
    "output": Option("reports", _text),
    "name": Option(None, _stem),
    "quiet": Option(False, _boolean),
    # forecast --from (tsforecast.app.continuation): no newer rows is an error (exit 5), not a warning;
    # a gap after the model's last timestamp is interpolated; a far-off level is accepted
    "require_new_data": Option(False, _boolean),
    "fill_gap": Option(False, _boolean),
    "allow_level_shift": Option(False, _boolean),
    "model_params": Option({}, _model_params),
}

#: option name -> default
DEFAULTS: dict[str, Any] = {name: option.default for name, option in OPTIONS.items()}


def read_config(path: Path) -> dict[str, Any]:
    """The options in a TOML config file, unchecked; a ConfigError if it cannot be read."""
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        config = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text (byte {exc.start}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror or exc}.") from exc
    unknown = sorted(set(config) - set(OPTIONS))
    if unknown:
        raise ConfigError(
            f"config file {path} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(OPTIONS))}."
        )
    for key in ("data", "model_file"):
        value = config.get(key)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            config[key] = str(path.parent / value)  # relative to the config file, not the cwd
    return config


def resolve_settings(cli: dict[str, Any], config_path: Path | None = None) -> dict[str, Any]:
    """Defaults, then the config file, then the command line (values that are not None);
    every value checked. Returns every option."""
    config = read_config(config_path) if config_path is not None else {}
    merged = {**DEFAULTS, **config, **{k: v for k, v in cli.items() if v is not None}}
    if cli.get("model_params") and "model_params" in config:
        merged["model_params"] = _merge_model_params(config["model_params"], cli["model_params"])
    return {
        name: value if value is None else OPTIONS[name].check(name, value)
        for name, value in merged.items()
    }
