"""Health and identity: ``GET /{side}/v1/health`` (public) and ``GET /{side}/v1/whoami``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from childshield import __version__
from childshield.api.auth import authenticated, route_side
from childshield.api.deps import DbSession
from childshield.auth.principal import Principal

router = APIRouter(tags=["system"])


class Health(BaseModel):
    status: str
    side: str
    version: str
    database: str


class WhoAmI(BaseModel):
    kind: str
    id: int
    label: str
    tenant: str
    side: str
    roles: list[str]


@router.get("/health", response_model=Health, summary="Liveness and database check (public)")
def health(request: Request, session: DbSession) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", side=str(route_side(request)), version=__version__,
                  database=session.get_bind().dialect.name)


@router.get("/whoami", response_model=WhoAmI, summary="The authenticated caller")
def whoami(caller: Principal = authenticated) -> WhoAmI:
    return WhoAmI(kind=caller.kind, id=caller.id, label=caller.label, tenant=caller.tenant_name,
                  side=str(caller.side), roles=sorted(caller.roles))
