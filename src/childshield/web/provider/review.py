"""The reviewers' console: queues, one case, error rates (server-rendered, small JS).

* ``/provider/console/review/``: waiting work per abuse type and source, the caller's
  queue (urgent first, then oldest), ``n`` takes the next case.
* ``/provider/console/review/cases/{id}``: one case (a URL per case). Opening it assigns it
  to the caller (one reviewer per case; someone else's case is shown read-only). Media are
  blurred and greyscale until revealed, one at a time, videos muted and never autoplayed;
  beside each item, why it was raised. Decisions are made by ``review.js`` through the
  review API (CSRF token and Idempotency-Key), and the next case is served automatically.
  Once the case is reported, its report and the centre's answer are shown below it.
* ``/provider/console/review/stats``: supervisors' error rates per bank, detector, reviewer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from childshield import audit
from childshield.api.auth import require, tenant_scope
from childshield.api.schemas import ObjectId
from childshield.auth.principal import Principal
from childshield.errors import ConflictError, PermissionDeniedError
from childshield.provider import cases, review
from childshield.provider.reports import case_report_section
from childshield.store import provider as repo
from childshield.store.tenancy import TenantScope
from childshield.web.templating import register_nav, render

router = APIRouter(prefix="/review", include_in_schema=False)

PREVIEWABLE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp",
                         "video/mp4", "video/webm", "video/ogg", "application/json"})
"""Shown in the console (never SVG or HTML, which could carry scripts)."""
REVIEWERS = ("reviewer", "supervisor")

register_nav("provider", "Review", "/provider/console/review/", roles={"reviewer", "supervisor"})
register_nav("provider", "Error rates", "/provider/console/review/stats", roles={"supervisor"})


def _why(hit: dict[str, Any]) -> str:
    kind = hit["kind"]
    if kind in ("bank", "live"):
        text = (f"bank {hit['detector']}: indicator #{hit.get('indicator_id')} "
                f"({hit.get('signal')}, distance {hit.get('distance')})")
        ranges = hit.get("query_ranges")
        if ranges:
            text += "; matched at " + ", ".join(f"{a:g}-{b:g} s" for a, b in ranges)
        if hit.get("stream_time") is not None:
            text += f"; stream time {hit['stream_time']:g} s, frame {hit.get('frame')}"
        return text
    if kind == "classifier":
        return (f"classifier {hit['detector']}: score {hit.get('score')} >= threshold "
                f"{hit.get('threshold')}" + ("" if hit.get("calibrated") else " (uncalibrated)"))
    if kind == "conversation":
        cats = sorted({str(i.get("category")) for i in hit.get("indicators", [])})
        return (f"{hit['detector']}: risk {hit.get('risk')} at message "
                f"{hit.get('alert_message')}, suspect {hit.get('suspect')}; indicators: "
                + ", ".join(cats))
    return str(kind)


def _page_context(scope: TenantScope, caller: Principal) -> dict[str, Any]:
    return {"prefs": review.get_preference(scope, caller)}


@router.get("/")
def queue_page(
    request: Request,
    scope: TenantScope = tenant_scope,
    abuse_type: str | None = Query(None, pattern="^(known|new|solicitation)$"),
    source: str | None = Query(None, max_length=32),
    caller: Principal = require(*REVIEWERS),
) -> HTMLResponse:
    rows = review.queue(scope, caller, abuse_type=abuse_type, source=source, limit=200)
    hits = repo.hits_of(scope.session, [c.id for c in rows])
    return render(request, "provider/review_queue.html", {
        "rows": [cases.case_summary(c, hits[c.id]) for c in rows],
        "queues": review.queues(scope), "abuse_type": abuse_type, "source": source,
        "supervisor": review.is_supervisor(caller), **_page_context(scope, caller),
    }, principal=caller)


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    case_id: ObjectId,
    scope: TenantScope = tenant_scope,
    caller: Principal = require(*REVIEWERS),
) -> HTMLResponse:
    case = cases.get_case(scope, case_id)
    notice = None
    try:
        case = review.claim(scope, caller, case_id)
    except (ConflictError, PermissionDeniedError) as exc:
        notice = exc.message
    audit.record(scope.session, caller, "case.view", "case", case.id)
    detail = cases.case_detail(scope.session, case)
    holder = review.holds_lease(caller, case)
    for hit in detail["hits"]:
        hit["why"] = _why(hit)
    for item in detail["content"]:
        item["previewable"] = item["media_type"] in PREVIEWABLE and not item["deleted"]
        item["src"] = f"/provider/v1/cases/{case.id}/content/{item['id']}"
    decidable = holder or (review.is_supervisor(caller) and case.status == "not_abuse")
    return render(request, "provider/review_case.html", {
        "case": detail, "holder": holder, "notice": notice, "decidable": decidable,
        "report": case_report_section(scope, case.id),
        "supervisor": review.is_supervisor(caller), **_page_context(scope, caller),
    }, principal=caller)


@router.get("/stats")
def stats_page(
    request: Request,
    scope: TenantScope = tenant_scope,
    caller: Principal = require("supervisor"),
) -> HTMLResponse:
    return render(request, "provider/review_stats.html", {
        "stats": review.error_rates(scope, caller), **_page_context(scope, caller),
    }, principal=caller)
