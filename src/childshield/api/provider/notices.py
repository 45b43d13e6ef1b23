"""Notices to affected users (Art. 12(2)) for the integrating service to deliver.

* ``GET /provider/v1/notices?status=ready``: notices to show or send to users.
* ``POST /provider/v1/notices/{id}/delivered``: the service delivered it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from childshield import audit
from childshield.api.auth import require, tenant_scope
from childshield.api.idempotency import idempotent
from childshield.api.schemas import ObjectId
from childshield.auth.principal import Principal
from childshield.provider.notices import mark_delivered, notice_view
from childshield.store import provider_reports as repo
from childshield.store.tenancy import TenantScope

router = APIRouter(prefix="/notices", tags=["notices"])


@router.get("", summary="Notices to deliver to affected users")
def list_notices(
    scope: TenantScope = tenant_scope,
    status: str | None = Query("ready", pattern="^(ready|delivered)$"),
    limit: int = Query(100, ge=1, le=1000),
    caller: Principal = require("integration", "admin", "auditor"),
) -> dict[str, Any]:
    rows = repo.notices(scope.session, scope.tenant_id, status, limit)
    audit.record(scope.session, caller, "notice.list", "notice", None,
                 details={"count": len(rows)})
    return {"items": [notice_view(n) for n in rows]}


@router.post("/{notice_id}/delivered", dependencies=[idempotent],
             summary="Mark a notice delivered to its user")
def delivered(notice_id: ObjectId, scope: TenantScope = tenant_scope,
              caller: Principal = require("integration")) -> dict[str, Any]:
    return notice_view(mark_delivered(scope, caller, notice_id))
