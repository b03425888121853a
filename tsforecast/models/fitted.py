"""What a fitted model holds and how it is taken out and put back.

:class:`FittedState` is the part of :class:`~tsforecast.models.base.Forecaster` that owns the
training history (``y_`` and ``X_``, kept as parts that ``update`` appends to) and implements
the public state protocol of :mod:`tsforecast.persistence.state`: :meth:`~FittedState.state`
gives the fitted model as data and :meth:`~FittedState.from_state` builds it back, which is
all a model file needs. Subclasses extend it through three hooks: ``_saved_state`` (the
fitted attributes to keep, with unsaveable objects replaced), ``_restore_state`` (set them
back, rebuilding those objects) and ``_rebuild_results`` (statsmodels results from their
parameters).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

import numpy as np
import pandas as pd

from tsforecast.core.errors import ConfigError, NotFittedError
from tsforecast.persistence.state import ModelState

__all__ = ["FittedState"]


class FittedState:
    """Mixin of :class:`~tsforecast.models.base.Forecaster`: the training history and the
    state protocol (it relies on the Forecaster's ``short_name``, ``freq_``, ``get_params``
    and ``check_params``)."""

    # ------------------------------------------------------------- the state protocol
    def state(self) -> ModelState:
        """The fitted model as data: registry name, parameters, training history (updates
        included) and fitted attributes (see :class:`~tsforecast.persistence.state.ModelState`).

        :meth:`from_state` builds the same fitted model from it, and
        :func:`tsforecast.persistence.save_model` writes it to a file. The values are this
        model's own, not copies (saving a large model must not double its memory): treat the
        state as read-only, and as a view of the model as it is now (a later ``update`` may
        change parts of it). Raises :class:`~tsforecast.core.errors.NotFittedError` before ``fit``.
        """
        if not self.__sklearn_is_fitted__():  # the one rule for "fitted": a cutoff
            raise NotFittedError(f"{self.short_name}: fit the model before saving it or taking its state.")
        # callables (a progress callback) are code, not data: the rebuilt model goes without
        params = {k: v for k, v in self.get_params(deep=False).items() if not callable(v)}
        return ModelState(model=self.short_name, params=params, y=self.y_, X=self.X_, fitted=self._saved_state())

    @classmethod
    def from_state(cls, state: ModelState, *, copy: bool = True) -> FittedState:
        """The fitted model ``state`` (from :meth:`state`, or decoded from a model file)
        describes: it forecasts exactly what the model that gave the state did, and can
        ``update``. Statsmodels results and networks are rebuilt from the saved parameters and
        weights; nothing is re-estimated. Raises :class:`~tsforecast.core.errors.ConfigError`
        for a state of another model or invalid parameters.

        The model gets its own copy of the fitted attributes, so a state builds any number of
        independent models, and updating one leaves the model that gave the state unchanged
        (an ARIMA's filter state advances in place). The history is shared: ``update`` never
        changes it in place. ``copy=False`` skips the copy for a state nobody else holds (a
        model file's loader: copying a network's weights would double its memory).
        """
        if state.model != cls.short_name:
            raise ConfigError(f"{cls.__name__}.from_state got a state of model {state.model!r}, not "
                              f"{cls.short_name!r}; build it with the class the registry names for it "
                              "(tsforecast.registry.model_class).")
        model = cls(**state.params)
        model.check_params()
        model.y_ = state.y
        model.X_ = state.X
        # restoring pops from the mapping it is given, so never the state's own
        model._restore_state(deepcopy(state.fitted) if copy else dict(state.fitted))
        return model

    @classmethod
    def state_dataclasses(cls) -> tuple[type, ...]:
        """The dataclasses (marked with :func:`tsforecast.persistence.state_dataclass`) that
        this model's fitted attributes may hold and that importing its class does not import;
        a model file's loader calls it before decoding the state. None by default."""
        return ()

    # ------------------------------------------------------ hooks for subclasses
    def _saved_state(self) -> dict[str, Any]:
        """The fitted attributes a model file keeps (the history is saved on its own).

        Values must be JSON-like, numpy arrays, pandas objects, marked dataclasses or models
        (see :mod:`tsforecast.persistence.codec`). Statsmodels results in ``results_`` are
        kept as their parameters and rebuilt by :meth:`_rebuild_results`; models holding
        other objects (networks) replace them here and rebuild them in :meth:`_restore_state`.
        """
        state = {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}
        if "results_" in state:
            state["results_"] = np.asarray(state["results_"].params, dtype="float64")
        return state

    def _restore_state(self, state: dict[str, Any]) -> None:
        """Set the saved fitted attributes back (the history is already in place)."""
        params = state.pop("results_", None)
        for name, value in state.items():
            setattr(self, name, value)
        if params is not None:
            self._rebuild_results(params)

    def _rebuild_results(self, params: np.ndarray) -> None:
        """Recreate ``results_`` from saved parameters on the restored history, without
        estimating anything (models that keep statsmodels results implement it)."""
        raise NotImplementedError

    # ------------------------------------------------------------ training history
    # update() appends to a list of parts and y_/X_ concatenate them only when read: copying
    # the whole history on every one-day update would cost more than the update itself.
    @property
    def y_(self) -> pd.Series:
        """The training series, including observations appended by ``update``."""
        return self._merged_history()[0]

    @y_.setter
    def y_(self, series: pd.Series) -> None:
        self._history_parts = [(series, None)]

    @property
    def X_(self) -> pd.DataFrame | None:
        """The exogenous regressors on the timestamps of ``y_`` (None without X)."""
        return self._merged_history()[1]

    @X_.setter
    def X_(self, frame: pd.DataFrame | None) -> None:
        self._history_parts[0] = (self._history_parts[0][0], frame)

    def _merged_history(self) -> tuple[pd.Series, pd.DataFrame | None]:
        parts = self.__dict__.get("_history_parts")
        if not parts:
            raise AttributeError("the model is not fitted yet; it has no training history")
        if len(parts) > 1:
            series = pd.concat([y for y, _ in parts])
            series.index.freq = self.freq_
            frame = parts[0][1]
            if frame is not None:
                frame = pd.concat([X for _, X in parts])
                frame.index.freq = self.freq_
            parts[:] = [(series, frame)]
        return parts[0]
