"""centre_indicators: the centre's indicator database, provider scopes, provider list syncs.

Revision ID: centre_indicators_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "centre_indicators_0001"
down_revision = None
branch_labels = ("centre_indicators",)
depends_on = "centre_0001"

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "centre_indicator_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_indicator_versions")),
    )
    op.create_table(
        "centre_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("signal", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("media", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_by", sa.String(length=300), nullable=False),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", _TS, nullable=False),
        sa.Column("material_reference", sa.String(length=500), nullable=False),
        sa.Column("how_generated", sa.String(length=500), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("withdrawn_at", _TS, nullable=True),
        sa.Column("withdrawn_by", sa.String(length=300), nullable=True),
        sa.Column("withdrawn_reason", sa.String(length=1000), nullable=True),
        sa.Column("bank_indicator", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_indicators")),
        sa.UniqueConstraint("indicator_id", name=op.f("uq_centre_indicators_indicator_id")),
        sa.UniqueConstraint("signal", "value", name="uq_centre_indicators_signal_value"),
    )
    op.create_index(op.f("ix_centre_indicators_version"), "centre_indicators", ["version"])
    op.create_table(
        "centre_indicator_scopes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_pk", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.String(length=200), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("basis", sa.String(length=500), nullable=False),
        sa.Column("granted_by", sa.String(length=300), nullable=False),
        sa.Column("granted_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["provider_pk"], ["centre_providers.id"],
                                name=op.f("fk_centre_indicator_scopes_provider_pk_centre_providers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_indicator_scopes")),
        sa.UniqueConstraint("provider_pk", "list_id", name="uq_centre_indicator_scopes_provider"),
    )
    op.create_index(op.f("ix_centre_indicator_scopes_provider_pk"), "centre_indicator_scopes",
                    ["provider_pk"])
    op.create_table(
        "provider_list_syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(length=200), nullable=False),
        sa.Column("list_id", sa.String(length=200), nullable=False),
        sa.Column("centre_url", sa.String(length=500), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("synced_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_list_syncs")),
        sa.UniqueConstraint("bank", "list_id", name="uq_provider_list_syncs_bank"),
    )
    op.create_table(
        "provider_list_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sync_id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.String(length=200), nullable=False),
        sa.Column("local_indicator", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sync_id"], ["provider_list_syncs.id"],
                                name=op.f("fk_provider_list_entries_sync_id_provider_list_syncs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_list_entries")),
        sa.UniqueConstraint("sync_id", "entry_id", name="uq_provider_list_entries_entry"),
    )
    op.create_index(op.f("ix_provider_list_entries_sync_id"), "provider_list_entries",
                    ["sync_id"])


def downgrade() -> None:
    op.drop_table("provider_list_entries")
    op.drop_table("provider_list_syncs")
    op.drop_table("centre_indicator_scopes")
    op.drop_table("centre_indicators")
    op.drop_table("centre_indicator_versions")
