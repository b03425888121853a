"""Explicit schema checks on every field of a model file that tsforecast reads.

The checksum only shows that a file is as it was saved; a file can be edited and its checksum
recomputed. So each field is checked for its type, shape, dtype and range, and the fields
that describe one another must agree (the training summary and the history, the history and
the fitted state). Each refusal is a :class:`ModelFileError` naming the field. Fields that a
reader does not use are ignored, so a later tsforecast may add optional fields without
bumping the format version.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tsforecast.core.errors import ModelFileError
from tsforecast.data.exog import ExogSchema
from tsforecast.persistence.signing import SIGNATURE_ENTRY
from tsforecast.persistence.state import ModelState

__all__ = ["check_metadata_entries", "check_info", "check_model_parts"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
#: a fitted attribute a model saves: public, ending in ``_`` (see ModelState.fitted)
_STATE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}_")
_MAX_TEXT = 200
#: the safetensors metadata entries a model file has (the signature is optional)
_ENTRIES = {"tsforecast", "sha256", SIGNATURE_ENTRY}
_TRAINING = {"first", "last", "freq", "season", "observations", "exogenous", "data_sha256"}


def _fail(path: Path, field: str, problem: str) -> ModelFileError:
    return ModelFileError(f"{path}: field {field} {problem}; tsforecast never writes that, so the file was "
                          "damaged or edited. Refusing to load it; fix: fit and save the model again.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(path: Path, field: str, value: Any, limit: int = _MAX_TEXT) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise _fail(path, field, f"is {_show(value)}, expected text of 1 to {limit} characters")
    return value


def _show(value: Any) -> str:
    return f"{type(value).__name__} {repr(value)[:40]}"


def check_metadata_entries(path: Path, metadata: Any) -> None:
    """The safetensors metadata: the JSON document, its SHA-256 and an optional signature."""
    if not isinstance(metadata, dict) or not set(metadata) <= _ENTRIES or "sha256" not in metadata:
        found = sorted(metadata)[:10] if isinstance(metadata, dict) else type(metadata).__name__
        raise _fail(path, "__metadata__", f"has entries {found}, expected tsforecast, sha256 and optionally "
                    f"{SIGNATURE_ENTRY}")
    for entry in ("sha256", SIGNATURE_ENTRY):
        if entry in metadata and not (isinstance(metadata[entry], str) and _HEX64.fullmatch(metadata[entry])):
            raise _fail(path, entry, f"is {_show(metadata[entry])}, expected 64 lowercase hex digits")


def check_info(path: Path, info: dict, format_version: int) -> None:
    """The JSON document's own fields (not the model tree): versions, model name, training
    summary. ``format``/``format_version`` newer than ``format_version`` are refused before."""
    from tsforecast.registry import available_models

    version = info.get("format_version")
    if not _is_int(version) or version < 1:
        raise _fail(path, "format_version", f"is {_show(version)}, expected a format version: an integer from 1 to "
                    f"{format_version}")
    _text(path, "tsforecast_version", info.get("tsforecast_version"))
    versions = info.get("versions")
    if not isinstance(versions, dict) or not all(isinstance(k, str) and isinstance(v, str) and len(v) <= _MAX_TEXT
                                                  for k, v in versions.items()):
        raise _fail(path, "versions", f"is {_show(versions)}, expected names of libraries and their versions")
    try:
        _dt.datetime.fromisoformat(_text(path, "saved_at", info.get("saved_at")))
    except ValueError:
        raise _fail(path, "saved_at", f"is {_show(info['saved_at'])}, expected an ISO 8601 time") from None
    model = _text(path, "model", info.get("model"))
    tree = info.get("tree")
    for field, name in (("model", model), ("tree.model", tree.get("model") if isinstance(tree, dict) else None)):
        if name not in available_models():
            raise ModelFileError(f"{path}: the model file holds a model {str(name)[:40]!r} this tsforecast does not "
                                 f"know (field {field}; known: {', '.join(available_models())}).")
    _text(path, "label", info.get("label"))
    training = info.get("training")
    if not isinstance(training, dict) or not _TRAINING <= set(training):
        raise _fail(path, "training", f"is {_show(training)}, expected the fields {sorted(_TRAINING)}")
    for field in ("first", "last"):
        try:
            pd.Timestamp(_text(path, f"training.{field}", training[field]))
        except ValueError:
            raise _fail(path, f"training.{field}", f"is {_show(training[field])}, expected a timestamp") from None
    _text(path, "training.freq", training["freq"], 64)
    for field in ("season", "observations"):
        if not _is_int(training[field]) or training[field] < 1:
            raise _fail(path, f"training.{field}", f"is {_show(training[field])}, expected a positive integer")
    exogenous = training["exogenous"]
    if exogenous is not None and not (isinstance(exogenous, list) and all(isinstance(c, str) for c in exogenous)):
        raise _fail(path, "training.exogenous", f"is {_show(exogenous)}, expected null or a list of column names")
    if not (isinstance(training["data_sha256"], str) and _HEX64.fullmatch(training["data_sha256"])):
        raise _fail(path, "training.data_sha256", f"is {_show(training['data_sha256'])}, expected 64 hex digits")
    if tree["model"] != model:
        raise _fail(path, "tree.model", f"is {_show(tree['model'])}, expected the file's model {model!r}")


def check_model_parts(path: Path, cls: type, decoded: ModelState, training: dict | None) -> None:
    """A decoded model state before ``cls`` (the class its name registers) rebuilds it:
    ``params`` are the class's parameters, ``y`` is a float64 series on a regular
    DatetimeIndex, ``X`` lines up with it, ``fitted`` holds public fitted attributes that agree
    with the history, and (for the file's top-level model) the ``training`` summary describes
    this history."""
    from tsforecast.registry import model_parameters

    name, params, y, X, state = decoded.model, decoded.params, decoded.y, decoded.X, decoded.fitted
    field = f"tree{'' if training is not None else f'[{name}]'}"
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise _fail(path, f"{field}.params", f"is {_show(params)}, expected parameter names and values")
    unknown = sorted(set(params) - set(model_parameters(name)))
    if unknown:
        raise _fail(path, f"{field}.params", f"names {unknown[:5]}, which {name} does not have")
    if not isinstance(y, pd.Series) or not isinstance(y.index, pd.DatetimeIndex) or len(y) == 0:
        raise _fail(path, f"{field}.y", f"is {_show(y)}, expected the training series on a DatetimeIndex")
    if y.dtype != np.float64:
        raise _fail(path, f"{field}.y", f"holds {y.dtype} values; the training series is always stored as float64")
    if not (y.index.is_monotonic_increasing and y.index.is_unique and y.index.freq is not None):
        raise _fail(path, f"{field}.y", "has a time index that is not sorted, unique and regular")
    if X is not None and not (isinstance(X, pd.DataFrame) and X.index.equals(y.index)):
        raise _fail(path, f"{field}.X", f"is {_show(X)}, expected null or a frame on the timestamps of y")
    if not isinstance(state, dict) or not all(isinstance(k, str) and _STATE_NAME.fullmatch(k) for k in state):
        raise _fail(path, f"{field}.state", "is not a mapping of fitted attribute names (lowercase, ending in _)")
    # a saved attribute may never replace a method or property of the class (y_, predict, ...)
    shadowing = sorted(k for k in state if hasattr(cls, k))
    if shadowing:
        raise _fail(path, f"{field}.state", f"sets {shadowing[:5]}, which are part of {cls.__name__} itself")
    for key in ("freq_", "season_", "cutoff_", "exog_schema_"):
        if key not in state:
            raise _fail(path, f"{field}.state.{key}", "is missing")
    if not isinstance(state["freq_"], pd.offsets.BaseOffset) or state["freq_"] != y.index.freq:
        raise _fail(path, f"{field}.state.freq_", f"is {_show(state['freq_'])}, expected the frequency of y "
                    f"({y.index.freqstr})")
    if not _is_int(state["season_"]) or state["season_"] < 1:
        raise _fail(path, f"{field}.state.season_", f"is {_show(state['season_'])}, expected a positive integer")
    if not isinstance(state["cutoff_"], pd.Timestamp) or state["cutoff_"] != y.index[-1]:
        raise _fail(path, f"{field}.state.cutoff_", f"is {_show(state['cutoff_'])}, expected y's last timestamp")
    schema = state["exog_schema_"]
    if (X is None) != (schema is None) or not isinstance(schema, (ExogSchema, type(None))):
        raise _fail(path, f"{field}.state.exog_schema_", "does not agree with X (both present or both null)")
    results = state.get("results_")
    if results is not None and not (isinstance(results, np.ndarray) and results.dtype == np.float64
                                    and results.ndim == 1):
        raise _fail(path, f"{field}.state.results_", f"is {_show(results)}, expected a float64 parameter vector")
    if training is not None:
        _check_training(path, training, y, X, state["season_"])


def _check_training(path: Path, training: dict, y: pd.Series, X: pd.DataFrame | None, season: int) -> None:
    """The training summary (what read_metadata and a run's provenance report) describes
    the history that is actually in the file."""
    if training["observations"] != len(y):
        raise _fail(path, "training.observations", f"is {training['observations']}, but y has {len(y)} values")
    for field, stamp in (("first", y.index[0]), ("last", y.index[-1])):
        try:
            same = pd.Timestamp(training[field]) == stamp
        except TypeError:  # one with a time zone, one without
            same = False
        if not same:
            raise _fail(path, f"training.{field}", f"is {training[field]!r}, but y's {field} timestamp is {stamp}")
    columns = None if X is None else [str(c) for c in X.columns]
    if training["exogenous"] != columns:
        raise _fail(path, "training.exogenous", f"is {str(training['exogenous'])[:80]}, but X has {columns}")
    if training["season"] != season:
        raise _fail(path, "training.season", f"is {training['season']}, but the fitted season_ is {season}")
