"""The provider's review tables: cases, what raised them, decisions, evidence, preferences.

A **case** is one content item (an upload, a conversation, a live stream's matching
indicator) that needs a human decision. It is unique per tenant and ``content_key`` (the
SHA-256 of the content, ``conversation:<id>``, ``live:<stream>:<indicator>``...), so
detecting the same item twice adds hits to the same case instead of opening a second one.

::

    ProviderCase 1--* ProviderCaseHit       why it was raised (bank match, classifier
                                            score, conversation alert, live frame match)
                 1--* ProviderCaseDecision  every decision, with who and when
                 1--* ProviderCaseContent   evidence, AES-256-GCM (EvidenceKeyring)

Case ``status`` (see ``childshield.provider.cases``)::

    open -> in review (lease) -> confirmed | not_abuse | escalated | needs_context
    escalated -> (supervisor) confirmed | not_abuse | needs_context
    needs_context -> (more context added) open

``confirmed`` is final and is what the reports helper turns into an Art. 13 report
(``childshield.provider.cases.on_confirmed`` handlers run in the deciding transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
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


class ProviderCase(TenantOwned, Base):
    __tablename__ = "provider_cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "content_key", name="uq_provider_cases_tenant_id"),
        Index("ix_provider_cases_queue", "tenant_id", "status", "urgent", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    content_key: Mapped[str] = mapped_column(String(200))
    """Identity of the content item within the tenant (one case per item)."""
    abuse_type: Mapped[str] = mapped_column(String(16))
    """``known`` (bank match), ``new`` (classifier), ``solicitation`` (conversation)."""
    source: Mapped[str] = mapped_column(String(32))
    """Where the item came from: ``upload``, ``signals``, ``conversation``, ``live``."""
    kind: Mapped[str] = mapped_column(String(16))
    """``image``, ``video``, ``conversation``, ``stream`` or ``unknown`` (signals only)."""
    media_type: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(16), default="open")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(200), default=None)
    """The integrating service's own id for the item (e.g. its upload id)."""
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the service told us about the item: ``user`` (id, screen name), ``location``
    (ip, port, time, country), ``note``... Personal data: deleted with the case."""
    signals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The item's signals (md5, sha256, pdq, quality; vpdq frame count). Sensitive."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("auth_users.id"), default=None
    )
    lease_label: Mapped[str | None] = mapped_column(String(320), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    decision: Mapped[str | None] = mapped_column(String(32), default=None)
    """The latest decision (see ProviderCaseDecision)."""
    decided_by: Mapped[str | None] = mapped_column(String(320), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)


class ProviderCaseHit(TenantOwned, Base):
    """One reason a case was raised: a bank match, a classifier score, an alert."""

    __tablename__ = "provider_case_hits"
    __table_args__ = (
        UniqueConstraint("case_id", "dedupe_key", name="uq_provider_case_hits_case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("provider_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``bank``, ``classifier``, ``conversation`` or ``live``."""
    detector: Mapped[str] = mapped_column(String(200))
    """Bank name, classifier plug-in name or conversation model version: what raised it,
    and what a ``not_abuse`` decision is counted against."""
    dedupe_key: Mapped[str] = mapped_column(String(200))
    indicator_id: Mapped[int | None] = mapped_column(Integer, default=None)
    signal: Mapped[str | None] = mapped_column(String(16), default=None)
    distance: Mapped[int | None] = mapped_column(Integer, default=None)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Time ranges of a video match, indicator categories and message indexes of an alert,
    the classifier's threshold and model card..."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderCaseDecision(TenantOwned, Base):
    """One decision on a case; never edited or deleted (the history)."""

    __tablename__ = "provider_case_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("provider_cases.id"), index=True)
    decision: Mapped[str] = mapped_column(String(32))
    """``confirm`` (with ``abuse_type``), ``not_abuse``, ``escalate``, ``needs_context``."""
    abuse_type: Mapped[str | None] = mapped_column(String(16), default=None)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"), default=None)
    reviewer: Mapped[str] = mapped_column(String(320))
    """The reviewer's label (e-mail) or the actor of a key."""
    role: Mapped[str] = mapped_column(String(32))
    """``reviewer`` or ``supervisor``: in which capacity the decision was made."""
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderCaseContent(TenantOwned, Base):
    """Evidence kept for a case, encrypted (EvidenceKeyring, AES-256-GCM; the associated
    data binds it to its row). ``ciphertext`` is emptied and ``deleted_at`` set when
    retention ends."""

    __tablename__ = "provider_case_content"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("provider_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    """``image``, ``video``, ``conversation`` (the messages as JSON) or ``frame``."""
    media_type: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(300), default=None)
    size_bytes: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)


class ReviewerPreference(TenantOwned, Base):
    """A console user's display preferences (colour for revealed media)."""

    __tablename__ = "provider_reviewer_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"), primary_key=True)
    colour: Mapped[bool] = mapped_column(Boolean, default=False)
    """Show a revealed item in colour (media always start blurred, greyscale, hidden)."""
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "ProviderCase",
    "ProviderCaseContent",
    "ProviderCaseDecision",
    "ProviderCaseHit",
    "ReviewerPreference",
]
