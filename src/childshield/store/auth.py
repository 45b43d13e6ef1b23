"""Repository functions for tenants, users, API keys and sessions (the SQL lives here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from childshield.store.models.auth import ApiKey, ConsoleSession, Tenant, User


def tenant_by_name(session: Session, name: str) -> Tenant | None:
    return session.scalars(select(Tenant).where(Tenant.name == name)).first()


def list_tenants(session: Session) -> Sequence[Tenant]:
    return session.scalars(select(Tenant).order_by(Tenant.id)).all()


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).first()


def key_by_prefix(session: Session, prefix: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()


def keys_of_tenant(session: Session, tenant_id: int) -> Sequence[ApiKey]:
    return session.scalars(
        select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.id)
    ).all()


def session_by_token_hash(session: Session, token_sha256: str) -> ConsoleSession | None:
    return session.scalars(
        select(ConsoleSession).where(ConsoleSession.token_sha256 == token_sha256)
    ).first()


def end_sessions_of_user(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user_id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=now)
    )


def purge_sessions(session: Session, now: datetime) -> int:
    """Delete sessions that expired or were ended before ``now``; how many."""
    result = session.execute(delete(ConsoleSession).where(
        or_(ConsoleSession.expires_at < now, ConsoleSession.ended_at < now)))
    return int(getattr(result, "rowcount", 0) or 0)


__all__ = [
    "end_sessions_of_user",
    "key_by_prefix",
    "keys_of_tenant",
    "list_tenants",
    "purge_sessions",
    "session_by_token_hash",
    "tenant_by_name",
    "user_by_email",
]
