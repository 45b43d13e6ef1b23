"""centre: the referral outbox (deliveries out of the forwarding transaction, with retries).

Revision ID: centre_0002
Revises: centre_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "centre_0002"
down_revision = "centre_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "centre_referral_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_pk", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("adapter", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reference", sa.String(length=500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["referral_pk"], ["centre_referrals.id"],
                                name=op.f("fk_centre_referral_outbox_referral_pk_centre_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_referral_outbox")),
        sa.UniqueConstraint("referral_pk", "recipient",
                            name=op.f("uq_centre_referral_outbox_referral_pk")),
    )
    op.create_index(op.f("ix_centre_referral_outbox_referral_pk"), "centre_referral_outbox",
                    ["referral_pk"])
    op.create_index("ix_centre_referral_outbox_due", "centre_referral_outbox",
                    ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_centre_referral_outbox_due", table_name="centre_referral_outbox")
    op.drop_index(op.f("ix_centre_referral_outbox_referral_pk"),
                  table_name="centre_referral_outbox")
    op.drop_table("centre_referral_outbox")
