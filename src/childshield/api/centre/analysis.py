"""The analysts' API (Art. 48): queue, case view, decisions, instructions, referrals.

The analyst console calls these same routes from the browser (session cookie plus
``X-CSRF-Token`` and an ``Idempotency-Key`` per action).
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from pydantic import AwareDatetime, BaseModel, Field

from childshield import audit
from childshield.api.auth import require
from childshield.api.centre._context import centre_config, referral_worker
from childshield.api.deps import DbSession
from childshield.api.idempotency import idempotent
from childshield.api.schemas import MAX_ID, ObjectId
from childshield.auth.principal import Principal
from childshield.centre import assessment, referrals
from childshield.centre.config import CentreConfig
from childshield.centre.referral_outbox import DeliveryWorker, delivery_view
from childshield.crypto.encoding import utc_iso

router = APIRouter(tags=["assessment (analysts)"])


class UnfoundedIn(BaseModel):
    reasons: list[str] = Field(min_length=1, max_length=20)


class QuestionIn(BaseModel):
    question: str = Field(min_length=1, max_length=10_000)


class ForwardIn(BaseModel):
    notes: str | None = Field(default=None, max_length=10_000)


class InstructionIn(BaseModel):
    provider_id: str = Field(min_length=1, max_length=200)
    report_id: str = Field(min_length=1, max_length=200)
    kind: Literal["do_not_inform", "do_not_remove"]
    until: AwareDatetime
    issued_by: str = Field(min_length=1, max_length=300,
                           description="The law-enforcement authority that gave it")
    reason: str | None = Field(default=None, max_length=10_000)


@router.get("/analysis/queue", summary="Reports awaiting assessment: urgent, then oldest")
def list_queue(
    session: DbSession,
    status: str = Query("received"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ID),
    caller: Principal = require("analyst", "auditor"),
) -> list[dict[str, Any]]:
    rows = assessment.queue(session, status=status, limit=limit, offset=offset)
    audit.record(session, caller, "report.queue", "report", None, details={"count": len(rows)})
    return [assessment.summary(session, r) for r in rows]


@router.post("/analysis/next", summary="Take the next report to assess",
             dependencies=[idempotent])
def take_next(session: DbSession, caller: Principal = require("analyst")
              ) -> dict[str, Any]:
    row = assessment.claim_next(session, caller)
    if row is None:
        return {"case": None}
    audit.record(session, caller, "report.claim", "report", row.id)
    return {"case": assessment.summary(session, row)}


@router.get("/analysis/reports/{case_id}", summary="One report, everything needed to decide")
def get_case(
    case_id: ObjectId,
    session: DbSession,
    caller: Principal = require("analyst"),
    config: CentreConfig = Depends(centre_config),
) -> dict[str, Any]:
    row = assessment.get_case(session, case_id)
    return assessment.case_detail(session, config, row, caller)


@router.post("/analysis/reports/{case_id}/unfounded",
             summary="Decide: manifestly unfounded (the provider sees the reasons)",
             dependencies=[idempotent])
def unfounded(case_id: ObjectId, body: UnfoundedIn, session: DbSession,
              caller: Principal = require("analyst")) -> dict[str, Any]:
    row = assessment.mark_unfounded(session, case_id, body.reasons, caller)
    return assessment.summary(session, row)


@router.post("/analysis/reports/{case_id}/info-requests",
             summary="Ask the provider for more information", status_code=201,
             dependencies=[idempotent])
def ask(case_id: ObjectId, body: QuestionIn, session: DbSession,
        caller: Principal = require("analyst")) -> dict[str, Any]:
    request = assessment.request_info(session, case_id, body.question, caller)
    return {"request_id": request.request_id, "asked_at": utc_iso(request.asked_at)}


@router.post("/analysis/reports/{case_id}/forward",
             summary="Decide: forward to Europol and the competent national authority",
             dependencies=[idempotent])
def forward(
    case_id: ObjectId,
    body: ForwardIn,
    session: DbSession,
    background: BackgroundTasks,
    caller: Principal = require("analyst"),
    config: CentreConfig = Depends(centre_config),
    worker: DeliveryWorker = Depends(referral_worker),
) -> dict[str, Any]:
    """The decision and its outbox rows commit together; the first delivery attempt runs
    after the response (the ``centre deliver`` job retries)."""
    stored = referrals.forward(session, config, case_id, caller, notes=body.notes)
    background.add_task(worker.run_once, referral_pk=stored.id)
    return {"referral_id": stored.referral_id, "created_at": utc_iso(stored.created_at),
            "recipients": stored.recipients, "member_states": stored.member_states,
            "deliveries": delivery_view(session, stored)}


@router.post("/instructions", status_code=201, dependencies=[idempotent],
             summary="Record a law-enforcement instruction (at most 18 months)")
def instruct(body: InstructionIn, session: DbSession,
             caller: Principal = require("authority", "analyst")) -> dict[str, Any]:
    row = assessment.case_by_provider_report(session, body.provider_id, body.report_id)
    data = body.model_dump(mode="json", exclude={"provider_id", "report_id"})
    stored = assessment.add_instruction(session, row, data, caller)
    return {"kind": stored.kind, "until": utc_iso(stored.until),
            "issued_at": utc_iso(stored.issued_at), "issued_by": stored.issued_by}


@router.post("/referrals/{referral_id}/redeliver", dependencies=[idempotent],
             summary="Make a referral's undelivered deliveries due again")
def redeliver(
    referral_id: str,
    session: DbSession,
    background: BackgroundTasks,
    caller: Principal = require("analyst", "admin"),
    worker: DeliveryWorker = Depends(referral_worker),
) -> dict[str, Any]:
    stored = referrals.redeliver(session, referral_id, caller)
    background.add_task(worker.run_once, referral_pk=stored.id)
    return {"referral_id": stored.referral_id, "deliveries": delivery_view(session, stored)}
