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
    SHA-256 over the JSON and every tensor (name, dtype, shape, bytes): a file damaged after
    saving, or cut short, is refused with a clear message instead of forecasting nonsense. It
    has no key, so it does not protect against deliberate edits (anyone can recompute it).
``hmac_sha256`` (optional)
    HMAC-SHA256 of the same content under the key in ``TSFORECAST_MODEL_KEY``, written when
    that variable is set; see :mod:`tsforecast.persistence.signing`. Older tsforecast ignores it.

Every field read is bounded (:mod:`tsforecast.persistence.bounds`: header size, nesting,
string lengths, number and size of arrays against the file) and checked against its schema
(:mod:`tsforecast.persistence.schema`: types, shapes, dtypes, model name, frequency), so a
crafted file is refused with a :class:`ModelFileError` naming the field, whatever its
checksum says.

Saving writes what the model's :meth:`~tsforecast.persistence.state.SaveableModel.state` returns.
Loading parses JSON and reads raw arrays; it never unpickles and never imports a name the
file gives. Each model's class comes from the registry (by the registered name the file
holds) and rebuilds the model with its
:meth:`~tsforecast.persistence.state.SaveableModel.from_state`; derived objects (statsmodels
results, PyTorch networks) are recomputed from the saved parameters and weights.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import json
import logging
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

from tsforecast.core.errors import ConfigError, ModelFileError, TsforecastError
from tsforecast.persistence.bounds import MAX_HEADER, check_tensor_table, check_tree, parse_json
from tsforecast.persistence.codec import MODEL_FIELDS, Decoder, Encoder
from tsforecast.persistence.digest import checksum as _checksum
from tsforecast.persistence.schema import check_info, check_metadata_entries, check_model_parts
from tsforecast.persistence.signing import SIGNATURE_ENTRY, sign, signing_key, verify
from tsforecast.persistence.state import ModelState, SaveableModel

__all__ = ["FORMAT", "FORMAT_VERSION", "save_model", "load", "load_model_file", "ModelFile", "read_metadata",
           "ModelFileError"]

FORMAT = "tsforecast.model"
#: bump when a change would make older tsforecast misread new files
FORMAT_VERSION = 1
_log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- saving
def _training_summary(state: ModelState) -> dict:
    from tsforecast.core.frequency import freq_label
    from tsforecast.core.provenance import data_hash

    y, X = state.y, state.X
    return {
        "first": str(y.index[0]), "last": str(y.index[-1]), "freq": freq_label(state.fitted["freq_"]),
        "season": int(state.fitted["season_"]), "observations": len(y),
        "exogenous": None if X is None else [str(c) for c in X.columns],
        "data_sha256": data_hash(y, X),
    }


def save_model(model: SaveableModel, path: str | Path) -> Path:
    """Write fitted ``model`` (any :class:`~tsforecast.persistence.state.SaveableModel`) to
    ``path`` atomically (see the module docstring), signed when ``TSFORECAST_MODEL_KEY`` is
    set; returns the path. Raises :class:`~tsforecast.core.errors.NotFittedError` for an
    unfitted model."""
    from safetensors.numpy import save

    from tsforecast.core.files import atomic_write
    from tsforecast.core.provenance import versions
    from tsforecast.core.version import __version__

    if not isinstance(model, SaveableModel):
        raise ModelFileError(f"cannot save a {type(model).__name__}: only models (with state and from_state) "
                             "are saved to model files.")
    state = model.state()  # raises NotFittedError before anything else is checked or written
    key = signing_key()  # a malformed key fails here, before anything is written
    encoder = Encoder()
    tree = encoder.encode_state(state, "model")
    document = json.dumps({
        "format": FORMAT, "format_version": FORMAT_VERSION, "tsforecast_version": __version__,
        "versions": versions(), "saved_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model": state.model, "label": getattr(model, "label_", state.model),
        "training": _training_summary(state), "tree": tree,
    }, allow_nan=False)
    metadata = {"tsforecast": document, "sha256": _checksum(document, encoder.arrays)}
    if key is not None:
        metadata[SIGNATURE_ENTRY] = sign(key, document, encoder.arrays)
    payload = save(encoder.arrays, metadata=metadata)
    path = Path(path)
    atomic_write(path, payload)  # also removes part files of this path left by a killed save
    _log.info("saved %s (%d bytes, %d arrays%s) to %s", state.model, len(payload), len(encoder.arrays),
              ", signed" if key is not None else "", path)
    return path


# ---------------------------------------------------------------------------- loading
def _header(data: bytes, file_size: int, path: Path) -> dict:
    """The safetensors header of ``data`` (the file's first bytes; ``file_size`` in all),
    bounded and checked, or a ModelFileError saying what the file is not."""
    not_model = f"{path} is not a tsforecast model file"
    if len(data) < 8:
        raise ModelFileError(f"{not_model} (it is {len(data)} bytes long).")
    (size,) = struct.unpack("<Q", data[:8])
    if size > MAX_HEADER:
        raise ModelFileError(f"{not_model} (it does not start with a safetensors header of at most "
                             f"{MAX_HEADER} bytes; it claims {size}).")
    if 8 + size > len(data):
        raise ModelFileError(
            f"{path} is truncated or {not_model[len(str(path)) + 1:]}: its header claims {size} bytes, "
            f"the whole file has {len(data)}."
        )
    header = parse_json(data[8 : 8 + size], f"{path}'s header", not_json=f"{not_model} (no readable header).")
    if not isinstance(header, dict) or "tsforecast" not in (header.get("__metadata__") or {}):
        raise ModelFileError(f"{not_model} (a safetensors file without tsforecast's metadata).")
    check_metadata_entries(path, header["__metadata__"])
    check_tensor_table(header, file_size - 8 - size, str(path))
    return header


def read_metadata(path: str | Path) -> dict:
    """The JSON description of a model file (format, versions, model, training data) without
    loading the model; raises :class:`ModelFileError` for anything but a model file. The
    fields are checked for their types; the checksum and signature are not (the arrays are
    not read): call :func:`load` to trust the content."""
    path = Path(path)
    info, _, _ = _read(path, with_arrays=False)
    return {k: v for k, v in info.items() if k != "tree"}


def _read(path: Path, with_arrays: bool) -> tuple[dict, dict[str, np.ndarray], dict]:
    """The checked JSON document, the arrays (when asked for) and the safetensors metadata."""
    from safetensors.numpy import load as load_arrays

    try:
        data, file_size = _read_all(path) if with_arrays else _read_head(path)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file.") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path} is a directory, not a model file.") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read it ({exc.strerror}).") from None
    metadata = _header(data, file_size, path)["__metadata__"]
    what = f"{path}: its tsforecast metadata"
    info = parse_json(metadata["tsforecast"], what, not_json=f"{what} is not valid JSON; the file is damaged.")
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        found = info.get("format") if isinstance(info, dict) else info
        raise ModelFileError(f"{path} is not a tsforecast model file (format {str(found)[:40]!r}).")
    check_tree(info, what)
    version = info.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} uses model file format {version}, newer than this tsforecast reads "
            f"(up to {FORMAT_VERSION}; it was saved by tsforecast {str(info.get('tsforecast_version'))[:40]}). "
            "Fix: upgrade tsforecast."
        )
    check_info(path, info, FORMAT_VERSION)
    if not with_arrays:
        return info, {}, metadata
    try:
        arrays = load_arrays(data)
    except Exception as exc:  # safetensors raises its own error type for any malformed body
        raise ModelFileError(f"{path} is damaged or truncated: {exc}") from None
    if _checksum(metadata["tsforecast"], arrays) != metadata["sha256"]:
        raise ModelFileError(
            f"{path} was modified or damaged after it was saved (its checksum does not match); "
            "refusing to load it."
        )
    verify(path, metadata.get(SIGNATURE_ENTRY), metadata["tsforecast"], arrays)
    return info, arrays, metadata


def _read_all(path: Path) -> tuple[bytes, int]:
    data = path.read_bytes()
    return data, len(data)


def _read_head(path: Path) -> tuple[bytes, int]:
    """The header length and the header of a file, and the file's size: all the metadata
    needs, whatever the size of the arrays after it."""
    with path.open("rb") as handle:
        file_size = os.fstat(handle.fileno()).st_size
        head = handle.read(8)
        if len(head) < 8:
            return head, file_size
        size = min(int.from_bytes(head, "little"), MAX_HEADER + 1)
        return head + handle.read(size), file_size


def _decode_model(body: dict, decoder: Decoder, path: Path, training: dict | None = None) -> Any:
    """A model rebuilt from its tree after each part passed its schema check; ``training``
    is the file's summary for the top-level model (None for models nested in it)."""
    from tsforecast.registry import MODELS

    if set(body) != MODEL_FIELDS:
        raise ModelFileError(f"{path}: a model in the file has fields {sorted(body)[:10]}, expected model, "
                             "params, y, X and state.")
    name = body["model"]
    if not isinstance(name, str) or name not in MODELS:
        raise ModelFileError(f"the model file holds a model {str(name)[:40]!r} this tsforecast does not know.")
    # the class first: importing it (and asking it) marks the dataclasses its state may hold,
    # so the state can be decoded. Only registered classes are imported, never a module the
    # file names.
    cls = MODELS[name]
    cls.state_dataclasses()
    state = decoder.decode_state(body)
    check_model_parts(path, cls, state, training)
    try:
        model = cls.from_state(state, copy=False)  # just decoded: nobody else holds it (a repeated array is copied)
    except ConfigError as exc:  # the parameters, checked as the model checks its own
        raise ModelFileError(f"{path}: field tree.params of {name} is invalid: {exc}") from None
    except TsforecastError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a model's own state restore trips on
        # the schema checks cover the fields every model has; a model's own state (weights
        # of the wrong shape, an order of the wrong length) is checked by rebuilding it
        raise ModelFileError(f"{path}: the fitted state of {name} could not be rebuilt "
                             f"({type(exc).__name__}: {str(exc)[:200]}); the file was damaged or edited.") from None
    if training is not None and state.X is None:
        _check_forecasts(model, path)
    return model


def _check_forecasts(model: Any, path: Path) -> None:
    """Forecast one step with its interval from a freshly loaded model.

    The schema checks cover the fields every model has; each model's own fitted state
    (weights, smoothing parameters, last values) is only known to the model, so a state of
    the wrong type or shape would otherwise surface later as a bare TypeError in the user's
    ``predict``. One step costs a forward pass or a few multiplications. (A model with
    exogenous regressors needs future X to forecast and is checked by its restore only.)
    """
    try:
        model.predict_interval(1, 0.8)
        model.predict(1)
    except Exception as exc:  # noqa: BLE001 - any failure here means the saved state is unusable
        raise ModelFileError(f"{path}: the loaded {model.short_name} cannot forecast ({type(exc).__name__}: "
                             f"{str(exc)[:200]}); its fitted state was damaged or edited.") from None


@dataclasses.dataclass(frozen=True)
class ModelFile:
    """A loaded model file: the model and the file's description (what :func:`read_metadata`
    returns), read and checked once."""

    model: Any
    metadata: dict


def load_model_file(path: str | Path) -> ModelFile:
    """The model saved in ``path`` and the file's metadata, from one read of the file (see
    :func:`load` for what is checked and refused)."""
    path = Path(path)
    info, arrays, _ = _read(path, with_arrays=True)
    _log.info("loading %s saved by tsforecast %s at %s from %s", info["model"],
              info["tsforecast_version"], info["saved_at"], path)
    decoder = Decoder(arrays, functools.partial(_decode_model, path=path))
    try:
        model = _decode_model(info["tree"], decoder, path, info["training"])
    except ModelFileError as exc:
        if str(exc).startswith(str(path)):  # the schema checks name the file first
            raise
        raise ModelFileError(f"{path}: {exc}") from None  # the codec's messages do not know the path
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise ModelFileError(f"{path} could not be rebuilt into a model ({type(exc).__name__}: "
                             f"{str(exc)[:200]}).") from None
    return ModelFile(model=model, metadata={k: v for k, v in info.items() if k != "tree"})


def load(path: str | Path) -> Any:
    """Load a model saved with :meth:`Forecaster.save <tsforecast.models.base.Forecaster.save>`.

    The model predicts exactly what the saved one did and can :meth:`update` with newer
    observations. Raises :class:`ModelFileError` (a ``ValueError``) naming the problem for a
    missing file, another kind of file, a file from a newer format, a damaged or modified
    one, one whose fields break the schema or the size bounds, and (with
    ``TSFORECAST_MODEL_KEY`` set) one without a valid signature. :func:`load_model_file`
    returns the file's metadata with the model.
    """
    return load_model_file(path).model
