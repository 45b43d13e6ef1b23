"""Repository functions for victims' requests, matches and removal notices (all their SQL)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from childshield.store.models.centre import CentreReport, CentreReportItem, CentreSignalKey
from childshield.store.models.centre_victims import (
    CentreItemSignal,
    RateLimitCount,
    VictimMatch,
    VictimRemovalNotice,
    VictimRequest,
)


def request_by_id(session: Session, request_id: str) -> VictimRequest | None:
    return session.scalars(
        select(VictimRequest).where(VictimRequest.request_id == request_id)).first()


def request_by_reference(session: Session, digest: str) -> VictimRequest | None:
    return session.scalars(
        select(VictimRequest).where(VictimRequest.reference_digest == digest)).first()


def request_by_idempotency(session: Session, digest: str) -> VictimRequest | None:
    return session.scalars(
        select(VictimRequest).where(VictimRequest.idempotency_digest == digest)).first()


def list_requests(session: Session, *, limit: int = 200) -> Sequence[VictimRequest]:
    return session.scalars(
        select(VictimRequest).order_by(VictimRequest.id.desc()).limit(limit)).all()


def items_with_keys(session: Session, keys: Iterable[str]
                    ) -> list[tuple[CentreReportItem, str]]:
    """Report items holding one of these one-way signal keys, with the key that matched."""
    wanted = sorted(set(keys))
    if not wanted:
        return []
    rows = session.execute(
        select(CentreReportItem, CentreSignalKey.signal_key)
        .join(CentreSignalKey, CentreSignalKey.item_pk == CentreReportItem.id)
        .where(CentreSignalKey.signal_key.in_(wanted))
        .order_by(CentreReportItem.id)
    ).all()
    return [(r[0], str(r[1])) for r in rows]


def reports_by_pk(session: Session, pks: Iterable[int]) -> dict[int, CentreReport]:
    wanted = sorted(set(pks))
    if not wanted:
        return {}
    return {r.id: r for r in session.scalars(
        select(CentreReport).where(CentreReport.id.in_(wanted)))}


def matches_of(session: Session, request_pk: int) -> Sequence[VictimMatch]:
    return session.scalars(
        select(VictimMatch).where(VictimMatch.request_pk == request_pk)
        .order_by(VictimMatch.id)).all()


def clear_matches(session: Session, request_pk: int) -> None:
    for row in matches_of(session, request_pk):
        session.delete(row)
    session.flush()


def notices_of_request(session: Session, request_pk: int) -> Sequence[VictimRemovalNotice]:
    return session.scalars(
        select(VictimRemovalNotice).where(VictimRemovalNotice.request_pk == request_pk)
        .order_by(VictimRemovalNotice.id)).all()


def notices_of_tenant(session: Session, tenant_id: int, status: str | None = None
                      ) -> Sequence[VictimRemovalNotice]:
    stmt = select(VictimRemovalNotice).where(VictimRemovalNotice.tenant_id == tenant_id)
    if status is not None:
        stmt = stmt.where(VictimRemovalNotice.status == status)
    return session.scalars(stmt.order_by(VictimRemovalNotice.id)).all()


def notice_by_id(session: Session, notice_id: str) -> VictimRemovalNotice | None:
    return session.scalars(
        select(VictimRemovalNotice).where(VictimRemovalNotice.notice_id == notice_id)).first()


def notices_for_item(session: Session, report_pk: int, item_id: str
                     ) -> Sequence[VictimRemovalNotice]:
    return session.scalars(
        select(VictimRemovalNotice).where(VictimRemovalNotice.report_pk == report_pk,
                                          VictimRemovalNotice.item_id == item_id)).all()


def assisted_count(session: Session) -> int:
    """Requests the centre has searched for (the 'victims assisted' figure)."""
    return int(session.scalar(
        select(func.count()).select_from(VictimRequest)
        .where(VictimRequest.searched_at.is_not(None))) or 0)


def notice_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(VictimRemovalNotice.status, func.count()).group_by(VictimRemovalNotice.status)
    ).all()
    return {str(r[0]): int(r[1]) for r in rows}




# --- per-item search rows (centre.report_index) ---------------------------------------------


def reports_without_signals(session: Session, *, limit: int = 200) -> Sequence[CentreReport]:
    """Reports that have no search rows yet (received before the rows existed)."""
    indexed = select(CentreItemSignal.id).where(CentreItemSignal.report_pk == CentreReport.id)
    return session.scalars(select(CentreReport).where(~indexed.exists())
                           .order_by(CentreReport.id).limit(limit)).all()


def pdq_signals_after(session: Session, after: int, *, limit: int = 5000
                      ) -> Sequence[CentreItemSignal]:
    return session.scalars(
        select(CentreItemSignal).where(CentreItemSignal.id > after,
                                       CentreItemSignal.signal == "pdq")
        .order_by(CentreItemSignal.id).limit(limit)).all()


def pdq_signals_upto(session: Session, last: int) -> int:
    return int(session.scalar(select(func.count(CentreItemSignal.id)).where(
        CentreItemSignal.id <= last, CentreItemSignal.signal == "pdq")) or 0)


def items_with_indicators(session: Session, indicators: Iterable[int]
                          ) -> list[tuple[int, str, int]]:
    """(report pk, item id, indicator) of items matched at intake to these indicators."""
    wanted = sorted(set(indicators))
    if not wanted:
        return []
    rows = session.execute(
        select(CentreItemSignal.report_pk, CentreItemSignal.item_id, CentreItemSignal.indicator)
        .where(CentreItemSignal.signal == "indicator", CentreItemSignal.indicator.in_(wanted))
        .order_by(CentreItemSignal.id)).all()
    return [(int(a), str(b), int(c or 0)) for a, b, c in rows]


# --- shared rate limits ---------------------------------------------------------------------


def count_hit(session: Session, bucket: str, window_no: int) -> tuple[int, int]:
    """Add one hit to (bucket, window) and return (hits in it, hits in the window before).
    The increment is one UPDATE (atomic per row); the first hit of a window inserts the row
    (a concurrent first insert loses on the unique key and increments instead) and drops
    the rows of windows older than the previous one."""
    def bump() -> int:
        result = session.execute(
            update(RateLimitCount)
            .where(RateLimitCount.bucket == bucket, RateLimitCount.window_no == window_no)
            .values(hits=RateLimitCount.hits + 1))
        return int(getattr(result, "rowcount", 0) or 0)

    if bump() == 0:
        try:
            with session.begin_nested():
                session.add(RateLimitCount(bucket=bucket, window_no=window_no, hits=1))
            session.execute(delete(RateLimitCount)
                            .where(RateLimitCount.window_no < window_no - 1))
        except IntegrityError:  # another worker inserted it first
            bump()
    rows = {int(w): int(h) for w, h in session.execute(
        select(RateLimitCount.window_no, RateLimitCount.hits).where(
            RateLimitCount.bucket == bucket,
            RateLimitCount.window_no.in_([window_no, window_no - 1])))}
    return rows.get(window_no, 0), rows.get(window_no - 1, 0)


__all__ = [
    "assisted_count",
    "clear_matches",
    "count_hit",
    "items_with_indicators",
    "items_with_keys",
    "list_requests",
    "matches_of",
    "notice_by_id",
    "notice_counts",
    "notices_for_item",
    "notices_of_request",
    "notices_of_tenant",
    "pdq_signals_after",
    "pdq_signals_upto",
    "reports_by_pk",
    "reports_without_signals",
    "request_by_id",
    "request_by_idempotency",
    "request_by_reference",
]
