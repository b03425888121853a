"""Many rows into one table inside an open transaction, by the fastest path each database has.

A backtest of 1,000 series records close to a million quantile rows. SQLAlchemy's generic
executemany spends most of its time building a parameter dict per row, so:

* PostgreSQL (psycopg): ``COPY ... FROM STDIN`` on the transaction's own connection;
* SQLite: the driver's ``executemany`` with plain tuples, times already in the text form
  SQLAlchemy's SQLite ``DateTime`` writes and reads (``YYYY-MM-DD HH:MM:SS.ffffff``);
* any other database: SQLAlchemy's executemany, in chunks.

Either way the rows join the caller's transaction (all or nothing), and a driver error comes
back as the SQLAlchemy exception it would have raised (IntegrityError, OperationalError, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

__all__ = ["bulk_insert", "CHUNK_ROWS"]

#: rows per executemany: large enough to amortise a call, small enough to bound the tuples alive
CHUNK_ROWS = 50_000


def _sqlite_times(values: Sequence[Any]) -> list[str]:
    stamps = np.asarray(values, dtype="datetime64[us]")
    return np.char.replace(np.datetime_as_string(stamps, unit="us"), "T", " ").tolist()


def bulk_insert(connection: sa.Connection, table: sa.Table, columns: dict[str, Sequence[Any]]) -> None:
    """Insert the rows given column by column (equal lengths) into ``table``."""
    names = list(columns)
    n = len(columns[names[0]]) if names else 0
    if n == 0:
        return
    dialect = connection.dialect
    listed = ", ".join(names)
    if dialect.name == "sqlite":
        values = [_sqlite_times(columns[c]) if isinstance(table.c[c].type, sa.DateTime) else columns[c] for c in names]
        sql = f"INSERT INTO {table.name} ({listed}) VALUES ({', '.join('?' * len(names))})"
        for start in range(0, n, CHUNK_ROWS):
            connection.exec_driver_sql(sql, list(zip(*(v[start:start + CHUNK_ROWS] for v in values), strict=True)))
        return
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        sql = f"COPY {table.name} ({listed}) FROM STDIN"
        raw = connection.connection.driver_connection
        try:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in zip(*columns.values(), strict=True):
                    copy.write_row(row)
        except dialect.loaded_dbapi.Error as exc:
            # as SQLAlchemy reports driver errors, so the caller handles every path alike
            raise sa_exc.DBAPIError.instance(sql, None, exc, dialect.loaded_dbapi.Error) from exc
        return
    for start in range(0, n, CHUNK_ROWS):
        chunk = zip(*(columns[c][start:start + CHUNK_ROWS] for c in names), strict=True)
        connection.execute(table.insert(), [dict(zip(names, row, strict=True)) for row in chunk])
