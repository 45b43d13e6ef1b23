"""centre: registered providers, reports, assessment, referrals, removal orders.

Revision ID: centre_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "centre_0001"
down_revision = None
branch_labels = ("centre",)
depends_on = "service_0001"


def upgrade() -> None:
    op.create_table(
        "centre_providers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("contact", sa.String(length=500), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["auth_tenants.id"],
            name=op.f("fk_centre_providers_tenant_id_auth_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_providers")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_centre_providers_provider_id")),
        sa.UniqueConstraint("tenant_id", name="uq_centre_providers_tenant_id"),
    )
    with op.batch_alter_table("centre_providers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_providers_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "centre_provider_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_pk", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_pk"],
            ["centre_providers.id"],
            name=op.f("fk_centre_provider_keys_provider_pk_centre_providers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_provider_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_centre_provider_keys_kid")),
    )
    with op.batch_alter_table("centre_provider_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_provider_keys_provider_pk"), ["provider_pk"], unique=False
        )

    op.create_table(
        "centre_removal_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("provider_pk", sa.Integer(), nullable=False),
        sa.Column("authority_tenant_id", sa.Integer(), nullable=False),
        sa.Column("issuing_authority", sa.String(length=300), nullable=False),
        sa.Column("member_state", sa.String(length=2), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_tenant_id"],
            ["auth_tenants.id"],
            name=op.f("fk_centre_removal_orders_authority_tenant_id_auth_tenants"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_pk"],
            ["centre_providers.id"],
            name=op.f("fk_centre_removal_orders_provider_pk_centre_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["auth_tenants.id"],
            name=op.f("fk_centre_removal_orders_tenant_id_auth_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_removal_orders")),
        sa.UniqueConstraint("order_id", name=op.f("uq_centre_removal_orders_order_id")),
    )
    with op.batch_alter_table("centre_removal_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_removal_orders_provider_pk"), ["provider_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_centre_removal_orders_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "centre_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_pk", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=32), nullable=False),
        sa.Column("abuse_type", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("member_state", sa.String(length=2), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pre_assessment", sa.String(length=40), nullable=False),
        sa.Column("centre_matches", sa.JSON(), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_by", sa.String(length=200), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forwarded_to", sa.JSON(), nullable=False),
        sa.Column("envelope", sa.LargeBinary(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_pk"],
            ["centre_providers.id"],
            name=op.f("fk_centre_reports_provider_pk_centre_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["auth_tenants.id"],
            name=op.f("fk_centre_reports_tenant_id_auth_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_reports")),
        sa.UniqueConstraint("digest", name=op.f("uq_centre_reports_digest")),
        sa.UniqueConstraint("provider_pk", "report_id", name="uq_centre_reports_provider_pk"),
    )
    with op.batch_alter_table("centre_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_centre_reports_queue", ["status", "urgent", "received_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_centre_reports_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "centre_info_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asked_by", sa.String(length=200), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_pk"],
            ["centre_reports.id"],
            name=op.f("fk_centre_info_requests_report_pk_centre_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_info_requests")),
        sa.UniqueConstraint("request_id", name=op.f("uq_centre_info_requests_request_id")),
    )
    with op.batch_alter_table("centre_info_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_info_requests_report_pk"), ["report_pk"], unique=False
        )

    op.create_table(
        "centre_instructions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_pk"],
            ["centre_reports.id"],
            name=op.f("fk_centre_instructions_report_pk_centre_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_instructions")),
    )
    with op.batch_alter_table("centre_instructions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_instructions_report_pk"), ["report_pk"], unique=False
        )

    op.create_table(
        "centre_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("member_states", sa.JSON(), nullable=False),
        sa.Column("deliveries", sa.JSON(), nullable=False),
        sa.Column("package", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_pk"],
            ["centre_reports.id"],
            name=op.f("fk_centre_referrals_report_pk_centre_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_referrals")),
        sa.UniqueConstraint("referral_id", name=op.f("uq_centre_referrals_referral_id")),
    )
    with op.batch_alter_table("centre_referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_referrals_report_pk"), ["report_pk"], unique=False
        )

    op.create_table(
        "centre_report_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_pk"],
            ["centre_reports.id"],
            name=op.f("fk_centre_report_events_report_pk_centre_reports"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["auth_tenants.id"],
            name=op.f("fk_centre_report_events_tenant_id_auth_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_report_events")),
    )
    with op.batch_alter_table("centre_report_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_report_events_report_pk"), ["report_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_centre_report_events_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "centre_report_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_pk"],
            ["centre_reports.id"],
            name=op.f("fk_centre_report_items_report_pk_centre_reports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_report_items")),
        sa.UniqueConstraint("report_pk", "item_id", name="uq_centre_report_items_report_pk"),
    )
    with op.batch_alter_table("centre_report_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_report_items_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_centre_report_items_report_pk"), ["report_pk"], unique=False
        )

    op.create_table(
        "centre_signal_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("signal_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_pk"],
            ["centre_report_items.id"],
            name=op.f("fk_centre_signal_keys_item_pk_centre_report_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_signal_keys")),
    )
    with op.batch_alter_table("centre_signal_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_centre_signal_keys_item_pk"), ["item_pk"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_centre_signal_keys_signal_key"), ["signal_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("centre_signal_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_signal_keys_signal_key"))
        batch_op.drop_index(batch_op.f("ix_centre_signal_keys_item_pk"))

    op.drop_table("centre_signal_keys")
    with op.batch_alter_table("centre_report_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_report_items_report_pk"))
        batch_op.drop_index(batch_op.f("ix_centre_report_items_group_id"))

    op.drop_table("centre_report_items")
    with op.batch_alter_table("centre_report_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_report_events_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_centre_report_events_report_pk"))

    op.drop_table("centre_report_events")
    with op.batch_alter_table("centre_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_referrals_report_pk"))

    op.drop_table("centre_referrals")
    with op.batch_alter_table("centre_instructions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_instructions_report_pk"))

    op.drop_table("centre_instructions")
    with op.batch_alter_table("centre_info_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_info_requests_report_pk"))

    op.drop_table("centre_info_requests")
    with op.batch_alter_table("centre_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_reports_tenant_id"))
        batch_op.drop_index("ix_centre_reports_queue")

    op.drop_table("centre_reports")
    with op.batch_alter_table("centre_removal_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_removal_orders_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_centre_removal_orders_provider_pk"))

    op.drop_table("centre_removal_orders")
    with op.batch_alter_table("centre_provider_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_provider_keys_provider_pk"))

    op.drop_table("centre_provider_keys")
    with op.batch_alter_table("centre_providers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_centre_providers_tenant_id"))

    op.drop_table("centre_providers")
