"""Removal orders (Art. 14): authorities register, providers pull and answer.

Delivery is by pull: a provider lists ``GET /centre/v1/removal-orders?status=pending``
(its first look is recorded as delivery) and answers with ``POST .../{order_id}/execution``.
The 24-hour deadline counts from registration.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from childshield.api.auth import require
from childshield.api.centre._context import centre_config
from childshield.api.deps import DbSession
from childshield.api.idempotency import idempotent
from childshield.auth.principal import Principal
from childshield.centre import removal
from childshield.centre.config import CentreConfig
from childshield.centre.providers import provider_of

router = APIRouter(prefix="/removal-orders", tags=["removal orders"])


@router.post("", status_code=201, dependencies=[idempotent],
             summary="Register a removal order from a competent authority")
def register(
    session: DbSession,
    body: dict[str, Any] = Body(..., description="OrderRequest (docs/centre.md)"),
    caller: Principal = require("authority"),
    config: CentreConfig = Depends(centre_config),
) -> dict[str, Any]:
    row = removal.register_order(session, config, caller, body)
    return removal.order_view(row)


@router.get("", summary="Removal orders: a provider's own, an authority's issued, or all")
def list_orders(
    session: DbSession,
    status: str | None = Query(None, pattern="^(pending|executed|not_executed)$"),
    caller: Principal = require("provider", "authority", "admin", "analyst", "auditor"),
) -> list[dict[str, Any]]:
    if "provider" in caller.roles:
        provider_of(session, caller)
    return [removal.order_view(r) for r in removal.visible_orders(session, caller, status)]


@router.get("/{order_id}", summary="One removal order")
def get_order(order_id: str, session: DbSession,
              caller: Principal = require("provider", "authority", "admin", "analyst",
                                          "auditor")) -> dict[str, Any]:
    return removal.order_view(removal.visible_order(session, caller, order_id))


@router.post("/{order_id}/execution", dependencies=[idempotent],
             summary="The provider's execution report or reasons for not executing")
def execution(
    order_id: str,
    session: DbSession,
    body: dict[str, Any] = Body(..., description="ExecutionReport (docs/centre.md)"),
    caller: Principal = require("provider"),
) -> dict[str, Any]:
    row = removal.visible_order(session, caller, order_id)
    return removal.order_view(removal.record_execution(session, row, body, caller))
