"""provider reports: each tenant's own report-signing key (named environment variable)

Revision ID: provider_reports_0002
Revises: provider_reports_0001
Create Date: 2026-11-29 03:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "provider_reports_0002"
down_revision = "provider_reports_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("provider_report_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signing_key_env", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("provider_report_profiles", schema=None) as batch_op:
        batch_op.drop_column("signing_key_env")
