"""Removal orders (Art. 14), the centre's side: register, deliver, track, record.

A competent authority (role ``authority``) registers an order for a registered provider
(``POST /centre/v1/removal-orders``). The centre signs it (``childshield.removal-order/1``)
and makes it available to the provider, which **pulls** it (``GET
/centre/v1/removal-orders?status=pending``; the first pull is recorded as delivery). The
provider must remove or disable the content within 24 hours; the deadline counts from
registration, when the order is made available, so a provider that never pulls still runs
out of time. The provider answers with an execution report (removed, when) or the reasons
it could not execute (Art. 14(5)-(7): force majeure, de facto impossibility, manifest
errors), once.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, model_validator
from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.centre.config import CentreConfig
from childshield.centre.providers import get_provider
from childshield.crypto.encoding import utc_iso
from childshield.crypto.signing import sign_document
from childshield.errors import ConflictError, NotFoundError
from childshield.exchange._common import (
    CountryCode,
    DocumentValidationError,
    Identifier,
    StrictModel,
    Text,
    describe,
    model_or_problems,
)
from childshield.store import centre as repo
from childshield.store.banks import as_utc
from childshield.store.models.base import utcnow
from childshield.store.models.centre import CentreRemovalOrder

REMOVAL_ORDER_TYPE = "childshield.removal-order/1"
EXECUTION_DEADLINE = timedelta(hours=24)


class OrderItem(StrictModel):
    """What to remove: an item of a report the provider made, or a URL on its service."""

    report_id: Identifier | None = None
    item_id: Identifier | None = None
    url: str | None = None

    @model_validator(mode="after")
    def _names_something(self) -> OrderItem:
        if not self.report_id and not self.url:
            raise ValueError("name a report_id (and item_id) or a url")
        return self


class OrderRequest(StrictModel):
    """What a competent authority submits."""

    provider_id: Identifier
    issuing_authority: Text
    member_state: CountryCode
    legal_basis: Text
    reasons: Text
    items: list[OrderItem]
    redress: str | None = None

    @model_validator(mode="after")
    def _has_items(self) -> OrderRequest:
        if not self.items:
            raise ValueError("an order names at least one item")
        return self


class RemovalOrder(OrderRequest):
    """The order as the provider receives it (signed by the centre)."""

    format: Literal["childshield.removal-order/1"] = "childshield.removal-order/1"
    order_id: Identifier
    registered_at: AwareDatetime
    deadline: AwareDatetime


class ExecutionReport(StrictModel):
    executed: bool
    executed_at: AwareDatetime | None = None
    details: str | None = None
    reasons: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> ExecutionReport:
        if self.executed and self.executed_at is None:
            raise ValueError("executed_at is required when the order was executed")
        if not self.executed and not (self.reasons or "").strip():
            raise ValueError("reasons are required when the order was not executed")
        return self


def _parse(model: type[StrictModel], data: Any, what: str) -> Any:
    value, problems = model_or_problems(model, data)
    if problems:
        raise DocumentValidationError(f"invalid {what}: {describe(problems)}", problems)
    return value


def register_order(session: Session, config: CentreConfig, authority: Principal,
                   data: Any, now: datetime | None = None) -> CentreRemovalOrder:
    now = now or utcnow()
    request: OrderRequest = _parse(OrderRequest, data, "removal order")
    provider = get_provider(session, request.provider_id)
    for n, item in enumerate(request.items):
        if item.report_id and repo.report_of_provider(session, provider.id,
                                                      item.report_id) is None:
            raise DocumentValidationError(
                f"items.{n}.report_id: no report {item.report_id!r} of {provider.provider_id}",
                [{"field": f"items.{n}.report_id", "problem": "unknown report"}])
    order = RemovalOrder(**request.model_dump(), order_id=str(uuid.uuid4()),
                         registered_at=now, deadline=now + EXECUTION_DEADLINE)
    signed = sign_document(order.model_dump(mode="json"), config.signer(),
                           typ=REMOVAL_ORDER_TYPE, created=now)
    row = CentreRemovalOrder(
        tenant_id=provider.tenant_id, order_id=order.order_id, provider_pk=provider.id,
        authority_tenant_id=authority.tenant_id, issuing_authority=request.issuing_authority,
        member_state=request.member_state, registered_at=now, deadline=order.deadline,
        status="pending", document=signed)
    session.add(row)
    session.flush()
    audit.record(session, authority, "removal_order.register", "removal_order", row.order_id,
                 details={"provider": provider.provider_id, "items": len(request.items)})
    return row


def order_view(row: CentreRemovalOrder, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    deadline = as_utc(row.deadline)
    executed_at = as_utc(row.executed_at) if row.executed_at else None
    return {
        "order_id": row.order_id,
        "status": row.status,
        "registered_at": utc_iso(as_utc(row.registered_at)),
        "deadline": utc_iso(deadline),
        "delivered_at": utc_iso(as_utc(row.delivered_at)) if row.delivered_at else None,
        "overdue": row.status == "pending" and now > deadline,
        "answered_at": utc_iso(as_utc(row.answered_at)) if row.answered_at else None,
        "executed_at": utc_iso(executed_at) if executed_at else None,
        "within_deadline": (executed_at <= deadline) if executed_at else None,
        "answer": row.answer,
        "order": row.document,
    }


def visible_orders(session: Session, principal: Principal, status: str | None = None
                   ) -> list[CentreRemovalOrder]:
    """A provider sees its own orders (and the first look delivers them); an authority
    the orders it registered; admins, analysts and auditors all of them."""
    if "provider" in principal.roles:
        rows = list(repo.orders(session, tenant_id=principal.tenant_id, status=status))
        for row in rows:
            mark_delivered(session, row, principal)
        return rows
    if "authority" in principal.roles and not principal.roles & {"admin", "auditor"}:
        return list(repo.orders(session, authority_tenant_id=principal.tenant_id,
                                status=status))
    return list(repo.orders(session, status=status))


def visible_order(session: Session, principal: Principal, order_id: str) -> CentreRemovalOrder:
    row = repo.order_by_id(session, order_id)
    allowed = row is not None and (
        (principal.roles & {"admin", "auditor", "analyst"})
        or ("provider" in principal.roles and row.tenant_id == principal.tenant_id)
        or ("authority" in principal.roles and row.authority_tenant_id == principal.tenant_id)
    )
    if row is None or not allowed:
        raise NotFoundError(f"removal order {order_id!r} not found")
    if "provider" in principal.roles:
        mark_delivered(session, row, principal)
    return row


def mark_delivered(session: Session, row: CentreRemovalOrder, principal: Principal) -> None:
    if row.delivered_at is None:
        row.delivered_at = utcnow()
        audit.record(session, principal, "removal_order.deliver", "removal_order",
                     row.order_id)


def record_execution(session: Session, row: CentreRemovalOrder, data: Any,
                     provider: Principal, now: datetime | None = None) -> CentreRemovalOrder:
    now = now or utcnow()
    report: ExecutionReport = _parse(ExecutionReport, data, "execution report")
    if row.status != "pending":
        raise ConflictError(f"removal order {row.order_id} was already answered ({row.status})")
    row.status = "executed" if report.executed else "not_executed"
    row.answered_at = now
    row.executed_at = report.executed_at
    row.answer = report.model_dump(mode="json")
    if row.delivered_at is None:
        row.delivered_at = now
    audit.record(session, provider, "removal_order.answer", "removal_order", row.order_id,
                 details={"status": row.status})
    return row


__all__ = [
    "EXECUTION_DEADLINE",
    "REMOVAL_ORDER_TYPE",
    "ExecutionReport",
    "OrderItem",
    "OrderRequest",
    "RemovalOrder",
    "order_view",
    "record_execution",
    "register_order",
    "visible_order",
    "visible_orders",
]
