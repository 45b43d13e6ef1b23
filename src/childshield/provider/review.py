"""Human review: queues, one reviewer per case (a lease), decisions, error rates.

* Queues: per abuse type (``known``, ``new``, ``solicitation``) and per source, urgent
  first, then oldest first. Reviewers work ``open`` cases; supervisors work ``escalated``
  ones (and may take any case).
* :func:`next_case` leases the next case to the caller for :data:`LEASE_MINUTES`; nobody
  else is served it or may decide it until the lease ends. :func:`claim` leases a case
  opened by its URL (409 if someone else holds it).
* :func:`decide` takes one of the closed set :data:`DECISIONS`; each decision is a
  ``ProviderCaseDecision`` row (who, in which role, when, note) and an audit entry;
  ``confirm`` is final and runs the ``on_confirmed`` handlers (``childshield.provider.cases``).
  A supervisor may reverse a reviewer's ``not_abuse`` (a quality check); that counts as an
  error of the reviewer.
* :func:`error_rates`: per bank and detector, the share of decided cases found not to be
  abuse (false positives); per reviewer, their decisions and how many were reversed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from childshield import audit
from childshield.auth.principal import Principal
from childshield.errors import ConflictError, InputError, PermissionDeniedError
from childshield.provider.cases import (
    ABUSE_TYPES,
    Confirmation,
    confirmed_handlers,
    get_case,
    iso,
    utc,
)
from childshield.store import provider as repo
from childshield.store.models.base import utcnow
from childshield.store.models.provider import (
    ProviderCase,
    ProviderCaseDecision,
    ReviewerPreference,
)
from childshield.store.tenancy import TenantScope

LEASE_MINUTES = 15
DECISIONS = ("confirm", "not_abuse", "escalate", "needs_context")
STATUS_AFTER = {"confirm": "confirmed", "not_abuse": "not_abuse", "escalate": "escalated",
                "needs_context": "needs_context"}


def is_supervisor(principal: Principal) -> bool:
    return principal.has_any({"supervisor", "admin"})


def working_statuses(principal: Principal) -> tuple[str, ...]:
    """What the caller's queue holds: reviewers open cases, supervisors escalated ones."""
    return ("escalated",) if is_supervisor(principal) else ("open",)


def _check_filters(abuse_type: str | None, source: str | None) -> None:
    if abuse_type is not None and abuse_type not in ABUSE_TYPES:
        raise InputError(f"unknown abuse type {abuse_type!r}; expected one of "
                         f"{', '.join(ABUSE_TYPES)}")
    if source is not None and len(source) > 32:
        raise InputError("source too long")


def queue(
    scope: TenantScope, principal: Principal, *, abuse_type: str | None = None,
    source: str | None = None, status: str | None = None, limit: int = 100, offset: int = 0,
) -> list[ProviderCase]:
    _check_filters(abuse_type, source)
    statuses = (status,) if status else working_statuses(principal)
    rows = repo.list_queue(scope.session, scope.tenant_id, statuses, abuse_type=abuse_type,
                           source=source, limit=limit, offset=offset)
    audit.record(scope.session, principal, "case.queue", "case", None,
                 details={"count": len(rows), "abuse_type": abuse_type, "source": source})
    return rows


def queues(scope: TenantScope) -> list[dict[str, Any]]:
    """Waiting work per abuse type, source and status (open, escalated, needs context)."""
    rows = repo.queue_counts(scope.session, scope.tenant_id,
                             ("open", "escalated", "needs_context"))
    for row in rows:
        row["oldest"] = iso(row["oldest"])
    return rows


def _user_id(principal: Principal) -> int:
    if principal.kind != "user":
        raise PermissionDeniedError("reviewing takes a console user, not an API key")
    return principal.id


def _lease(scope: TenantScope, principal: Principal, case: ProviderCase) -> bool:
    now = utcnow()
    until = now + timedelta(minutes=LEASE_MINUTES)
    return repo.take_lease(scope.session, case.id, _user_id(principal), principal.label,
                           now, until)


def next_case(
    scope: TenantScope, principal: Principal, *, abuse_type: str | None = None,
    source: str | None = None,
) -> ProviderCase | None:
    """Lease and return the next case for the caller (their current one first), or None."""
    _check_filters(abuse_type, source)
    user = _user_id(principal)
    for _ in range(3):  # candidates can be taken by others between the read and the lease
        ids = repo.next_candidates(scope.session, scope.tenant_id, user,
                                   working_statuses(principal), utcnow(),
                                   abuse_type=abuse_type, source=source)
        if not ids:
            return None
        for case_id in ids:
            case = get_case(scope, case_id)
            if _lease(scope, principal, case):
                case = get_case(scope, case_id)
                audit.record(scope.session, principal, "case.assign", "case", case.id)
                return case
    return None


def holds_lease(principal: Principal, case: ProviderCase) -> bool:
    return (principal.kind == "user" and case.lease_user_id == principal.id
            and case.lease_expires_at is not None and utc(case.lease_expires_at) > utcnow())


def claim(scope: TenantScope, principal: Principal, case_id: int) -> ProviderCase:
    """Lease a case opened by its URL; 409 while another reviewer holds it."""
    case = get_case(scope, case_id)
    if case.status in ("confirmed", "not_abuse") and not is_supervisor(principal):
        return case  # nothing to review; viewing the record needs no lease
    if case.status == "escalated" and not is_supervisor(principal):
        raise PermissionDeniedError(f"case {case_id} is escalated to a supervisor")
    if not _lease(scope, principal, case):
        raise ConflictError(f"case {case_id} is being reviewed by {case.lease_label} until "
                            f"{iso(case.lease_expires_at)}")
    case = get_case(scope, case_id)
    audit.record(scope.session, principal, "case.assign", "case", case.id)
    return case


def release(scope: TenantScope, principal: Principal, case_id: int) -> ProviderCase:
    """Give a leased case back to the queue (skip)."""
    case = get_case(scope, case_id)
    if not holds_lease(principal, case):
        raise ConflictError(f"you do not hold case {case_id}")
    case.lease_user_id = case.lease_label = case.lease_expires_at = None
    audit.record(scope.session, principal, "case.release", "case", case.id)
    return case


@dataclass(frozen=True)
class Decided:
    case: ProviderCase
    decision: ProviderCaseDecision


def decide(
    scope: TenantScope, principal: Principal, case_id: int, decision: str, *,
    abuse_type: str | None = None, note: str = "",
) -> Decided:
    """Record one decision of the closed set on a case the caller holds."""
    if decision not in DECISIONS:
        raise InputError(f"unknown decision {decision!r}; expected one of {', '.join(DECISIONS)}")
    if decision == "confirm":
        if abuse_type not in ABUSE_TYPES:
            raise InputError(f"confirm needs abuse_type, one of {', '.join(ABUSE_TYPES)}")
    elif abuse_type is not None:
        raise InputError("abuse_type goes with confirm only")
    case = get_case(scope, case_id)
    supervisor = is_supervisor(principal)
    reversal = case.status == "not_abuse" and supervisor and decision == "confirm"
    if case.status in ("confirmed", "not_abuse") and not reversal:
        raise ConflictError(f"case {case_id} is already decided ({case.status})")
    if case.status == "escalated" and not supervisor:
        raise PermissionDeniedError(f"case {case_id} is escalated to a supervisor")
    if decision == "escalate" and supervisor:
        raise ConflictError("a supervisor decides escalated cases; there is no one to escalate to")
    if not reversal and not holds_lease(principal, case):
        raise ConflictError(f"take case {case_id} first (it is not assigned to you, or your "
                            "assignment expired)")
    now = utcnow()
    row = ProviderCaseDecision(
        tenant_id=scope.tenant_id, case_id=case.id, decision=decision, abuse_type=abuse_type,
        reviewer_id=_user_id(principal), reviewer=principal.label,
        role="supervisor" if supervisor else "reviewer", note=note[:5000], decided_at=now,
    )
    scope.session.add(row)
    case.status = STATUS_AFTER[decision]
    case.decision, case.decided_by, case.decided_at, case.updated_at = (
        decision, principal.label, now, now)
    if abuse_type:
        case.abuse_type = abuse_type
    case.lease_user_id = case.lease_label = case.lease_expires_at = None
    scope.session.flush()
    audit.record(scope.session, principal, f"case.decide.{decision}", "case", case.id,
                 details={"abuse_type": abuse_type, "role": row.role, "decision_id": row.id})
    if decision == "confirm":
        confirmation = Confirmation(case.id, scope.tenant_id, case.abuse_type, row.id,
                                    principal.label, now.isoformat(), case)
        for handler in confirmed_handlers():
            handler(scope.session, confirmation)
    return Decided(case, row)


def error_rates(scope: TenantScope, principal: Principal) -> dict[str, Any]:
    """False-positive rates per bank and detector, decision counts and reversals per
    reviewer (supervisors)."""
    if not is_supervisor(principal):
        raise PermissionDeniedError("error rates are for supervisors")
    session, tenant = scope.session, scope.tenant_id
    detectors: dict[tuple[str, str], dict[str, Any]] = {}
    for kind, detector, status, count in repo.detector_outcomes(session, tenant):
        row = detectors.setdefault((kind, detector), {"kind": kind, "detector": detector,
                                                      "confirmed": 0, "not_abuse": 0})
        row["confirmed" if status == "confirmed" else "not_abuse"] += count
    for row in detectors.values():
        decided = row["confirmed"] + row["not_abuse"]
        row["decided"] = decided
        row["false_positive_rate"] = round(row["not_abuse"] / decided, 4) if decided else None
    reviewers: dict[str, dict[str, Any]] = {}
    for reviewer, decision, _status, count in repo.reviewer_decisions(session, tenant):
        row = reviewers.setdefault(reviewer, {"reviewer": reviewer, "decisions": 0,
                                              **{d: 0 for d in DECISIONS}})
        row[decision] += count
        row["decisions"] += count
    reversed_ = repo.overturned(session, tenant)
    for name, row in reviewers.items():
        row["reversed"] = reversed_.get(name, 0)
        final = row["confirm"] + row["not_abuse"]
        row["error_rate"] = round(row["reversed"] / final, 4) if final else None
    audit.record(session, principal, "review.stats", "case", None)
    order = sorted(detectors.values(), key=lambda r: (r["kind"], r["detector"]))
    return {
        "banks": [r for r in order if r["kind"] in ("bank", "live")],
        "detectors": [r for r in order if r["kind"] not in ("bank", "live")],
        "reviewers": sorted(reviewers.values(), key=lambda r: r["reviewer"]),
    }


def get_preference(scope: TenantScope, principal: Principal) -> dict[str, bool]:
    if principal.kind != "user":
        return {"colour": False}
    pref = repo.preference(scope.session, scope.tenant_id, principal.id)
    return {"colour": bool(pref and pref.colour)}


def set_preference(scope: TenantScope, principal: Principal, *, colour: bool) -> dict[str, bool]:
    user = _user_id(principal)
    pref = repo.preference(scope.session, scope.tenant_id, user)
    if pref is None:
        pref = ReviewerPreference(tenant_id=scope.tenant_id, user_id=user)
        scope.session.add(pref)
    pref.colour = colour
    pref.updated_at = utcnow()
    audit.record(scope.session, principal, "review.preference", "user", user,
                 details={"colour": colour})
    return {"colour": colour}


__all__ = [
    "DECISIONS",
    "LEASE_MINUTES",
    "Decided",
    "claim",
    "decide",
    "error_rates",
    "get_preference",
    "holds_lease",
    "is_supervisor",
    "next_case",
    "queue",
    "queues",
    "release",
    "set_preference",
    "working_statuses",
]
