"""Fitted state to JSON plus named arrays, and back, without executing anything on the way in.

Encoding turns a nested value into a JSON-able tree in which every numeric array is replaced
by a reference ``{"__array__": key}`` into a flat ``{key: ndarray}`` table (stored as
safetensors). Models are encoded as their :class:`~tsforecast.persistence.state.ModelState`
(through the :class:`~tsforecast.persistence.state.SaveableModel` protocol; the codec knows no
model class). Decoding can only build plain Python values, numpy arrays, a few pandas types,
the dataclasses marked with :func:`~tsforecast.persistence.state.state_dataclass` (built from
their fields, which runs no code of the file's choosing) and model states, which the caller
turns into models. Anything else in a file is refused: unlike pickle, a model file cannot name
a function to call.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tsforecast.core.errors import ModelFileError
from tsforecast.persistence.bounds import MAX_NDIM
from tsforecast.persistence.state import TRUSTED_DATACLASSES, ModelState, SaveableModel

__all__ = ["Encoder", "Decoder", "MODEL_FIELDS", "to_offset_checked"]

#: the fields of an encoded model (``{"__model__": {...}}``): a ModelState, ``fitted`` as ``state``
MODEL_FIELDS = frozenset({"model", "params", "y", "X", "state"})

_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float: what safetensors stores
# repeated references a file may make, in copies of its arrays' total size (plus a small
# allowance): auto with its members refers to one history four times, well under it
_MAX_COPY_FACTOR = 16
_COPY_ALLOWANCE = 1 << 20


class Encoder:
    """Collects arrays while encoding; ``arrays`` is the table to store beside the JSON."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._stored: dict[tuple, str] = {}  # (dtype, shape, digest) -> key of an array already stored

    def array(self, values: np.ndarray, key: str) -> dict:
        """Store ``values`` under ``key`` (made unique) and return the reference. An array equal
        to one already stored (same dtype, shape and bytes) is referred to, not stored again:
        nested models keep the history their parent keeps (an ETS on a 52-week season, its
        MSTL and the MSTL's trend model share one time index; ``auto`` and its members one
        history); the decoder gives each reference its own copy again."""
        values = np.ascontiguousarray(values)
        identity = (values.dtype.str, values.shape, hashlib.sha256(values.view(np.uint8).reshape(-1)).digest())
        if identity in self._stored:
            return {"__array__": self._stored[identity]}
        while key in self.arrays:
            key += "'"
        self.arrays[key] = values
        self._stored[identity] = key
        return {"__array__": key}

    def encode_state(self, state: ModelState, key: str) -> dict:
        """The JSON-able form of a model's ``state`` (its arrays named under ``key``)."""
        return {
            "model": state.model,
            "params": self.encode(state.params, f"{key}/params"),
            "y": self.encode(state.y, f"{key}/y"),
            "X": self.encode(state.X, f"{key}/X"),
            "state": self.encode(state.fitted, f"{key}/state"),
        }

    def encode(self, value: Any, key: str) -> Any:
        """The JSON-able form of ``value``; ``key`` names any array it contains."""
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
            return int(value)
        if isinstance(value, (float, np.floating)):
            value = float(value)
            return value if math.isfinite(value) else {"__float__": repr(value)}
        if isinstance(value, np.bool_):
            return bool(value)
        if isinstance(value, np.ndarray):
            if value.dtype.kind in _NUMERIC_KINDS:
                return self.array(value, key)
            return {"__objects__": [self.encode(v, f"{key}.{i}") for i, v in enumerate(value.tolist())],
                    "shape": list(value.shape)}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v, f"{key}.{i}") for i, v in enumerate(value)]}
        if isinstance(value, list):
            return [self.encode(v, f"{key}.{i}") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {"__dict__": [[self.encode(k, f"{key}.k{i}"), self.encode(v, f"{key}.{i}")]
                                 for i, (k, v) in enumerate(value.items())]}
        if isinstance(value, pd.Timestamp):
            return {"__timestamp__": value.value, "unit": value.unit, "tz": None if value.tz is None else str(value.tz)}
        if isinstance(value, pd.offsets.BaseOffset):
            return {"__freq__": value.freqstr}
        if isinstance(value, pd.Index):
            return self._index(value, key)
        if isinstance(value, pd.Series):
            return {"__series__": {"name": self.encode(value.name, f"{key}.name"),
                                   "index": self._index(value.index, f"{key}.index"),
                                   "values": self.encode(value.to_numpy(), f"{key}.values")}}
        if isinstance(value, pd.DataFrame):
            return {"__frame__": {
                "index": self._index(value.index, f"{key}.index"),
                "columns": [self.encode(c, f"{key}.c{i}") for i, c in enumerate(value.columns)],
                "data": [self.encode(value.iloc[:, i].to_numpy(), f"{key}.{i}") for i in range(value.shape[1])],
            }}
        if isinstance(value, ModelState):
            return {"__model__": self.encode_state(value, key)}
        if dataclasses.is_dataclass(value) and TRUSTED_DATACLASSES.get(type(value).__name__) is type(value):
            fields = {f.name: self.encode(getattr(value, f.name), f"{key}.{f.name}") for f in dataclasses.fields(value)}
            return {"__dataclass__": type(value).__name__, "fields": fields}
        if isinstance(value, SaveableModel):  # a model nested in a state (auto's chosen models)
            return {"__model__": self.encode_state(value.state(), key)}
        raise TypeError(f"cannot save a value of type {type(value).__name__} (at {key})")

    def _index(self, index: pd.Index, key: str) -> dict:
        if isinstance(index, pd.DatetimeIndex):
            return {"__datetimeindex__": self.array(index.asi8, key), "unit": index.unit,
                    "tz": None if index.tz is None else str(index.tz),
                    "freq": None if index.freq is None else index.freq.freqstr,
                    "name": self.encode(index.name, f"{key}.name")}
        if isinstance(index, pd.RangeIndex):
            return {"__rangeindex__": [index.start, index.stop, index.step], "name": self.encode(index.name, key)}
        return {"__index__": self.encode(index.to_numpy(), key), "name": self.encode(index.name, f"{key}.name")}


class Decoder:
    """Rebuilds values from the JSON tree and the array table, refusing anything unknown.

    Every tagged value is checked for its shape before it is built (an array where an array
    belongs, lengths that agree, integers in range), so a crafted tree cannot make pandas or
    numpy allocate more than the file holds. Nesting depth and string lengths are bounded
    before decoding starts (:func:`tsforecast.persistence.bounds.check_tree`).
    """

    def __init__(self, arrays: dict[str, np.ndarray], decode_model: Callable[[dict, Decoder], Any]) -> None:
        """``decode_model(body, decoder)`` turns an encoded model (its fields checked to be
        :data:`MODEL_FIELDS`) into a model, typically through :meth:`decode_state`."""
        self.arrays = arrays
        self._decode_model = decode_model
        self._handed: set[str] = set()  # arrays handed out once already
        self._copied = 0  # bytes of the copies handed out for later references
        self._copy_limit = _MAX_COPY_FACTOR * sum(a.nbytes for a in arrays.values()) + _COPY_ALLOWANCE

    def array(self, reference: str) -> np.ndarray:
        """The stored array ``reference`` names: the array itself the first time, a copy for
        each later reference (the encoder stores an array that several nested models hold
        once, and each model gets its own, so an update in place of one never
        reaches another). Copies beyond :data:`_MAX_COPY_FACTOR` times the file's arrays are
        refused: a crafted tree repeating a reference must not allocate without bound."""
        if not isinstance(reference, str) or reference not in self.arrays:
            raise ModelFileError(f"the model file refers to an array {str(reference)[:80]!r} it does not contain.")
        values = self.arrays[reference]
        if reference not in self._handed:
            self._handed.add(reference)
            return values
        self._copied += values.nbytes
        if self._copied > self._copy_limit:
            raise ModelFileError(f"the model file refers to its arrays more often than a saved model does "
                                 f"(over {_MAX_COPY_FACTOR} times their size); the file was damaged or crafted.")
        return values.copy()

    def decode(self, tree: Any) -> Any:
        """The value ``tree`` (JSON from :meth:`Encoder.encode`) describes."""
        if tree is None or isinstance(tree, (bool, int, float, str)):
            return tree
        if isinstance(tree, list):
            return [self.decode(v) for v in tree]
        if not isinstance(tree, dict) or len(tree) == 0:
            raise ModelFileError(f"the model file holds a value tsforecast does not read: {str(tree)[:80]}")
        tag = next(iter(tree))
        if tag not in _TAG_KEYS:
            return self._refuse(str(tag)[:80])
        if not set(tree) - {tag} <= _TAG_KEYS[tag]:
            raise ModelFileError(f"the model file's {tag} has keys {sorted(tree)[:10]}; "
                                 f"expected {sorted(_TAG_KEYS[tag] | {tag})}.")
        body = tree[tag]
        if tag == "__array__":
            return self.array(body)
        if tag == "__float__":
            return float(body) if body in ("nan", "inf", "-inf") else self._refuse(tag)
        if tag == "__objects__":
            return self._objects(body, tree.get("shape"))
        if tag == "__tuple__":
            return tuple(self.decode(v) for v in _list(body, tag))
        if tag == "__dict__":
            pairs = _list(body, tag)
            if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
                raise ModelFileError("the model file's __dict__ holds an entry that is not a [key, value] pair.")
            return {self._hashable(self.decode(k)): self.decode(v) for k, v in pairs}
        if tag == "__timestamp__":
            if not (isinstance(body, int) and not isinstance(body, bool) and _INT64[0] < body <= _INT64[1]):
                raise ModelFileError(f"the model file's timestamp {str(body)[:40]} is not a 64-bit integer.")
            tz = _short_text(tree.get("tz"), "time zone", none=True)
            stamp = pd.Timestamp(body, tz="UTC" if tz else None).as_unit(self._unit(tree))
            return stamp.tz_convert(tz) if tz else stamp
        if tag == "__freq__":
            return to_offset_checked(body)
        if tag in ("__datetimeindex__", "__rangeindex__", "__index__"):
            return self._index(tree)
        if tag == "__series__":
            body = _fields(body, {"name", "index", "values"}, tag)
            index = self._index(body["index"])
            values = self._column(body["values"], len(index), "series values")
            return pd.Series(values, index=index, name=self._hashable(self.decode(body["name"])))
        if tag == "__frame__":
            body = _fields(body, {"index", "columns", "data"}, tag)
            index = self._index(body["index"])
            columns = [self._hashable(self.decode(c)) for c in _list(body["columns"], "frame columns")]
            data = _list(body["data"], "frame data")
            if len(columns) != len(data):
                raise ModelFileError(f"the model file's frame names {len(columns)} columns but holds {len(data)}.")
            frame = pd.DataFrame({i: self._column(v, len(index), "frame column") for i, v in enumerate(data)},
                                 index=index)
            frame.columns = pd.Index(columns, dtype=object) if columns else frame.columns
            return frame
        if tag == "__dataclass__":
            cls = TRUSTED_DATACLASSES.get(body) if isinstance(body, str) else None
            if cls is None:
                return self._refuse(f"class {str(body)[:80]!r}")
            names = {f.name for f in dataclasses.fields(cls)}
            fields = tree.get("fields", {})
            # a field with a default may be absent: files saved before it was added read as
            # the default, which is what they were fitted with
            optional = {f.name for f in dataclasses.fields(cls)
                        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING}
            if isinstance(fields, dict) and names - optional <= set(fields) <= names:
                names = set(fields)
            _fields(fields, names, body)
            return cls(**{name: self.decode(v) for name, v in fields.items()})
        if tag == "__model__":
            return self._decode_model(_fields(body, set(MODEL_FIELDS), "model"), self)
        return self._refuse(tag)

    def decode_state(self, body: dict) -> ModelState:
        """The :class:`ModelState` an encoded model's ``body`` describes (see
        :meth:`Encoder.encode_state`). Its parts are decoded as they are, not checked against
        one another (:func:`tsforecast.persistence.schema.check_model_parts` does that); a
        model's own dataclasses must be marked before (import the model's class first)."""
        body = _fields(body, set(MODEL_FIELDS), "model")
        params, y, X, fitted = (self.decode(body[part]) for part in ("params", "y", "X", "state"))
        return ModelState(model=body["model"], params=params, y=y, X=X, fitted=fitted)

    def _objects(self, body: Any, shape: Any) -> np.ndarray:
        values = np.array([self.decode(v) for v in _list(body, "__objects__")], dtype=object)
        if not (isinstance(shape, list) and len(shape) <= MAX_NDIM
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
                and math.prod(shape) == values.size):
            raise ModelFileError(f"the model file's object array of {values.size} values has shape "
                                 f"{str(shape)[:80]}, which does not hold them.")
        return values.reshape(shape)

    def _column(self, tree: Any, length: int, what: str) -> np.ndarray:
        """A one-dimensional array of ``length`` values (never a scalar that pandas would
        broadcast to any length the index claims)."""
        values = self.decode(tree)
        if not isinstance(values, np.ndarray) or values.ndim != 1 or len(values) != length:
            shape = values.shape if isinstance(values, np.ndarray) else type(values).__name__
            raise ModelFileError(f"the model file's {what} are {shape}, expected {length} values "
                                 "(one per timestamp of its index).")
        return values

    def _index(self, tree: Any) -> pd.Index:
        tag = next(iter(tree)) if isinstance(tree, dict) and tree else None
        if tag not in ("__datetimeindex__", "__rangeindex__", "__index__"):
            return self._refuse(f"an index of kind {str(tag)[:40]}")
        if not set(tree) - {tag} <= _TAG_KEYS[tag]:
            raise ModelFileError(f"the model file's {tag} has keys {sorted(tree)[:10]}; "
                                 f"expected {sorted(_TAG_KEYS[tag] | {tag})}.")
        name = self._hashable(self.decode(tree.get("name")))
        if tag == "__datetimeindex__":
            values = self.decode(tree[tag])
            if not isinstance(values, np.ndarray) or values.dtype != np.int64 or values.ndim != 1:
                return self._refuse("a time index that is not 64-bit integers")
            index = pd.DatetimeIndex(values.astype(f"datetime64[{self._unit(tree)}]"), name=name)
            tz = _short_text(tree.get("tz"), "time zone", none=True)
            if tz:
                index = index.tz_localize("UTC").tz_convert(tz)
            if tree.get("freq"):
                index.freq = to_offset_checked(tree["freq"])
            return index
        if tag == "__rangeindex__":
            bounds = _list(tree[tag], tag)
            if len(bounds) != 3 or not all(isinstance(v, int) and not isinstance(v, bool) for v in bounds):
                raise ModelFileError(f"the model file's range index is {str(bounds)[:80]}, not three integers.")
            return pd.RangeIndex(*bounds, name=name)
        values = self.decode(tree[tag])
        if not isinstance(values, np.ndarray) or values.ndim != 1:
            raise ModelFileError("the model file's index is not a one-dimensional array.")
        return pd.Index(values, name=name)

    def _unit(self, tree: dict) -> str:
        unit = tree.get("unit", "ns")
        return unit if unit in ("s", "ms", "us", "ns") else self._refuse(f"time unit {str(unit)[:20]!r}")

    @staticmethod
    def _hashable(value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @staticmethod
    def _refuse(what: str) -> Any:
        raise ModelFileError(f"the model file asks for {what}, which tsforecast never writes; refusing to load it.")


#: the keys each tagged value may carry besides its tag (what :class:`Encoder` writes)
_TAG_KEYS: dict[str, set[str]] = {
    "__array__": set(), "__float__": set(), "__objects__": {"shape"}, "__tuple__": set(), "__dict__": set(),
    "__timestamp__": {"unit", "tz"}, "__freq__": set(), "__datetimeindex__": {"unit", "tz", "freq", "name"},
    "__rangeindex__": {"name"}, "__index__": {"name"}, "__series__": set(), "__frame__": set(),
    "__dataclass__": {"fields"}, "__model__": set(),
}
_INT64 = (-(2**63), 2**63 - 1)
#: characters of a frequency or time-zone name ("W-SUN", "America/Argentina/Buenos_Aires")
_MAX_NAME = 64


def _list(value: Any, what: str) -> list:
    if not isinstance(value, list):
        raise ModelFileError(f"the model file's {what} is {type(value).__name__}, expected a list.")
    return value


def _fields(value: Any, names: set[str], what: str) -> dict:
    if not isinstance(value, dict) or set(value) != names:
        found = sorted(value)[:10] if isinstance(value, dict) else type(value).__name__
        raise ModelFileError(f"the model file's {what} has fields {found}, expected {sorted(names)}.")
    return value


def _short_text(value: Any, what: str, none: bool = False) -> str | None:
    if value is None and none:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_NAME:
        raise ModelFileError(f"the model file's {what} {str(value)[:40]!r} is not a name of at most "
                             f"{_MAX_NAME} characters.")
    return value


def to_offset_checked(value: Any) -> pd.offsets.BaseOffset:
    """The pandas frequency ``value`` (a frequency string from a model file) names, or a
    :class:`ModelFileError` naming the field when it is not one."""
    text = _short_text(value, "frequency")
    try:
        return pd.tseries.frequencies.to_offset(text)
    except ValueError:
        raise ModelFileError(f"the model file's frequency {text!r} is not a frequency this pandas knows "
                             f"(pandas {pd.__version__}).") from None
