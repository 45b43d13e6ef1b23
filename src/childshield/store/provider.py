"""SQL for the provider's cases (models in :mod:`childshield.store.models.provider`).

Domain code (``childshield.provider``) calls these; nothing else writes the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from childshield.store.models.provider import (
    ProviderCase,
    ProviderCaseContent,
    ProviderCaseDecision,
    ProviderCaseHit,
    ReviewerPreference,
)

QUEUE_ORDER = (ProviderCase.urgent.desc(), ProviderCase.created_at, ProviderCase.id)
"""Urgent first, then oldest first."""


def case_by_key(session: Session, tenant_id: int, content_key: str) -> ProviderCase | None:
    return session.scalar(
        select(ProviderCase).where(
            ProviderCase.tenant_id == tenant_id, ProviderCase.content_key == content_key
        )
    )


def insert_case(session: Session, case: ProviderCase) -> ProviderCase | None:
    """Insert ``case``; None when another transaction inserted the same content key first."""
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        return None
    return case


def insert_hit(session: Session, hit: ProviderCaseHit) -> bool:
    """Add a hit unless the case already has one with the same ``dedupe_key``."""
    exists = session.scalar(
        select(ProviderCaseHit.id).where(
            ProviderCaseHit.case_id == hit.case_id,
            ProviderCaseHit.dedupe_key == hit.dedupe_key,
        )
    )
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(hit)
            session.flush()
    except IntegrityError:
        return False
    return True


def hits_of(session: Session, case_ids: Sequence[int]) -> dict[int, list[ProviderCaseHit]]:
    out: dict[int, list[ProviderCaseHit]] = {i: [] for i in case_ids}
    if not case_ids:
        return out
    rows = session.scalars(
        select(ProviderCaseHit)
        .where(ProviderCaseHit.case_id.in_(list(case_ids)))
        .order_by(ProviderCaseHit.id)
    )
    for row in rows:
        out[row.case_id].append(row)
    return out


def decisions_of(session: Session, case_id: int) -> list[ProviderCaseDecision]:
    return list(
        session.scalars(
            select(ProviderCaseDecision)
            .where(ProviderCaseDecision.case_id == case_id)
            .order_by(ProviderCaseDecision.id)
        )
    )


def content_of(session: Session, case_id: int) -> list[ProviderCaseContent]:
    return list(
        session.scalars(
            select(ProviderCaseContent)
            .where(ProviderCaseContent.case_id == case_id)
            .order_by(ProviderCaseContent.id)
        )
    )


def _queue_filter(
    tenant_id: int, statuses: Sequence[str], abuse_type: str | None, source: str | None
) -> list[Any]:
    where: list[Any] = [ProviderCase.tenant_id == tenant_id, ProviderCase.status.in_(statuses)]
    if abuse_type:
        where.append(ProviderCase.abuse_type == abuse_type)
    if source:
        where.append(ProviderCase.source == source)
    return where


def _free(user_id: int, now: datetime) -> Any:
    return or_(
        ProviderCase.lease_user_id.is_(None),
        ProviderCase.lease_expires_at < now,
        ProviderCase.lease_user_id == user_id,
    )


def list_queue(
    session: Session,
    tenant_id: int,
    statuses: Sequence[str],
    *,
    abuse_type: str | None = None,
    source: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ProviderCase]:
    return list(
        session.scalars(
            select(ProviderCase)
            .where(*_queue_filter(tenant_id, statuses, abuse_type, source))
            .order_by(*QUEUE_ORDER)
            .limit(limit)
            .offset(offset)
        )
    )


def queue_counts(session: Session, tenant_id: int, statuses: Sequence[str]) -> list[dict[str, Any]]:
    """Waiting cases per (abuse type, source, status), with the oldest's time."""
    rows = session.execute(
        select(
            ProviderCase.abuse_type,
            ProviderCase.source,
            ProviderCase.status,
            func.count(),
            func.min(ProviderCase.created_at),
            func.sum(func.cast(ProviderCase.urgent, type_=ProviderCase.id.type)),
        )
        .where(*_queue_filter(tenant_id, statuses, None, None))
        .group_by(ProviderCase.abuse_type, ProviderCase.source, ProviderCase.status)
        .order_by(ProviderCase.abuse_type, ProviderCase.source, ProviderCase.status)
    )
    return [
        {"abuse_type": a, "source": s, "status": st, "count": int(n), "oldest": oldest,
         "urgent": int(u or 0)}
        for a, s, st, n, oldest, u in rows
    ]


def next_candidates(
    session: Session,
    tenant_id: int,
    user_id: int,
    statuses: Sequence[str],
    now: datetime,
    *,
    abuse_type: str | None,
    source: str | None,
    limit: int = 20,
) -> list[int]:
    """Ids of cases the user may take now, in queue order (own lease first)."""
    mine = session.scalars(
        select(ProviderCase.id)
        .where(*_queue_filter(tenant_id, statuses, abuse_type, source),
               ProviderCase.lease_user_id == user_id, ProviderCase.lease_expires_at >= now)
        .order_by(*QUEUE_ORDER)
        .limit(1)
    ).all()
    others = session.scalars(
        select(ProviderCase.id)
        .where(*_queue_filter(tenant_id, statuses, abuse_type, source), _free(user_id, now))
        .order_by(*QUEUE_ORDER)
        .limit(limit)
    ).all()
    return list(dict.fromkeys([*mine, *others]))


def take_lease(
    session: Session, case_id: int, user_id: int, label: str, now: datetime, until: datetime
) -> bool:
    """Lease the case to the user if it is free, expired or already theirs (atomic)."""
    result = session.execute(
        update(ProviderCase)
        .where(ProviderCase.id == case_id, _free(user_id, now))
        .values(lease_user_id=user_id, lease_label=label, lease_expires_at=until)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def detector_outcomes(session: Session, tenant_id: int) -> list[tuple[str, str, str, int]]:
    """(hit kind, detector, final status, cases) over decided cases, one case counted once
    per detector."""
    sub = (
        select(ProviderCaseHit.kind, ProviderCaseHit.detector, ProviderCaseHit.case_id)
        .where(ProviderCaseHit.tenant_id == tenant_id)
        .distinct()
        .subquery()
    )
    rows = session.execute(
        select(sub.c.kind, sub.c.detector, ProviderCase.status, func.count())
        .join(ProviderCase, ProviderCase.id == sub.c.case_id)
        .where(ProviderCase.status.in_(("confirmed", "not_abuse")))
        .group_by(sub.c.kind, sub.c.detector, ProviderCase.status)
    )
    return [(k, d, s, int(n)) for k, d, s, n in rows]


def reviewer_decisions(session: Session, tenant_id: int) -> list[tuple[str, str, str, int]]:
    """(reviewer, decision, the case's current status, count)."""
    rows = session.execute(
        select(ProviderCaseDecision.reviewer, ProviderCaseDecision.decision,
               ProviderCase.status, func.count())
        .join(ProviderCase, ProviderCase.id == ProviderCaseDecision.case_id)
        .where(ProviderCaseDecision.tenant_id == tenant_id)
        .group_by(ProviderCaseDecision.reviewer, ProviderCaseDecision.decision,
                  ProviderCase.status)
    )
    return [(r, d, s, int(n)) for r, d, s, n in rows]


def overturned(session: Session, tenant_id: int) -> dict[str, int]:
    """Per reviewer: decisions a later decision by someone else on the same case reversed
    (a confirm or not-abuse followed by the opposite outcome)."""
    first = ProviderCaseDecision
    later = select(ProviderCaseDecision).subquery()
    rows = session.execute(
        select(first.reviewer, func.count(func.distinct(first.id)))
        .join(later, and_(later.c.case_id == first.case_id, later.c.id > first.id,
                          later.c.reviewer != first.reviewer,
                          later.c.decision.in_(("confirm", "not_abuse")),
                          later.c.decision != first.decision))
        .where(first.tenant_id == tenant_id, first.decision.in_(("confirm", "not_abuse")))
        .group_by(first.reviewer)
    )
    return {r: int(n) for r, n in rows}


def preference(session: Session, tenant_id: int, user_id: int) -> ReviewerPreference | None:
    pref = session.get(ReviewerPreference, user_id)
    return pref if pref is not None and pref.tenant_id == tenant_id else None


__all__ = [
    "QUEUE_ORDER",
    "case_by_key",
    "content_of",
    "decisions_of",
    "detector_outcomes",
    "hits_of",
    "insert_case",
    "insert_hit",
    "list_queue",
    "next_candidates",
    "overturned",
    "preference",
    "queue_counts",
    "reviewer_decisions",
    "take_lease",
]
