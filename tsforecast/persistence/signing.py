"""Optional signatures on model files: HMAC-SHA256 with a key from the environment.

The checksum in every model file detects damage (a flipped bit, a file cut short), but anyone
can recompute it after changing the file. A signature needs the key: with
``TSFORECAST_MODEL_KEY`` set, :func:`~tsforecast.persistence.files.save_model` stores an
HMAC-SHA256 of the file's content (:mod:`tsforecast.persistence.digest`) in the metadata
entry ``hmac_sha256``, and loading refuses any file whose signature is missing or does not
match the key. Without the key, a signed file still loads (the signature is ignored by
design: the key may live only on the machine that checks) with an
:class:`UnverifiedModelWarning`; an unsigned file loads as before.
"""

from __future__ import annotations

import hmac
import os
import warnings
from hashlib import sha256
from pathlib import Path

import numpy as np

from tsforecast.core.errors import ConfigError, ModelFileError, UnverifiedModelWarning
from tsforecast.persistence.digest import feed

__all__ = ["KEY_VARIABLE", "MIN_KEY_LENGTH", "SIGNATURE_ENTRY", "UnverifiedModelWarning", "signing_key", "sign",
           "verify"]

#: the environment variable holding the signing key
KEY_VARIABLE = "TSFORECAST_MODEL_KEY"
#: a shorter key could be guessed offline from any one signed file
MIN_KEY_LENGTH = 16
#: the safetensors metadata entry holding the signature (hex)
SIGNATURE_ENTRY = "hmac_sha256"


def signing_key() -> bytes | None:
    """The key in ``TSFORECAST_MODEL_KEY`` (UTF-8 bytes), or None when it is not set.

    A set but empty or short key is a mistake (a secret that failed to load), not a wish to
    skip signing, so it raises :class:`~tsforecast.core.errors.ConfigError` instead of silently
    writing or accepting unsigned files."""
    text = os.environ.get(KEY_VARIABLE)
    if text is None:
        return None
    if len(text) < MIN_KEY_LENGTH:
        raise ConfigError(f"{KEY_VARIABLE} is set but {'empty' if not text else f'{len(text)} characters long'}; "
                          f"a signing key needs at least {MIN_KEY_LENGTH} characters. Fix: set it to a long "
                          "random secret (e.g. python -c 'import secrets; print(secrets.token_hex(32))'), "
                          "or unset it to save and load without signatures.")
    return text.encode()


def sign(key: bytes, document: str, arrays: dict[str, np.ndarray]) -> str:
    """HMAC-SHA256 (hex) of a model file's content under ``key``."""
    mac = hmac.new(key, digestmod=sha256)
    feed(mac, document, arrays)
    return mac.hexdigest()


def verify(path: Path, signature: str | None, document: str, arrays: dict[str, np.ndarray]) -> None:
    """Check a file's ``signature`` (None: unsigned) against the key, if one is set; raise
    :class:`ModelFileError` for a missing or wrong signature under a key."""
    key = signing_key()
    if key is None:
        if signature is not None:
            warnings.warn(f"{path} is signed, but {KEY_VARIABLE} is not set: its signature was not verified.",
                          UnverifiedModelWarning, stacklevel=3)
        return
    if signature is None:
        raise ModelFileError(f"{path} is not signed, and {KEY_VARIABLE} is set: only files signed with that key "
                             f"load. Fix: save the model again with the key set, or unset {KEY_VARIABLE} to load "
                             "unsigned files.")
    if not hmac.compare_digest(sign(key, document, arrays), signature):
        raise ModelFileError(f"{path}: its signature does not match the key in {KEY_VARIABLE}: it was signed with "
                             "another key or modified after it was signed; refusing to load it.")
