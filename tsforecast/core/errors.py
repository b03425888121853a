"""Exceptions and warnings raised by tsforecast.

Every problem a user can cause is reported as a subclass of :class:`TsforecastError` with a
message that names the problem, where it is and how to fix it. The CLI maps these classes to
exit codes; library code never prints.
"""

from __future__ import annotations

__all__ = [
    "TsforecastError",
    "DataError",
    "ConfigError",
    "ModelError",
    "NotFittedError",
    "ModelFileError",
    "FitTimeoutError",
    "StoreError",
    "DataRepairWarning",
    "FitWarning",
    "StaleDataWarning",
    "UnverifiedModelWarning",
]


class TsforecastError(Exception):
    """Base class of every error tsforecast raises on purpose."""


class DataError(TsforecastError, ValueError):
    """The input data cannot be used as given (wrong type, irregular, too short, ...)."""


class ConfigError(TsforecastError, ValueError):
    """A parameter, model name or configuration file is invalid."""


class ModelError(TsforecastError, RuntimeError):
    """A model failed to fit or predict on otherwise valid data."""


class NotFittedError(TsforecastError, ValueError, AttributeError):
    """A model was asked to predict or update before it was fitted.

    The same bases as scikit-learn's ``NotFittedError`` (ValueError, AttributeError), without
    importing scikit-learn here: this module is loaded by ``tsforecast --help``."""


class ModelFileError(TsforecastError, ValueError):
    """A model file cannot be loaded: missing, not a model file, damaged, modified, or saved
    in a newer format."""


class FitTimeoutError(TsforecastError):
    """A fit ran out of its time limit (a backtest's ``time_limit``, ``auto``'s ``time_budget``).

    Not a :class:`ModelError`: code that retries a model after a ModelError (``auto_arima``
    tries its next-best orders) must not retry after the time is up."""


class StoreError(TsforecastError, RuntimeError):
    """The forecast store cannot be used: unreachable, refused the credentials, written by a
    newer schema, or a write failed (the write is rolled back whole)."""


class DataRepairWarning(UserWarning):
    """The input was repaired (sorted, de-duplicated, gaps filled); the message says how."""


class FitWarning(UserWarning):
    """A model fitted, but the optimiser reported a problem (e.g. no convergence)."""


class StaleDataWarning(UserWarning):
    """The data holds no observation newer than the model's: the forecast is the previous one."""


class UnverifiedModelWarning(UserWarning):
    """A signed model file was loaded without ``TSFORECAST_MODEL_KEY``: the signature was
    not checked."""
