"""Removal orders from the centre (COM(2022) 209 Art. 14): pulled, executed within 24 hours.

:func:`pull_orders` (``childshield provider orders pull``, from cron every few minutes)
lists the tenant's pending orders at the centre (``GET /centre/v1/removal-orders``; the
first look is the delivery), verifies each order's signature with the centre's key and
stores it with its deadline. :func:`order_view` shows the deadline, the time left and an
``alert`` from :data:`ALERT_BEFORE` before the deadline until it is answered (the console
shows it as a badge; the pull logs a warning for each order in alert).

:func:`answer_order` records the execution (or the reasons it is impossible) and writes the
report back to the centre into the outbox in the same transaction; the delivery worker
sends it (``POST /centre/v1/removal-orders/{id}/execution``) with its Idempotency-Key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.crypto import configured
from childshield.crypto.signing import verify_document
from childshield.errors import ChildshieldError, ConflictError, InputError
from childshield.provider import outbox
from childshield.provider.cases import iso, utc
from childshield.provider.delivery import centre_key
from childshield.store import provider_reports as repo
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.provider_reports import ProviderRemovalOrder
from childshield.store.tenancy import TenantScope

log = logging.getLogger(__name__)
ORDER_TYPE = "childshield.removal-order/1"
ALERT_BEFORE = timedelta(hours=4)
"""Raise the alert this long before the 24-hour deadline."""


def order_view(row: ProviderRemovalOrder, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    deadline = utc(row.deadline)
    pending = row.status == "pending"
    return {
        "order_id": row.order_id,
        "status": row.status,
        "received_at": iso(row.received_at),
        "deadline": iso(deadline),
        "seconds_left": int((deadline - now).total_seconds()) if pending else None,
        "alert": pending and now >= deadline - ALERT_BEFORE,
        "overdue": pending and now > deadline,
        "executed_at": iso(row.executed_at),
        "reasons": row.reasons,
        "issuing_authority": row.order.get("issuing_authority"),
        "member_state": row.order.get("member_state"),
        "legal_basis": row.order.get("legal_basis"),
        "order_reasons": row.order.get("reasons"),
        "items": row.order.get("items", []),
        "redress": row.order.get("redress"),
    }


def store_order(session: Any, tenant_id: int, envelope: Any, trust: Any,
                now: datetime) -> ProviderRemovalOrder | None:
    """Verify and store one signed order (None when we already have it)."""
    payload = verify_document(envelope, [trust], typ=ORDER_TYPE, now=now).payload
    order_id = str(payload["order_id"])
    if repo.removal_order(session, tenant_id, order_id) is not None:
        return None
    row = ProviderRemovalOrder(tenant_id=tenant_id, order_id=order_id, order=payload,
                               received_at=now,
                               deadline=datetime.fromisoformat(payload["deadline"]),
                               status="pending")
    session.add(row)
    session.flush()
    audit.record(session, "system:orders", "removal_order.receive", "removal_order", order_id,
                 tenant_id=tenant_id)
    return row


def pull_from_centre(database: Database, path: str, params: dict[str, str],
                     handle: Callable[[Session, int, list[Any]], int], *,
                     transport: Any = None) -> tuple[int, list[str]]:
    """GET ``path`` at the centre for every reporting tenant (with its centre API key) and
    hand the listed items to ``handle(session, tenant_id, items)`` in that tenant's
    transaction. Returns (what ``handle`` counted, errors); one tenant's failure does not
    stop the others."""
    import httpx

    count, errors = 0, []
    with database.session() as session:
        tenants = [p.tenant_id for p in repo.profiles(session)]
    for tenant_id in tenants:
        with database.session() as session:
            profile = repo.profile(session, tenant_id)
            assert profile is not None
            try:
                key = centre_key(profile)
                with httpx.Client(timeout=30, transport=transport) as client:
                    response = client.get(f"{profile.centre_url}{path}", params=params,
                                          headers={"Authorization": f"Bearer {key}"})
            except (ChildshieldError, httpx.HTTPError) as exc:
                errors.append(f"tenant {tenant_id}: {exc}")
                continue
            if response.status_code != 200:
                errors.append(f"tenant {tenant_id}: HTTP {response.status_code}")
                continue
            body = response.json()
            items = body.get("items", body) if isinstance(body, dict) else body
            try:
                count += handle(session, tenant_id, items if isinstance(items, list) else [])
            except ChildshieldError as exc:
                errors.append(f"tenant {tenant_id}: {exc}")
    return count, errors


def pull_orders(database: Database, *, transport: Any = None,
                now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    errors: list[str] = []

    def handle(session: Session, tenant_id: int, items: list[Any]) -> int:
        trust, received = configured.centre_signing_trust("centre"), 0
        for item in items:
            try:
                if store_order(session, tenant_id, item.get("order"), trust, now):
                    received += 1
            except (ChildshieldError, ValueError, KeyError, TypeError, AttributeError) as exc:
                errors.append(f"tenant {tenant_id}: order rejected: {exc}")
        profile = repo.profile(session, tenant_id)
        if profile is not None:
            profile.orders_checked_at = now
        return received

    received, failures = pull_from_centre(database, "/centre/v1/removal-orders",
                                          {"status": "pending"}, handle, transport=transport)
    alerts = check_deadlines(database, now=now)
    return {"received": received, "alerts": alerts, "errors": (failures + errors)[:20]}


def check_deadlines(database: Database, *, now: datetime | None = None) -> int:
    """Log a warning for every pending order close to (or past) its deadline."""
    now = now or utcnow()
    count = 0
    with database.session() as session:
        for row in repo.removal_orders(session, None, "pending"):
            if now >= utc(row.deadline) - ALERT_BEFORE:
                count += 1
                log.warning("removal order %s (tenant %s) is due at %s%s", row.order_id,
                            row.tenant_id, iso(row.deadline),
                            " and is OVERDUE" if now > utc(row.deadline) else "")
                if row.alerted_at is None:
                    row.alerted_at = now
    return count


def answer_order(scope: TenantScope, principal: Principal, order_id: str, *, executed: bool,
                 executed_at: datetime | None = None, reasons: list[str] | None = None,
                 details: str | None = None) -> ProviderRemovalOrder:
    """Record execution (or why it is impossible) and queue the answer to the centre."""
    row = repo.removal_order(scope.session, scope.tenant_id, order_id)
    if row is None:
        from childshield.errors import NotFoundError

        raise NotFoundError(f"removal order {order_id} not found")
    if row.status != "pending":
        raise ConflictError(f"removal order {order_id} was already answered ({row.status})")
    reasons = [r.strip() for r in reasons or [] if r.strip()]
    if not executed and not reasons:
        raise InputError("give the reasons the order cannot be executed")
    now = utcnow()
    row.status = "executed" if executed else "impossible"
    row.executed_at = (executed_at or now) if executed else None
    row.reasons = reasons
    body: dict[str, Any] = {"executed": executed}
    if executed:
        body["executed_at"] = iso(row.executed_at)
    else:
        body["reasons"] = "; ".join(reasons)
    if details:
        body["details"] = details[:5000]
    outbox.to_centre(scope.session, scope.tenant_id, kind="removal_execution",
                     path=f"/centre/v1/removal-orders/{row.order_id}/execution", body=body)
    audit.record(scope.session, principal, "removal_order.answer", "removal_order",
                 row.order_id, details={"status": row.status})
    return row


__all__ = ["ALERT_BEFORE", "answer_order", "check_deadlines", "order_view", "pull_from_centre",
           "pull_orders", "store_order"]
