"""Checks for model parameters, each raising a :class:`ConfigError` that names the model,
the parameter, what it must be and what it got.

Models check every parameter at the start of ``fit``, before any data is touched, so a
typo in a config file (``hidden = "64"``, ``dropout = 1.5``) is reported as such instead of
surfacing as a ``TypeError`` from deep inside PyTorch or statsmodels.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from numbers import Integral, Real

import numpy as np

from tsforecast.core.errors import ConfigError

__all__ = [
    "check_horizon", "check_coverage",
    "check_int", "check_float", "check_bool", "check_choice", "check_names", "check_int_sequence", "check_seconds",
    "check_seed", "check_jobs", "MAX_SECONDS", "MAX_SEED", "check_quantiles", "ENGINES",
]

#: where a backtest's work runs: this machine's worker processes, or a Dask cluster
ENGINES = ("local", "dask")


def _is_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _prefix(owner: str | None) -> str:
    return f"{owner}: " if owner else ""


def check_int(
    owner: str | None, name: str, value: object, low: int | None = 0, *, high: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """``value`` as an int of at least ``low`` (any int when ``low`` is None) and at most
    ``high`` (when given); None if allowed. ``owner`` names the model in the message (None for
    plain function arguments)."""
    if value is None and allow_none:
        return None
    if not _is_int(value) or (low is not None and value < low) or (high is not None and value > high):
        bound = "an integer" if low is None else f"an integer >= {low}"
        bound += f" and <= {high:,}" if high is not None else ""
        also = " or None" if allow_none else ""
        raise ConfigError(f"{_prefix(owner)}{name} must be {bound}{also}, got {value!r}.")
    return int(value)


def check_float(
    owner: str,
    name: str,
    value: object,
    low: float,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a float in the interval from ``low`` to ``high`` (open ends as asked)."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and value == value  # not NaN
    if ok:
        ok = (value > low if low_open else value >= low) and (
            high is None or (value < high if high_open else value <= high)
        )
    if not ok:
        left = "(" if low_open else "["
        right = "inf)" if high is None else (f"{high})" if high_open else f"{high}]")
        raise ConfigError(f"{_prefix(owner)}{name} must be a number in {left}{low}, {right}, got {value!r}.")
    return float(value)


def check_bool(owner: str, name: str, value: object) -> bool:
    """``value`` if it is True or False (numpy booleans included)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ConfigError(f"{_prefix(owner)}{name} must be true or false, got {value!r}.")
    return bool(value)


def check_choice(owner: str, name: str, value: object, choices: Collection[object]) -> object:
    """``value`` if it is one of ``choices``."""
    if not isinstance(value, (str, type(None), bool, Integral)) or value not in choices:
        options = ", ".join(repr(choice) for choice in choices)
        raise ConfigError(f"{_prefix(owner)}{name} must be one of {options}, got {value!r}.")
    return value


def check_names(owner: str, name: str, value: object) -> tuple[str, ...]:
    """Column names as a tuple of strings; a single string is one name (not its letters)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{_prefix(owner)}{name} must be a list of column names, got {value!r}.")


def check_int_sequence(
    owner: str, name: str, value: object, low: int = 0, length: int | None = None
) -> tuple[int, ...]:
    """A non-empty sequence of ints of at least ``low`` (of exactly ``length`` if given)."""
    items = tuple(value) if isinstance(value, Sequence) and not isinstance(value, str) else None
    if (
        items is None
        or not items
        or (length is not None and len(items) != length)
        or not all(_is_int(item) and item >= low for item in items)
    ):
        size = f"{length} integers" if length is not None else "a non-empty list of integers"
        raise ConfigError(f"{_prefix(owner)}{name} must be {size} >= {low}, got {value!r}.")
    return tuple(int(item) for item in items)


#: the longest time limit or budget, in seconds (a year): the operating system's interval timer
#: overflows far beyond it (1e12 s), and a longer limit is no limit (leave it out instead)
MAX_SECONDS = 365 * 24 * 3600.0

#: seeds are integers in [0, MAX_SEED]: the range numpy's and PyTorch's generators both accept
MAX_SEED = 2**32 - 1


def check_seconds(owner: str | None, name: str, value: object) -> float:
    """A positive number of seconds, at most :data:`MAX_SECONDS` (a time limit or budget)."""
    if not isinstance(value, Real) or isinstance(value, bool) or not 0 < value <= MAX_SECONDS:
        raise ConfigError(
            f"{_prefix(owner)}{name} must be a positive number of seconds up to {MAX_SECONDS:,.0f} (a year; "
            f"leave it out for no limit), got {value!r}."
        )
    return float(value)


def check_seed(owner: str | None, name: str, value: object) -> int:
    """A random seed: an integer in [0, :data:`MAX_SEED`]."""
    if not _is_int(value) or not 0 <= value <= MAX_SEED:
        raise ConfigError(f"{_prefix(owner)}{name} must be an integer from 0 to {MAX_SEED}, got {value!r}.")
    return int(value)


def check_jobs(owner: str | None, name: str, value: object) -> int:
    """A number of worker processes: positive, or joblib's negative counts (-1: all cores)."""
    if not _is_int(value) or value == 0:
        raise ConfigError(
            f"{_prefix(owner)}{name} must be a positive number of workers, or -1 for all cores "
            f"(-2 all but one), got {value!r}."
        )
    return int(value)


def check_horizon(horizon: object) -> int:
    """A forecast horizon: a whole number of steps, at least 1."""
    return check_int(None, "horizon", horizon, 1)


def check_coverage(coverage: object, name: str = "coverage") -> float:
    """An interval's nominal coverage: a number strictly between 0 and 1 (0.8 for 80%)."""
    if isinstance(coverage, bool) or not isinstance(coverage, Real) or not 0 < coverage < 1:
        raise ConfigError(f"{name} must be a number strictly between 0 and 1 (0.8 for an 80% interval), "
                          f"got {coverage!r}.")
    return float(coverage)


def check_quantiles(quantiles: object) -> tuple[float, ...]:
    """Quantile levels: a non-empty sequence of numbers strictly between 0 and 1, returned
    sorted and without repeats."""
    values = [quantiles] if isinstance(quantiles, Real) else quantiles
    ok = isinstance(values, (Sequence, np.ndarray)) and not isinstance(values, str) and len(values) > 0
    if ok:
        values = list(values)
        ok = all(isinstance(q, Real) and not isinstance(q, bool) and 0 < q < 1 for q in values)
    if not ok:
        raise ConfigError(f"quantiles must be numbers strictly between 0 and 1, got {quantiles!r}.")
    return tuple(sorted({float(q) for q in values}))
