"""Users flag suspected abuse (Art. 12(3)); a flag opens a case for human review.

``POST /provider/v1/flags`` (integration, on the user's behalf): ``{"external_id", "kind":
image|video|conversation|unknown, "reason", "reporter_user_id"?, "media_type"?,
"signals"?, "context"?}`` -> 201 ``{"case_id", "created"}``. Flagging the same content
again adds to its case.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from childshield.api.auth import require, tenant_scope
from childshield.api.idempotency import idempotent
from childshield.api.ratelimit import key_limit
from childshield.auth.principal import Principal
from childshield.provider.complaints import flag
from childshield.store.tenancy import TenantScope

router = APIRouter(prefix="/flags", tags=["flags"], dependencies=[key_limit])


class FlagIn(BaseModel):
    external_id: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern="^(image|video|conversation|unknown)$")
    reason: str = Field(min_length=1, max_length=2000)
    reporter_user_id: str | None = Field(None, max_length=200)
    media_type: str | None = Field(None, max_length=100)
    signals: dict[str, str | int] | None = Field(None, max_length=10)
    context: dict[str, Any] | None = Field(None, max_length=20)


@router.post("", status_code=201, dependencies=[idempotent],
             summary="Flag suspected abuse: opens a case for review")
def create(body: FlagIn, scope: TenantScope = tenant_scope,
           caller: Principal = require("integration")) -> dict[str, Any]:
    case, created = flag(scope, caller, external_id=body.external_id, kind=body.kind,
                         reporter_user_id=body.reporter_user_id, reason=body.reason,
                         media_type=body.media_type, signals=body.signals,
                         context=body.context)
    return {"case_id": case.id, "created": created, "status": case.status}
