"""Transparency figures (Art. 83) as JSON and CSV; the public page is web/centre."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from childshield.api.auth import require
from childshield.api.deps import DbSession
from childshield.auth.principal import Principal
from childshield.centre import stats

router = APIRouter(prefix="/statistics", tags=["transparency"])


@router.get("", summary="Transparency figures (no personal data)")
def figures(session: DbSession,
            caller: Principal = require("admin", "analyst", "auditor", "authority")
            ) -> dict[str, Any]:
    return stats.compute(session)


@router.get("/csv", summary="Transparency figures as CSV (section, key, value)",
            response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def figures_csv(session: DbSession,
                caller: Principal = require("admin", "analyst", "auditor", "authority")
                ) -> Response:
    return Response(stats.to_csv(stats.compute(session)), media_type="text/csv")
