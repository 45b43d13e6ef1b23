"""Repository functions for stored Idempotency-Key responses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from childshield.store.models.idempotency import IdempotencyRecord


def find(session: Session, tenant_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.tenant_id == tenant_id, IdempotencyRecord.key == key
        )
    ).first()


def claim(
    session: Session, tenant_id: int, key: str, request_sha256: str, method: str, path: str
) -> IdempotencyRecord | None:
    """Insert an in-progress record; None when another request holds the key already."""
    record = IdempotencyRecord(tenant_id=tenant_id, key=key, request_sha256=request_sha256,
                               method=method, path=path[:2000])
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return None
    return record


def complete(
    session: Session, record_id: int, status: int, headers: list[list[str]], body: bytes
) -> None:
    record = session.get(IdempotencyRecord, record_id)
    if record is not None:
        record.status, record.headers, record.body = status, headers, body


def release(session: Session, record_id: int) -> None:
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


def purge_older_than(session: Session, cutoff: datetime) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = ["claim", "complete", "find", "purge_older_than", "release"]
