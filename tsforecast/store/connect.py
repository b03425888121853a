"""Reaching a forecast store: the URL, the engine, the schema check and upgrade, and the
transactions every write runs in.

SQLite (the embedded default) is opened in WAL mode with a busy timeout, and every write
begins with ``BEGIN IMMEDIATE``: two scheduled runs writing at once take turns instead of
one failing, readers are never blocked, and a process killed mid-write leaves only a
transaction that SQLite rolls back on the next open. pysqlite's own transaction handling is
switched off (SQLAlchemy's documented recipe), because it would not put DDL inside the
transaction and would not let us choose ``IMMEDIATE``.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from tsforecast.core.errors import StoreError
from tsforecast.store.schema import SCHEMA_VERSION, TABLES, VERSION_TABLE, revision_number

__all__ = ["StoreURL", "parse_store_url", "create_store_engine", "describe_failure", "schema_state",
           "check_version", "migrate", "write_transaction", "is_locked", "retry_locked", "MIGRATIONS",
           "BUSY_TIMEOUT_SECONDS"]

#: the Alembic scripts (env.py and versions/), shipped inside the package
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: how long a SQLite write waits for another writer's transaction before retrying
BUSY_TIMEOUT_SECONDS = 30.0
# whole-transaction retries after SQLite still reports "database is locked" (a writer that
# held the lock longer than the busy timeout, or a lock upgrade SQLite refuses to wait for)
_LOCK_RETRIES = 5
# a PostgreSQL advisory lock key: one migrating process at a time per database
_MIGRATION_LOCK = 0x7473_6663  # "tsfc"

T = TypeVar("T")


class StoreURL:
    """Where a store is: ``url`` (a SQLAlchemy URL), ``shown`` (the same with the password
    masked, for messages) and, for SQLite, ``path`` (None for a server)."""

    def __init__(self, url: sa.URL, path: Path | None) -> None:
        self.url, self.path = url, path
        self.shown = url.render_as_string(hide_password=True) if path is None else str(path)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def parse_store_url(location: str | os.PathLike[str]) -> StoreURL:
    """A plain path (or ``sqlite:///path``) is a SQLite file; any other ``scheme://`` text is a
    SQLAlchemy URL (``postgresql+psycopg://user:pw@host/db``)."""
    if isinstance(location, os.PathLike) or (isinstance(location, str) and "://" not in location):
        text = os.fspath(location)
        if not text.strip():
            raise StoreError("the forecast store location is empty; give a file path or a database URL.")
        path = Path(text).expanduser()
        return StoreURL(sa.URL.create("sqlite", database=str(path)), path)
    if not isinstance(location, str):
        raise StoreError(f"the forecast store location must be a path or a URL, got {type(location).__name__}.")
    try:
        url = sa.make_url(location)
    except sa_exc.ArgumentError as exc:
        raise StoreError(f"{_mask(location)} is not a database URL (e.g. postgresql+psycopg://user@host/db "
                         f"or a file path): {exc}") from None
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise StoreError(f"{url}: an in-memory SQLite database would forget every run; give a file path.")
        return StoreURL(url, Path(url.database).expanduser())
    return StoreURL(url, None)


def _mask(text: str) -> str:
    """``text`` with the password of a ``scheme://user:password@host`` URL replaced by ***."""
    scheme, sep, rest = text.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not (sep and at and ":" in credentials):
        return text
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def create_store_engine(where: StoreURL) -> sa.Engine:
    """The engine for ``where``; a missing driver is a StoreError naming what to install."""
    try:
        if where.is_sqlite:
            engine = sa.create_engine(where.url, poolclass=sa.pool.NullPool,
                                      connect_args={"timeout": BUSY_TIMEOUT_SECONDS})
            sa.event.listen(engine, "connect", _sqlite_connect)
            sa.event.listen(engine, "begin", _sqlite_begin)
            return engine
        # a server that does not answer fails after 10 s, not after the OS's TCP timeout
        connect_args = {"connect_timeout": 10} if where.url.get_backend_name() == "postgresql" else {}
        return sa.create_engine(where.url, pool_pre_ping=True, connect_args=connect_args)
    except (sa_exc.NoSuchModuleError, ModuleNotFoundError) as exc:
        hint = ' (pip install "tsforecast[postgres]")' if where.url.get_backend_name() == "postgresql" else ""
        raise StoreError(f"forecast store {where.shown}: no database driver for it{hint}: {exc}") from None


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see the module docstring)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        # switching to WAL takes an exclusive lock that the busy timeout does not wait for
        # (another process creating the store at the same moment makes it fail at once):
        # switch only a file that is not in WAL yet, and let the caller retry a lock
        if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")  # WAL's durable-enough setting: a commit survives a crash
    finally:
        cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    write = connection.get_execution_options().get("tsforecast_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def describe_failure(where: StoreURL, exc: BaseException, doing: str) -> StoreError:
    """A database error as one StoreError naming the store (password masked) and the cause."""
    original = getattr(exc, "orig", None) or exc
    reason = " ".join(str(original).split()) or type(original).__name__
    lowered = reason.lower()
    refused = any(word in lowered for word in ("password", "authentication")) or (
        "role" in lowered and "does not exist" in lowered)
    if isinstance(exc, sa_exc.OperationalError) and not where.is_sqlite and refused:
        return StoreError(f"forecast store {where.shown} refused the credentials: {reason}")
    if isinstance(exc, sa_exc.OperationalError) and not where.is_sqlite and doing == "connect":
        return StoreError(f"forecast store {where.shown} cannot be reached: {reason}")
    if where.is_sqlite and "not a database" in lowered:
        return StoreError(f"{where.shown} is not a forecast store (not a SQLite database): {reason}")
    return StoreError(f"forecast store {where.shown}: could not {doing}: {reason}")


def schema_state(connection: sa.Connection) -> tuple[int, list[str]]:
    """The store's schema version (0: none yet) and the store tables it already holds."""
    names = set(sa.inspect(connection).get_table_names())
    ours = sorted(names & set(TABLES))
    if VERSION_TABLE not in names:
        return 0, ours
    revision = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    return revision_number(revision), ours


def check_version(where: StoreURL, version: int, ours: list[str], other_tables: bool) -> None:
    """Refuse a newer schema, and a database that holds tables but is no store."""
    if version > SCHEMA_VERSION:
        raise StoreError(f"forecast store {where.shown} has schema version {version}, newer than this tsforecast's "
                         f"{SCHEMA_VERSION}: upgrade tsforecast to use it (it was not changed).")
    if version == 0 and (ours or (where.is_sqlite and other_tables)):
        found = ", ".join(ours) if ours else "other tables"
        raise StoreError(f"{where.shown} is not a forecast store: it holds {found} but no tsforecast schema "
                         "version; give a new file or an empty database.")


def migrate(engine: sa.Engine, where: StoreURL) -> int:
    """Bring the store to :data:`SCHEMA_VERSION` (creating it when empty) in one transaction
    under a lock, so concurrent openers migrate once; returns the version found before."""
    from alembic.command import upgrade
    from alembic.config import Config

    with write_transaction(engine, where, "upgrade the store's schema") as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        names = set(sa.inspect(connection).get_table_names())
        version, ours = schema_state(connection)  # again, under the lock: another process may have migrated
        check_version(where, version, ours, bool(names - {VERSION_TABLE}))
        if version < SCHEMA_VERSION:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            upgrade(config, f"{SCHEMA_VERSION:04d}")
    return version


@contextmanager
def write_transaction(engine: sa.Engine, where: StoreURL, doing: str) -> Iterator[sa.Connection]:
    """One write transaction: committed whole when the block ends, rolled back whole on any
    error (a database error becomes a StoreError saying what could not be done)."""
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(tsforecast_write=True)
            with connection.begin():
                yield connection
    except sa_exc.SQLAlchemyError as exc:
        raise describe_failure(where, exc, doing) from exc


def is_locked(exc: BaseException) -> bool:
    """Whether a StoreError came from SQLite's "database is locked" (another writer)."""
    cause = exc.__cause__
    return isinstance(cause, sa_exc.OperationalError) and "database is locked" in str(cause.orig).lower()


def retry_locked(action: Callable[[], T]) -> T:
    """``action()``, run again (with a random pause) while SQLite reports the database locked."""
    for attempt in range(_LOCK_RETRIES):
        try:
            return action()
        except StoreError as exc:
            if attempt == _LOCK_RETRIES - 1 or not is_locked(exc):
                raise
            time.sleep(random.uniform(0.05, 0.25) * (attempt + 1))
    raise AssertionError("unreachable")  # the loop returns or raises
