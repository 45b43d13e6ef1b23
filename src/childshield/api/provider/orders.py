"""Removal orders received from the centre (Art. 14): deadline, alert, execution.

* ``GET /provider/v1/removal-orders?status=pending``: orders with ``deadline``,
  ``seconds_left``, ``alert`` (less than 4 hours left) and ``overdue``.
* ``GET /provider/v1/removal-orders/{order_id}``.
* ``POST /provider/v1/removal-orders/{order_id}/execution``: ``{"executed": true,
  "executed_at"?}`` or ``{"executed": false, "reasons": [...]}``; the answer goes back to
  the centre through the outbox.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from childshield import audit
from childshield.api.auth import require, tenant_scope
from childshield.api.idempotency import idempotent
from childshield.api.schemas import UtcDatetime
from childshield.auth.principal import Principal
from childshield.errors import NotFoundError
from childshield.provider.orders import answer_order, order_view
from childshield.store import provider_reports as repo
from childshield.store.tenancy import TenantScope

router = APIRouter(prefix="/removal-orders", tags=["removal orders"])
ROLES = ("integration", "supervisor", "admin", "auditor")


class ExecutionIn(BaseModel):
    executed: bool
    executed_at: UtcDatetime | None = None
    reasons: list[str] = Field(default_factory=list, max_length=20)
    details: str | None = Field(None, max_length=5000)


@router.get("", summary="Removal orders with their deadlines")
def list_orders(scope: TenantScope = tenant_scope,
                status: str | None = Query(None, pattern="^(pending|executed|impossible)$"),
                caller: Principal = require(*ROLES)) -> dict[str, Any]:
    rows = repo.removal_orders(scope.session, scope.tenant_id, status)
    audit.record(scope.session, caller, "removal_order.list", "removal_order", None,
                 details={"count": len(rows)})
    return {"items": [order_view(r) for r in rows]}


@router.get("/{order_id}", summary="One removal order")
def get_order(order_id: str, scope: TenantScope = tenant_scope,
              caller: Principal = require(*ROLES)) -> dict[str, Any]:
    row = repo.removal_order(scope.session, scope.tenant_id, order_id[:200])
    if row is None:
        raise NotFoundError(f"removal order {order_id[:200]} not found")
    audit.record(scope.session, caller, "removal_order.view", "removal_order", row.order_id)
    return order_view(row)


@router.post("/{order_id}/execution", dependencies=[idempotent],
             summary="Report execution, or why it is impossible")
def execution(order_id: str, body: ExecutionIn, scope: TenantScope = tenant_scope,
              caller: Principal = require("integration", "supervisor", "admin")
              ) -> dict[str, Any]:
    row = answer_order(scope, caller, order_id[:200], executed=body.executed,
                       executed_at=body.executed_at, reasons=body.reasons,
                       details=body.details)
    return order_view(row)
