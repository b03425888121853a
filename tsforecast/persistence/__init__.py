"""Saving fitted models to a safe, versioned file and loading them back
(see :mod:`tsforecast.persistence.files` for the format, and
:mod:`tsforecast.persistence.signing` for optional signatures)."""

from tsforecast.core.errors import ModelFileError
from tsforecast.persistence.files import FORMAT_VERSION, load, read_metadata, save_model
from tsforecast.persistence.signing import KEY_VARIABLE, UnverifiedModelWarning

__all__ = ["FORMAT_VERSION", "KEY_VARIABLE", "ModelFileError", "UnverifiedModelWarning", "load", "read_metadata",
           "save_model"]
