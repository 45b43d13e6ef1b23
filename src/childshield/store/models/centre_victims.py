"""The EU Centre's tables for victims' requests (Arts. 20-21).

A request holds the hashes a person computed in their own browser (encrypted with the
evidence keyring: hashes can be inverted to a rough thumbnail) and, as the only contact
route kept in the clear, the SHA-256 of a reference code the person keeps. An e-mail
address, when given, is encrypted too. Matches link a request to the centre's reports; a
removal notice (Art. 21) is owned by the provider's tenant, which pulls and answers it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from childshield.store.models.auth import TenantOwned
from childshield.store.models.base import Base, utcnow


class VictimRequest(Base):
    """One person's request: their hashes and how to reach them."""

    __tablename__ = "centre_victim_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(String(40), unique=True)
    reference_digest: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 of the reference code the person keeps (the code itself is never stored)."""
    idempotency_digest: Mapped[str] = mapped_column(String(64), unique=True)
    body_digest: Mapped[str] = mapped_column(String(64))
    hashes: Mapped[bytes] = mapped_column(LargeBinary)
    """The submitted hashes as JSON, encrypted with the evidence keyring."""
    email: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    hash_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    searched_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="received")
    """received -> searched (matches found or not)."""


class VictimMatch(Base):
    """A report item that matches one of a request's hashes."""

    __tablename__ = "centre_victim_matches"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("centre_victim_requests.id"), index=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("centre_reports.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    signal: Mapped[str] = mapped_column(String(16))
    distance: Mapped[int] = mapped_column(Integer)
    found_at: Mapped[datetime] = mapped_column(default=utcnow)


class VictimRemovalNotice(TenantOwned, Base):
    """An Art. 21 notice to a provider that still hosts matching material."""

    __tablename__ = "centre_victim_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[str] = mapped_column(String(40), unique=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("centre_victim_requests.id"), index=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("centre_reports.id"), index=True)
    provider_pk: Mapped[int] = mapped_column(ForeignKey("centre_providers.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    pulled_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    """pending -> removed | not_hosted | refused (the provider's answer)."""
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class CentreItemSignal(Base):
    """What victims' searches look up per report item, without opening the report.

    ``signal`` is ``pdq`` (``code``: the 32-byte PDQ hash, encrypted with the evidence
    keyring and bound to report and item; never stored in the clear), ``indicator``
    (``indicator``: a centre indicator the item matched at intake) or ``none`` (a marker
    row: the report was indexed and has nothing to look up)."""

    __tablename__ = "centre_item_signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_pk: Mapped[int] = mapped_column(ForeignKey("centre_reports.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    signal: Mapped[str] = mapped_column(String(16), index=True)
    indicator: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    code: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


class RateLimitCount(Base):
    """Requests per client and fixed time window, shared by every worker process.

    ``bucket`` is a SHA-256 of the limit's name and the client address (no address is
    stored); ``window_no`` the window's number (epoch seconds // window length)."""

    __tablename__ = "centre_rate_limits"
    __table_args__ = (UniqueConstraint("bucket", "window_no", name="uq_centre_rate_limits_bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(64))
    window_no: Mapped[int] = mapped_column(Integer, index=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


__all__ = ["CentreItemSignal", "RateLimitCount", "VictimMatch", "VictimRemovalNotice",
           "VictimRequest"]
