"""Providers registered with the centre: identity, contact point, report-signing keys.

A registered provider is a centre-side tenant whose API keys hold the ``provider`` role
(that is how it authenticates), plus the Ed25519 public keys its reports must be signed
with. A report is accepted only when it is signed by one of the keys of the provider whose
API key sent it, and names that provider.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth import service as auth_service
from childshield.auth.principal import Principal
from childshield.auth.roles import Side
from childshield.crypto.encoding import utc_iso
from childshield.crypto.signing import TrustedKey, TrustedKeys
from childshield.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from childshield.exchange.referral import member_state
from childshield.store import auth as auth_repo
from childshield.store import centre as repo
from childshield.store.models.auth import Tenant
from childshield.store.models.base import utcnow
from childshield.store.models.centre import CentreProvider, CentreProviderKey

Actor = Principal | str


def _trusted(public_key: str) -> TrustedKey:
    try:
        return TrustedKey.from_base64(public_key)
    except ValueError as exc:
        raise InputError(f"bad public key: {exc} (base64 of the raw 32-byte Ed25519 key)") from exc


def register_provider(
    session: Session,
    name: str,
    *,
    contact: str,
    public_keys: list[str],
    provider_id: str | None = None,
    display_name: str | None = None,
    country: str | None = None,
    actor: Actor,
) -> CentreProvider:
    """Register a provider: a centre tenant ``name`` (created if new) and its keys."""
    if not contact.strip():
        raise InputError("a provider needs a contact point (e-mail or address)")
    if country is not None and member_state(country) is None and len(country) != 2:
        raise InputError(f"country {country!r} is not a two-letter code")
    provider_id = (provider_id or name).strip()
    if not provider_id or len(provider_id) > 200:
        raise InputError("provider id must be 1-200 characters")
    tenant = auth_repo.tenant_by_name(session, name.strip().lower())
    if tenant is None:
        tenant = auth_service.create_tenant(session, name, Side.CENTRE, actor=_label(actor))
    elif tenant.side != str(Side.CENTRE):
        raise ConflictError(f"tenant {tenant.name!r} is a provider-side tenant, not a centre one")
    if repo.provider_by_tenant(session, tenant.id) is not None:
        raise ConflictError(f"tenant {tenant.name!r} is already a registered provider")
    if repo.provider_by_id(session, provider_id) is not None:
        raise ConflictError(f"provider id {provider_id!r} is already registered")
    provider = CentreProvider(tenant_id=tenant.id, provider_id=provider_id,
                              name=(display_name or name).strip()[:300],
                              contact=contact.strip()[:500],
                              country=country.upper() if country else None)
    session.add(provider)
    session.flush()
    audit.record(session, actor, "provider.register", "provider", provider.provider_id,
                 tenant_id=tenant.id)
    for key in public_keys:
        add_key(session, provider, key, actor=actor)
    return provider


def _label(actor: Actor) -> str:
    return actor.actor if isinstance(actor, Principal) else actor


def add_key(
    session: Session,
    provider: CentreProvider,
    public_key: str,
    *,
    not_after: datetime | None = None,
    actor: Actor,
) -> CentreProviderKey:
    trusted = _trusted(public_key)
    existing = repo.key_by_kid(session, trusted.kid)
    if existing is not None:
        if existing.provider_pk == provider.id and existing.revoked_at is None:
            return existing
        raise ConflictError(f"key {trusted.kid} is already registered")
    row = CentreProviderKey(provider_pk=provider.id, kid=trusted.kid,
                            public_key=trusted.public_base64, not_after=not_after)
    session.add(row)
    session.flush()
    audit.record(session, actor, "provider.key.add", "provider_key", trusted.kid,
                 tenant_id=provider.tenant_id, details={"provider": provider.provider_id})
    return row


def revoke_key(session: Session, provider: CentreProvider, kid: str, *, actor: Actor) -> None:
    row = repo.key_by_kid(session, kid)
    if row is None or row.provider_pk != provider.id:
        raise NotFoundError(f"provider {provider.provider_id} has no key {kid!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record(session, actor, "provider.key.revoke", "provider_key", kid,
                     tenant_id=provider.tenant_id)


def issue_api_key(session: Session, provider: CentreProvider, *, actor: Actor) -> str:
    """A new API key (role ``provider``) for the provider's tenant; shown once."""
    owner = session.get(Tenant, provider.tenant_id)
    assert owner is not None
    issued = auth_service.create_api_key(session, owner, ["provider"], actor=_label(actor),
                                         label=f"reports of {provider.provider_id}"[:200],
                                         subject=provider.provider_id)
    return issued.secret


def get_provider(session: Session, provider_id: str) -> CentreProvider:
    provider = repo.provider_by_id(session, provider_id)
    if provider is None:
        raise NotFoundError(f"provider {provider_id!r} is not registered")
    return provider


def provider_of(session: Session, principal: Principal) -> CentreProvider:
    """The registered provider a caller's tenant is (403 if it is none)."""
    provider = repo.provider_by_tenant(session, principal.tenant_id)
    if provider is None or provider.disabled_at is not None:
        raise PermissionDeniedError(
            f"tenant {principal.tenant_name!r} is not a registered provider "
            "(`childshield centre provider add`)"
        )
    return provider


def trusted_keys(session: Session, provider: CentreProvider) -> TrustedKeys:
    """The provider's unrevoked keys, each owned by its provider id."""
    keys = TrustedKeys()
    for row in repo.keys_of(session, provider.id):
        if row.revoked_at is None:
            base = TrustedKey.from_base64(row.public_key)
            keys.add(TrustedKey(base.public, owner=provider.provider_id,
                                not_after=row.not_after))
    return keys


def provider_view(session: Session, provider: CentreProvider) -> dict[str, Any]:
    tenant = session.get(Tenant, provider.tenant_id)
    assert tenant is not None
    return {
        "provider_id": provider.provider_id,
        "tenant": tenant.name,
        "name": provider.name,
        "contact": provider.contact,
        "country": provider.country,
        "registered_at": utc_iso(provider.created_at),
        "keys": [
            {"kid": k.kid, "public_key": k.public_key, "added_at": utc_iso(k.added_at),
             "not_after": utc_iso(k.not_after) if k.not_after else None,
             "revoked_at": utc_iso(k.revoked_at) if k.revoked_at else None}
            for k in repo.keys_of(session, provider.id)
        ],
    }


def list_providers(session: Session) -> list[CentreProvider]:
    return list(repo.list_providers(session))


__all__ = [
    "add_key",
    "get_provider",
    "issue_api_key",
    "list_providers",
    "provider_of",
    "provider_view",
    "register_provider",
    "revoke_key",
    "trusted_keys",
]
