"""Repository functions for stored Idempotency-Key responses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from childshield.store.models.idempotency import IdempotencyRecord


def find(session: Session, tenant_id: int, key: str) -> IdempotencyRecord | None:
    return session.scalars(
        select(IdempotencyRecord).where(
            IdempotencyRecord.tenant_id == tenant_id, IdempotencyRecord.key == key
        )
    ).first()


def add_completed(
    session: Session, tenant_id: int, key: str, request_sha256: str, method: str, path: str,
    status: int, headers: list[list[str]], body: bytes,
) -> None:
    """Add the answer to a request, flushed into the caller's transaction (so it commits
    or rolls back with the write it protects). IntegrityError when another request with
    the same key got there first."""
    session.add(IdempotencyRecord(tenant_id=tenant_id, key=key, request_sha256=request_sha256,
                                  method=method, path=path[:2000], status=status,
                                  headers=headers, body=body))
    session.flush()


def purge_older_than(session: Session, cutoff: datetime) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    )
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = ["add_completed", "find", "purge_older_than"]
