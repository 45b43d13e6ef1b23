"""Repository functions for the EU Centre's tables (all of the centre's SQL lives here)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from childshield.store.models.centre import (
    CentreInfoRequest,
    CentreInstruction,
    CentreProvider,
    CentreProviderKey,
    CentreReferral,
    CentreReferralDelivery,
    CentreRemovalOrder,
    CentreReport,
    CentreReportEvent,
    CentreReportItem,
    CentreSignalKey,
)

# --- providers ----------------------------------------------------------------------------


def provider_by_id(session: Session, provider_id: str) -> CentreProvider | None:
    return session.scalars(
        select(CentreProvider).where(CentreProvider.provider_id == provider_id)
    ).first()


def provider_by_tenant(session: Session, tenant_id: int) -> CentreProvider | None:
    return session.scalars(
        select(CentreProvider).where(CentreProvider.tenant_id == tenant_id)
    ).first()


def list_providers(session: Session) -> Sequence[CentreProvider]:
    return session.scalars(select(CentreProvider).order_by(CentreProvider.id)).all()


def keys_of(session: Session, provider_pk: int) -> Sequence[CentreProviderKey]:
    return session.scalars(
        select(CentreProviderKey)
        .where(CentreProviderKey.provider_pk == provider_pk)
        .order_by(CentreProviderKey.id)
    ).all()


def key_by_kid(session: Session, kid: str) -> CentreProviderKey | None:
    return session.scalars(select(CentreProviderKey).where(CentreProviderKey.kid == kid)).first()


# --- reports ------------------------------------------------------------------------------


def report_of_provider(session: Session, provider_pk: int, report_id: str) -> CentreReport | None:
    return session.scalars(
        select(CentreReport).where(
            CentreReport.provider_pk == provider_pk, CentreReport.report_id == report_id
        )
    ).first()


def report_by_digest(session: Session, digest: str) -> CentreReport | None:
    return session.scalars(select(CentreReport).where(CentreReport.digest == digest)).first()


def queue(
    session: Session, statuses: Iterable[str], *, limit: int, offset: int = 0
) -> Sequence[CentreReport]:
    """Reports in ``statuses``: urgent first, then oldest first."""
    return session.scalars(
        select(CentreReport)
        .where(CentreReport.status.in_(list(statuses)))
        .order_by(CentreReport.urgent.desc(), CentreReport.received_at, CentreReport.id)
        .limit(limit)
        .offset(offset)
    ).all()


def next_unclaimed(
    session: Session, analyst: str, stale_before: datetime
) -> CentreReport | None:
    """The first received report nobody else holds (claims older than ``stale_before``
    have lapsed)."""
    return session.scalars(
        select(CentreReport)
        .where(
            CentreReport.status == "received",
            or_(
                CentreReport.claimed_by.is_(None),
                CentreReport.claimed_by == analyst,
                CentreReport.claimed_at < stale_before,
            ),
        )
        .order_by(CentreReport.urgent.desc(), CentreReport.received_at, CentreReport.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()


def items_of(session: Session, report_pk: int) -> Sequence[CentreReportItem]:
    return session.scalars(
        select(CentreReportItem)
        .where(CentreReportItem.report_pk == report_pk)
        .order_by(CentreReportItem.id)
    ).all()


def groups_with_keys(session: Session, keys: Iterable[str]) -> set[int]:
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    rows = session.scalars(
        select(CentreReportItem.group_id)
        .join(CentreSignalKey, CentreSignalKey.item_pk == CentreReportItem.id)
        .where(CentreSignalKey.signal_key.in_(wanted))
        .distinct()
    ).all()
    return set(rows)


def merge_groups(session: Session, groups: Iterable[int], into: int) -> None:
    others = [g for g in groups if g != into]
    if others:
        session.execute(
            update(CentreReportItem)
            .where(CentreReportItem.group_id.in_(others))
            .values(group_id=into)
        )


def group_counts(session: Session, group_id: int) -> tuple[int, int]:
    """(reports, providers) that hold an item of this duplicate group."""
    row = session.execute(
        select(
            func.count(func.distinct(CentreReport.id)),
            func.count(func.distinct(CentreReport.provider_pk)),
        )
        .select_from(CentreReportItem)
        .join(CentreReport, CentreReport.id == CentreReportItem.report_pk)
        .where(CentreReportItem.group_id == group_id)
    ).one()
    return int(row[0]), int(row[1])


def group_sizes(session: Session) -> list[int]:
    """Reports per duplicate group, one number per group (for the statistics)."""
    rows = session.execute(
        select(func.count(func.distinct(CentreReportItem.report_pk)))
        .group_by(CentreReportItem.group_id)
    ).all()
    return [int(r[0]) for r in rows]


def add_event(
    session: Session, report: CentreReport, kind: str, actor: str, at: datetime
) -> None:
    session.add(CentreReportEvent(report_pk=report.id, tenant_id=report.tenant_id, kind=kind,
                                  actor=actor[:200], at=at))


def changed_since(
    session: Session, tenant_id: int, cursor: int, limit: int
) -> tuple[list[CentreReport], int]:
    """This tenant's reports changed after event ``cursor`` (each once, in order of their
    latest change) and the new cursor."""
    rows = session.execute(
        select(CentreReportEvent.report_pk, func.max(CentreReportEvent.id).label("last"))
        .where(CentreReportEvent.tenant_id == tenant_id, CentreReportEvent.id > cursor)
        .group_by(CentreReportEvent.report_pk)
        .order_by(func.max(CentreReportEvent.id))
        .limit(limit)
    ).all()
    if not rows:
        return [], cursor
    by_pk = {
        r.id: r
        for r in session.scalars(
            select(CentreReport).where(CentreReport.id.in_([row[0] for row in rows]))
        )
    }
    return [by_pk[row[0]] for row in rows], int(rows[-1][1])


def info_requests(session: Session, report_pk: int) -> Sequence[CentreInfoRequest]:
    return session.scalars(
        select(CentreInfoRequest)
        .where(CentreInfoRequest.report_pk == report_pk)
        .order_by(CentreInfoRequest.id)
    ).all()


def instructions(session: Session, report_pk: int) -> Sequence[CentreInstruction]:
    return session.scalars(
        select(CentreInstruction)
        .where(CentreInstruction.report_pk == report_pk)
        .order_by(CentreInstruction.id)
    ).all()


def referrals(session: Session, report_pk: int) -> Sequence[CentreReferral]:
    return session.scalars(
        select(CentreReferral)
        .where(CentreReferral.report_pk == report_pk)
        .order_by(CentreReferral.id)
    ).all()


def referral_by_id(session: Session, referral_id: str) -> CentreReferral | None:
    return session.scalars(
        select(CentreReferral).where(CentreReferral.referral_id == referral_id)
    ).first()


def all_reports(session: Session) -> Sequence[CentreReport]:
    return session.scalars(select(CentreReport).order_by(CentreReport.id)).all()


# --- removal orders -----------------------------------------------------------------------


def has_orders_for(session: Session, provider_pk: int) -> bool:
    """Whether any removal order was issued to the provider."""
    return session.scalar(select(CentreRemovalOrder.id).where(
        CentreRemovalOrder.provider_pk == provider_pk).limit(1)) is not None


def order_by_id(session: Session, order_id: str) -> CentreRemovalOrder | None:
    return session.scalars(
        select(CentreRemovalOrder).where(CentreRemovalOrder.order_id == order_id)
    ).first()


def orders(
    session: Session,
    *,
    tenant_id: int | None = None,
    authority_tenant_id: int | None = None,
    status: str | None = None,
) -> Sequence[CentreRemovalOrder]:
    stmt = select(CentreRemovalOrder).order_by(CentreRemovalOrder.id)
    if tenant_id is not None:
        stmt = stmt.where(CentreRemovalOrder.tenant_id == tenant_id)
    if authority_tenant_id is not None:
        stmt = stmt.where(CentreRemovalOrder.authority_tenant_id == authority_tenant_id)
    if status is not None:
        stmt = stmt.where(CentreRemovalOrder.status == status)
    return session.scalars(stmt).all()



# --- the referral outbox (centre.referral_outbox) -------------------------------------------


def due_deliveries(session: Session, now: datetime, *, limit: int = 100,
                   referral_pk: int | None = None) -> list[int]:
    """Ids of outbox rows to send now (pending, due, not leased), oldest first."""
    stmt = select(CentreReferralDelivery.id).where(
        CentreReferralDelivery.status == "pending",
        CentreReferralDelivery.next_attempt_at <= now,
        or_(CentreReferralDelivery.leased_until.is_(None),
            CentreReferralDelivery.leased_until < now))
    if referral_pk is not None:
        stmt = stmt.where(CentreReferralDelivery.referral_pk == referral_pk)
    return list(session.scalars(stmt.order_by(CentreReferralDelivery.id).limit(limit)))


def lease_delivery(session: Session, row_id: int, now: datetime, until: datetime) -> bool:
    """Take the row for one worker (compare-and-set): False when another holds it."""
    result = session.execute(
        update(CentreReferralDelivery)
        .where(CentreReferralDelivery.id == row_id, CentreReferralDelivery.status == "pending",
               or_(CentreReferralDelivery.leased_until.is_(None),
                   CentreReferralDelivery.leased_until < now))
        .values(leased_until=until))
    return int(getattr(result, "rowcount", 0) or 0) == 1


def deliveries_of(session: Session, referral_pk: int) -> Sequence[CentreReferralDelivery]:
    return session.scalars(select(CentreReferralDelivery).where(
        CentreReferralDelivery.referral_pk == referral_pk)
        .order_by(CentreReferralDelivery.id)).all()


__all__ = [
    "add_event",
    "all_reports",
    "changed_since",
    "deliveries_of",
    "due_deliveries",
    "group_counts",
    "group_sizes",
    "groups_with_keys",
    "info_requests",
    "instructions",
    "items_of",
    "key_by_kid",
    "keys_of",
    "lease_delivery",
    "list_providers",
    "merge_groups",
    "next_unclaimed",
    "order_by_id",
    "orders",
    "provider_by_id",
    "provider_by_tenant",
    "queue",
    "referral_by_id",
    "referrals",
    "report_by_digest",
    "report_of_provider",
]
