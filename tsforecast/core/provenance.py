"""What identifies a run's or a saved model's inputs and software: a data fingerprint and
the versions of the libraries that produced the numbers."""

from __future__ import annotations

import functools
import hashlib
import math
import platform
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["data_hash", "panel_hash", "versions", "plain_parameters"]


def data_hash(frame: pd.DataFrame | pd.Series, X: pd.DataFrame | None = None) -> str:
    """SHA-256 of validated data (index and values), with its regressors ``X`` when given, to
    identify a run's or a model's input."""
    if X is not None:
        frame = pd.concat([frame, X.add_prefix("X:")], axis=1)
    hashed = pd.util.hash_pandas_object(frame, index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()


def panel_hash(
    series: Mapping[str, pd.Series], X: Mapping[str, pd.DataFrame] | None = None,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> str:
    """One fingerprint of several series and their regressors, in order; for one series,
    its :func:`data_hash` (what a model saved from it records). The series are hashed as one
    table (id, timestamp, value), so thousands of them cost one hash, not thousands.

    ``arrays``: the series' values, timestamps (int64 nanoseconds, UTC) and lengths one after
    another, when the caller has them (a panel read from a long table keeps them): the same
    table, and the same hash, without reading each Series."""
    if len(series) == 1:
        ((name, y),) = series.items()
        return data_hash(y, None if X is None else X[name])
    names = list(series)
    if arrays is not None:
        values, instants, lengths = arrays
    else:
        lengths = [len(y) for y in series.values()]
        instants = np.concatenate([y.index.as_unit("ns").asi8 for y in series.values()])
        values = np.concatenate([y.to_numpy() for y in series.values()])
    columns = (np.repeat(np.arange(len(names), dtype="int64"), lengths), np.asarray(instants, dtype="int64"),
               np.asarray(values, dtype="float64"))
    digest = hashlib.sha256("\x1f".join(names).encode())
    digest.update(_row_hashes(columns).tobytes())
    if X is not None:
        for name in names:
            digest.update(data_hash(X[name]).encode())
    return digest.hexdigest()


def _row_hashes(columns: tuple[np.ndarray, ...]) -> np.ndarray:
    """``pd.util.hash_pandas_object(DataFrame(columns), index=False)``'s row hashes, from each
    column's ``pd.util.hash_array`` combined as pandas combines them (CPython's tuple hash):
    the same numbers, without building the frame, which on a million rows costs four times
    the hashing (its columns are copied into blocks). A test compares the two."""
    out = np.full(len(columns[0]), 0x345678, dtype=np.uint64)
    mult = np.uint64(1000003)
    for i, column in enumerate(columns):
        out ^= pd.util.hash_array(column)
        out *= mult
        mult += np.uint64(82520 + 2 * (len(columns) - i))
    out += np.uint64(97531)
    return out


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries behind the numbers."""
    return dict(_installed_versions())  # a copy: callers may add to it


@functools.lru_cache(maxsize=1)
def _installed_versions() -> dict[str, str]:
    """Read once per process: installed versions do not change while it runs, and reading
    the packages' metadata costs a tenth of a backtest of a thousand baselines."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("tsforecast", "pandas", "numpy", "statsmodels", "torch", "scikit-learn"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def plain_parameters(model: Any) -> dict:
    """A model's class and parameters as JSON-friendly values (callables by name; ``inf`` and
    ``nan`` as text, which JSON has no numbers for: a ``run.json`` must stay valid JSON)."""
    out = {"class": type(model).__name__}
    for key, value in model.get_params().items():
        plain = isinstance(value, (int, str, bool, type(None))) or (isinstance(value, float) and math.isfinite(value))
        out[key] = value if plain else getattr(value, "__name__", None) or repr(value)
    return out
