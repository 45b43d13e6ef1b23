"""The tenant's audit entries, for its auditors and admins (read-only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from childshield.api.auth import require
from childshield.api.deps import DbSession
from childshield.api.schemas import MAX_ID, UtcDatetime
from childshield.auth.principal import Principal
from childshield.store import audit as repo

router = APIRouter(prefix="/audit", tags=["audit"])


class EntryOut(BaseModel):
    seq: int
    time: UtcDatetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    outcome: str
    details: dict[str, Any]
    hash: str


@router.get("/entries", response_model=list[EntryOut],
            summary="Audit entries of the caller's tenant, oldest first")
def list_entries(
    session: DbSession,
    after: int = Query(0, ge=0, le=MAX_ID, description="Only entries after this sequence number."),
    limit: int = Query(100, ge=1, le=1000),
    caller: Principal = require("auditor", "admin"),
) -> list[EntryOut]:
    rows = repo.entries_of_tenant(session, caller.tenant_id, after=after, limit=limit)
    return [
        EntryOut(seq=r.seq, time=r.time, actor=r.actor, action=r.action,
                 object_type=r.object_type, object_id=r.object_id, outcome=r.outcome,
                 details=r.details, hash=r.hash)
        for r in rows
    ]
