"""The forecast store: every ``forecast`` and ``backtest`` run and its forecast rows, kept in
a database and read back as pandas frames.

>>> with Store("forecasts.db") as store:  # doctest: +SKIP
...     run_id = store.record_run({"command": "forecast", "model": "ets"}, frame)
...     store.forecasts(run_id=run_id)

A plain path (or ``sqlite:///path``) is an embedded SQLite file, created on the first write;
any other text is a SQLAlchemy URL (``postgresql+psycopg://user:pw@host/db``). Opening checks
the store at once: a server that cannot be reached or refuses the credentials, a file that is
no store and a store written by a newer schema are a :class:`StoreError` before any work; an
older store is upgraded (Alembic, in one transaction). A run is written in one transaction:
it appears whole or not at all.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from tsforecast.core.errors import StoreError
from tsforecast.store import connect, frames
from tsforecast.store.bulk import CHUNK_ROWS, bulk_insert
from tsforecast.store.schema import (
    SCHEMA_VERSION,
    SCORE_KEY,
    VERSION_TABLE,
    forecast_quantiles,
    forecasts,
    runs,
    scores,
)

__all__ = ["Store"]

_Filter = str | Sequence[str] | None


def _chunks(rows: list[dict]) -> Iterator[list[dict]]:
    for start in range(0, len(rows), CHUNK_ROWS):
        yield rows[start:start + CHUNK_ROWS]


def _where(column: sa.ColumnElement, value: _Filter) -> list[sa.ColumnElement]:
    """A filter on ``column``: one value, any of several, or none."""
    if value is None:
        return []
    if isinstance(value, str):
        return [column == value]
    return [column.in_([str(v) for v in value])]


class Store:
    """A forecast store at ``url`` (a path or a SQLAlchemy URL); see the module docstring.

    Usable as a context manager; :meth:`close` releases its connections.
    """

    def __init__(self, url: str | os.PathLike[str]) -> None:
        self._where = connect.parse_store_url(url)
        self._engine: sa.Engine | None = None
        self._version = 0  # 0: a SQLite file not created yet
        path = self._where.path
        if path is not None and not path.exists():
            # created on the first write; its folder must take it (checked now, before any work)
            folder = path.parent
            if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
                raise StoreError(f"forecast store {path}: {folder} is not a writable directory, so the store "
                                 "cannot be created there.")
            return
        if path is not None and path.is_dir():
            raise StoreError(f"forecast store {path} is a directory; give a file path such as {path / 'store.db'}.")
        self._open()

    # ------------------------------------------------------------------ opening
    @property
    def url(self) -> str:
        """Where the store is (a path, or the URL with its password masked)."""
        return self._where.shown

    @property
    def schema_version(self) -> int:
        """The store's schema version (:data:`~tsforecast.store.schema.SCHEMA_VERSION` once it
        exists; 0 for a SQLite file not created yet)."""
        return self._version

    def _get_engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = connect.create_store_engine(self._where)
        return self._engine

    def _open(self) -> None:
        """Connect, refuse what is no store or a newer one, and upgrade an older one."""
        engine = self._get_engine()

        def state() -> tuple[set[str], int, list[str]]:
            try:
                with engine.connect() as connection:
                    return (set(sa.inspect(connection).get_table_names()), *connect.schema_state(connection))
            except sa_exc.SQLAlchemyError as exc:
                raise connect.describe_failure(self._where, exc, "connect") from exc

        # two scheduled runs opening a new SQLite store at once: one may find it locked while
        # the other creates it; connecting is retried like a write
        names, version, ours = connect.retry_locked(state)
        connect.check_version(self._where, version, ours, bool(names - {VERSION_TABLE}))
        if version < SCHEMA_VERSION:
            connect.retry_locked(lambda: connect.migrate(engine, self._where))
        self._version = SCHEMA_VERSION

    def _ready(self) -> sa.Engine:
        """The engine of a store that exists (a SQLite file is created now)."""
        if self._version == 0:
            self._open()
        return self._get_engine()

    def _exists(self) -> bool:
        if self._version == 0 and self._where.path is not None and self._where.path.exists():
            self._open()  # another process created it since
        return self._version > 0

    def close(self) -> None:
        """Release the store's connections (the store object cannot be used afterwards)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # ------------------------------------------------------------------ writing
    def record_run(self, meta: Mapping[str, Any], forecasts_frame: pd.DataFrame) -> str:
        """Write one run and all its forecast rows in one transaction; returns the run id
        (a uuid4 hex).

        ``meta``: ``command`` ("forecast" or "backtest") and ``model`` (required), ``parameters``
        and ``versions`` (JSON), ``data_sha256``, ``started_at``/``finished_at`` (UTC; default
        now); any other key is kept as JSON in the run's ``extra``. ``forecasts_frame``: the
        columns ``series_id``, ``model``, ``origin`` (the last training timestamp), ``target_time``,
        ``step`` (1..h), ``point``, ``scale`` (the training series' MASE scale; NaN if none),
        optionally ``y_true`` (a backtest's held-out actual) and quantile columns ``q0.1``, ...

        A bad frame is a DataError before anything is written; a failed write (a row given
        twice, a full disk, a read-only file) a StoreError, and the store is left unchanged.
        """
        run_id = uuid.uuid4().hex
        rows, quantile_rows = frames.forecast_rows(forecasts_frame, run_id)
        run = frames.run_row(meta, run_id, len(rows["row_no"]))
        engine = self._ready()

        doing = f"record the run ({run['n_forecasts']} forecast rows)"

        def write() -> None:
            with connect.write_transaction(engine, self._where, doing) as c:
                c.execute(runs.insert(), [run])
                bulk_insert(c, forecasts, rows)
                bulk_insert(c, forecast_quantiles, quantile_rows)

        connect.retry_locked(write)
        return run_id

    def record_scores(self, frame: pd.DataFrame) -> int:
        """Store the monitor's scores (columns: run_id, series_id, model, origin, target_time,
        step, actual, error, abs_scaled_error, covered, pinball, optionally scored_at) in one
        transaction. A point scored before (same run, series, model, origin and target time)
        is replaced, never duplicated. Returns the number of rows written."""
        rows = frames.score_rows(frame)
        engine = self._ready()
        keys = list(SCORE_KEY)

        def write() -> None:
            with connect.write_transaction(engine, self._where, f"record {len(rows)} scores") as c:
                statement = _upsert(c.dialect.name, keys)
                for chunk in _chunks(rows):
                    if statement is None:  # a database without ON CONFLICT: replace by deleting first
                        for row in chunk:
                            c.execute(scores.delete().where(*[scores.c[k] == row[k] for k in keys]))
                        c.execute(scores.insert(), chunk)
                    else:
                        c.execute(statement, chunk)

        connect.retry_locked(write)
        return len(rows)

    # ------------------------------------------------------------------ reading
    def _read(self, statement: sa.Executable) -> tuple[list[str], list[Sequence[Any]]]:
        try:
            with self._ready().connect() as connection:
                result = connection.execute(statement)
                # plain tuples: pandas probes each Row's attributes, which costs an exception per row
                return list(result.keys()), [tuple(row) for row in result]
        except sa_exc.SQLAlchemyError as exc:
            raise connect.describe_failure(self._where, exc, "read the store") from exc

    def runs(self) -> pd.DataFrame:
        """One row per recorded run, oldest first (newest last): run_id, command, model,
        parameters, data_sha256, versions, started_at, finished_at, recorded_at, n_forecasts
        and extra (the run's other metadata)."""
        if not self._exists():
            return frames.runs_frame([])
        statement = sa.select(*[runs.c[c] for c in frames.RUN_COLUMNS]).order_by(runs.c.recorded_at,
                                                                                  runs.c.run_id)
        return frames.runs_frame(self._read(statement)[1])

    def forecasts(self, run_id: _Filter = None, model: _Filter = None, series_id: _Filter = None,
                  command: _Filter = None) -> pd.DataFrame:
        """The stored forecast rows, each filter one value or a list: run_id, command,
        series_id, model, origin, target_time, step, point, scale, y_true and a ``q<level>``
        column per recorded quantile level; in the order the runs and their rows were recorded."""
        if not self._exists():
            return frames.empty_forecasts()
        conditions = [*_where(forecasts.c.run_id, run_id), *_where(forecasts.c.model, model),
                      *_where(forecasts.c.series_id, series_id), *_where(runs.c.command, command)]
        joined = forecasts.join(runs, forecasts.c.run_id == runs.c.run_id)
        columns = [forecasts.c.run_id, runs.c.command, forecasts.c.row_no,
                   *[forecasts.c[c] for c in (*frames.FORECAST_COLUMNS, "y_true")]]
        statement = sa.select(*columns).select_from(joined).where(*conditions).order_by(
            runs.c.recorded_at, forecasts.c.run_id, forecasts.c.row_no)
        names, rows = self._read(statement)
        quantiles = sa.select(forecast_quantiles.c.run_id, forecast_quantiles.c.row_no, forecast_quantiles.c.level,
                              forecast_quantiles.c.value).select_from(
            forecast_quantiles.join(forecasts, (forecast_quantiles.c.run_id == forecasts.c.run_id)
                                    & (forecast_quantiles.c.row_no == forecasts.c.row_no)).join(
                runs, forecasts.c.run_id == runs.c.run_id)).where(*conditions)
        return frames.forecasts_frame(rows, names, self._read(quantiles)[1] if rows else [])

    def scores(self, run_id: _Filter = None, model: _Filter = None, series_id: _Filter = None) -> pd.DataFrame:
        """The stored scores (columns as :meth:`record_scores` takes them), each filter one
        value or a list, ordered by series, model and target time."""
        if not self._exists():
            return frames.scores_frame([])
        conditions = [*_where(scores.c.run_id, run_id), *_where(scores.c.model, model),
                      *_where(scores.c.series_id, series_id)]
        statement = sa.select(*[scores.c[c] for c in frames.SCORE_COLUMNS]).where(*conditions).order_by(
            scores.c.series_id, scores.c.model, scores.c.target_time, scores.c.origin, scores.c.run_id)
        return frames.scores_frame(self._read(statement)[1])


def _upsert(dialect: str, keys: list[str]) -> sa.Executable | None:
    """INSERT ... ON CONFLICT (the score's key) DO UPDATE, where the database has it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return None
    statement = insert(scores)
    updated = {c.name: statement.excluded[c.name] for c in scores.columns if c.name not in keys}
    return statement.on_conflict_do_update(index_elements=keys, set_=updated)
