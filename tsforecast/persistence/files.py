"""The tsforecast model file: one safetensors file, no pickle.

Layout (format version 1)
-------------------------
A `safetensors <https://huggingface.co/docs/safetensors>`_ file. Its tensors are every numeric
array of the fitted model (the training history, network weights, filter states), and its
string metadata holds two entries:

``tsforecast``
    JSON: ``format`` (``"tsforecast.model"``), ``format_version``, ``tsforecast_version``,
    ``versions`` (Python and libraries), ``saved_at``, ``model`` (registry name), ``label``
    (e.g. ``ETS(MAdM)``), ``training`` (``first``/``last`` timestamp, ``freq``, ``season``,
    ``observations``, ``exogenous`` columns, ``data_sha256``) and ``tree``: the model's
    parameters, history and fitted state, with arrays replaced by references into the tensors
    (see :mod:`tsforecast.persistence.codec`).
``sha256``
    SHA-256 over the JSON and every tensor (name, dtype, shape, bytes): a file changed after
    saving, or cut short, is refused with a clear message instead of forecasting nonsense.

Loading parses JSON and reads raw arrays; it never unpickles and never imports a name the
file gives. Models are rebuilt through the registry, and derived objects (statsmodels results,
PyTorch networks) are recomputed from the saved parameters and weights.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import struct
from pathlib import Path
from typing import Any

import numpy as np

from tsforecast.errors import ModelFileError, NotFittedError
from tsforecast.persistence.codec import Decoder, Encoder

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model", "load", "read_metadata", "ModelFileError"]

FORMAT = "tsforecast.model"
#: bump when a change would make older tsforecast misread new files
FORMAT_VERSION = 1
_MAX_HEADER = 100 * 2**20  # safetensors' own bound on the JSON header
_log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- saving
def _encode_model(model: Any, key: str, encoder: Encoder) -> dict:
    params = {k: v for k, v in model.get_params(deep=False).items() if not callable(v)}
    return {
        "model": model.short_name,
        "params": encoder.encode(params, f"{key}/params"),
        "y": encoder.encode(model.y_, f"{key}/y"),
        "X": encoder.encode(model.X_, f"{key}/X"),
        "state": encoder.encode(model._saved_state(), f"{key}/state"),
    }


def _checksum(document: str, arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256(document.encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        digest.update(f"\0{key}\0{array.dtype.str}\0{array.shape}\0".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def _training_summary(model: Any) -> dict:
    from tsforecast.frequency import freq_label
    from tsforecast.provenance import data_hash

    y, X = model.y_, model.X_
    return {
        "first": str(y.index[0]), "last": str(y.index[-1]), "freq": freq_label(model.freq_),
        "season": int(model.season_), "observations": len(y),
        "exogenous": None if X is None else [str(c) for c in X.columns],
        "data_sha256": data_hash(y, X),
    }


def save_model(model: Any, path: str | Path) -> Path:
    """Write fitted ``model`` to ``path`` atomically (see the module docstring); returns the
    path. Raises :class:`~tsforecast.errors.NotFittedError` for an unfitted model."""
    from safetensors.numpy import save

    from tsforecast import __version__
    from tsforecast.outputs import atomic_write
    from tsforecast.provenance import versions

    if "_history_parts" not in vars(model):
        raise NotFittedError(f"{model.short_name}: fit the model before saving it.")
    encoder = Encoder(_encode_model)
    tree = _encode_model(model, "model", encoder)
    document = json.dumps({
        "format": FORMAT, "format_version": FORMAT_VERSION, "tsforecast_version": __version__,
        "versions": versions(), "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model": model.short_name, "label": getattr(model, "label_", model.short_name),
        "training": _training_summary(model), "tree": tree,
    }, allow_nan=False)
    payload = save(encoder.arrays, metadata={"tsforecast": document, "sha256": _checksum(document, encoder.arrays)})
    path = Path(path)
    atomic_write(path, payload)
    _log.info("saved %s (%d bytes, %d arrays) to %s", model.short_name, len(payload), len(encoder.arrays), path)
    return path


# ---------------------------------------------------------------------------- loading
def _header(data: bytes, path: Path) -> dict:
    """The safetensors header of ``data``, or a ModelFileError saying what the file is not."""
    not_model = f"{path} is not a tsforecast model file"
    if len(data) < 8:
        raise ModelFileError(f"{not_model} (it is {len(data)} bytes long).")
    (size,) = struct.unpack("<Q", data[:8])
    if size > _MAX_HEADER:
        raise ModelFileError(f"{not_model} (it does not start with a safetensors header).")
    if 8 + size > len(data):
        raise ModelFileError(
            f"{path} is truncated or {not_model[len(str(path)) + 1:]}: its header claims {size} bytes, "
            f"the whole file has {len(data)}."
        )
    try:
        header = json.loads(data[8 : 8 + size])
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{not_model} (no readable header).") from None
    if not isinstance(header, dict) or "tsforecast" not in (header.get("__metadata__") or {}):
        raise ModelFileError(f"{not_model} (a safetensors file without tsforecast's metadata).")
    return header


def read_metadata(path: str | Path) -> dict:
    """The JSON description of a model file (format, versions, model, training data) without
    loading the model; raises :class:`ModelFileError` for anything but a model file."""
    path = Path(path)
    info, _ = _read(path, with_arrays=False)
    return {k: v for k, v in info.items() if k != "tree"}


def _read(path: Path, with_arrays: bool) -> tuple[dict, dict[str, np.ndarray]]:
    from safetensors.numpy import load as load_arrays

    try:
        data = path.read_bytes() if with_arrays else _read_head(path)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file.") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a directory, not a model file.") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read it ({exc.strerror}).") from None
    metadata = _header(data, path)["__metadata__"]
    try:
        info = json.loads(metadata["tsforecast"])
    except json.JSONDecodeError:
        raise ModelFileError(f"{path}: its tsforecast metadata is not valid JSON; the file is damaged.") from None
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a tsforecast model file (format {info.get('format')!r}).")
    version = info.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model file format {version}, newer than this tsforecast reads "
            f"(up to {FORMAT_VERSION}; it was saved by tsforecast {info.get('tsforecast_version')}). "
            "Fix: upgrade tsforecast."
        )
    if not with_arrays:
        return info, {}
    try:
        arrays = load_arrays(data)
    except Exception as exc:  # safetensors raises its own error type for any malformed body
        raise ModelFileError(f"{path} is damaged or truncated: {exc}") from None
    if _checksum(metadata["tsforecast"], arrays) != metadata.get("sha256"):
        raise ModelFileError(
            f"{path} was modified or damaged after it was saved (its checksum does not match); "
            "refusing to load it."
        )
    return info, arrays


def _read_head(path: Path) -> bytes:
    """The header length and the header of a file: all the metadata needs, whatever the
    size of the arrays after it."""
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return head
        size = min(int.from_bytes(head, "little"), _MAX_HEADER + 1)
        return head + handle.read(size)


def _decode_model(body: dict, decoder: Decoder) -> Any:
    from tsforecast.registry import available_models, get_model

    name = body.get("model")
    if name not in available_models():
        raise ModelFileError(f"the model file holds a model {name!r} this tsforecast does not know.")
    params = decoder.decode(body["params"])
    model = get_model(name, **params)
    model.check_params()
    model._restore_fitted(decoder.decode(body["y"]), decoder.decode(body["X"]), decoder.decode(body["state"]))
    return model


def load(path: str | Path) -> Any:
    """Load a model saved with :meth:`Forecaster.save <tsforecast.base.Forecaster.save>`.

    The model predicts exactly what the saved one did and can :meth:`update` with newer
    observations. Raises :class:`ModelFileError` (a ``ValueError``) naming the problem for a
    missing file, another kind of file, a file from a newer format, or a damaged or modified
    one.
    """
    path = Path(path)
    info, arrays = _read(path, with_arrays=True)
    _log.info("loading %s saved by tsforecast %s at %s from %s", info.get("model"),
              info.get("tsforecast_version"), info.get("saved_at"), path)
    try:
        return _decode_model(info["tree"], Decoder(arrays, _decode_model))
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ModelFileError(f"{path} could not be rebuilt into a model ({type(exc).__name__}: {exc}).") from None
