"""centre_victims: per-item search rows (encrypted PDQ, indicator ids) and shared rate limits.

Revision ID: centre_victims_0002
Revises: centre_victims_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "centre_victims_0002"
down_revision = "centre_victims_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "centre_item_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("signal", sa.String(length=16), nullable=False),
        sa.Column("indicator", sa.Integer(), nullable=True),
        sa.Column("code", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["report_pk"], ["centre_reports.id"],
                                name=op.f("fk_centre_item_signals_report_pk_centre_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_item_signals")),
    )
    for column in ("report_pk", "signal", "indicator"):
        op.create_index(op.f(f"ix_centre_item_signals_{column}"), "centre_item_signals",
                        [column])
    op.create_table(
        "centre_rate_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("window_no", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_rate_limits")),
        sa.UniqueConstraint("bucket", "window_no", name=op.f("uq_centre_rate_limits_bucket")),
    )
    op.create_index(op.f("ix_centre_rate_limits_window_no"), "centre_rate_limits", ["window_no"])


def downgrade() -> None:
    op.drop_index(op.f("ix_centre_rate_limits_window_no"), table_name="centre_rate_limits")
    op.drop_table("centre_rate_limits")
    for column in ("report_pk", "signal", "indicator"):
        op.drop_index(op.f(f"ix_centre_item_signals_{column}"), table_name="centre_item_signals")
    op.drop_table("centre_item_signals")
