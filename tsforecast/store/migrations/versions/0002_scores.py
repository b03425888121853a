"""Schema 2: the monitor's ``scores`` of stored forecasts against the actuals that arrived.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["revision", "down_revision", "upgrade", "downgrade"]

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``scores``, unique per scored point, indexed for the per-series look-ups."""
    op.create_table(
        "scores",
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
        sa.UniqueConstraint("run_id", "series_id", "model", "origin", "target_time", name="uq_scores_point"),
    )
    op.create_index("ix_scores_lookup", "scores", ["series_id", "model", "target_time"])


def downgrade() -> None:
    """Drop ``scores``."""
    op.drop_table("scores")
