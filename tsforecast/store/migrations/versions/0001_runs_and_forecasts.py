"""Schema 1: runs, their forecast rows and the rows' quantiles (long form).

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["revision", "down_revision", "upgrade", "downgrade"]

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``runs``, ``forecasts`` and ``forecast_quantiles`` with their indexes."""
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(32), primary_key=True),
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
    op.create_table(
        "forecasts",
        sa.Column("run_id", sa.String(32), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("row_no", sa.Integer, primary_key=True),
        sa.Column("series_id", sa.Text, nullable=False),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("origin", sa.DateTime, nullable=False),
        sa.Column("target_time", sa.DateTime, nullable=False),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("point", sa.Double),
        sa.Column("scale", sa.Double),
        sa.Column("y_true", sa.Double),
        sa.UniqueConstraint("run_id", "series_id", "model", "origin", "step", name="uq_forecasts_point"),
    )
    op.create_index("ix_forecasts_lookup", "forecasts", ["series_id", "model", "target_time"])
    op.create_index("ix_forecasts_target_time", "forecasts", ["target_time"])
    op.create_table(
        "forecast_quantiles",
        sa.Column("run_id", sa.String(32), primary_key=True),
        sa.Column("row_no", sa.Integer, primary_key=True),
        sa.Column("level", sa.Double, primary_key=True),
        sa.Column("value", sa.Double),  # no foreign key to forecasts: see tsforecast/store/schema.py
    )


def downgrade() -> None:
    """Drop the tables of schema 1."""
    op.drop_table("forecast_quantiles")
    op.drop_table("forecasts")
    op.drop_table("runs")
