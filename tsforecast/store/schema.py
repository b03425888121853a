"""The forecast store's tables, written once in SQLAlchemy Core (the current schema).

* ``runs``: one row per recorded ``forecast`` or ``backtest`` run (metadata as JSON);
* ``forecasts``: one row per (run, series, model, origin, step): the point forecast, the
  training series' MASE scale at forecast time and, for a backtest, the held-out actual;
* ``forecast_quantiles``: the forecast's quantiles in long form, one row per (forecast row,
  level), so any set of levels fits (a forecast's two interval bounds, a backtest's nine);
* ``scores``: the monitor's scores of stored forecasts against the actuals that arrived.

The Alembic scripts in ``migrations/versions`` build these tables step by step (a script is a
frozen snapshot of one change; this module is where the schema stands now); a test checks
that the two agree. Every time is a naive UTC timestamp (an aware one is converted first).
"""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["SCHEMA_VERSION", "VERSION_TABLE", "TABLES", "metadata", "runs", "forecasts", "forecast_quantiles",
           "scores", "revision_number"]

#: the schema this code writes: the number of the newest Alembic revision (``0002``)
SCHEMA_VERSION = 2
#: where Alembic keeps a store's revision; not ``alembic_version``, so a shared PostgreSQL
#: database whose other tables another application migrates with Alembic is no conflict
VERSION_TABLE = "tsforecast_schema_version"

metadata = sa.MetaData()

runs = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),  # uuid4 hex
    sa.Column("command", sa.String(16), nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("parameters", sa.JSON, nullable=False),
    sa.Column("data_sha256", sa.String(64)),
    sa.Column("versions", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("n_forecasts", sa.Integer, nullable=False),
    sa.Column("extra", sa.JSON, nullable=False),
)

forecasts = sa.Table(
    "forecasts", metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("row_no", sa.Integer, primary_key=True),  # the row's place in its run, numbered by the writer
    sa.Column("series_id", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("origin", sa.DateTime, nullable=False),
    sa.Column("target_time", sa.DateTime, nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("point", sa.Double),
    sa.Column("scale", sa.Double),
    sa.Column("y_true", sa.Double),
    # one forecast per (series, model, origin, step) in a run: a writer that sends a row twice fails whole
    sa.UniqueConstraint("run_id", "series_id", "model", "origin", "step", name="uq_forecasts_point"),
)
# the monitor's look-ups: a series' and a model's forecasts of the times whose actuals arrived
sa.Index("ix_forecasts_lookup", forecasts.c.series_id, forecasts.c.model, forecasts.c.target_time)
sa.Index("ix_forecasts_target_time", forecasts.c.target_time)

# (run_id, row_no) is a forecasts row. No foreign key says so: the database would check it on
# each of a backtest's ~10 quantile rows per forecast, which doubled PostgreSQL's write time
# (756,000 rows: 26.6 s with it, 13.5 s without); the rows are only ever written by
# Store.record_run, with their forecasts, in one transaction.
forecast_quantiles = sa.Table(
    "forecast_quantiles", metadata,
    sa.Column("run_id", sa.String(32), primary_key=True),
    sa.Column("row_no", sa.Integer, primary_key=True),
    sa.Column("level", sa.Double, primary_key=True),
    sa.Column("value", sa.Double),
)

scores = sa.Table(
    "scores", metadata,
    sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False),
    sa.Column("series_id", sa.Text, nullable=False),
    sa.Column("model", sa.Text, nullable=False),
    sa.Column("origin", sa.DateTime, nullable=False),
    sa.Column("target_time", sa.DateTime, nullable=False),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("actual", sa.Double),
    sa.Column("error", sa.Double),
    sa.Column("abs_scaled_error", sa.Double),
    sa.Column("covered", sa.Boolean),
    sa.Column("pinball", sa.Double),
    sa.Column("scored_at", sa.DateTime, nullable=False),
    # scoring a forecast again replaces its score: (run, series, target time) within one model
    # and origin (a forecast run has one of each, so this is the (run, series, target) key)
    sa.UniqueConstraint("run_id", "series_id", "model", "origin", "target_time", name="uq_scores_point"),
)
sa.Index("ix_scores_lookup", scores.c.series_id, scores.c.model, scores.c.target_time)

#: the store's tables, by name
TABLES: dict[str, sa.Table] = dict(metadata.tables)


def revision_number(revision: str | None) -> int:
    """A store's schema version from its Alembic revision id (``"0002"`` -> 2; none -> 0)."""
    return int(revision) if revision else 0
