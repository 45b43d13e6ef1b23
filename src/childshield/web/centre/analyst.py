"""The analysts' console (Art. 48): the queue, one report, its content, the decisions.

Keyboard-first (legend on every page). Media is blurred and greyscale until revealed, one
item at a time (``console.js``); why each item was raised (the provider's matches, the
centre's own indicator matches, how often the same content was reported) is shown beside
it. Decisions are made by ``centre.js`` calling the analysts' API with the session's CSRF
token and an ``Idempotency-Key``, so the console and the API are one code path.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from childshield import audit
from childshield.api.auth import require
from childshield.api.centre._context import centre_config
from childshield.api.deps import DbSession
from childshield.api.schemas import ObjectId
from childshield.auth.principal import Principal
from childshield.centre import assessment
from childshield.centre.config import CentreConfig
from childshield.centre.intake import load_report
from childshield.errors import NotFoundError, UnsupportedMediaError
from childshield.exchange.report import open_item
from childshield.web.templating import register_nav, render

router = APIRouter(include_in_schema=False)

PREVIEWABLE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""Media shown in the console (SVG and HTML never: they could carry scripts)."""

register_nav("centre", "Queue", "/centre/console/queue", roles={"analyst"})
register_nav("centre", "Transparency", "/centre/transparency/")


def _why(item: dict[str, Any]) -> str:
    parts = [f"provider: {m.get('bank') or 'bank ?'} {m['signal']}"
             + (f" d={m['distance']}" if m.get("distance") is not None else "")
             for m in item["matched_indicators"]]
    parts += [f"centre: {m['bank']} #{m['indicator']} {m['signal']} d={m['distance']}"
              for m in item["centre_matches"]]
    dup = item["duplicates"]
    parts.append(f"reported {dup['reports']}x by {dup['providers']} provider(s)")
    return "; ".join(parts)


@router.get("/queue")
def queue_page(request: Request, session: DbSession,
               caller: Principal = require("analyst")) -> HTMLResponse:
    rows = [assessment.summary(session, r) for r in assessment.queue(session, limit=200)]
    audit.record(session, caller, "report.queue", "report", None, details={"count": len(rows)})
    return render(request, "centre/queue.html", {"rows": rows}, principal=caller)


@router.get("/reports/{case_id}")
def report_page(request: Request, case_id: ObjectId, session: DbSession,
                caller: Principal = require("analyst"),
                config: CentreConfig = Depends(centre_config)) -> HTMLResponse:
    row = assessment.get_case(session, case_id)
    detail = assessment.case_detail(session, config, row, caller)
    for item in detail["items"]:
        item["why"] = _why(item)
        item["previewable"] = item["media_type"] in PREVIEWABLE
    return render(request, "centre/report.html", {"case": detail}, principal=caller)


@router.get("/reports/{case_id}/items/{item_id}/content")
def item_content(case_id: ObjectId, item_id: str, session: DbSession,
                 caller: Principal = require("analyst"),
                 config: CentreConfig = Depends(centre_config)) -> Response:
    """One item's content, opened from its sealed box (audited; images only)."""
    row = assessment.get_case(session, case_id)
    report = load_report(config, session, row)
    item = next((i for i in report.content if i.item_id == item_id), None)
    if item is None:
        raise NotFoundError(f"item {item_id!r} not found")
    if item.media_type not in PREVIEWABLE:
        raise UnsupportedMediaError(f"{item.media_type} is not shown in the console")
    data = open_item(report, item, config.opener())
    audit.record(session, caller, "content.view", "report_item", f"{row.id}:{item_id}")
    return Response(data, media_type=item.media_type, headers={
        "Cache-Control": "no-store", "Content-Security-Policy": "sandbox; default-src 'none'",
        "Content-Disposition": "inline"})
