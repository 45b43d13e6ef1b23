"""The provider's copy of the centre's removal notices for victims (Art. 21).

A notice names one of the provider's own reports and items (never a hash); the provider
pulls it from the centre, finds the case the report came from, removes the item (or says
why not) and answers through the outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from childshield.store.models.auth import TenantOwned
from childshield.store.models.base import Base, utcnow


class ProviderVictimNotice(TenantOwned, Base):
    __tablename__ = "provider_victim_notices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "notice_id", name="uq_provider_victim_notices_notice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[str] = mapped_column(String(40))
    report_id: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The provider's case the report was made from (None when it is not ours)."""
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """``pending``, then the answer: ``removed``, ``not_hosted`` or ``refused``."""
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)


__all__ = ["ProviderVictimNotice"]
