"""Complaints (appeals) by affected users, with their own queue and outcome.

* ``POST /provider/v1/complaints`` (integration, on the user's behalf): ``{"user_id",
  "text", and one of "case_id" | "report_reference" | "external_id"}``.
* ``GET /provider/v1/complaints?status=open`` (supervisor, admin, auditor): the queue,
  oldest first.
* ``GET /provider/v1/complaints/{id}``: one complaint (the integration reads the outcome
  and ``reinstate`` here).
* ``POST /provider/v1/complaints/{id}/decision`` (supervisor): ``{"outcome": "upheld" |
  "rejected", "reasons"}``; not by the reviewer whose decision is challenged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator

from childshield import audit
from childshield.api.auth import require, tenant_scope
from childshield.api.idempotency import idempotent
from childshield.api.schemas import MAX_ID, ObjectId
from childshield.auth.principal import Principal
from childshield.provider.complaints import complaint_view, decide_complaint, file_complaint
from childshield.store import provider_reports as repo
from childshield.store.models.provider_reports import ProviderComplaint
from childshield.store.tenancy import TenantScope

router = APIRouter(prefix="/complaints", tags=["complaints"])


class ComplaintIn(BaseModel):
    user_id: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=20000)
    case_id: int | None = Field(None, ge=1, le=MAX_ID)
    report_reference: str | None = Field(None, min_length=1, max_length=64)
    external_id: str | None = Field(None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _names_case(self) -> ComplaintIn:
        if not (self.case_id or self.report_reference or self.external_id):
            raise ValueError("name the case: case_id, report_reference or external_id")
        return self


class DecisionIn(BaseModel):
    outcome: str = Field(pattern="^(upheld|rejected)$")
    reasons: str = Field(min_length=1, max_length=5000)


@router.post("", status_code=201, dependencies=[idempotent], summary="File a complaint")
def create(body: ComplaintIn, scope: TenantScope = tenant_scope,
           caller: Principal = require("integration")) -> dict[str, Any]:
    row = file_complaint(scope, caller, user_id=body.user_id, text=body.text,
                         case_id=body.case_id, report_reference=body.report_reference,
                         external_id=body.external_id)
    return complaint_view(row)


@router.get("", summary="The complaints queue, oldest first")
def queue(scope: TenantScope = tenant_scope,
          status: str | None = Query("open", pattern="^(open|upheld|rejected)$"),
          limit: int = Query(100, ge=1, le=1000),
          caller: Principal = require("supervisor", "admin", "auditor")) -> dict[str, Any]:
    rows = repo.complaints(scope.session, scope.tenant_id, status, limit)
    audit.record(scope.session, caller, "complaint.list", "complaint", None,
                 details={"count": len(rows)})
    return {"items": [complaint_view(r) for r in rows]}


@router.get("/{complaint_id}", summary="One complaint and its outcome")
def get_one(complaint_id: ObjectId, scope: TenantScope = tenant_scope,
            caller: Principal = require("integration", "supervisor", "admin", "auditor")
            ) -> dict[str, Any]:
    row = scope.get(ProviderComplaint, complaint_id, what="complaint")
    audit.record(scope.session, caller, "complaint.view", "complaint", row.id)
    return complaint_view(row)


@router.post("/{complaint_id}/decision", dependencies=[idempotent],
             summary="Decide a complaint (upheld: reinstate; rejected)")
def decide(complaint_id: ObjectId, body: DecisionIn, scope: TenantScope = tenant_scope,
           caller: Principal = require("supervisor")) -> dict[str, Any]:
    return complaint_view(decide_complaint(scope, caller, complaint_id, outcome=body.outcome,
                                           reasons=body.reasons))
