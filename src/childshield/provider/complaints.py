"""Complaints (appeals) by users about a decision, and flags by users (Art. 12(3)).

A complaint names the case (by id, by the report reference in the user's notice, or by
the integrating service's own id for the content) and has its own queue, oldest first. A
supervisor who did not make the original decision decides it: ``upheld`` (the decision was
wrong: the content is to be reinstated, ``reinstate: true`` tells the integrating service)
or ``rejected``, with the reasons the user is told.

A flag is a user's report of suspected abuse (Art. 12(3)); it opens a case through
review's :func:`childshield.provider.cases.open_case` (source ``flag``), which then waits
for a human decision like any other.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select

from childshield import audit
from childshield.auth.principal import Principal
from childshield.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from childshield.provider.cases import Hit, NewItem, get_case, iso, open_case
from childshield.store import provider_reports as repo
from childshield.store.models.base import utcnow
from childshield.store.models.provider import ProviderCase
from childshield.store.models.provider_reports import ProviderComplaint
from childshield.store.tenancy import TenantScope

OUTCOMES = ("upheld", "rejected")


def _find_case(scope: TenantScope, *, case_id: int | None, report_reference: str | None,
               external_id: str | None) -> ProviderCase:
    if case_id is not None:
        return get_case(scope, case_id)
    if report_reference:
        report = repo.report_by_id(scope.session, scope.tenant_id, report_reference)
        if report is None:
            raise NotFoundError(f"report {report_reference} not found")
        return get_case(scope, report.case_id)
    if external_id:
        found = scope.scalars(scope.select(ProviderCase).where(
            ProviderCase.external_id == external_id).limit(1))
        if not found:
            raise NotFoundError(f"no case for content {external_id!r}")
        return found[0]
    raise InputError("name the case: case_id, report_reference or external_id")


def file_complaint(scope: TenantScope, principal: Principal, *, user_id: str, text: str,
                   case_id: int | None = None, report_reference: str | None = None,
                   external_id: str | None = None) -> ProviderComplaint:
    case = _find_case(scope, case_id=case_id, report_reference=report_reference,
                      external_id=external_id)
    if case.status != "confirmed":
        raise ConflictError(f"case {case.id} has no decision against the user to complain about")
    row = ProviderComplaint(tenant_id=scope.tenant_id, case_id=case.id, user_id=user_id[:200],
                            text=text[:20000], status="open", created_at=utcnow())
    scope.session.add(row)
    scope.session.flush()
    audit.record(scope.session, principal, "complaint.file", "complaint", row.id,
                 details={"case": case.id})
    return row


def decide_complaint(scope: TenantScope, principal: Principal, complaint_id: int, *,
                     outcome: str, reasons: str) -> ProviderComplaint:
    if outcome not in OUTCOMES:
        raise InputError(f"outcome must be one of {', '.join(OUTCOMES)}")
    if not reasons.strip():
        raise InputError("give the reasons for the outcome (the user is told)")
    row = scope.get(ProviderComplaint, complaint_id, what="complaint")
    if row.status != "open":
        raise ConflictError(f"complaint {complaint_id} is already decided ({row.status})")
    case = get_case(scope, row.case_id)
    if case.decided_by == principal.label:
        raise PermissionDeniedError("a complaint is decided by someone other than the "
                                    "reviewer whose decision it is about")
    row.status, row.outcome = outcome, reasons[:5000]
    row.decided_by, row.decided_at = principal.label, utcnow()
    row.reinstated = outcome == "upheld"
    audit.record(scope.session, principal, f"complaint.{outcome}", "complaint", row.id,
                 details={"case": case.id, "reinstate": row.reinstated})
    return row


def complaint_view(row: ProviderComplaint) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "user_id": row.user_id, "text": row.text,
            "status": row.status, "outcome": row.outcome, "decided_by": row.decided_by,
            "decided_at": iso(row.decided_at), "reinstate": row.reinstated,
            "created_at": iso(row.created_at)}


def complaints_of_case(scope: TenantScope, case_id: int) -> list[dict[str, Any]]:
    rows = scope.scalars(scope.select(ProviderComplaint).where(
        ProviderComplaint.case_id == case_id).order_by(ProviderComplaint.id))
    return [complaint_view(r) for r in rows]


def flag(scope: TenantScope, principal: Principal, *, external_id: str, kind: str,
         reporter_user_id: str | None, reason: str, media_type: str | None = None,
         signals: dict[str, Any] | None = None,
         context: dict[str, Any] | None = None) -> tuple[ProviderCase, bool]:
    """A user's report of suspected abuse: opens (or adds to) a case for human review."""
    if kind not in ("image", "video", "conversation", "unknown"):
        raise InputError("kind must be image, video, conversation or unknown")
    abuse_type = "solicitation" if kind == "conversation" else "new"
    content_key = "flag:" + hashlib.sha256(external_id.encode()).hexdigest()
    existing = scope.session.scalar(select(ProviderCase).where(
        ProviderCase.tenant_id == scope.tenant_id, ProviderCase.external_id == external_id))
    if existing is not None:
        content_key = existing.content_key
    reporter = hashlib.sha256((reporter_user_id or "anonymous").encode()).hexdigest()[:16]
    opened = open_case(
        scope.session, scope.tenant_id,
        NewItem(content_key=content_key, abuse_type=abuse_type, source="flag", kind=kind,
                media_type=media_type, external_id=external_id[:200],
                context=dict(context or {}), signals=dict(signals or {})),
        [Hit(kind="flag", detector="user-flag", dedupe_key=f"flag:{reporter}",
             details={"reason": reason[:2000]})],  # who flagged is kept only as a hash
        actor=principal)
    return opened.case, opened.created


__all__ = ["OUTCOMES", "complaint_view", "complaints_of_case", "decide_complaint",
           "file_complaint", "flag"]
