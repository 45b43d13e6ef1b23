"""Cases API: queues, one case, its evidence, more context.

* ``GET /provider/v1/cases``: the caller's queue (reviewers: open cases; supervisors:
  escalated ones; ``status=`` for another), filtered by ``abuse_type`` and ``source``,
  urgent first, then oldest first.
* ``GET /provider/v1/cases/queues``: waiting cases per abuse type, source and status.
* ``GET /provider/v1/cases/{id}``: one case with why it was raised and its history
  (reviewers, supervisors, auditors; the integration that raised it may read it too).
* ``GET /provider/v1/cases/{id}/content/{content_id}``: the evidence, decrypted, for the
  reviewer the case is assigned to only.
* ``POST /provider/v1/cases/{id}/context`` (integration): more context for a case
  (answers ``needs_context``; the case goes back to the queue).

Another tenant's case is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from childshield import audit
from childshield.api.auth import require, tenant_scope
from childshield.api.idempotency import idempotent
from childshield.api.provider._context import keyring
from childshield.api.schemas import ObjectId
from childshield.auth.principal import Principal
from childshield.crypto.keyring import EvidenceKeyring
from childshield.errors import InputError
from childshield.provider import cases, evidence, review
from childshield.store import provider as repo
from childshield.store.tenancy import TenantScope

router = APIRouter(prefix="/cases", tags=["cases"])

STATUS = Query(None, pattern="^(open|escalated|needs_context|confirmed|not_abuse)$")
PREVIEW_HEADERS = {"Cache-Control": "no-store", "Content-Disposition": "inline",
                   "Content-Security-Policy": "sandbox; default-src 'none'",
                   "X-Content-Type-Options": "nosniff"}


class ContextIn(BaseModel):
    user: dict[str, Any] | None = None
    location: dict[str, Any] | None = None
    note: str | None = Field(None, max_length=5000)


@router.get("", summary="The caller's review queue")
def list_cases(
    scope: TenantScope = tenant_scope,
    abuse_type: str | None = Query(None, pattern="^(known|new|solicitation)$"),
    source: str | None = Query(None, max_length=32),
    status: str | None = STATUS,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**9),
    caller: Principal = require("reviewer", "supervisor", "auditor"),
) -> dict[str, Any]:
    rows = review.queue(scope, caller, abuse_type=abuse_type, source=source, status=status,
                        limit=limit, offset=offset)
    hits = repo.hits_of(scope.session, [c.id for c in rows])
    return {"cases": [cases.case_summary(c, hits[c.id]) for c in rows]}


@router.get("/queues", summary="Waiting cases per abuse type, source and status")
def queue_counts(
    scope: TenantScope = tenant_scope,
    caller: Principal = require("reviewer", "supervisor", "auditor"),
) -> dict[str, Any]:
    return {"queues": review.queues(scope)}


@router.get("/{case_id}", summary="One case: why it was raised, its history")
def get_case(
    case_id: ObjectId,
    scope: TenantScope = tenant_scope,
    caller: Principal = require("reviewer", "supervisor", "auditor", "integration"),
) -> dict[str, Any]:
    case = cases.get_case(scope, case_id)
    audit.record(scope.session, caller, "case.view", "case", case.id)
    return cases.case_detail(scope.session, case)


@router.get("/{case_id}/content/{content_id}", summary="Evidence of a case (assigned reviewer)",
            response_class=Response,
            responses={200: {"content": {"image/*": {}, "video/*": {}, "application/json": {}}}})
def get_content(
    case_id: ObjectId,
    content_id: ObjectId,
    scope: TenantScope = tenant_scope,
    caller: Principal = require("reviewer", "supervisor"),
    ring: EvidenceKeyring | None = Depends(keyring),
) -> Response:
    row, data = evidence.read_content(scope, caller, ring, case_id, content_id)
    return Response(data, media_type=row.media_type, headers=PREVIEW_HEADERS)


@router.post("/{case_id}/context", summary="More context for a case",
             dependencies=[idempotent])
def add_context(
    case_id: ObjectId,
    body: ContextIn,
    scope: TenantScope = tenant_scope,
    caller: Principal = require("integration"),
) -> dict[str, Any]:
    context = body.model_dump(exclude_none=True)
    if not context:
        raise InputError("send at least one of user, location, note")
    case = cases.add_context(scope, caller, case_id, context)
    return cases.case_detail(scope.session, case)
