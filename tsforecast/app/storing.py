"""Recording a command's run in the forecast store (``--store``, the config's ``store``, or
``TSFORECAST_STORE``).

The store is opened before any work, so an unreachable server, refused credentials, a file
that is no store or a newer schema is one ``error:`` line and exit code 2 with nothing
forecast or written. The run is recorded after its files are published: a failed write then
leaves those files complete, says so on one ``error:`` line and exits with
:data:`~tsforecast.app.console.EXIT_STORE` (6), and the store is left as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import typer

from tsforecast.app.console import EXIT_STORE, Published, error
from tsforecast.core.errors import StoreError

__all__ = ["STORE_ENV", "open_store", "record_run"]

#: the environment variable naming the store when neither --store nor the config does
STORE_ENV = "TSFORECAST_STORE"


def open_store(settings: dict[str, Any]) -> Any:
    """The run's :class:`~tsforecast.store.Store`, checked now; None when no store is named."""
    location = settings.get("store") or os.environ.get(STORE_ENV) or None
    if location is None:
        return None
    from tsforecast.store import Store

    return Store(location)


def record_run(store: Any, meta: Callable[[], dict[str, Any]], rows: Callable[[], Any], published: Published,
               quiet: bool) -> None:
    """Record the published run in ``store`` (if any); a failure is one error line and exit 6."""
    if store is None:
        return
    from tsforecast.app.console import err

    try:
        with store:
            run_id = store.record_run(meta(), rows())
    except StoreError as exc:
        error(f"{exc} The run's files in {published.path} are complete; the store is unchanged.")
        raise typer.Exit(EXIT_STORE) from None
    if not quiet:
        err.print(f"store: run {run_id} recorded in {store.url}", highlight=False, markup=False)
