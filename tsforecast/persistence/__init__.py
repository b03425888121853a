"""Saving fitted models to a safe, versioned file and loading them back
(see :mod:`tsforecast.persistence.files` for the format)."""

from tsforecast.errors import ModelFileError
from tsforecast.persistence.files import FORMAT_VERSION, load, read_metadata, save_model

__all__ = ["FORMAT_VERSION", "ModelFileError", "load", "read_metadata", "save_model"]
