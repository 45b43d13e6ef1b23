"""Housekeeping: delete what the service no longer needs.

:func:`purge_expired` deletes

* stored ``Idempotency-Key`` answers older than ``idempotency_retention_hours`` (default
  72 h; a client retrying with the same key after that runs the write again), and
* console sessions that expired or were ended (logout, password change, disabled user):
  a session row is useless once it cannot log anyone in, and it holds a token hash.

``childshield provider jobs`` runs it every round; ``childshield provider purge`` runs it
once. One audit entry (``housekeeping.purge``, with the counts) is written when anything
was deleted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from childshield import audit
from childshield.settings import get_settings
from childshield.store import auth as auth_repo
from childshield.store import idempotency as idempotency_repo
from childshield.store.db import Database
from childshield.store.models.base import utcnow


def purge_expired(database: Database, *, now: datetime | None = None,
                  idempotency_hours: int | None = None) -> dict[str, int]:
    now = now or utcnow()
    hours = idempotency_hours or get_settings().idempotency_retention_hours
    with database.session() as session:
        counts = {
            "idempotency_records": idempotency_repo.purge_older_than(
                session, now - timedelta(hours=hours)),
            "console_sessions": auth_repo.purge_sessions(session, now),
        }
        if any(counts.values()):
            audit.record(session, "system:housekeeping", "housekeeping.purge", "service",
                         None, details=dict(counts))
    return counts


__all__ = ["purge_expired"]
