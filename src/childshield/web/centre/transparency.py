"""The public transparency page (Art. 83) at /centre/transparency/, with a CSV export.

Charts are server-rendered SVG (no JavaScript); figures come from ``centre.stats`` and
carry no personal data.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, Response

from childshield.api.deps import DbSession
from childshield.centre import stats
from childshield.web.templating import render

PREFIX = "/transparency"
router = APIRouter(include_in_schema=False)

BAR_WIDTH = 320


def bars(counts: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for an SVG bar chart: label, value, bar length in pixels."""
    values = {k: v for k, v in counts.items() if isinstance(v, int | float)}
    top = max(values.values(), default=0) or 1
    return [{"label": k, "value": v, "width": round(BAR_WIDTH * v / top)}
            for k, v in values.items()]


@router.get("/")
def transparency_page(request: Request, session: DbSession) -> HTMLResponse:
    figures = stats.compute(session)
    orders = figures["removal_orders"]
    charts = {
        "by_type": bars(figures["reports"]["by_type"]),
        "by_provider": bars(figures["reports"]["by_provider"]),
        "by_member_state": bars(figures["reports"]["by_member_state"]),
        "by_status": bars(figures["reports"]["by_status"]),
        "duplicates": bars({f"{k} report(s)": v
                            for k, v in figures["duplicates"]["distribution"].items()}),
        "orders": bars({"executed within 24 h": orders["executed_within_24h"],
                        "executed late": orders["executed"] - orders["executed_within_24h"],
                        "not executed": orders["not_executed"],
                        "pending": orders["pending"], "overdue": orders["overdue"]}),
    }
    return render(request, "centre/transparency.html", {"figures": figures, "charts": charts})


@router.get("/stats.csv")
def transparency_csv(session: DbSession) -> Response:
    return Response(stats.to_csv(stats.compute(session)), media_type="text/csv", headers={
        "Content-Disposition": 'attachment; filename="childshield-centre-stats.csv"'})
