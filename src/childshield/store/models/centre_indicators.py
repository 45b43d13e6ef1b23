"""The centre's indicator database (Arts. 44, 46) and a provider's record of synced lists.

Centre side:

- ``centre_indicator_versions``: one row per change to the database; its id *is* the
  version a list carries (a full list at version V holds every active indicator; a delta
  since S holds every indicator changed after S).
- ``centre_indicators``: one indicator with its provenance (Art. 44(4): the authority that
  submitted it, when, which confirmed material, how it was generated), its status and the
  version of its last change. Hash values are sensitive data: never logged.
- ``centre_indicator_scopes``: what one registered provider may receive of one list
  (signals and media), and the order or agreement that allows it.

Provider side:

- ``provider_list_syncs``: which version of a centre list a local bank holds.
- ``provider_list_entries``: which local bank indicator each list entry became (so a
  withdrawal in a delta withdraws exactly that one).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from childshield.store.models.base import Base, utcnow


class CentreIndicatorVersion(Base):
    __tablename__ = "centre_indicator_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CentreIndicator(Base):
    __tablename__ = "centre_indicators"
    __table_args__ = (
        UniqueConstraint("signal", "value", name="uq_centre_indicators_signal_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    """known_material, url or solicitation."""
    signal: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    media: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    submitted_by: Mapped[str] = mapped_column(String(300))
    authority: Mapped[str] = mapped_column(String(200))
    """The submitting competent authority (its centre tenant name)."""
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    material_reference: Mapped[str] = mapped_column(String(500))
    """Which confirmed material the indicator was generated from (the authority's case or
    exhibit reference, or a centre report id)."""
    how_generated: Mapped[str] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(String(1000), default=None)
    version: Mapped[int] = mapped_column(Integer, index=True)
    """The database version of the last change (added or withdrawn)."""
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)
    withdrawn_by: Mapped[str | None] = mapped_column(String(300), default=None)
    withdrawn_reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    bank_indicator: Mapped[int | None] = mapped_column(Integer, default=None)
    """The id of its copy in the centre bank (pre-assessment), for hash indicators."""


class CentreIndicatorScope(Base):
    __tablename__ = "centre_indicator_scopes"
    __table_args__ = (
        UniqueConstraint("provider_pk", "list_id", name="uq_centre_indicator_scopes_provider"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_pk: Mapped[int] = mapped_column(ForeignKey("centre_providers.id"), index=True)
    list_id: Mapped[str] = mapped_column(String(200))
    signals: Mapped[list[Any]] = mapped_column(JSON)
    media: Mapped[list[Any]] = mapped_column(JSON)
    basis: Mapped[str] = mapped_column(String(500))
    """The detection order or agreement that allows this provider these indicators."""
    granted_by: Mapped[str] = mapped_column(String(300))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderListSync(Base):
    __tablename__ = "provider_list_syncs"
    __table_args__ = (UniqueConstraint("bank", "list_id", name="uq_provider_list_syncs_bank"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank: Mapped[str] = mapped_column(String(200))
    list_id: Mapped[str] = mapped_column(String(200))
    centre_url: Mapped[str] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(Integer)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderListEntry(Base):
    __tablename__ = "provider_list_entries"
    __table_args__ = (
        UniqueConstraint("sync_id", "entry_id", name="uq_provider_list_entries_entry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("provider_list_syncs.id"), index=True)
    entry_id: Mapped[str] = mapped_column(String(200))
    local_indicator: Mapped[int] = mapped_column(Integer)


__all__ = [
    "CentreIndicator",
    "CentreIndicatorScope",
    "CentreIndicatorVersion",
    "ProviderListEntry",
    "ProviderListSync",
]
