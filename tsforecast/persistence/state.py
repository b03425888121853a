"""The public state protocol between fitted models and model files.

A model file never holds a Python object, only data: what :meth:`SaveableModel.state` returns
(a :class:`ModelState`: the registry name, the constructor parameters, the training history
and the fitted attributes), encoded by :mod:`tsforecast.persistence.codec`. Loading decodes
that data and hands it to the class the registry names, through
:meth:`SaveableModel.from_state`. So persistence knows no concrete model: it sits below the
models, and a model takes part by implementing the protocol (every
:class:`~tsforecast.models.base.Forecaster` does).

Fitted attributes may hold dataclasses (a scaler, a Kalman filter state, a network's
configuration). A file names such a class by its bare name, so only classes marked with
:func:`state_dataclass` can be built from a file, and only from their fields: no code of the
file's choosing ever runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

from tsforecast.data.exog import ExogSchema

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ModelState", "SaveableModel", "state_dataclass", "TRUSTED_DATACLASSES"]

_T = TypeVar("_T", bound=type)


# eq=False: equality of arrays and frames is not a bool (compare the parts that matter)
@dataclasses.dataclass(frozen=True, eq=False)
class ModelState:
    """Everything a fitted model is made of, as data.

    ``model`` is the registry name (``"ets"``), ``params`` the constructor parameters
    (``get_params(deep=False)``), ``y`` and ``X`` the training history (``X`` None without
    exogenous regressors) and ``fitted`` the fitted attributes by name (``freq_``,
    ``season_``, ``cutoff_``, ``exog_schema_`` and the model's own). Values are plain Python
    values, numpy arrays, pandas objects, :func:`state_dataclass` instances or other models
    (``auto`` holds the models it chose); models are saved through their own state.
    """

    model: str
    params: dict[str, Any]
    y: pd.Series
    X: pd.DataFrame | None
    fitted: dict[str, Any]


@runtime_checkable
class SaveableModel(Protocol):
    """What persistence needs from a model: its name, its state, and a way back from it."""

    #: the name the registry knows the model by (the ``model`` of its state)
    short_name: ClassVar[str]

    def state(self) -> ModelState:
        """The fitted model as data (raises NotFittedError before ``fit``)."""
        ...

    @classmethod
    def from_state(cls, state: ModelState, *, copy: bool = True) -> SaveableModel:
        """The fitted model ``state`` describes; it forecasts what the model that gave it did.
        ``copy=False`` when the caller owns the state (a loader that has just decoded it)."""
        ...

    @classmethod
    def state_dataclasses(cls) -> tuple[type, ...]:
        """The :func:`state_dataclass` classes its fitted attributes may hold that importing
        the model's class does not import (the loader calls it before decoding a state)."""
        ...


_TRUSTED: dict[str, type] = {}
#: the only classes a model file may ask to build, by name (read-only; see :func:`state_dataclass`)
TRUSTED_DATACLASSES: Mapping[str, type] = MappingProxyType(_TRUSTED)


def state_dataclass(cls: _T) -> _T:
    """Class decorator: let model files hold instances of the dataclass ``cls``.

    A file names the class by its ``__name__`` and the loader builds it from its fields, so
    the class must be a dataclass whose constructor only stores them, and its name must be
    unique among the marked classes. A class is known once its module is imported: a model
    whose state holds one imports it with the model's class or names it in
    :meth:`SaveableModel.state_dataclasses`.
    """
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise TypeError(f"state_dataclass marks dataclasses only, not {cls!r}.")
    known = _TRUSTED.get(cls.__name__)
    # the same class seen again (a module reloaded) replaces itself; another class of the
    # same name would make a file's bare name ambiguous
    if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
        raise TypeError(f"state_dataclass: {known.__module__}.{known.__qualname__} is already marked under the "
                        f"name {cls.__name__!r}; a model file names a class by its name alone, so rename one.")
    _TRUSTED[cls.__name__] = cls
    return cls


# the data layer sits below persistence: its dataclass is marked here
state_dataclass(ExogSchema)
