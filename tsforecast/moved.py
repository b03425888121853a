"""Old import paths of modules that moved into the layered packages, kept working.

``import tsforecast.base`` (or ``from tsforecast.errors import DataError``) still works and
gives the module at its new place, with a :class:`DeprecationWarning` naming that place. One
table, one import hook: no stub module per old path cluttering the package tree.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings

__all__ = ["MOVED", "install"]

#: old module path -> where it lives now
MOVED: dict[str, str] = {
    "tsforecast.errors": "tsforecast.core.errors",
    "tsforecast.params": "tsforecast.core.params",
    "tsforecast.frequency": "tsforecast.core.frequency",
    "tsforecast.threads": "tsforecast.core.threads",
    "tsforecast.provenance": "tsforecast.core.provenance",
    "tsforecast.validation": "tsforecast.data.validation",
    "tsforecast.dates": "tsforecast.data.dates",
    "tsforecast.panel": "tsforecast.data.panel",
    "tsforecast.datasets": "tsforecast.data.datasets",
    "tsforecast.synthetic": "tsforecast.data.synthetic",
    "tsforecast.csv_dialect": "tsforecast.data.csv_dialect",
    "tsforecast.series_ids": "tsforecast.data.series_ids",
    "tsforecast.metrics": "tsforecast.evaluation.metrics",
    "tsforecast.scoring": "tsforecast.evaluation.scoring",
    "tsforecast.significance": "tsforecast.evaluation.significance",
    "tsforecast.diagnostics": "tsforecast.evaluation.diagnostics",
    "tsforecast.level_shift": "tsforecast.evaluation.level_shift",
    "tsforecast.base": "tsforecast.models.base",
    "tsforecast.models.statistical": "tsforecast.models.arima.estimators",
    "tsforecast.models.auto_arima": "tsforecast.models.arima.auto_arima",
    "tsforecast.models.arima_mle": "tsforecast.models.arima.mle",
    "tsforecast.models.arma_likelihood": "tsforecast.models.arima.likelihood",
    "tsforecast.models.bfgs": "tsforecast.models.arima.bfgs",
    "tsforecast.models.css": "tsforecast.models.arima.css",
    "tsforecast.models.kalman": "tsforecast.models.arima.kalman",
    "tsforecast.models.networks": "tsforecast.models.neural.networks",
    "tsforecast.models.training": "tsforecast.models.neural.training",
    "tsforecast.models.windows": "tsforecast.models.neural.windows",
    "tsforecast.models.auto": "tsforecast.selection.auto",
    "tsforecast.cli": "tsforecast.app.cli",
    "tsforecast.settings": "tsforecast.app.settings",
    "tsforecast.outputs": "tsforecast.app.outputs",
    "tsforecast.continuation": "tsforecast.app.continuation",
}


def _caller_stacklevel() -> int:
    """The stack level of the frame that wrote the import (past the import machinery)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                 or frame.f_code.co_filename == __file__):
        frame, level = frame.f_back, level + 1
    return level


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds an old path in :data:`MOVED` and loads it as the module at its new path."""

    def __init__(self) -> None:
        self._own_specs: dict[str, importlib.machinery.ModuleSpec] = {}

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        new = MOVED[spec.name]
        warnings.warn(f"{spec.name} moved to {new}; import it from there (the old path will be removed "
                      "in a future release).", DeprecationWarning, stacklevel=_caller_stacklevel())
        module = importlib.import_module(new)
        self._own_specs[new] = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        # the import system set the alias spec on the real module; give it its own back
        module.__spec__ = self._own_specs[module.__name__]


def install() -> None:
    """Put the hook on ``sys.meta_path`` (once; ``import tsforecast`` does it)."""
    if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
        sys.meta_path.append(_MovedModules())
