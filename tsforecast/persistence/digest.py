"""The bytes a model file's checksum and signature cover: its JSON and every array (name,
dtype, shape, bytes), in one canonical order. One definition, so the checksum
(:mod:`tsforecast.persistence.files`) and the signature (:mod:`tsforecast.persistence.signing`)
can never disagree about what they protect."""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

import numpy as np

__all__ = ["feed", "checksum"]


class _Hasher(Protocol):
    def update(self, data: bytes, /) -> Any: ...


def feed(hasher: _Hasher, document: str, arrays: dict[str, np.ndarray]) -> None:
    """Pass the JSON ``document`` and every array of a model file to ``hasher``."""
    hasher.update(document.encode())
    for key in sorted(arrays):
        array = np.ascontiguousarray(arrays[key])
        hasher.update(f"\0{key}\0{array.dtype.str}\0{array.shape}\0".encode())
        hasher.update(array.tobytes())


def checksum(document: str, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 (hex) over the file's content: detects damage, not tampering (no key)."""
    digest = hashlib.sha256()
    feed(digest, document, arrays)
    return digest.hexdigest()
