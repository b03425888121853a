"""Size and shape bounds on a model file, checked before anything in it is decoded.

A model file may come from anywhere, so reading it must cost memory and stack in proportion
to the file, never to what the file claims. Each bound is far above what tsforecast writes
(the deepest real tree, ``auto`` holding fitted candidates, is 15 levels; the largest model
has a few hundred arrays) and each breach is refused with a :class:`ModelFileError` that
names it, instead of a ``RecursionError`` or ``MemoryError`` escaping from the JSON parser,
the decoder or pandas.
"""

from __future__ import annotations

import json
import math
from typing import Any

from tsforecast.core.errors import ModelFileError

__all__ = [
    "MAX_HEADER", "MAX_DEPTH", "MAX_ARRAYS", "MAX_STRING", "MAX_NDIM", "ARRAY_DTYPES",
    "parse_json", "check_tree", "check_tensor_table",
]

#: bytes of the safetensors header (JSON); safetensors' own bound
MAX_HEADER = 100 * 2**20
#: nesting of lists and objects in the JSON; the decoder recurses once per level
MAX_DEPTH = 64
#: arrays (tensors) in one file
MAX_ARRAYS = 65_536
#: characters of one string in the JSON (a name, a frequency, a text value)
MAX_STRING = 2**20
#: dimensions of one array
MAX_NDIM = 8
#: safetensors dtype -> bytes per element, for the numeric kinds tsforecast writes
ARRAY_DTYPES = {"BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2, "U32": 4, "I32": 4, "F32": 4,
                "U64": 8, "I64": 8, "F64": 8}


def parse_json(text: str | bytes, what: str, not_json: str) -> Any:
    """``text`` parsed as JSON; a :class:`ModelFileError` with the message ``not_json`` when
    it is not JSON, or naming ``what`` when it is nested or sized beyond what a parser holds."""
    try:
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(not_json) from None
    except RecursionError:
        # the C parser counts nesting against the interpreter's recursion limit and stops there
        raise ModelFileError(f"{what} is nested deeper than {MAX_DEPTH} levels; "
                             "tsforecast never writes such a file, so it refuses to read it.") from None
    except MemoryError:
        raise ModelFileError(f"{what} is too large to read into memory; refusing to load it.") from None


def check_tree(tree: Any, what: str) -> None:
    """Refuse ``tree`` (parsed JSON) if it nests deeper than :data:`MAX_DEPTH` or holds a
    string longer than :data:`MAX_STRING`. Iterative, so a deep tree cannot exhaust the stack
    here; after this check the recursive decoder is safe."""
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if len(node) > MAX_STRING:
                raise ModelFileError(f"{what} holds a string of {len(node)} characters (at most {MAX_STRING} "
                                     "are read); refusing to load it.")
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            raise ModelFileError(f"{what} is nested deeper than {MAX_DEPTH} levels; "
                                 "tsforecast never writes such a file, so it refuses to read it.")
        children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)


def check_tensor_table(header: dict, body_size: int, what: str) -> None:
    """Check every array entry of a safetensors ``header`` against the ``body_size`` bytes
    that follow it: a known dtype, a shape of at most :data:`MAX_NDIM` non-negative integers
    whose size in bytes equals its ``data_offsets`` span, spans inside the body, and at most
    :data:`MAX_ARRAYS` arrays. Nothing is allocated from a shape before this passes."""
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    if len(entries) > MAX_ARRAYS:
        raise ModelFileError(f"{what} declares {len(entries)} arrays (at most {MAX_ARRAYS} are read); "
                             "refusing to load it.")
    total = 0
    for name, entry in entries.items():
        where = f"{what}: array {name[:80]!r}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise ModelFileError(f"{where} is not described by dtype, shape and data_offsets; the file is damaged.")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in ARRAY_DTYPES:
            raise ModelFileError(f"{where} has dtype {str(dtype)[:20]!r}, which tsforecast never writes.")
        if not (isinstance(shape, list) and len(shape) <= MAX_NDIM and all(_natural(n) for n in shape)):
            raise ModelFileError(f"{where} has shape {str(shape)[:80]}; expected at most {MAX_NDIM} "
                                 "non-negative integers.")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_natural(n) for n in offsets)
                and offsets[0] <= offsets[1] <= body_size):
            raise ModelFileError(f"{where} lies outside the file (offsets {str(offsets)[:80]}, "
                                 f"{body_size} bytes of arrays); the file is truncated or damaged.")
        size = math.prod(shape) * ARRAY_DTYPES[dtype]
        if size != offsets[1] - offsets[0]:
            raise ModelFileError(f"{where} claims shape {shape} ({size} bytes) but holds "
                                 f"{offsets[1] - offsets[0]} bytes; the file is damaged.")
        total += size
    if total > body_size:
        raise ModelFileError(f"{what}: its arrays claim {total} bytes, the file holds {body_size}; "
                             "the file is damaged.")


def _natural(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
