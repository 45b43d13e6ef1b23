"""Removal notices for victims from the centre (Art. 21).

* ``GET /provider/v1/victim-notices?status=pending``: the notices pulled from the centre,
  each with the provider's ``report_id``, ``item_id`` and the ``case_id`` it came from.
* ``POST /provider/v1/victim-notices/{notice_id}/answer``: ``{"status": "removed" |
  "not_hosted" | "refused", "reason"?}``; the answer goes back to the centre through the
  outbox.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from childshield import audit
from childshield.api.auth import require, tenant_scope
from childshield.api.idempotency import idempotent
from childshield.auth.principal import Principal
from childshield.provider.victim_notices import answer_notice, notice_view
from childshield.store import provider_victims
from childshield.store.tenancy import TenantScope

router = APIRouter(prefix="/victim-notices", tags=["removal notices for victims"])
ROLES = ("integration", "supervisor", "admin", "auditor")


class AnswerIn(BaseModel):
    status: Literal["removed", "not_hosted", "refused"]
    reason: str | None = Field(None, max_length=2000)


@router.get("", summary="Removal notices for victims, pulled from the centre")
def list_notices(scope: TenantScope = tenant_scope,
                 status: str | None = Query(
                     None, pattern="^(pending|removed|not_hosted|refused)$"),
                 caller: Principal = require(*ROLES)) -> dict[str, Any]:
    rows = provider_victims.list_notices(scope.session, scope.tenant_id, status)
    audit.record(scope.session, caller, "victim_notice.list", "victim_notice", None,
                 details={"count": len(rows)})
    return {"items": [notice_view(r) for r in rows]}


@router.post("/{notice_id}/answer", dependencies=[idempotent],
             summary="Answer a removal notice (removed, not hosted, refused)")
def answer(notice_id: str, body: AnswerIn, scope: TenantScope = tenant_scope,
           caller: Principal = require("integration", "supervisor", "admin")
           ) -> dict[str, Any]:
    row = answer_notice(scope, caller, notice_id, status=body.status, reason=body.reason)
    return notice_view(row)
