"""Reports to the centre and the centre's answers, per case.

* ``GET /provider/v1/reports``: the tenant's reports (delivery state, centre status).
* ``GET /provider/v1/reports/{report_id}``: one report with the centre's answer (reasons,
  instructions, questions, forwarding) and its outbox rows.
* ``GET /provider/v1/cases/{case_id}/report``: the same, found by case (404 until the case
  is confirmed), with the case's complaints and retention.
* ``POST /provider/v1/reports/{report_id}/retry`` (admin): send a failed report again.
* ``POST /provider/v1/reports/{report_id}/info-requests/{request_id}/answer``
  (supervisor, admin): answer a question the centre asked; sent through the outbox.
* ``POST /provider/v1/cases/{case_id}/holds`` (supervisor, admin): keep the case's data
  beyond 12 months (Art. 22), with the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from childshield import audit
from childshield.api.auth import require, tenant_scope
from childshield.api.idempotency import idempotent
from childshield.api.schemas import ObjectId, UtcDatetime
from childshield.auth.principal import Principal
from childshield.errors import ConflictError, NotFoundError
from childshield.provider import outbox
from childshield.provider.answers import answer_question
from childshield.provider.cases import get_case, iso
from childshield.provider.complaints import complaints_of_case
from childshield.provider.reports import case_report_section, report_view
from childshield.provider.retention import add_hold
from childshield.store import provider_reports as repo
from childshield.store.models.base import utcnow
from childshield.store.models.provider_reports import ProviderReport
from childshield.store.tenancy import TenantScope

router = APIRouter(tags=["reports"])
READERS = ("reviewer", "supervisor", "admin", "auditor")


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=100_000)


class HoldIn(BaseModel):
    until: UtcDatetime
    reason: str = Field(min_length=1, max_length=5000)


def _report(scope: TenantScope, report_id: str) -> ProviderReport:
    report = repo.report_by_id(scope.session, scope.tenant_id, report_id[:64])
    if report is None:
        raise NotFoundError(f"report {report_id[:64]} not found")
    return report


def _full_view(scope: TenantScope, report: ProviderReport) -> dict[str, Any]:
    view = case_report_section(scope, report.case_id)
    assert view is not None
    view["complaints"] = complaints_of_case(scope, report.case_id)
    return view


@router.get("/reports", summary="The tenant's reports to the centre")
def list_reports(
    scope: TenantScope = tenant_scope,
    delivery: str | None = Query(None, pattern="^(waiting|queued|delivered|failed)$"),
    limit: int = Query(100, ge=1, le=1000),
    caller: Principal = require(*READERS),
) -> dict[str, Any]:
    stmt = scope.select(ProviderReport).order_by(ProviderReport.id.desc()).limit(limit)
    if delivery:
        stmt = stmt.where(ProviderReport.delivery == delivery)
    rows = scope.scalars(stmt)
    audit.record(scope.session, caller, "report.list", "report", None,
                 details={"count": len(rows)})
    return {"items": [report_view(scope.session, r) for r in rows]}


@router.get("/reports/{report_id}", summary="One report and the centre's answer")
def get_report(report_id: str, scope: TenantScope = tenant_scope,
               caller: Principal = require(*READERS)) -> dict[str, Any]:
    report = _report(scope, report_id)
    audit.record(scope.session, caller, "report.view", "report", report.report_id)
    return _full_view(scope, report)


@router.get("/cases/{case_id}/report", summary="The report of a confirmed case")
def case_report(case_id: ObjectId, scope: TenantScope = tenant_scope,
                caller: Principal = require(*READERS)) -> dict[str, Any]:
    case = get_case(scope, case_id)
    report = repo.report_of_case(scope.session, scope.tenant_id, case.id)
    if report is None:
        raise NotFoundError(f"case {case_id} has no report (it is {case.status})")
    audit.record(scope.session, caller, "report.view", "report", report.report_id)
    return _full_view(scope, report)


@router.post("/reports/{report_id}/retry", dependencies=[idempotent],
             summary="Send a failed report again")
def retry_report(report_id: str, scope: TenantScope = tenant_scope,
                 caller: Principal = require("admin")) -> dict[str, Any]:
    report = _report(scope, report_id)
    rows = [r for r in repo.outbox_of_report(scope.session, report.id) if r.status == "failed"]
    if not rows:
        raise ConflictError(f"report {report.report_id} has nothing that failed")
    for row in rows:
        outbox.requeue(row, utcnow())
    if report.delivery == "failed":
        report.delivery = "queued"
    audit.record(scope.session, caller, "report.retry", "report", report.report_id)
    return report_view(scope.session, report)


@router.post("/reports/{report_id}/info-requests/{request_id}/answer", status_code=202,
             dependencies=[idempotent], summary="Answer the centre's question (sent via outbox)")
def answer_info_request(report_id: str, request_id: str, body: AnswerIn,
                        scope: TenantScope = tenant_scope,
                        caller: Principal = require("supervisor", "admin")) -> dict[str, Any]:
    row = answer_question(scope, caller, report_id, request_id, body.answer)
    return {"queued": True, "outbox_id": row.id}


@router.post("/cases/{case_id}/holds", status_code=201, dependencies=[idempotent],
             summary="Keep a case's data beyond 12 months (Art. 22), with the reason")
def hold(case_id: ObjectId, body: HoldIn, scope: TenantScope = tenant_scope,
         caller: Principal = require("supervisor", "admin")) -> dict[str, Any]:
    row = add_hold(scope, caller, case_id, until=body.until, reason=body.reason)
    return {"id": row.id, "case_id": row.case_id, "until": iso(row.until),
            "reason": row.reason, "by": row.created_by}
