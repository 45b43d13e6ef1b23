"""API keys of the caller's tenant, for its admins: list, show, issue, revoke.

These routes are also the reference for domain routers: tenant scoping (another tenant's
key is a 404), roles, audit records and ``Idempotency-Key`` on writes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from childshield import audit
from childshield.api.auth import forget_key, require, tenant_scope
from childshield.api.idempotency import EXEMPT, idempotent
from childshield.api.schemas import ObjectId, UtcDatetime
from childshield.auth import service
from childshield.auth.principal import Principal
from childshield.store.models.auth import ApiKey, Tenant
from childshield.store.tenancy import TenantScope

router = APIRouter(prefix="/keys", tags=["api keys"])


class KeyOut(BaseModel):
    id: int
    prefix: str
    roles: list[str]
    label: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        return cls(id=key.id, prefix=f"csk_{key.prefix}", roles=list(key.roles), label=key.label,
                   created_at=key.created_at, revoked_at=key.revoked_at)


class KeyIn(BaseModel):
    roles: list[str] = Field(min_length=1, max_length=5)
    label: str = Field(default="", max_length=200)


class IssuedKeyOut(KeyOut):
    secret: str = Field(description="The API key. Shown once; only its SHA-256 is stored.")


@router.get("", response_model=list[KeyOut], summary="The tenant's API keys")
def list_keys(caller: Principal = require("admin"),
              scope: TenantScope = tenant_scope) -> list[KeyOut]:
    keys = scope.scalars(scope.select(ApiKey).order_by(ApiKey.id))
    return [KeyOut.of(k) for k in keys]


@router.get("/{key_id}", response_model=KeyOut, summary="One API key")
def get_key(key_id: ObjectId, caller: Principal = require("admin"),
            scope: TenantScope = tenant_scope) -> KeyOut:
    key = scope.get(ApiKey, key_id, what="API key")
    audit.record(scope.session, caller, "apikey.view", "apikey", key.prefix)
    return KeyOut.of(key)


@router.post(
    "",
    response_model=IssuedKeyOut,
    status_code=201,
    summary="Issue an API key (the secret is in this response only)",
    openapi_extra={EXEMPT: "the response carries a secret that must not be stored"},
)
def create_key(body: KeyIn, caller: Principal = require("admin"),
               scope: TenantScope = tenant_scope) -> IssuedKeyOut:
    tenant = scope.session.get(Tenant, caller.tenant_id)
    assert tenant is not None
    issued = service.create_api_key(scope.session, tenant, body.roles, actor=caller.actor,
                                    label=body.label)
    return IssuedKeyOut(**KeyOut.of(issued.key).model_dump(), secret=issued.secret)


@router.delete("/{key_id}", response_model=KeyOut, summary="Revoke an API key",
               dependencies=[idempotent])
def revoke_key(request: Request, key_id: ObjectId, caller: Principal = require("admin"),
               scope: TenantScope = tenant_scope) -> KeyOut:
    key = scope.get(ApiKey, key_id, what="API key")
    service.revoke_api_key(scope.session, key, actor=caller)
    forget_key(request, key.id)
    return KeyOut.of(key)
