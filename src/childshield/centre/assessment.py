"""Assessment (Art. 48): the analysts' queue and their decisions on a report.

The queue holds reports that are ``received``: urgent first, then oldest first. An analyst
takes the next one (:func:`claim_next`; a claim lapses after :data:`CLAIM_TTL`) and
decides: manifestly unfounded with reasons (:func:`mark_unfounded`; the provider sees the
reasons in its status pull), ask the provider for more information
(:func:`request_info`), or forward (``childshield.centre.referrals.forward``). Every
decision moves the status through ``received -> assessed -> ...`` with the checks of
``exchange.report_status``, is written to the audit log and to the provider's change feed.

Law-enforcement instructions (:func:`add_instruction`) may arrive at any time and last at
most 18 months.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.centre.config import CentreConfig
from childshield.centre.intake import load_report
from childshield.centre.referral_outbox import delivery_view
from childshield.crypto.encoding import utc_iso
from childshield.errors import ConflictError, InputError, NotFoundError
from childshield.exchange._common import DocumentValidationError, describe, model_or_problems
from childshield.exchange.report_status import Instruction, ReportStatus, check_transition
from childshield.store import centre as repo
from childshield.store.banks import as_utc
from childshield.store.models.base import utcnow
from childshield.store.models.centre import (
    CentreInfoRequest,
    CentreInstruction,
    CentreProvider,
    CentreReport,
)

CLAIM_TTL = timedelta(minutes=30)


def get_case(session: Session, case_id: int) -> CentreReport:
    row = session.get(CentreReport, case_id)
    if row is None:
        raise NotFoundError(f"report case {case_id} not found")
    return row


def queue(session: Session, *, status: str = "received", limit: int = 50,
          offset: int = 0) -> list[CentreReport]:
    if status not in {s.value for s in ReportStatus}:
        raise InputError(f"unknown status {status!r}")
    return list(repo.queue(session, [status], limit=min(max(limit, 1), 500), offset=offset))


def claim_next(session: Session, analyst: Principal, now: datetime | None = None
               ) -> CentreReport | None:
    """The next report for ``analyst`` (urgent and oldest first), now held by them."""
    now = now or utcnow()
    row = repo.next_unclaimed(session, analyst.actor, now - CLAIM_TTL)
    if row is not None:
        row.claimed_by, row.claimed_at = analyst.actor, now
    return row


def decide(session: Session, row: CentreReport, final: ReportStatus, actor: Principal,
            now: datetime) -> None:
    check_transition(row.status, ReportStatus.ASSESSED)
    check_transition(ReportStatus.ASSESSED, final)
    held = row.claimed_at is not None and as_utc(row.claimed_at) > now - CLAIM_TTL
    if row.claimed_by and row.claimed_by != actor.actor and held:
        raise ConflictError(f"report case {row.id} is held by {row.claimed_by}; one analyst "
                            "decides a report")
    row.status = str(final)
    row.assessed_at = now
    row.assessed_by = actor.actor
    row.updated_at = now
    row.claimed_by = None


def mark_unfounded(session: Session, case_id: int, reasons: list[str], actor: Principal,
                   now: datetime | None = None) -> CentreReport:
    now = now or utcnow()
    cleaned = [r.strip() for r in reasons if r.strip()]
    if not cleaned:
        raise InputError("give at least one reason: the provider is told why (Art. 48(2))")
    row = get_case(session, case_id)
    decide(session, row, ReportStatus.MANIFESTLY_UNFOUNDED, actor, now)
    row.reasons = cleaned
    repo.add_event(session, row, "manifestly_unfounded", actor.actor, now)
    audit.record(session, actor, "report.unfounded", "report", row.id,
                 details={"reasons": len(cleaned)})
    return row


def request_info(session: Session, case_id: int, question: str, actor: Principal,
                 now: datetime | None = None) -> CentreInfoRequest:
    now = now or utcnow()
    if not question.strip():
        raise InputError("the question is empty")
    row = get_case(session, case_id)
    if row.status != "received":
        raise ConflictError(f"report case {case_id} is {row.status}; it was already decided")
    request = CentreInfoRequest(report_pk=row.id, request_id=str(uuid.uuid4()),
                                question=question.strip()[:10_000], asked_at=now,
                                asked_by=actor.actor)
    session.add(request)
    row.updated_at = now
    session.flush()
    repo.add_event(session, row, "info_requested", actor.actor, now)
    audit.record(session, actor, "report.info_request", "report", row.id,
                 details={"request_id": request.request_id})
    return request


def answer_info_request(session: Session, config: CentreConfig, row: CentreReport,
                        request_id: str, answer: str, actor: Principal,
                        now: datetime | None = None) -> CentreInfoRequest:
    """The provider answers a question about its report (stored encrypted)."""
    now = now or utcnow()
    if not answer.strip():
        raise InputError("the answer is empty")
    found = [q for q in repo.info_requests(session, row.id) if q.request_id == request_id]
    if not found:
        raise NotFoundError(f"request {request_id!r} not found")
    request = found[0]
    if request.answered_at is not None:
        raise ConflictError(f"request {request_id!r} was already answered")
    request.answer = config.evidence().encrypt(answer.encode("utf-8"),
                                               f"info:{request_id}".encode())
    request.answered_at = now
    row.updated_at = now
    repo.add_event(session, row, "info_answered", actor.actor, now)
    audit.record(session, actor, "report.info_answer", "report", row.id,
                 details={"request_id": request_id})
    return request


def add_instruction(session: Session, row: CentreReport, data: dict[str, Any],
                    actor: Principal, now: datetime | None = None) -> CentreInstruction:
    """Record a do-not-inform / do-not-remove instruction (at most 18 months)."""
    now = now or utcnow()
    fields = {"issued_at": utc_iso(now), **data}
    instruction, problems = model_or_problems(Instruction, fields)
    if problems:
        raise DocumentValidationError(f"invalid instruction: {describe(problems)}", problems)
    assert isinstance(instruction, Instruction)
    stored = CentreInstruction(report_pk=row.id, kind=instruction.kind, until=instruction.until,
                               issued_at=instruction.issued_at, issued_by=instruction.issued_by,
                               reason=instruction.reason, recorded_by=actor.actor,
                               recorded_at=now)
    session.add(stored)
    row.updated_at = now
    session.flush()
    repo.add_event(session, row, f"instruction:{instruction.kind}", actor.actor, now)
    audit.record(session, actor, "report.instruction", "report", row.id,
                 details={"kind": instruction.kind, "until": utc_iso(instruction.until)})
    return stored


def case_by_provider_report(session: Session, provider_id: str, report_id: str
                            ) -> CentreReport:
    provider = repo.provider_by_id(session, provider_id)
    row = repo.report_of_provider(session, provider.id, report_id) if provider else None
    if row is None:
        raise NotFoundError(f"no report {report_id!r} of provider {provider_id!r}")
    return row


def _iso(value: datetime | None) -> str | None:
    return utc_iso(as_utc(value)) if value else None


def summary(session: Session, row: CentreReport) -> dict[str, Any]:
    """Queue line: no content, no personal data."""
    provider = session.get(CentreProvider, row.provider_pk)
    return {
        "case_id": row.id, "report_id": row.report_id,
        "provider_id": provider.provider_id if provider else None,
        "abuse_type": row.abuse_type, "urgent": row.urgent, "status": row.status,
        "member_state": row.member_state, "pre_assessment": row.pre_assessment,
        "centre_matches": len(row.centre_matches or []),
        "received_at": _iso(row.received_at), "claimed_by": row.claimed_by,
    }


def case_detail(session: Session, config: CentreConfig, row: CentreReport,
                actor: Principal) -> dict[str, Any]:
    """Everything an analyst needs to decide (audited as a report view)."""
    report = load_report(config, session, row)
    audit.record(session, actor, "report.view", "report", row.id)
    items = []
    for stored, item in zip(repo.items_of(session, row.id), report.content, strict=True):
        reports, providers = repo.group_counts(session, stored.group_id)
        items.append({
            "item_id": item.item_id, "kind": item.kind, "media_type": item.media_type,
            "file_name": item.file_name, "url": item.url,
            "signals": [{"signal": s.signal, "quality": s.quality} for s in item.signals],
            "matched_indicators": [m.model_dump(mode="json") for m in item.matched_indicators],
            "centre_matches": [m for m in row.centre_matches or []
                               if m.get("item_id") == item.item_id],
            "duplicates": {"group": stored.group_id, "reports": reports,
                           "providers": providers},
        })
    questions = []
    for q in repo.info_requests(session, row.id):
        answer = config.evidence().decrypt(q.answer, f"info:{q.request_id}".encode()) \
            if q.answer else None
        questions.append({"request_id": q.request_id, "question": q.question,
                          "asked_at": _iso(q.asked_at), "answered_at": _iso(q.answered_at),
                          "answer": answer.decode("utf-8") if answer else None})
    return {
        **summary(session, row),
        "provider_name": report.provider.name,
        "created": utc_iso(report.created),
        "urgency_reason": report.urgency_reason,
        "legal_basis": report.legal_basis,
        "location": report.location.model_dump(mode="json"),
        "users": [u.model_dump(mode="json") for u in report.users],
        "third_country_reports": [t.model_dump(mode="json")
                                  for t in report.third_country_reports],
        "removal": report.removal.model_dump(mode="json") if report.removal else None,
        "human_review": report.human_review.model_dump(mode="json"),
        "items": items,
        "reasons": list(row.reasons or []),
        "assessed_at": _iso(row.assessed_at), "assessed_by": row.assessed_by,
        "forwarded_at": _iso(row.forwarded_at), "forwarded_to": list(row.forwarded_to or []),
        "info_requests": questions,
        "instructions": [
            {"kind": i.kind, "until": _iso(i.until), "issued_at": _iso(i.issued_at),
             "issued_by": i.issued_by, "reason": i.reason}
            for i in repo.instructions(session, row.id)
        ],
        "referrals": [
            {"referral_id": r.referral_id, "created_at": _iso(r.created_at),
             "recipients": r.recipients, "member_states": r.member_states,
             "deliveries": delivery_view(session, r)}
            for r in repo.referrals(session, row.id)
        ],
    }


__all__ = [
    "CLAIM_TTL",
    "add_instruction",
    "answer_info_request",
    "case_by_provider_report",
    "case_detail",
    "claim_next",
    "decide",
    "get_case",
    "mark_unfounded",
    "queue",
    "request_info",
    "summary",
]
