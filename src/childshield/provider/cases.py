"""Cases: one content item that needs a human decision, and why it was raised.

Detection (``childshield.provider.detection``) calls :func:`open_case` with the item and
its hits; a second detection of the same item (same tenant and ``content_key``) adds its
hits to the existing case and never opens another. Review (``childshield.provider.review``)
leases cases to reviewers and records decisions.

**Contract for the reports side.** When a reviewer confirms a case (decision ``confirm``
with an abuse type), the case's ``status`` becomes ``"confirmed"`` (final) and every handler
registered with :func:`on_confirmed` is called *inside the deciding transaction*::

    from childshield.provider.cases import on_confirmed, Confirmation

    @on_confirmed
    def make_report(session, confirmation: Confirmation) -> None:
        outbox.enqueue(session, confirmation.case_id, ...)   # commits with the decision

A handler that raises rolls the decision back (the reviewer sees the error and can retry),
so a confirmed case without its report cannot exist. Pollers can instead read
``ProviderCase.status == "confirmed"`` and the ``ProviderCaseDecision`` rows.
:func:`case_detail` is the case as the API shows it (what a report needs: signals, hits,
context with user and location, the human review record).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.errors import ConflictError
from childshield.store import provider as repo
from childshield.store.models.base import utcnow
from childshield.store.models.provider import (
    ProviderCase,
    ProviderCaseDecision,
    ProviderCaseHit,
)
from childshield.store.tenancy import TenantScope

ABUSE_TYPES = ("known", "new", "solicitation")
SOURCES = ("upload", "signals", "conversation", "live")
STATUSES = ("open", "escalated", "needs_context", "confirmed", "not_abuse")
FINAL = frozenset({"confirmed", "not_abuse"})
_RANK = {"known": 3, "solicitation": 2, "new": 1}
"""A case raised by several detectors takes the strongest abuse type."""


def utc(value: datetime) -> datetime:
    """Timezone-aware UTC (SQLite hands back naive datetimes)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    return None if value is None else utc(value).isoformat()


@dataclass(frozen=True)
class Hit:
    """One reason to raise a case."""

    kind: str
    """``bank``, ``classifier``, ``conversation`` or ``live``."""
    detector: str
    dedupe_key: str
    indicator_id: int | None = None
    signal: str | None = None
    distance: int | None = None
    score: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewItem:
    """A content item to open a case for."""

    content_key: str
    abuse_type: str
    source: str
    kind: str
    media_type: str | None = None
    external_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    signals: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False


@dataclass(frozen=True)
class Opened:
    case: ProviderCase
    created: bool
    new_hits: int


@dataclass(frozen=True)
class Confirmation:
    """What an ``on_confirmed`` handler receives."""

    case_id: int
    tenant_id: int
    abuse_type: str
    decision_id: int
    reviewer: str
    decided_at: str
    case: ProviderCase


ConfirmedHandler = Callable[[Session, Confirmation], None]
_CONFIRMED: list[ConfirmedHandler] = []


def on_confirmed(handler: ConfirmedHandler) -> ConfirmedHandler:
    """Register ``handler(session, confirmation)``; usable as a decorator."""
    if handler not in _CONFIRMED:
        _CONFIRMED.append(handler)
    return handler


def confirmed_handlers() -> list[ConfirmedHandler]:
    return list(_CONFIRMED)


def open_case(
    session: Session, tenant_id: int, item: NewItem, hits: Sequence[Hit], *, actor: Principal | str
) -> Opened:
    """Open a case for ``item`` (or add ``hits`` to the one it already has)."""
    if item.abuse_type not in ABUSE_TYPES:
        raise ValueError(f"abuse type {item.abuse_type!r}")
    case = repo.case_by_key(session, tenant_id, item.content_key)
    created = False
    if case is None:
        now = utcnow()
        fresh = ProviderCase(
            tenant_id=tenant_id, content_key=item.content_key, abuse_type=item.abuse_type,
            source=item.source, kind=item.kind, media_type=item.media_type,
            external_id=item.external_id, context=dict(item.context),
            signals=dict(item.signals), urgent=item.urgent, status="open",
            created_at=now, updated_at=now,
        )
        inserted = repo.insert_case(session, fresh)
        if inserted is None:  # a concurrent detection of the same item won
            case = repo.case_by_key(session, tenant_id, item.content_key)
            assert case is not None
        else:
            case, created = inserted, True
    elif case.status not in FINAL:
        if _RANK[item.abuse_type] > _RANK.get(case.abuse_type, 0):
            case.abuse_type = item.abuse_type
        case.urgent = case.urgent or item.urgent
        if item.context:
            case.context = {**case.context, **item.context}
    added = 0
    for hit in hits:
        added += repo.insert_hit(session, ProviderCaseHit(
            tenant_id=tenant_id, case_id=case.id, kind=hit.kind, detector=hit.detector[:200],
            dedupe_key=hit.dedupe_key[:200], indicator_id=hit.indicator_id, signal=hit.signal,
            distance=hit.distance, score=hit.score, details=hit.details,
        ))
    if created or added:
        case.updated_at = utcnow()
        audit.record(session, actor, "case.open" if created else "case.hit", "case", case.id,
                     tenant_id=tenant_id,
                     details={"abuse_type": case.abuse_type, "source": case.source,
                              "hits": added})
    session.flush()
    return Opened(case, created, added)


def get_case(scope: TenantScope, case_id: int) -> ProviderCase:
    """The tenant's case (NotFoundError, i.e. 404, for another tenant's)."""
    return scope.get(ProviderCase, case_id, what="case")


def hit_to_dict(hit: ProviderCaseHit) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": hit.kind, "detector": hit.detector}
    for name in ("indicator_id", "signal", "distance", "score"):
        value = getattr(hit, name)
        if value is not None:
            out[name] = value
    out.update(hit.details or {})
    out["raised_at"] = iso(hit.created_at)
    return out


def decision_to_dict(row: ProviderCaseDecision) -> dict[str, Any]:
    return {"id": row.id, "decision": row.decision, "abuse_type": row.abuse_type,
            "reviewer": row.reviewer, "role": row.role, "note": row.note,
            "decided_at": iso(row.decided_at)}


def case_summary(case: ProviderCase, hits: Sequence[ProviderCaseHit] = ()) -> dict[str, Any]:
    return {
        "id": case.id,
        "url": f"/provider/console/review/cases/{case.id}",
        "api": f"/provider/v1/cases/{case.id}",
        "abuse_type": case.abuse_type,
        "source": case.source,
        "kind": case.kind,
        "status": case.status,
        "urgent": case.urgent,
        "external_id": case.external_id,
        "created_at": iso(case.created_at),
        "updated_at": iso(case.updated_at),
        "assigned_to": case.lease_label if case.lease_expires_at and
        utc(case.lease_expires_at) > utcnow() else None,
        "detectors": sorted({h.detector for h in hits}),
        "decision": case.decision,
    }


def case_detail(session: Session, case: ProviderCase) -> dict[str, Any]:
    """Everything about a case but its content: summary, signals, context, hits, history."""
    hits = repo.hits_of(session, [case.id])[case.id]
    out = case_summary(case, hits)
    out.update({
        "media_type": case.media_type,
        "signals": case.signals,
        "context": case.context,
        "hits": [hit_to_dict(h) for h in hits],
        "decisions": [decision_to_dict(d) for d in repo.decisions_of(session, case.id)],
        "content": [{"id": c.id, "kind": c.kind, "media_type": c.media_type,
                     "size_bytes": c.size_bytes, "deleted": c.deleted_at is not None}
                    for c in repo.content_of(session, case.id)],
        "lease_expires_at": iso(case.lease_expires_at),
    })
    return out


def add_context(
    scope: TenantScope, principal: Principal, case_id: int, context: dict[str, Any]
) -> ProviderCase:
    """More context for a case (the integration answering ``needs_context``): merged into
    the case's context; a case waiting for context goes back to the queue."""
    case = get_case(scope, case_id)
    if case.status in FINAL:
        raise ConflictError(f"case {case_id} is {case.status}; it takes no more context")
    case.context = {**case.context, **context}
    if case.status == "needs_context":
        case.status = "open"
    case.updated_at = utcnow()
    audit.record(scope.session, principal, "case.context", "case", case.id,
                 details={"fields": sorted(context)[:20]})
    return case


__all__ = [
    "ABUSE_TYPES",
    "FINAL",
    "SOURCES",
    "STATUSES",
    "Confirmation",
    "ConfirmedHandler",
    "Hit",
    "NewItem",
    "Opened",
    "add_context",
    "case_detail",
    "case_summary",
    "confirmed_handlers",
    "decision_to_dict",
    "get_case",
    "hit_to_dict",
    "iso",
    "on_confirmed",
    "open_case",
    "utc",
]
