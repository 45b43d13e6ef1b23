"""The EU Centre's tables: registered providers, reports, assessment, referrals, orders.

A registered provider is a centre-side tenant (its API key has the ``provider`` role) with
the Ed25519 public keys it signs reports with. Its reports are ``TenantOwned`` by that
tenant, so a provider reads only its own; analysts read all of them through the centre's
own routes. The signed report itself is kept only as ciphertext (evidence keyring,
AES-256-GCM); the columns beside it hold what the queue, the duplicate links and the
statistics need, never content and never a signal value in the clear (signals are linked
through a one-way ``signal_key``).
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


class CentreProvider(TenantOwned, Base):
    """A provider registered with the centre (one per provider tenant)."""

    __tablename__ = "centre_providers"
    __table_args__ = (UniqueConstraint("tenant_id", name="uq_centre_providers_tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(200), unique=True)
    """The id its reports carry in ``provider.id``."""
    name: Mapped[str] = mapped_column(String(300))
    contact: Mapped[str] = mapped_column(String(500))
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)


class CentreProviderKey(Base):
    """A public key a provider signs reports with."""

    __tablename__ = "centre_provider_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_pk: Mapped[int] = mapped_column(ForeignKey("centre_providers.id"), index=True)
    kid: Mapped[str] = mapped_column(String(32), unique=True)
    public_key: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    not_after: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class CentreReport(TenantOwned, Base):
    """One report received from a provider (tenant = the provider's tenant)."""

    __tablename__ = "centre_reports"
    __table_args__ = (
        UniqueConstraint("provider_pk", "report_id", name="uq_centre_reports_provider_pk"),
        Index("ix_centre_reports_queue", "status", "urgent", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_pk: Mapped[int] = mapped_column(ForeignKey("centre_providers.id"))
    report_id: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    kid: Mapped[str] = mapped_column(String(32))
    abuse_type: Mapped[str] = mapped_column(String(16))
    urgent: Mapped[bool] = mapped_column(Boolean)
    member_state: Mapped[str | None] = mapped_column(String(2), default=None)
    """Where the location data points (first EU Member State found), for statistics."""
    created: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(32), default="received")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    pre_assessment: Mapped[str] = mapped_column(String(40))
    centre_matches: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    claimed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    assessed_at: Mapped[datetime | None] = mapped_column(default=None)
    assessed_by: Mapped[str | None] = mapped_column(String(200), default=None)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    forwarded_at: Mapped[datetime | None] = mapped_column(default=None)
    forwarded_to: Mapped[list[str]] = mapped_column(JSON, default=list)
    envelope: Mapped[bytes] = mapped_column(LargeBinary)
    """The signed report as received (canonical JSON), encrypted with the evidence keyring."""
    size_bytes: Mapped[int] = mapped_column(Integer)


class CentreReportItem(Base):
    """One content item of a report, and the duplicate group it belongs to."""

    __tablename__ = "centre_report_items"
    __table_args__ = (
        UniqueConstraint("report_pk", "item_id", name="uq_centre_report_items_report_pk"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("centre_reports.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[int] = mapped_column(Integer, index=True)
    """Items whose signals are equal share a group (the smallest item id among them)."""


class CentreSignalKey(Base):
    """A one-way key of one signal of an item (SHA-256 of ``signal:value``)."""

    __tablename__ = "centre_signal_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_pk: Mapped[int] = mapped_column(ForeignKey("centre_report_items.id"), index=True)
    signal_key: Mapped[str] = mapped_column(String(64), index=True)


class CentreReportEvent(Base):
    """Append-only change feed: the providers' status cursor walks it."""

    __tablename__ = "centre_report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("centre_reports.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("auth_tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))


class CentreInfoRequest(Base):
    """A question the centre asked the provider about a report."""

    __tablename__ = "centre_info_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("centre_reports.id"), index=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    asked_by: Mapped[str] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answer: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    """The provider's answer, encrypted with the evidence keyring."""


class CentreInstruction(Base):
    """A law-enforcement instruction on a report (do not inform / do not remove)."""

    __tablename__ = "centre_instructions"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("centre_reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    until: Mapped[datetime] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column()
    issued_by: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CentreReferral(Base):
    """The signed referral package built when a report was forwarded, and its delivery."""

    __tablename__ = "centre_referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("centre_reports.id"), index=True)
    referral_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[list[str]] = mapped_column(JSON)
    member_states: Mapped[list[str]] = mapped_column(JSON)
    deliveries: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    """Referrals forwarded before the outbox: per recipient ``{"recipient", "adapter",
    "status", "at", "reference", "error"}``. Newer ones keep it empty: their deliveries
    are the rows of ``centre_referral_outbox``."""
    package: Mapped[bytes] = mapped_column(LargeBinary)
    """The signed package (it names users), encrypted with the evidence keyring."""


class CentreReferralDelivery(Base):
    """The outbox: one row per referral and recipient, delivered by the centre's job
    (``childshield centre deliver``) with retries, never inside the forwarding decision."""

    __tablename__ = "centre_referral_outbox"
    __table_args__ = (
        UniqueConstraint("referral_pk", "recipient", name="uq_centre_referral_outbox_referral_pk"),
        Index("ix_centre_referral_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_pk: Mapped[int] = mapped_column(ForeignKey("centre_referrals.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(64))
    adapter: Mapped[str | None] = mapped_column(String(16), default=None)
    """The delivery adapter of the last attempt (``file``, ``http``)."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending -> delivered | failed (after MAX_ATTEMPTS)."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    reference: Mapped[str | None] = mapped_column(String(500), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CentreRemovalOrder(TenantOwned, Base):
    """An Art. 14 removal order for a provider (tenant = the provider's tenant)."""

    __tablename__ = "centre_removal_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), unique=True)
    provider_pk: Mapped[int] = mapped_column(ForeignKey("centre_providers.id"), index=True)
    authority_tenant_id: Mapped[int] = mapped_column(ForeignKey("auth_tenants.id"))
    issuing_authority: Mapped[str] = mapped_column(String(300))
    member_state: Mapped[str] = mapped_column(String(2))
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending -> executed | not_executed."""
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The signed order as the provider receives it (names content, no personal data)."""
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    executed_at: Mapped[datetime | None] = mapped_column(default=None)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


__all__ = [
    "CentreInfoRequest",
    "CentreInstruction",
    "CentreProvider",
    "CentreProviderKey",
    "CentreReferral",
    "CentreReferralDelivery",
    "CentreRemovalOrder",
    "CentreReport",
    "CentreReportEvent",
    "CentreReportItem",
    "CentreSignalKey",
]
