"""The check each command-line option's value passes, wherever it came from (flag, config file).

A check takes the option's name and a value, and returns the value as the run uses it or
raises a :class:`~tsforecast.core.errors.ConfigError` naming the option. Checks that the
library has too (integers, seeds, seconds, jobs, coverage, choices, booleans) are the
library's own, from :mod:`tsforecast.core.params`; only what is particular to the command
line (comma-separated names, files, run folder names, ``refit``, ``model_params``) is here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from numbers import Integral
from pathlib import Path
from typing import Any

from tsforecast.app.outputs import check_stem
from tsforecast.core.errors import ConfigError
from tsforecast.core.params import (
    ENGINES,
    check_bool,
    check_choice,
    check_coverage,
    check_horizon,
    check_int,
    check_jobs,
    check_seconds,
    check_seed,
)
from tsforecast.data.csv_dialect import check_decimal, check_sep

__all__ = [
    "Check", "label", "text", "names", "integer", "horizon", "jobs", "seed", "seconds", "boolean", "stem",
    "existing_file", "coverage", "separator", "decimal_mark", "engine",
    "hierarchy_missing", "model_name", "parse_refit", "model_params",
]

#: a check: (option name, value) -> the value as the run uses it
Check = Callable[[str, object], Any]


def label(name: str) -> str:
    """An option's name as messages show it: as the command line spells it, without the dashes."""
    return name.replace("_", "-")


def _fail(name: str, must: str, value: object) -> ConfigError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return ConfigError(f"{label(name)} must be {must}, got {shown}.")


def text(name: str, value: object) -> str:
    """A non-empty text."""
    if not isinstance(value, str) or not value.strip():
        raise _fail(name, "a non-empty text", value)
    return value


def names(name: str, value: object) -> str:
    """A comma-separated list, or (in TOML) a list of names: returned comma-separated."""
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return ",".join(v.strip() for v in value)
    if isinstance(value, str) and value.strip():
        return value
    raise _fail(name, "a comma-separated list of names (or a list of strings in a config file)", value)


def integer(low: int) -> Check:
    """An integer of at least ``low``."""

    def check(name: str, value: object) -> int:
        return check_int(None, label(name), value, low)

    return check


def horizon(name: str, value: object) -> int:
    """A forecast horizon: the library's check (at least one step)."""
    return check_horizon(value)


def jobs(name: str, value: object) -> int:
    """A number of worker processes (-1: all cores)."""
    return check_jobs(None, label(name), value)


def seed(name: str, value: object) -> int:
    """A random seed."""
    return check_seed(None, label(name), value)


def seconds(name: str, value: object) -> float:
    """A positive number of seconds (a time limit)."""
    return check_seconds(None, label(name), value)


def boolean(name: str, value: object) -> bool:
    """true or false."""
    return check_bool(None, label(name), value)


def coverage(name: str, value: object) -> float:
    """An interval's coverage, strictly between 0 and 1."""
    return check_coverage(value, label(name))


def engine(name: str, value: object) -> str:
    """Where a backtest runs: one of :data:`~tsforecast.core.params.ENGINES`."""
    return str(check_choice(None, label(name), value, ENGINES))


def hierarchy_missing(name: str, value: object) -> str:
    """A hierarchy's rule for bottom series without a value at some dates: one of
    :data:`~tsforecast.hierarchy.MISSING_RULES`."""
    from tsforecast.hierarchy import MISSING_RULES  # imported when checked: pandas loads only then

    return str(check_choice(None, label(name), value, MISSING_RULES))


def stem(name: str, value: object) -> str:
    """A run folder's fixed name: a plain file name stem."""
    return check_stem(value, f"--{label(name)}")


def existing_file(name: str, value: object) -> str:
    """The path of a readable file, checked before any work."""
    path = Path(text(name, value))
    if not path.is_file():
        raise ConfigError(f"--{label(name)} {path}: no such file.")
    if not os.access(path, os.R_OK):
        raise ConfigError(f"--{label(name)} {path}: the file is not readable.")
    return str(path)


def separator(name: str, value: object) -> str:
    """A CSV's field separator (:mod:`tsforecast.data.csv_dialect`)."""
    return check_sep(value, label(name))


def decimal_mark(name: str, value: object) -> str:
    """A CSV's decimal mark (:mod:`tsforecast.data.csv_dialect`)."""
    return check_decimal(value, label(name))


def model_name(name: str, value: object) -> str:
    """One model's name, as the registry spells it (lower case)."""
    return text(name, value).strip().lower()


def parse_refit(name: str, value: object) -> bool | int:
    """``true``, ``false`` or a positive integer N (refit every N folds)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Integral) and value >= 1:
        return int(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in {"true", "yes"}:
            return True
        if word in {"false", "no"}:
            return False
        if word.isdigit() and int(word) >= 1:
            return int(word)
    raise _fail(name, "true, false or a positive number N (refit every N folds)", value)


def model_params(name: str, value: object) -> dict[str, dict[str, Any]]:
    """A table of tables: model name -> its parameters (the models check the parameters)."""
    if not isinstance(value, dict):
        raise ConfigError(f"model_params must be a table of tables ([model_params.lstm] hidden = 64), got {value!r}.")
    for model, params in value.items():
        if not isinstance(params, dict):
            raise ConfigError(
                f"model_params.{model} must be a table of parameters ([model_params.{model}] ...), got {params!r}."
            )
    return value
