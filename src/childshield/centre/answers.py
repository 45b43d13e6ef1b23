"""What a provider sees of its report: the signed CentreAnswer, and the change feed.

``GET /centre/v1/reports/{report_id}`` returns :func:`signed_answer` (a
``childshield.report-status/1`` envelope the provider verifies with the centre's key).
``GET /centre/v1/reports?since=N`` walks the append-only event table: every report of the
caller's tenant that changed after event ``N``, once each, with ``next`` to pass on.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from childshield.centre.config import CentreConfig
from childshield.errors import NotFoundError
from childshield.exchange.report_status import CentreAnswer, InfoRequest, Instruction, sign_answer
from childshield.store import centre as repo
from childshield.store.banks import as_utc
from childshield.store.models.centre import CentreReport

MAX_PAGE = 200


def answer_for(session: Session, row: CentreReport) -> CentreAnswer:
    """The centre's current answer about one report."""
    return CentreAnswer(
        report_id=row.report_id,
        status=row.status,
        updated=as_utc(row.updated_at),
        reasons=list(row.reasons or []),
        instructions=[
            Instruction(kind=i.kind, until=as_utc(i.until),
                        issued_at=as_utc(i.issued_at), issued_by=i.issued_by, reason=i.reason)
            for i in repo.instructions(session, row.id)
        ],
        info_requests=[
            InfoRequest(request_id=q.request_id, asked_at=as_utc(q.asked_at),
                        question=q.question,
                        answered_at=as_utc(q.answered_at) if q.answered_at else None)
            for q in repo.info_requests(session, row.id)
        ],
        forwarded_to=list(row.forwarded_to or []),
        forwarded_at=as_utc(row.forwarded_at) if row.forwarded_at else None,
    )


def signed_answer(session: Session, config: CentreConfig, row: CentreReport) -> dict[str, Any]:
    return sign_answer(answer_for(session, row), config.signer())


def report_of(session: Session, provider_pk: int, report_id: str) -> CentreReport:
    """A provider's own report by its id (404 for anything else, including other providers')."""
    row = repo.report_of_provider(session, provider_pk, report_id)
    if row is None:
        raise NotFoundError(f"report {report_id!r} not found")
    return row


def changes(
    session: Session, config: CentreConfig, tenant_id: int, since: int, limit: int = 100
) -> dict[str, Any]:
    rows, cursor = repo.changed_since(session, tenant_id, since, max(1, min(limit, MAX_PAGE)))
    return {"items": [signed_answer(session, config, r) for r in rows], "next": cursor}


__all__ = ["MAX_PAGE", "answer_for", "changes", "report_of", "signed_answer"]
