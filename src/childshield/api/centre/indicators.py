"""The indicator database (Arts. 44, 46): authorities submit, providers pull signed lists.

- ``POST /indicators`` (authority): one indicator from confirmed material, with provenance.
- ``POST /indicators/{id}/withdraw`` (authority): withdraw it, with a reason.
- ``GET /indicators`` (authority, analyst, admin, auditor): the database, access logged.
- ``PUT /indicator-scopes/{provider_id}/{list_id}`` (admin): what a provider may receive.
- ``GET /indicator-lists/{list_id}?since=VERSION`` (provider): the signed full list or
  delta, within its scope; 304 when it already holds the current version.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from childshield.api.auth import require
from childshield.api.centre._context import centre_config
from childshield.api.deps import DbSession, get_database
from childshield.api.idempotency import idempotent
from childshield.auth.principal import Principal
from childshield.centre import distribution, indicators
from childshield.centre.config import CentreConfig
from childshield.centre.providers import get_provider, provider_of
from childshield.errors import InputError, NotFoundError
from childshield.store.db import Database

router = APIRouter(tags=["indicators"])
MAX_VERSION = 2**62


class IndicatorIn(BaseModel):
    kind: Literal["known_material", "url", "solicitation"]
    signal: str = Field(min_length=1, max_length=16, description="pdq, md5, sha256, url, pattern")
    value: str = Field(min_length=1, max_length=2048)
    media: str | None = Field(default=None, max_length=16)
    material_reference: str = Field(min_length=1, max_length=500,
                                    description="The confirmed material it was generated from")
    how_generated: str = Field(min_length=1, max_length=500)
    confirmed: bool = Field(description="The authority attests the material was confirmed")
    note: str | None = Field(default=None, max_length=1000)


class WithdrawIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class ScopeIn(BaseModel):
    signals: list[str] = Field(min_length=1, max_length=6)
    media: list[str] = Field(min_length=1, max_length=4)
    basis: str = Field(min_length=1, max_length=500,
                       description="The detection order or agreement that allows it")


@router.post("/indicators", status_code=201, dependencies=[idempotent],
             summary="Add an indicator from confirmed material (competent authority)")
def add(body: IndicatorIn, session: DbSession, caller: Principal = require("authority"),
        config: CentreConfig = Depends(centre_config)) -> dict[str, Any]:
    row = indicators.add_indicator(
        session, kind=body.kind, signal=body.signal, value=body.value, media=body.media,
        authority=caller.tenant_name, material_reference=body.material_reference,
        how_generated=body.how_generated, confirmed=body.confirmed, note=body.note,
        centre_bank=config.bank, actor=caller)
    return indicators.indicator_view(row)


@router.post("/indicators/{indicator_id}/withdraw", dependencies=[idempotent],
             summary="Withdraw an indicator, with the reason")
def withdraw(indicator_id: str, body: WithdrawIn, session: DbSession,
             caller: Principal = require("authority"),
             config: CentreConfig = Depends(centre_config)) -> dict[str, Any]:
    row = indicators.withdraw_indicator(session, indicator_id, reason=body.reason,
                                        centre_bank=config.bank, actor=caller)
    return indicators.indicator_view(row)


@router.get("/indicators", summary="The indicator database (every access is logged)")
def list_all(
    session: DbSession,
    status: str | None = Query(None, pattern="^(active|withdrawn)$"),
    kind: str | None = Query(None, pattern="^(known_material|url|solicitation)$"),
    limit: int = Query(1000, ge=1, le=10000),
    caller: Principal = require("authority", "analyst", "admin", "auditor"),
) -> list[dict[str, Any]]:
    rows = indicators.list_indicators(session, status=status, kind=kind, limit=limit,
                                      actor=caller)
    return [indicators.indicator_view(r) for r in rows]


@router.put("/indicator-scopes/{provider_id}/{list_id}", dependencies=[idempotent],
            summary="Set what a provider may receive of a list (its order or agreement)")
def set_scope(provider_id: str, list_id: str, body: ScopeIn, session: DbSession,
              caller: Principal = require("admin")) -> dict[str, Any]:
    provider = get_provider(session, provider_id)
    row = distribution.grant_scope(session, provider, list_id, signals=body.signals,
                                   media=body.media, basis=body.basis, actor=caller)
    return distribution.scope_view(row, provider.provider_id)


@router.get("/indicator-lists/{list_id}",
            summary="The signed list (full, or the delta since a version), within the scope",
            responses={304: {"description": "the caller already holds the current version"}})
def pull(list_id: str, session: DbSession,
         since: int | None = Query(None, ge=0, le=MAX_VERSION,
                                   description="the version held; omit for the full list"),
         caller: Principal = require("provider"),
         config: CentreConfig = Depends(centre_config),
         database: Database = Depends(get_database)) -> Any:
    provider = provider_of(session, caller)
    try:
        signed = distribution.signed_list_for(session, provider, list_id, since=since,
                                              key=config.signer(), actor=caller)
    except (NotFoundError, InputError) as error:
        with database.session() as own:  # the request's transaction is rolled back
            distribution.record_refusal(own, provider, list_id, since, error, caller)
        raise
    if signed is None:
        return Response(status_code=304)
    return signed
