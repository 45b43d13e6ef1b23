"""SQL for the centre's indicator database and a provider's synced-list records."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from childshield.store.models.centre_indicators import (
    CentreIndicator,
    CentreIndicatorScope,
    CentreIndicatorVersion,
    ProviderListEntry,
    ProviderListSync,
)


def new_version(session: Session, action: str, actor: str) -> int:
    """A new database version for one change (its id; ids only grow)."""
    row = CentreIndicatorVersion(action=action, actor=actor[:300])
    session.add(row)
    session.flush()
    return row.id


def current_version(session: Session) -> int:
    """The latest version (0 for an empty database)."""
    return session.scalar(select(func.max(CentreIndicatorVersion.id))) or 0


def by_indicator_id(session: Session, indicator_id: str) -> CentreIndicator | None:
    return session.scalar(
        select(CentreIndicator).where(CentreIndicator.indicator_id == indicator_id))


def by_value(session: Session, signal: str, value: str) -> CentreIndicator | None:
    return session.scalar(select(CentreIndicator).where(
        CentreIndicator.signal == signal, CentreIndicator.value == value))


def indicators(session: Session, *, status: str | None = None, kind: str | None = None,
               since: int | None = None, limit: int | None = None) -> Sequence[CentreIndicator]:
    query = select(CentreIndicator).order_by(CentreIndicator.id)
    if status is not None:
        query = query.where(CentreIndicator.status == status)
    if kind is not None:
        query = query.where(CentreIndicator.kind == kind)
    if since is not None:
        query = query.where(CentreIndicator.version > since)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def counts(session: Session) -> tuple[int, int]:
    """(indicators ever added, indicators withdrawn)."""
    added = session.scalar(select(func.count(CentreIndicator.id))) or 0
    withdrawn = session.scalar(select(func.count(CentreIndicator.id)).where(
        CentreIndicator.status == "withdrawn")) or 0
    return added, withdrawn


def scope_of(session: Session, provider_pk: int, list_id: str) -> CentreIndicatorScope | None:
    return session.scalar(select(CentreIndicatorScope).where(
        CentreIndicatorScope.provider_pk == provider_pk, CentreIndicatorScope.list_id == list_id))


# --- provider side ---------------------------------------------------------------------

def sync_of(session: Session, bank: str, list_id: str) -> ProviderListSync | None:
    return session.scalar(select(ProviderListSync).where(
        ProviderListSync.bank == bank, ProviderListSync.list_id == list_id))


def entry_map(session: Session, sync_id: int) -> dict[str, int]:
    """List entry id -> local bank indicator id."""
    rows = session.execute(select(ProviderListEntry.entry_id, ProviderListEntry.local_indicator)
                           .where(ProviderListEntry.sync_id == sync_id))
    return {entry: local for entry, local in rows}


def put_entries(session: Session, sync_id: int, pairs: dict[str, int]) -> None:
    existing = {row.entry_id: row for row in session.scalars(
        select(ProviderListEntry).where(ProviderListEntry.sync_id == sync_id,
                                        ProviderListEntry.entry_id.in_(list(pairs))))}
    for entry_id, local in pairs.items():
        row = existing.get(entry_id)
        if row is None:
            session.add(ProviderListEntry(sync_id=sync_id, entry_id=entry_id,
                                          local_indicator=local))
        else:
            row.local_indicator = local


def drop_entries(session: Session, sync_id: int, entry_ids: Sequence[str]) -> None:
    for row in session.scalars(select(ProviderListEntry).where(
            ProviderListEntry.sync_id == sync_id,
            ProviderListEntry.entry_id.in_(list(entry_ids)))):
        session.delete(row)


__all__ = [
    "by_indicator_id",
    "by_value",
    "counts",
    "current_version",
    "drop_entries",
    "entry_map",
    "indicators",
    "new_version",
    "put_entries",
    "scope_of",
    "sync_of",
]
