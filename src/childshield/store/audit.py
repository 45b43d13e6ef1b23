"""Repository functions for the audit chain: locked append and ordered reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, text, update
from sqlalchemy.orm import Session

from childshield.store.models.audit import AuditEntry, AuditHead

_PG_LOCK_KEY = 0x637368_61756474  # "csh" "audt": one advisory lock for the chain


def lock_head(session: Session) -> AuditHead:
    """Take the chain's write lock for the rest of the transaction and return the head.

    PostgreSQL: a transaction-scoped advisory lock, then the head row ``FOR UPDATE``.
    SQLite: a no-op UPDATE of the head row as the first write takes the database write
    lock (pysqlite begins the transaction at the first write), so the head read after it
    is current and no other writer can append until commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        head = session.scalars(
            select(AuditHead).where(AuditHead.id == 1).with_for_update()
        ).one()
    else:
        session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=AuditHead.seq))
        head = session.scalars(select(AuditHead).where(AuditHead.id == 1)).one()
    session.refresh(head)
    return head


def iter_entries(session: Session, *, batch: int = 5000) -> Iterator[Row[Any]]:
    """All entries in sequence order as plain rows (no ORM objects), read in batches.

    Each row has the AuditEntry column names as attributes."""
    columns = [getattr(AuditEntry, c.key) for c in AuditEntry.__table__.columns]
    last = -1
    while True:
        rows = session.execute(
            select(*columns).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def head(session: Session) -> AuditHead:
    return session.scalars(select(AuditHead).where(AuditHead.id == 1)).one()


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def count_recent(
    session: Session, *, action: str, object_type: str, object_id: str, outcome: str,
    since: datetime,
) -> int:
    """How many entries like this were written since ``since`` (e.g. failed logins)."""
    return int(session.scalar(
        select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_type == object_type,
            AuditEntry.object_id == object_id, AuditEntry.outcome == outcome,
            AuditEntry.time >= since,
        )
    ) or 0)


def entries_of_tenant(
    session: Session, tenant_id: int, *, after: int = 0, limit: int = 100
) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.tenant_id == tenant_id, AuditEntry.seq > after)
            .order_by(AuditEntry.seq)
            .limit(limit)
        ).all()
    )


__all__ = ["count", "count_recent", "entries_of_tenant", "head", "iter_entries", "lock_head"]
