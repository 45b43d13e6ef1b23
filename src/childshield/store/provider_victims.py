"""Queries for the centre's removal notices for victims held by a provider (Art. 21)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from childshield.store.models.provider_victims import ProviderVictimNotice


def find_notice(session: Session, tenant_id: int, notice_id: str) -> ProviderVictimNotice | None:
    return session.scalars(select(ProviderVictimNotice).where(
        ProviderVictimNotice.tenant_id == tenant_id,
        ProviderVictimNotice.notice_id == notice_id)).first()


def list_notices(session: Session, tenant_id: int, status: str | None = None
                 ) -> list[ProviderVictimNotice]:
    stmt = select(ProviderVictimNotice).where(ProviderVictimNotice.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(ProviderVictimNotice.status == status)
    return list(session.scalars(stmt.order_by(ProviderVictimNotice.id)))


__all__ = ["find_notice", "list_notices"]
