"""Saving fitted models to a safe, versioned file and loading them back
(see :mod:`tsforecast.persistence.files` for the format, :mod:`tsforecast.persistence.state`
for the state protocol models implement, and :mod:`tsforecast.persistence.signing` for
optional signatures). Persistence knows no concrete model: it sits below the models."""

from tsforecast.core.errors import ModelFileError
from tsforecast.persistence.files import FORMAT_VERSION, ModelFile, load, load_model_file, read_metadata, save_model
from tsforecast.persistence.signing import KEY_VARIABLE, UnverifiedModelWarning
from tsforecast.persistence.state import ModelState, SaveableModel, state_dataclass

__all__ = ["FORMAT_VERSION", "KEY_VARIABLE", "ModelFile", "ModelFileError", "ModelState", "SaveableModel",
           "UnverifiedModelWarning", "load", "load_model_file", "read_metadata", "save_model", "state_dataclass"]
