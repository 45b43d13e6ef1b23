"""Tenants, users, API keys and console sessions: the domain functions.

The API, the consoles and the CLI all call these; each takes an open ``Session`` and
leaves committing to the caller's unit of work. Every change is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth import secrets as sec
from childshield.auth.principal import Principal
from childshield.auth.roles import Side, parse_side, validate_roles
from childshield.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from childshield.store import audit as audit_repo
from childshield.store import auth as repo
from childshield.store.models.auth import ApiKey, ConsoleSession, Tenant, User
from childshield.store.models.base import utcnow

TENANT_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
MAX_FAILED_LOGINS = 10
"""Failed logins of one account within LOGIN_WINDOW after which its logins are refused."""
LOGIN_WINDOW = timedelta(minutes=15)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def create_tenant(session: Session, name: str, side: str | Side, *, actor: str) -> Tenant:
    name = name.strip().lower()
    if not name or len(name) > 100 or not set(name) <= TENANT_NAME_CHARS:
        raise InputError(
            f"bad tenant name {name!r}: use 1-100 of a-z, 0-9, '-', '_', '.'"
        )
    side = parse_side(str(side))
    if repo.tenant_by_name(session, name) is not None:
        raise ConflictError(f"tenant {name!r} already exists")
    tenant = Tenant(name=name, side=str(side))
    session.add(tenant)
    session.flush()
    audit.record(session, actor, "tenant.create", "tenant", tenant.id, tenant_id=tenant.id,
                 details={"name": name, "side": str(side)})
    return tenant


def get_tenant(session: Session, name: str) -> Tenant:
    tenant = repo.tenant_by_name(session, name.strip().lower())
    if tenant is None:
        raise NotFoundError(f"tenant {name!r} not found")
    return tenant


def create_user(
    session: Session, tenant: Tenant, email: str, password: str, roles: list[str], *, actor: str
) -> User:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise InputError(f"bad e-mail address {email!r}")
    if len(password) < sec.MIN_PASSWORD_LENGTH:
        raise InputError(f"password too short: at least {sec.MIN_PASSWORD_LENGTH} characters")
    checked = validate_roles(Side(tenant.side), roles)
    if repo.user_by_email(session, email) is not None:
        raise ConflictError(f"a user with e-mail {email!r} already exists")
    user = User(tenant_id=tenant.id, email=email, password_hash=sec.hash_password(password),
                roles=list(checked))
    session.add(user)
    try:
        session.flush()
    except SAIntegrityError as exc:
        raise ConflictError(f"a user with e-mail {email!r} already exists") from exc
    audit.record(session, actor, "user.create", "user", user.id, tenant_id=tenant.id,
                 details={"roles": list(checked)})
    return user


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str
    """The whole API key. Shown once; only its SHA-256 is stored."""


def create_api_key(
    session: Session,
    tenant: Tenant,
    roles: list[str],
    *,
    actor: str,
    label: str = "",
    subject: str | None = None,
) -> IssuedKey:
    checked = validate_roles(Side(tenant.side), roles)
    new = sec.new_api_key()
    key = ApiKey(tenant_id=tenant.id, prefix=new.prefix, secret_sha256=new.sha256,
                 roles=list(checked), label=label[:200], subject=subject)
    session.add(key)
    session.flush()
    audit.record(session, actor, "apikey.create", "apikey", key.prefix, tenant_id=tenant.id,
                 details={"roles": list(checked)})
    return IssuedKey(key, new.secret)


def revoke_api_key(session: Session, key: ApiKey, *, actor: str | Principal) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, actor, "apikey.revoke", "apikey", key.prefix,
                     tenant_id=key.tenant_id)
    return key


def _principal(kind: str, obj: User | ApiKey, tenant: Tenant, label: str,
               session_row: ConsoleSession | None = None) -> Principal:
    return Principal(
        kind="user" if kind == "user" else "key",
        id=obj.id,
        tenant_id=tenant.id,
        tenant_name=tenant.name,
        side=Side(tenant.side),
        roles=frozenset(obj.roles),
        label=label,
        session_id=session_row.id if session_row else None,
        csrf_token=session_row.csrf_token if session_row else None,
    )


def authenticate_key(session: Session, presented: str) -> Principal:
    """The principal for an API key, or AuthenticationError (malformed, unknown, revoked)."""
    prefix = sec.key_prefix(presented)
    key = repo.key_by_prefix(session, prefix) if prefix else None
    if key is None or not sec.key_matches(presented, key.secret_sha256):
        raise AuthenticationError("invalid API key")
    if key.revoked_at is not None:
        raise AuthenticationError("API key revoked")
    tenant = session.get(Tenant, key.tenant_id)
    assert tenant is not None
    return _principal("key", key, tenant, f"csk_{key.prefix}")


@dataclass(frozen=True)
class Login:
    principal: Principal
    token: str
    """The session cookie value (only its SHA-256 is stored)."""
    expires_at: datetime


def login(
    session: Session, email: str, password: str, side: Side, *, ttl: timedelta
) -> Login:
    """Check a console password and open a server-side session on ``side``'s console.

    Every failure (unknown user, wrong password, disabled, other side, too many recent
    failures) is the same AuthenticationError, so the login form does not reveal which
    accounts exist. After MAX_FAILED_LOGINS failures within LOGIN_WINDOW the account's
    logins are refused, even with the right password, until the window has passed.
    """
    user = repo.user_by_email(session, email.strip().lower())
    if user is not None and audit_repo.count_recent(
        session, action="session.login", object_type="user", object_id=str(user.id),
        outcome="denied", since=utcnow() - LOGIN_WINDOW,
    ) >= MAX_FAILED_LOGINS:
        audit.record(session, f"user:{user.id}", "session.login", "user", user.id,
                     outcome="denied", tenant_id=user.tenant_id,
                     details={"reason": "too many failed logins"})
        raise AuthenticationError("wrong e-mail or password")
    ok = sec.check_password(password, user.password_hash if user else None)
    tenant = session.get(Tenant, user.tenant_id) if user else None
    if not ok or user is None or tenant is None or user.disabled_at is not None \
            or tenant.side != str(side):
        if user is not None and tenant is not None:
            audit.record(session, f"user:{user.id}", "session.login", "user", user.id,
                         outcome="denied", tenant_id=tenant.id)
        raise AuthenticationError("wrong e-mail or password")
    token = sec.new_token()
    row = ConsoleSession(tenant_id=tenant.id, token_sha256=sec.sha256_hex(token),
                         user_id=user.id, side=str(side), csrf_token=sec.new_token(),
                         expires_at=utcnow() + ttl)
    session.add(row)
    session.flush()
    principal = _principal("user", user, tenant, user.email, row)
    audit.record(session, principal, "session.login", "user", user.id)
    return Login(principal, token, row.expires_at)


def resolve_session(session: Session, token: str, side: Side) -> Principal:
    """The principal of a live session cookie on ``side``, or AuthenticationError."""
    row = repo.session_by_token_hash(session, sec.sha256_hex(token))
    if row is None or row.ended_at is not None or row.side != str(side) \
            or _aware(row.expires_at) <= utcnow():
        raise AuthenticationError("not logged in or session expired")
    user = session.get(User, row.user_id)
    tenant = session.get(Tenant, row.tenant_id)
    if user is None or tenant is None or user.disabled_at is not None:
        raise AuthenticationError("not logged in or session expired")
    return _principal("user", user, tenant, user.email, row)


def logout(session: Session, token: str) -> None:
    row = repo.session_by_token_hash(session, sec.sha256_hex(token))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        audit.record(session, f"user:{row.user_id}", "session.logout", "user", row.user_id,
                     tenant_id=row.tenant_id)


def set_password(session: Session, user: User, password: str, *, actor: str | Principal) -> None:
    """Replace a user's password and end their sessions."""
    if len(password) < sec.MIN_PASSWORD_LENGTH:
        raise InputError(f"password too short: at least {sec.MIN_PASSWORD_LENGTH} characters")
    user.password_hash = sec.hash_password(password)
    repo.end_sessions_of_user(session, user.id, utcnow())
    audit.record(session, actor, "user.password", "user", user.id, tenant_id=user.tenant_id)


def disable_user(session: Session, user: User, *, actor: str | Principal) -> None:
    if user.disabled_at is None:
        user.disabled_at = utcnow()
        repo.end_sessions_of_user(session, user.id, user.disabled_at)
        audit.record(session, actor, "user.disable", "user", user.id, tenant_id=user.tenant_id)


__all__ = [
    "IssuedKey",
    "Login",
    "authenticate_key",
    "create_api_key",
    "create_tenant",
    "create_user",
    "disable_user",
    "get_tenant",
    "login",
    "logout",
    "resolve_session",
    "revoke_api_key",
    "set_password",
]
