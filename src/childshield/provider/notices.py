"""Notices to affected users (COM(2022) 209 Art. 12(2)).

After a report, the provider tells the user concerned about it, without undue delay, once
either (a) the centre has answered that the report is manifestly unfounded, or (b) three
months have passed since the report, unless the centre passed on an instruction not to
inform the user (Art. 48(6)(a)) that is still in force, whichever comes first. The
notice says what the report was about, how the provider became aware of it, what became
of it as far as the provider knows, and how the user can seek redress: a complaint to the
provider (``POST /provider/v1/complaints``) and to the Coordinating Authority (Art. 34).

:func:`schedule_notices` (``childshield provider notices run``, from cron) creates the
notices that are due; the integrating service fetches them (``GET /provider/v1/notices``),
shows or sends them to its users, and marks them delivered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.errors import ConflictError
from childshield.exchange.report_status import PROVIDER_NOTICE_DELAY, CentreAnswer, parse_answer
from childshield.provider.cases import iso, utc
from childshield.store import provider_reports as repo
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.provider import ProviderCase
from childshield.store.models.provider_reports import ProviderNotice, ProviderReport
from childshield.store.tenancy import TenantScope

_HOW = {
    "upload": "an automated comparison of the content with indicators of known material, "
              "confirmed by a human reviewer",
    "signals": "an automated comparison of the content's fingerprints with indicators of "
               "known material, confirmed by a human reviewer",
    "conversation": "automated analysis of the conversation for risk indicators, "
                    "confirmed by a human reviewer",
    "live": "an automated comparison of the stream with indicators of known material, "
            "confirmed by a human reviewer",
    "flag": "a report by another user, confirmed by a human reviewer",
}
_ABOUT = {"known": "content matching known child sexual abuse material",
          "new": "content assessed as potential new child sexual abuse material",
          "solicitation": "a conversation assessed as potential solicitation of a child"}
_NOT_NOTIFIED = {"victim"}


def _answer(report: ProviderReport) -> CentreAnswer | None:
    return parse_answer(report.answer) if report.answer else None


def notice_due(report: ProviderReport, now: datetime) -> str | None:
    """Why a notice is due now (``manifestly_unfounded`` / ``three_months``) or None."""
    answer = _answer(report)
    if answer is not None:
        if answer.instruction_until("do_not_inform", now) is not None:
            return None
        if answer.status == "manifestly_unfounded":
            return "manifestly_unfounded"
    if now >= utc(report.created_at) + PROVIDER_NOTICE_DELAY:
        return "three_months"
    return None


def notice_content(case: ProviderCase, report: ProviderReport, user_id: str,
                   reason: str) -> dict[str, Any]:
    """What Art. 12(2) asks the notice to contain."""
    answer = _answer(report)
    if answer is not None and answer.status == "manifestly_unfounded":
        follow_up = ("The EU Centre assessed the report as manifestly unfounded and did not "
                     "pass it on: " + "; ".join(answer.reasons))
    elif answer is not None and answer.status == "forwarded":
        follow_up = ("The EU Centre passed the report on to the competent law-enforcement "
                     "authorities.")
    else:
        follow_up = "We have not been told of any follow-up to the report."
    return {
        "user_id": user_id,
        "reason": reason,
        "report": {"reference": report.report_id, "made_at": iso(report.created_at),
                   "about": _ABOUT.get(case.abuse_type, "potential child sexual abuse"),
                   "content_kind": case.kind, "your_content_id": case.external_id},
        "how_we_became_aware": _HOW.get(case.source, "automated detection confirmed by a "
                                        "human reviewer"),
        "follow_up": follow_up,
        "redress": {
            "complaint_to_us": "You can complain about this decision to us; a person who "
                               "did not make it will review the complaint.",
            "complaint_endpoint": "/provider/v1/complaints",
            "coordinating_authority": "You can also complain to the Coordinating Authority "
                                      "of the Member State where you live (Art. 34).",
        },
        "legal_basis": "COM(2022) 209 Art. 12(2)",
    }


def _users_to_notify(case: ProviderCase) -> list[str]:
    context = case.context or {}
    people: list[Any] = list(context.get("users") or []) if isinstance(
        context.get("users"), list) else []
    if isinstance(context.get("user"), dict):
        people.insert(0, {"role": "uploader", **context["user"]})
    out: list[str] = []
    for person in people:
        if not isinstance(person, dict) or person.get("role") in _NOT_NOTIFIED:
            continue
        uid = person.get("user_id") or person.get("id")
        if uid and str(uid)[:200] not in out:
            out.append(str(uid)[:200])
    return out


def schedule_for(session: Session, report: ProviderReport, now: datetime) -> int:
    reason = notice_due(report, now)
    if reason is None:
        return 0
    case = repo.case(session, report.case_id)
    if case is None:
        return 0
    created = 0
    for user_id in _users_to_notify(case):
        if repo.notice_exists(session, report.id, user_id):
            continue
        session.add(ProviderNotice(tenant_id=report.tenant_id, case_id=case.id,
                                   report_pk=report.id, user_id=user_id, reason=reason,
                                   status="ready", created_at=now,
                                   content=notice_content(case, report, user_id, reason)))
        created += 1
    if created:
        audit.record(session, "system:notices", "notice.create", "report", report.report_id,
                     tenant_id=report.tenant_id, details={"notices": created, "reason": reason})
    return created


def schedule_notices(database: Database, *, now: datetime | None = None,
                     batch: int = 1000) -> int:
    """Create every notice that is due at ``now``; returns how many."""
    now = now or utcnow()
    with database.session() as session:
        return sum(schedule_for(session, report, now)
                   for report in repo.reports_without_notice_decision(session, batch))


def notice_view(notice: ProviderNotice) -> dict[str, Any]:
    return {"id": notice.id, "case_id": notice.case_id, "user_id": notice.user_id,
            "reason": notice.reason, "status": notice.status, "created_at": iso(notice.created_at),
            "delivered_at": iso(notice.delivered_at), "content": notice.content}


def mark_delivered(scope: TenantScope, principal: Principal, notice_id: int) -> ProviderNotice:
    notice = scope.get(ProviderNotice, notice_id, what="notice")
    if notice.status == "delivered":
        raise ConflictError(f"notice {notice_id} is already delivered")
    notice.status, notice.delivered_at = "delivered", utcnow()
    audit.record(scope.session, principal, "notice.delivered", "notice", notice.id)
    return notice


__all__ = ["mark_delivered", "notice_content", "notice_due", "notice_view", "schedule_for",
           "schedule_notices"]
