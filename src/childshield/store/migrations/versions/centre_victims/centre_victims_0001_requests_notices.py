"""centre_victims: victims' requests, their matches and removal notices (Arts. 20-21).

Revision ID: centre_victims_0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "centre_victims_0001"
down_revision = None
branch_labels = ("centre_victims",)
depends_on = "centre_0001"


def upgrade() -> None:
    op.create_table(
        "centre_victim_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("reference_digest", sa.String(length=64), nullable=False),
        sa.Column("idempotency_digest", sa.String(length=64), nullable=False),
        sa.Column("body_digest", sa.String(length=64), nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.Column("email", sa.LargeBinary(), nullable=True),
        sa.Column("hash_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("searched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_victim_requests")),
        sa.UniqueConstraint("request_id", name=op.f("uq_centre_victim_requests_request_id")),
        sa.UniqueConstraint("reference_digest",
                            name=op.f("uq_centre_victim_requests_reference_digest")),
        sa.UniqueConstraint("idempotency_digest",
                            name=op.f("uq_centre_victim_requests_idempotency_digest")),
    )
    op.create_table(
        "centre_victim_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("signal", sa.String(length=16), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_pk"], ["centre_victim_requests.id"],
                                name=op.f("fk_centre_victim_matches_request_pk_centre_victim_requests")),
        sa.ForeignKeyConstraint(["report_pk"], ["centre_reports.id"],
                                name=op.f("fk_centre_victim_matches_report_pk_centre_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_victim_matches")),
    )
    op.create_index(op.f("ix_centre_victim_matches_request_pk"), "centre_victim_matches",
                    ["request_pk"])
    op.create_index(op.f("ix_centre_victim_matches_report_pk"), "centre_victim_matches",
                    ["report_pk"])
    op.create_table(
        "centre_victim_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(length=40), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("provider_pk", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("pulled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["request_pk"], ["centre_victim_requests.id"],
                                name=op.f("fk_centre_victim_notices_request_pk_centre_victim_requests")),
        sa.ForeignKeyConstraint(["report_pk"], ["centre_reports.id"],
                                name=op.f("fk_centre_victim_notices_report_pk_centre_reports")),
        sa.ForeignKeyConstraint(["provider_pk"], ["centre_providers.id"],
                                name=op.f("fk_centre_victim_notices_provider_pk_centre_providers")),
        sa.ForeignKeyConstraint(["tenant_id"], ["auth_tenants.id"],
                                name=op.f("fk_centre_victim_notices_tenant_id_auth_tenants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_victim_notices")),
        sa.UniqueConstraint("notice_id", name=op.f("uq_centre_victim_notices_notice_id")),
    )
    for column in ("request_pk", "report_pk", "provider_pk", "tenant_id"):
        op.create_index(op.f(f"ix_centre_victim_notices_{column}"), "centre_victim_notices",
                        [column])


def downgrade() -> None:
    op.drop_table("centre_victim_notices")
    op.drop_table("centre_victim_matches")
    op.drop_table("centre_victim_requests")
