"""Fitted state to JSON plus named arrays, and back, without executing anything on the way in.

Encoding turns a nested value into a JSON-able tree in which every numeric array is replaced
by a reference ``{"__array__": key}`` into a flat ``{key: ndarray}`` table (stored as
safetensors). Decoding can only build plain Python values, numpy arrays, a few pandas types,
the dataclasses listed in :data:`TRUSTED_DATACLASSES` (built from their fields, which runs no
code of the file's choosing) and registered models (through the registry). Anything else in a
file is refused: unlike pickle, a model file cannot name a function to call.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from tsforecast.errors import ModelFileError

__all__ = ["Encoder", "Decoder", "TRUSTED_DATACLASSES"]


def _trusted_dataclasses() -> dict[str, type]:
    # imported when a file is read or written, not at import time (torch-free modules only)
    from tsforecast.models.features import Scaler
    from tsforecast.models.kalman import KalmanState
    from tsforecast.models.networks import NetworkConfig
    from tsforecast.models.training import TrainHistory
    from tsforecast.validation import ExogSchema

    return {cls.__name__: cls for cls in (ExogSchema, KalmanState, NetworkConfig, Scaler, TrainHistory)}


#: the only classes a file may ask to build: name -> class (filled on first use)
TRUSTED_DATACLASSES: dict[str, type] = {}

_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float: what safetensors stores


class Encoder:
    """Collects arrays while encoding; ``arrays`` is the table to store beside the JSON."""

    def __init__(self, encode_model: Callable[[Any, str, Encoder], dict]) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._encode_model = encode_model

    def array(self, values: np.ndarray, key: str) -> dict:
        """Store ``values`` under ``key`` (made unique) and return the reference."""
        while key in self.arrays:
            key += "'"
        self.arrays[key] = np.ascontiguousarray(values)
        return {"__array__": key}

    def encode(self, value: Any, key: str) -> Any:
        """The JSON-able form of ``value``; ``key`` names any array it contains."""
        from tsforecast.base import Forecaster

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
        if dataclasses.is_dataclass(value) and type(value).__name__ in _trusted():
            fields = {f.name: self.encode(getattr(value, f.name), f"{key}.{f.name}") for f in dataclasses.fields(value)}
            return {"__dataclass__": type(value).__name__, "fields": fields}
        if isinstance(value, Forecaster):
            return {"__model__": self._encode_model(value, key, self)}
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


def _trusted() -> dict[str, type]:
    if not TRUSTED_DATACLASSES:
        TRUSTED_DATACLASSES.update(_trusted_dataclasses())
    return TRUSTED_DATACLASSES


class Decoder:
    """Rebuilds values from the JSON tree and the array table, refusing anything unknown."""

    def __init__(self, arrays: dict[str, np.ndarray], decode_model: Callable[[dict, Decoder], Any]) -> None:
        self.arrays = arrays
        self._decode_model = decode_model

    def array(self, reference: str) -> np.ndarray:
        if not isinstance(reference, str) or reference not in self.arrays:
            raise ModelFileError(f"the model file refers to an array {reference!r} it does not contain.")
        return self.arrays[reference]

    def decode(self, tree: Any) -> Any:
        if tree is None or isinstance(tree, (bool, int, float, str)):
            return tree
        if isinstance(tree, list):
            return [self.decode(v) for v in tree]
        if not isinstance(tree, dict) or len(tree) == 0:
            raise ModelFileError(f"the model file holds a value tsforecast does not read: {str(tree)[:80]}")
        tag = next(iter(tree))
        body = tree[tag]
        if tag == "__array__":
            return self.array(body)
        if tag == "__float__":
            return float(body) if body in ("nan", "inf", "-inf") else self._refuse(tag)
        if tag == "__objects__":
            return np.array([self.decode(v) for v in body], dtype=object).reshape(tree["shape"])
        if tag == "__tuple__":
            return tuple(self.decode(v) for v in body)
        if tag == "__dict__":
            return {self._hashable(self.decode(k)): self.decode(v) for k, v in body}
        if tag == "__timestamp__":
            stamp = pd.Timestamp(int(body), tz="UTC" if tree.get("tz") else None).as_unit(self._unit(tree))
            return stamp.tz_convert(tree["tz"]) if tree.get("tz") else stamp
        if tag == "__freq__":
            return pd.tseries.frequencies.to_offset(str(body))
        if tag in ("__datetimeindex__", "__rangeindex__", "__index__"):
            return self._index(tree)
        if tag == "__series__":
            index = self._index(body["index"])
            return pd.Series(self.decode(body["values"]), index=index, name=self.decode(body["name"]))
        if tag == "__frame__":
            columns = [self._hashable(self.decode(c)) for c in body["columns"]]
            data = {i: self.decode(v) for i, v in enumerate(body["data"])}
            frame = pd.DataFrame(data, index=self._index(body["index"]))
            frame.columns = pd.Index(columns, dtype=object) if columns else frame.columns
            return frame
        if tag == "__dataclass__":
            cls = _trusted().get(body)
            if cls is None:
                return self._refuse(f"class {body!r}")
            names = {f.name for f in dataclasses.fields(cls)}
            fields = tree.get("fields", {})
            if set(fields) != names:
                raise ModelFileError(f"the model file's {body} has fields {sorted(fields)}, expected {sorted(names)}.")
            return cls(**{name: self.decode(v) for name, v in fields.items()})
        if tag == "__model__":
            return self._decode_model(body, self)
        return self._refuse(tag)

    def _index(self, tree: dict) -> pd.Index:
        tag = next(iter(tree))
        name = self._hashable(self.decode(tree.get("name")))
        if tag == "__datetimeindex__":
            values = self.decode(tree[tag])
            if not isinstance(values, np.ndarray) or values.dtype != np.int64:
                return self._refuse("a time index that is not 64-bit integers")
            index = pd.DatetimeIndex(values.astype(f"datetime64[{self._unit(tree)}]"), name=name)
            if tree.get("tz"):
                index = index.tz_localize("UTC").tz_convert(tree["tz"])
            if tree.get("freq"):
                index.freq = pd.tseries.frequencies.to_offset(tree["freq"])
            return index
        if tag == "__rangeindex__":
            start, stop, step = (int(v) for v in tree[tag])
            return pd.RangeIndex(start, stop, step, name=name)
        if tag == "__index__":
            return pd.Index(self.decode(tree[tag]), name=name)
        return self._refuse(tag)

    def _unit(self, tree: dict) -> str:
        unit = tree.get("unit", "ns")
        return unit if unit in ("s", "ms", "us", "ns") else self._refuse(f"time unit {unit!r}")

    @staticmethod
    def _hashable(value: Any) -> Any:
        return tuple(value) if isinstance(value, list) else value

    @staticmethod
    def _refuse(what: str) -> Any:
        raise ModelFileError(f"the model file asks for {what}, which tsforecast never writes; refusing to load it.")
