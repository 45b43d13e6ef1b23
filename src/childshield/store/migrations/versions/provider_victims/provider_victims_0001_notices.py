"""provider_victims: the centre's removal notices for victims (Art. 21), as pulled.

Revision ID: provider_victims_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "provider_victims_0001"
down_revision = None
branch_labels = ("provider_victims",)
depends_on = "provider_reports_0001"


def upgrade() -> None:
    op.create_table(
        "provider_victim_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(length=40), nullable=False),
        sa.Column("report_id", sa.String(length=200), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["auth_tenants.id"],
                                name=op.f("fk_provider_victim_notices_tenant_id_auth_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_victim_notices")),
        sa.UniqueConstraint("tenant_id", "notice_id",
                            name=op.f("uq_provider_victim_notices_notice")),
    )
    op.create_index(op.f("ix_provider_victim_notices_tenant_id"), "provider_victim_notices",
                    ["tenant_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_provider_victim_notices_tenant_id"),
                  table_name="provider_victim_notices")
    op.drop_table("provider_victim_notices")
