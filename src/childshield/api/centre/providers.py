"""Registered providers, for the centre's admins: register, list, keys, API keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from childshield import audit
from childshield.api.auth import require
from childshield.api.deps import DbSession
from childshield.api.idempotency import EXEMPT, idempotent
from childshield.auth.principal import Principal
from childshield.centre import providers

router = APIRouter(prefix="/providers", tags=["providers (admin)"])


class ProviderIn(BaseModel):
    tenant: str = Field(min_length=1, max_length=100,
                        description="Centre tenant the provider's API keys belong to")
    provider_id: str | None = Field(default=None, max_length=200,
                                    description="The id its reports carry (default: tenant)")
    name: str | None = Field(default=None, max_length=300)
    contact: str = Field(min_length=1, max_length=500)
    country: str | None = Field(default=None, min_length=2, max_length=2)
    public_keys: list[str] = Field(default_factory=list, max_length=10)


class KeyIn(BaseModel):
    public_key: str = Field(min_length=1, max_length=100)


@router.get("", summary="Registered providers")
def list_all(session: DbSession, caller: Principal = require("admin", "analyst", "auditor")
             ) -> list[dict[str, Any]]:
    return [providers.provider_view(session, p) for p in providers.list_providers(session)]


@router.post("", status_code=201, summary="Register a provider", dependencies=[idempotent])
def register(body: ProviderIn, session: DbSession, caller: Principal = require("admin")
             ) -> dict[str, Any]:
    provider = providers.register_provider(
        session, body.tenant, contact=body.contact, public_keys=body.public_keys,
        provider_id=body.provider_id, display_name=body.name, country=body.country,
        actor=caller)
    return providers.provider_view(session, provider)


@router.get("/{provider_id}", summary="One registered provider")
def get_one(provider_id: str, session: DbSession,
            caller: Principal = require("admin", "analyst", "auditor")) -> dict[str, Any]:
    provider = providers.get_provider(session, provider_id)
    audit.record(session, caller, "provider.view", "provider", provider.provider_id)
    return providers.provider_view(session, provider)


@router.post("/{provider_id}/keys", status_code=201, dependencies=[idempotent],
             summary="Add a report-signing public key")
def add_key(provider_id: str, body: KeyIn, session: DbSession,
            caller: Principal = require("admin")) -> dict[str, Any]:
    provider = providers.get_provider(session, provider_id)
    providers.add_key(session, provider, body.public_key, actor=caller)
    return providers.provider_view(session, provider)


@router.post("/{provider_id}/keys/{kid}/revoke", dependencies=[idempotent],
             summary="Revoke a report-signing key")
def revoke_key(provider_id: str, kid: str, session: DbSession,
               caller: Principal = require("admin")) -> dict[str, Any]:
    provider = providers.get_provider(session, provider_id)
    providers.revoke_key(session, provider, kid, actor=caller)
    return providers.provider_view(session, provider)


@router.post("/{provider_id}/api-keys", status_code=201,
             summary="Issue an API key for the provider (the secret is in this response only)",
             openapi_extra={EXEMPT: "the response carries a secret that must not be stored"})
def issue_key(provider_id: str, session: DbSession,
              caller: Principal = require("admin")) -> dict[str, Any]:
    provider = providers.get_provider(session, provider_id)
    return {"provider_id": provider.provider_id,
            "api_key": providers.issue_api_key(session, provider, actor=caller)}
