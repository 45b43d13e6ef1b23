"""SQL for the provider's reporting tables (models in ``store.models.provider_reports``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from childshield.store.models.provider import ProviderCase, ProviderCaseContent
from childshield.store.models.provider_reports import (
    ProviderComplaint,
    ProviderNotice,
    ProviderOutbox,
    ProviderRemovalOrder,
    ProviderReport,
    ProviderReportProfile,
    ProviderRetentionHold,
)


def profile(session: Session, tenant_id: int) -> ProviderReportProfile | None:
    return session.get(ProviderReportProfile, tenant_id)


def profiles(session: Session) -> Sequence[ProviderReportProfile]:
    return session.scalars(select(ProviderReportProfile)).all()


def report_of_case(session: Session, tenant_id: int, case_id: int) -> ProviderReport | None:
    return session.scalar(select(ProviderReport).where(
        ProviderReport.tenant_id == tenant_id, ProviderReport.case_id == case_id))


def confirmed_without_report(session: Session, limit: int) -> Sequence[ProviderCase]:
    """Confirmed cases that have no report row (should never exist; see reconcile)."""
    reported = select(ProviderReport.case_id)
    return session.scalars(
        select(ProviderCase)
        .where(ProviderCase.status == "confirmed", ProviderCase.id.not_in(reported))
        .order_by(ProviderCase.id).limit(limit)
    ).all()


def report_by_id(session: Session, tenant_id: int, report_id: str) -> ProviderReport | None:
    return session.scalar(select(ProviderReport).where(
        ProviderReport.tenant_id == tenant_id, ProviderReport.report_id == report_id))


def reports_to_check(session: Session, tenant_id: int, limit: int) -> Sequence[ProviderReport]:
    """Delivered reports whose centre status is not final yet, least recently checked first."""
    return session.scalars(
        select(ProviderReport)
        .where(ProviderReport.tenant_id == tenant_id, ProviderReport.delivery == "delivered",
               or_(ProviderReport.centre_status.is_(None),
                   ProviderReport.centre_status.in_(("received", "assessed"))))
        .order_by(ProviderReport.answer_checked_at.is_not(None),
                  ProviderReport.answer_checked_at, ProviderReport.id)
        .limit(limit)
    ).all()


def due_outbox_ids(session: Session, now: datetime, limit: int,
                   destination: str | None = None) -> list[int]:
    """Ids of rows ready to send (or build) now, oldest first; not leased by a live worker."""
    stmt = (
        select(ProviderOutbox.id)
        .where(ProviderOutbox.status.in_(("pending", "waiting")),
               ProviderOutbox.next_attempt_at <= now,
               or_(ProviderOutbox.lease_until.is_(None), ProviderOutbox.lease_until < now))
        .order_by(ProviderOutbox.next_attempt_at, ProviderOutbox.id)
        .limit(limit)
    )
    if destination:
        stmt = stmt.where(ProviderOutbox.destination == destination)
    return list(session.scalars(stmt).all())


def lease_outbox(session: Session, row_id: int, now: datetime, until: datetime) -> bool:
    """Take one row for this worker (compare-and-set: two workers never send one row)."""
    result = session.execute(
        update(ProviderOutbox)
        .where(ProviderOutbox.id == row_id,
               ProviderOutbox.status.in_(("pending", "waiting")),
               or_(ProviderOutbox.lease_until.is_(None), ProviderOutbox.lease_until < now))
        .values(lease_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def outbox_of_report(session: Session, report_pk: int) -> Sequence[ProviderOutbox]:
    return session.scalars(select(ProviderOutbox).where(ProviderOutbox.report_pk == report_pk)
                           .order_by(ProviderOutbox.id)).all()


def outbox_rows(session: Session, tenant_id: int | None, status: str | None,
                limit: int) -> Sequence[ProviderOutbox]:
    stmt = select(ProviderOutbox).order_by(ProviderOutbox.id.desc()).limit(limit)
    if tenant_id is not None:
        stmt = stmt.where(ProviderOutbox.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(ProviderOutbox.status == status)
    return session.scalars(stmt).all()


def reports_without_notice_decision(session: Session, limit: int) -> Sequence[ProviderReport]:
    """Delivered reports that may still need notices (not purged)."""
    return session.scalars(
        select(ProviderReport)
        .where(ProviderReport.delivery == "delivered", ProviderReport.purged_at.is_(None))
        .order_by(ProviderReport.id).limit(limit)
    ).all()


def notice_exists(session: Session, report_pk: int, user_id: str) -> bool:
    return session.scalar(select(ProviderNotice.id).where(
        ProviderNotice.report_pk == report_pk, ProviderNotice.user_id == user_id)) is not None


def notices(session: Session, tenant_id: int, status: str | None,
            limit: int) -> Sequence[ProviderNotice]:
    stmt = (select(ProviderNotice).where(ProviderNotice.tenant_id == tenant_id)
            .order_by(ProviderNotice.id).limit(limit))
    if status:
        stmt = stmt.where(ProviderNotice.status == status)
    return session.scalars(stmt).all()


def complaints(session: Session, tenant_id: int, status: str | None,
               limit: int) -> Sequence[ProviderComplaint]:
    stmt = (select(ProviderComplaint).where(ProviderComplaint.tenant_id == tenant_id)
            .order_by(ProviderComplaint.created_at, ProviderComplaint.id).limit(limit))
    if status:
        stmt = stmt.where(ProviderComplaint.status == status)
    return session.scalars(stmt).all()


def decided_complaints(session: Session, tenant_id: int,
                       limit: int) -> Sequence[ProviderComplaint]:
    """The tenant's most recently decided complaints, newest first."""
    return session.scalars(
        select(ProviderComplaint)
        .where(ProviderComplaint.tenant_id == tenant_id, ProviderComplaint.status != "open")
        .order_by(ProviderComplaint.decided_at.desc(), ProviderComplaint.id.desc())
        .limit(limit)).all()


def removal_order(session: Session, tenant_id: int, order_id: str) -> ProviderRemovalOrder | None:
    return session.scalar(select(ProviderRemovalOrder).where(
        ProviderRemovalOrder.tenant_id == tenant_id, ProviderRemovalOrder.order_id == order_id))


def removal_orders(session: Session, tenant_id: int | None, status: str | None,
                   limit: int = 500) -> Sequence[ProviderRemovalOrder]:
    stmt = select(ProviderRemovalOrder).order_by(ProviderRemovalOrder.deadline).limit(limit)
    if tenant_id is not None:
        stmt = stmt.where(ProviderRemovalOrder.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(ProviderRemovalOrder.status == status)
    return session.scalars(stmt).all()


def holds_of(session: Session, case_id: int) -> Sequence[ProviderRetentionHold]:
    return session.scalars(select(ProviderRetentionHold).where(
        ProviderRetentionHold.case_id == case_id).order_by(ProviderRetentionHold.id)).all()


def reports_reported_before(session: Session, cutoff: datetime,
                            limit: int) -> Sequence[ProviderReport]:
    return session.scalars(
        select(ProviderReport)
        .where(ProviderReport.created_at <= cutoff, ProviderReport.purged_at.is_(None))
        .order_by(ProviderReport.created_at).limit(limit)
    ).all()


def case(session: Session, case_id: int) -> ProviderCase | None:
    return session.get(ProviderCase, case_id)


def content_rows(session: Session, case_id: int) -> Sequence[ProviderCaseContent]:
    return session.scalars(select(ProviderCaseContent).where(
        ProviderCaseContent.case_id == case_id).order_by(ProviderCaseContent.id)).all()


def all_content(session: Session, after_id: int, limit: int) -> Sequence[ProviderCaseContent]:
    return session.scalars(
        select(ProviderCaseContent)
        .where(ProviderCaseContent.id > after_id, ProviderCaseContent.ciphertext.is_not(None))
        .order_by(ProviderCaseContent.id).limit(limit)
    ).all()


__all__ = [
    "all_content",
    "case",
    "complaints",
    "confirmed_without_report",
    "content_rows",
    "decided_complaints",
    "due_outbox_ids",
    "holds_of",
    "lease_outbox",
    "notice_exists",
    "notices",
    "outbox_of_report",
    "outbox_rows",
    "profile",
    "profiles",
    "removal_order",
    "removal_orders",
    "report_by_id",
    "report_of_case",
    "reports_reported_before",
    "reports_to_check",
    "reports_without_notice_decision",
]
