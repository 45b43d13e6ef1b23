"""core: banks, indicators and indicator_hashes.

Revision ID: core_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "banks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("quality_min", sa.Integer(), nullable=False),
        sa.Column("frame_threshold", sa.Integer(), nullable=False),
        sa.Column("query_match", sa.Float(), nullable=False),
        sa.Column("index_match", sa.Float(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('known_material', 'url', 'solicitation')", name=op.f("ck_banks_kind")
        ),
        sa.CheckConstraint("threshold >= 0 AND threshold <= 256", name=op.f("ck_banks_threshold")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_banks")),
        sa.UniqueConstraint("name", name=op.f("uq_banks_name")),
    )
    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("signal", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.Column("media", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("how_generated", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('active', 'withdrawn')", name=op.f("ck_indicators_status")),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_indicators_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
        sa.UniqueConstraint("bank_id", "signal", "value", name="uq_indicators_bank_signal_value"),
    )
    op.create_index(op.f("ix_indicators_bank_id"), "indicators", ["bank_id"])
    op.create_index("ix_indicators_signal_value", "indicators", ["signal", "value"])
    op.create_table(
        "indicator_hashes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("signal", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=True),
        sa.Column("time", sa.Float(), nullable=True),
        sa.Column("quality", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicators.id"],
            name=op.f("fk_indicator_hashes_indicator_id_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_hashes")),
    )
    op.create_index(op.f("ix_indicator_hashes_indicator_id"), "indicator_hashes", ["indicator_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_indicator_hashes_indicator_id"), table_name="indicator_hashes")
    op.drop_table("indicator_hashes")
    op.drop_index("ix_indicators_signal_value", table_name="indicators")
    op.drop_index(op.f("ix_indicators_bank_id"), table_name="indicators")
    op.drop_table("indicators")
    op.drop_table("banks")
