"""The provider's reporting tables: reports, the outbox, notices, complaints, orders, holds.

::

    ProviderReportProfile  one per tenant: who the provider is (Art. 13(1)(a)), where its
                           centre is, whether it also reports to NCMEC
    ProviderReport         one per confirmed case: the Art. 13 report and the centre's answer
    ProviderOutbox         what must leave the building, written in the transaction that
                           decided it; the delivery worker sends each row exactly once
    ProviderNotice         a notice to an affected user (Art. 12(2))
    ProviderComplaint      a user's complaint (appeal) and its outcome
    ProviderRemovalOrder   a removal order pulled from the centre (Art. 14), its deadline
    ProviderRetentionHold  a recorded reason to keep a case's data longer (Art. 22)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from childshield.store.models.auth import TenantOwned
from childshield.store.models.base import Base, utcnow


class ProviderReportProfile(Base):
    """How a tenant reports: its identity at the centre and the centre's address.

    The centre API key and the signing key are never stored: ``centre_key_env`` and
    ``signing_key_env`` name the environment variables that hold them (secrets come from
    the environment only)."""

    __tablename__ = "provider_report_profiles"

    tenant_id: Mapped[int] = mapped_column(ForeignKey("auth_tenants.id"), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(200))
    identity: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """name, address, email, country, legal_representative (Art. 13(1)(a))."""
    legal_basis: Mapped[str] = mapped_column(Text)
    centre_url: Mapped[str] = mapped_column(String(500))
    centre_key_env: Mapped[str] = mapped_column(String(100))
    signing_key_env: Mapped[str | None] = mapped_column(String(100), default=None)
    """The environment variable holding this tenant's Ed25519 report-signing key (None:
    the deployment's ``CHILDSHIELD_SIGNING_KEY``)."""
    allow_http: Mapped[bool] = mapped_column(Boolean, default=False)
    ncmec: Mapped[bool] = mapped_column(Boolean, default=False)
    ncmec_reporter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    answers_cursor: Mapped[int] = mapped_column(Integer, default=0)
    """The centre's change-feed cursor (``next`` of the last page pulled)."""
    orders_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderReport(TenantOwned, Base):
    __tablename__ = "provider_reports"
    __table_args__ = (UniqueConstraint("tenant_id", "case_id", name="uq_provider_reports_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("provider_cases.id"))
    report_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    digest: Mapped[str | None] = mapped_column(String(64), default=None)
    delivery: Mapped[str] = mapped_column(String(16), default="queued")
    """``waiting`` (configuration missing), ``queued``, ``delivered``, ``failed``."""
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    centre_status: Mapped[str | None] = mapped_column(String(32), default=None)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    """The centre's last verified answer (CentreAnswer as JSON)."""
    answer_updated_at: Mapped[datetime | None] = mapped_column(default=None)
    answer_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    ncmec_status: Mapped[str | None] = mapped_column(String(16), default=None)
    ncmec_reference: Mapped[str | None] = mapped_column(String(100), default=None)
    purged_at: Mapped[datetime | None] = mapped_column(default=None)
    """When retention deleted the content and personal data (Art. 22)."""


class ProviderOutbox(TenantOwned, Base):
    __tablename__ = "provider_outbox"
    __table_args__ = (Index("ix_provider_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_pk: Mapped[int | None] = mapped_column(ForeignKey("provider_reports.id"), default=None)
    destination: Mapped[str] = mapped_column(String(16))
    """``centre`` or ``ncmec``."""
    kind: Mapped[str] = mapped_column(String(32))
    """``report``, ``removal_execution``, ``ncmec_report``."""
    path: Mapped[str] = mapped_column(String(300))
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """The exact bytes sent (built once, so every retry is byte-identical)."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """``waiting`` (body not built yet), ``pending``, ``delivered``, ``failed``."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class ProviderNotice(TenantOwned, Base):
    __tablename__ = "provider_notices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "report_pk", "user_id", name="uq_provider_notices_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("provider_cases.id"), index=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("provider_reports.id"))
    user_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(32))
    """``manifestly_unfounded`` or ``three_months``."""
    status: Mapped[str] = mapped_column(String(16), default="ready")
    """``ready`` (to deliver), ``delivered``."""
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class ProviderComplaint(TenantOwned, Base):
    __tablename__ = "provider_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("provider_cases.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    """``open``, ``upheld`` (the user was right: reinstated), ``rejected``."""
    outcome: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(320), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    reinstated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderRemovalOrder(TenantOwned, Base):
    __tablename__ = "provider_removal_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "order_id", name="uq_provider_removal_orders_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(String(200))
    order: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending``, ``executed``, ``impossible``."""
    executed_at: Mapped[datetime | None] = mapped_column(default=None)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    alerted_at: Mapped[datetime | None] = mapped_column(default=None)
    """When the before-breach alert was raised."""


class ProviderRetentionHold(TenantOwned, Base):
    __tablename__ = "provider_retention_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("provider_cases.id"), index=True)
    until: Mapped[datetime] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "ProviderComplaint",
    "ProviderNotice",
    "ProviderOutbox",
    "ProviderRemovalOrder",
    "ProviderReport",
    "ProviderReportProfile",
    "ProviderRetentionHold",
]
