"""The transactional outbox: what must be sent, written with the decision that caused it.

A row is added in the same database transaction as the change that makes it necessary (a
confirmed case, an executed removal order), so nothing is sent for a change that rolled
back and nothing decided is left unsent. The delivery worker
(``childshield.provider.delivery``) sends each row; every retry carries the same bytes and
the same ``Idempotency-Key``, so the receiver stores it once however often it arrives.

Row states::

    waiting  --(body built)-->  pending  --(2xx / already there)-->  delivered
                                   |  \\--(refused for good, 4xx)-->   failed
                                   \\--(network, 5xx, 429)--> pending, later (backoff)
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from childshield.crypto.canonical import canonicalize
from childshield.store.models.base import utcnow
from childshield.store.models.provider_reports import ProviderOutbox, ProviderReport

BASE_DELAY = 2.0
"""Seconds before the first retry; doubled each attempt (exponential backoff)."""
MAX_DELAY = 3600.0
"""Never wait more than an hour between attempts."""
MAX_ATTEMPTS = 50
"""After this many failed attempts (about two days) a row is ``failed`` and alerts."""


def enqueue(session: Session, report: ProviderReport | None, *, destination: str, kind: str,
            path: str, body: bytes | None, waiting: str | None = None,
            tenant_id: int | None = None) -> ProviderOutbox:
    """Add one row in the caller's transaction."""
    row = ProviderOutbox(
        tenant_id=tenant_id if tenant_id is not None else report.tenant_id if report else None,
        report_pk=report.id if report else None, destination=destination, kind=kind,
        path=path, idempotency_key=f"childshield-{kind}-{uuid.uuid4()}", body=body,
        status="pending" if body is not None else "waiting", last_error=waiting,
        next_attempt_at=utcnow(), created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def to_centre(session: Session, tenant_id: int, *, kind: str, path: str,
              body: dict[str, Any]) -> ProviderOutbox:
    """Queue a JSON answer to the centre (``POST path``) in the caller's transaction."""
    return enqueue(session, None, destination="centre", kind=kind, path=path,
                   body=canonicalize(body), tenant_id=tenant_id)


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``attempts`` failures: exponential with full jitter."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** min(attempts - 1, 30))
    return (rng or random).uniform(ceiling / 2, ceiling)


def retry_later(row: ProviderOutbox, error: str, now: datetime,
                retry_after: float | None = None) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    row.lease_until = None
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        return
    delay = max(backoff(row.attempts), retry_after or 0.0)
    row.next_attempt_at = now + timedelta(seconds=delay)


def mark_delivered(row: ProviderOutbox, response: dict[str, object] | None,
                   now: datetime) -> None:
    row.attempts += 1
    row.status, row.delivered_at, row.lease_until = "delivered", now, None
    row.response = response
    row.last_error = None


def mark_failed(row: ProviderOutbox, error: str) -> None:
    row.attempts += 1
    row.status, row.lease_until, row.last_error = "failed", None, error[:2000]


def requeue(row: ProviderOutbox, now: datetime) -> None:
    """An operator sends a failed row again (after fixing what made it fail)."""
    row.status = "pending" if row.body is not None else "waiting"
    row.attempts, row.next_attempt_at, row.lease_until = 0, now, None


__all__ = ["BASE_DELAY", "MAX_ATTEMPTS", "MAX_DELAY", "backoff", "enqueue", "mark_delivered",
           "mark_failed", "requeue", "retry_later", "to_centre"]
