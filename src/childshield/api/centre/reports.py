"""Report intake and status for registered providers (role ``provider``).

* ``POST /centre/v1/reports``: a signed report (``childshield.report/1`` envelope) ->
  201 receipt; every fault is problem+json naming it (see ``childshield.centre.intake``).
* ``GET /centre/v1/reports/{report_id}``: the centre's signed answer about one report.
* ``GET /centre/v1/reports?since=N``: signed answers of every report changed since cursor N.
* ``POST /centre/v1/reports/{report_id}/info-requests/{request_id}/answer``: answer a
  question the centre asked.

A provider only ever sees its own reports: another provider's report id is a 404.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from childshield import audit
from childshield.api.auth import require
from childshield.api.centre._context import centre_config, indicator_check
from childshield.api.deps import DbSession
from childshield.api.idempotency import idempotent
from childshield.api.schemas import MAX_ID
from childshield.auth.principal import Principal
from childshield.centre import answers, assessment, intake
from childshield.centre.config import CentreConfig
from childshield.centre.preassess import IndicatorCheck
from childshield.centre.providers import provider_of

router = APIRouter(prefix="/reports", tags=["reports (provider)"])

ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["payload", "signature"],
    "description": "A childshield.report/1 envelope: the Art. 13 report as `payload` and an "
    "Ed25519 signature over its RFC 8785 form (docs/report-format.md).",
    "properties": {"payload": {"type": "object"}, "signature": {"type": "object"}},
}


async def raw_body(request: Request) -> bytes:
    return await request.body()


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=100_000)


@router.post(
    "",
    status_code=201,
    summary="Submit a signed report (Art. 13)",
    dependencies=[idempotent],
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": ENVELOPE_SCHEMA}}}},
)
def submit_report(
    response: Response,
    session: DbSession,
    body: bytes = Depends(raw_body),
    caller: Principal = require("provider"),
    config: CentreConfig = Depends(centre_config),
    check: IndicatorCheck = Depends(indicator_check),
) -> dict[str, Any]:
    receipt = intake.receive_report(session, config, caller, body, check=check)
    response.headers["Location"] = f"/centre/v1/reports/{receipt.report_id}"
    return receipt.to_json()


@router.get("", summary="Signed answers of my reports changed since a cursor")
def list_changes(
    session: DbSession,
    since: int = Query(
        0, ge=0, le=MAX_ID, description="The `next` of the previous page (0: from start)"
    ),
    limit: int = Query(100, ge=1, le=answers.MAX_PAGE),
    caller: Principal = require("provider"),
    config: CentreConfig = Depends(centre_config),
) -> dict[str, Any]:
    provider_of(session, caller)
    page = answers.changes(session, config, caller.tenant_id, since, limit)
    audit.record(session, caller, "report.status.list", "report", None,
                 details={"since": since, "count": len(page["items"])})
    return page


@router.get("/{report_id}", summary="The centre's signed answer about one of my reports")
def report_status(
    report_id: str,
    session: DbSession,
    caller: Principal = require("provider"),
    config: CentreConfig = Depends(centre_config),
) -> dict[str, Any]:
    provider = provider_of(session, caller)
    row = answers.report_of(session, provider.id, report_id)
    audit.record(session, caller, "report.status", "report", row.id)
    return answers.signed_answer(session, config, row)


@router.post(
    "/{report_id}/info-requests/{request_id}/answer",
    summary="Answer the centre's request for more information",
    dependencies=[idempotent],
)
def answer_request(
    report_id: str,
    request_id: str,
    body: AnswerIn,
    session: DbSession,
    caller: Principal = require("provider"),
    config: CentreConfig = Depends(centre_config),
) -> dict[str, Any]:
    provider = provider_of(session, caller)
    row = answers.report_of(session, provider.id, report_id)
    assessment.answer_info_request(session, config, row, request_id, body.answer, caller)
    return answers.signed_answer(session, config, row)
