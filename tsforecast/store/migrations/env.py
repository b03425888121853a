"""Alembic's environment for the forecast store: run by :func:`tsforecast.store.connect.migrate`
on a connection it has already opened, locked and begun a transaction on (never from an
``alembic.ini``: users need none). The upgrade joins that transaction, so a store is
migrated whole or not at all, and two processes opening a new store do not both create it."""

from __future__ import annotations

from alembic import context

from tsforecast.store.schema import VERSION_TABLE, metadata

__all__: list[str] = []

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata,
                  version_table=VERSION_TABLE)
with context.begin_transaction():  # inside the caller's transaction: no transaction of its own
    context.run_migrations()
