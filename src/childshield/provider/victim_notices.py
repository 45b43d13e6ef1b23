"""Removal notices for victims (Art. 21) from the centre: pulled, shown, answered.

When a person's hashes match an item a provider reported and the centre does not know it
to be removed, the centre sends a notice naming the provider's own ``report_id`` and
``item_id`` (never a hash). :func:`pull_notices` (``childshield provider victims pull``,
also a step of ``provider jobs``) lists the tenant's pending notices at the centre (the
first look is the delivery), stores each new one with the provider's case for that report,
and :func:`answer_notice` records the provider's answer (``removed``, ``not_hosted`` or
``refused``) and queues it for the centre in the outbox, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.errors import ConflictError, InputError, NotFoundError
from childshield.provider import outbox
from childshield.provider.cases import iso
from childshield.provider.orders import pull_from_centre
from childshield.store import provider_reports as reports
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.provider_victims import ProviderVictimNotice
from childshield.store.provider_victims import find_notice
from childshield.store.tenancy import TenantScope

ANSWERS = ("removed", "not_hosted", "refused")


def notice_view(row: ProviderVictimNotice) -> dict[str, Any]:
    return {"notice_id": row.notice_id, "report_id": row.report_id, "item_id": row.item_id,
            "case_id": row.case_id, "status": row.status, "received_at": iso(row.received_at),
            "answered_at": iso(row.answered_at), "reason": row.reason}


def store_notice(session: Session, tenant_id: int, item: Any, now: datetime
                 ) -> ProviderVictimNotice | None:
    """Store one notice as the centre lists it (None when we already have it)."""
    if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) and item[k] for k in ("notice_id", "report_id",
                                                                 "item_id")):
        raise InputError("a notice needs notice_id, report_id and item_id")
    if find_notice(session, tenant_id, item["notice_id"][:40]) is not None:
        return None
    report = reports.report_by_id(session, tenant_id, item["report_id"][:200])
    row = ProviderVictimNotice(tenant_id=tenant_id, notice_id=item["notice_id"][:40],
                               report_id=item["report_id"][:200], item_id=item["item_id"][:200],
                               case_id=report.case_id if report else None, received_at=now,
                               status="pending")
    session.add(row)
    session.flush()
    audit.record(session, "system:victim-notices", "victim_notice.receive", "victim_notice",
                 row.notice_id, tenant_id=tenant_id, details={"case": row.case_id})
    return row


def pull_notices(database: Database, *, transport: Any = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """Pull every reporting tenant's pending notices from the centre."""
    moment = now or utcnow()
    errors: list[str] = []

    def handle(session: Session, tenant_id: int, items: list[Any]) -> int:
        received = 0
        for item in items:
            try:
                received += store_notice(session, tenant_id, item, moment) is not None
            except InputError as exc:
                errors.append(f"tenant {tenant_id}: notice rejected: {exc}")
        return received

    received, failures = pull_from_centre(database, "/centre/v1/victims/notices",
                                          {"status": "pending"}, handle, transport=transport)
    return {"received": received, "errors": (failures + errors)[:20]}


def answer_notice(scope: TenantScope, principal: Principal, notice_id: str, *, status: str,
                  reason: str | None = None) -> ProviderVictimNotice:
    """Record the answer and queue it for the centre (same transaction)."""
    if status not in ANSWERS:
        raise InputError(f"status must be one of {', '.join(ANSWERS)}")
    row = find_notice(scope.session, scope.tenant_id, notice_id[:40])
    if row is None:
        raise NotFoundError(f"removal notice {notice_id[:40]} not found")
    if row.status != "pending":
        raise ConflictError(f"removal notice {row.notice_id} was already answered "
                            f"({row.status})")
    row.status, row.answered_at, row.reason = status, utcnow(), reason
    body: dict[str, Any] = {"status": status}
    if reason:
        body["reason"] = reason[:2000]
    outbox.to_centre(scope.session, scope.tenant_id, kind="victim_notice_answer",
                     path=f"/centre/v1/victims/notices/{row.notice_id}/answer", body=body)
    audit.record(scope.session, principal, "victim_notice.answer", "victim_notice",
                 row.notice_id, details={"status": status})
    return row


__all__ = ["ANSWERS", "answer_notice", "notice_view", "pull_notices", "store_notice"]
