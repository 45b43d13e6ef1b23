"""Victims' requests (Arts. 20-21): the public submission, the answers, removal notices.

=====================================================  ===============  =====================
route                                                  who              what
=====================================================  ===============  =====================
``POST /centre/v1/victims/requests``                   public           hashes + contact route
``GET  /centre/v1/victims/requests/mine``              public, with     the answer (Art. 20)
                                                       X-Reference-Code
``GET  /centre/v1/victims/requests``                   analyst, admin   the requests
``GET  /centre/v1/victims/requests/{request_id}``      analyst, admin   answer + report ids
``POST .../requests/{request_id}/search``              analyst          search again
``POST .../requests/{request_id}/notices``             analyst          Art. 21 notices
``GET  /centre/v1/victims/notices``                    provider         pull its notices
``POST /centre/v1/victims/notices/{notice_id}/answer`` provider         removed / not_hosted /
                                                                        refused
=====================================================  ===============  =====================

The public routes are rate-limited per client address, across all workers
(:class:`~childshield.centre.ratelimit.SharedRateLimiter`), and the body
is limited to :data:`childshield.centre.victims.MAX_BODY_BYTES`. The public submission takes
an ``Idempotency-Key`` like every write, but (having no tenant) keeps it on the request row.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from childshield.api.auth import require
from childshield.api.centre._context import centre_config
from childshield.api.deps import DbSession, get_app_settings, get_database
from childshield.api.idempotency import idempotent
from childshield.api.ratelimit import client_address
from childshield.auth.principal import Principal
from childshield.centre import victims
from childshield.centre.config import CentreConfig
from childshield.centre.mail import Mailer, SmtpMailer, mail_requester
from childshield.centre.ratelimit import SharedRateLimiter
from childshield.errors import PayloadTooLargeError
from childshield.store import centre_victims as repo

router = APIRouter(prefix="/victims", tags=["victims"])

PUBLIC_LIMIT = 10
"""Public requests per client address per window."""
PUBLIC_WINDOW_S = 60.0


def indicator_lookup(request: Request) -> victims.IndicatorLookup:
    state = request.app.state
    lookup = getattr(state, "victims_indicator_lookup", None)
    if lookup is None:
        lookup = state.victims_indicator_lookup = victims.BankIndicatorLookup(
            get_database(request), centre_config(request).bank)
    return lookup


def pdq_index(request: Request) -> victims.ReportPdqIndex:
    """The process's index of report PDQs (kept between searches)."""
    state = request.app.state
    index = getattr(state, "victims_pdq_index", None)
    if index is None:
        index = state.victims_pdq_index = victims.ReportPdqIndex()
    assert isinstance(index, victims.ReportPdqIndex)
    return index


def victims_mailer(request: Request) -> Mailer | None:
    """The SMTP mailer when ``CHILDSHIELD_CENTRE_SMTP_HOST`` is set, else None (no mail)."""
    state = request.app.state
    if not hasattr(state, "victims_mailer"):
        state.victims_mailer = SmtpMailer.from_settings(get_app_settings(request))
    mailer: Mailer | None = state.victims_mailer
    return mailer


def victims_public_limit(request: Request) -> None:
    """The public routes' limit, shared by all workers (:mod:`childshield.centre.ratelimit`)."""
    state = request.app.state
    limiter = getattr(state, "victims_rate_limiter", None)
    if limiter is None:
        limiter = state.victims_rate_limiter = SharedRateLimiter(
            get_database(request), name="victims.public", limit=PUBLIC_LIMIT,
            window_s=PUBLIC_WINDOW_S)
    limiter.check(client_address(request))


@router.post("/requests", status_code=201, dependencies=[Depends(victims_public_limit)],
             summary="A person's hashes and contact route (public, rate-limited)")
async def submit_request(
    request: Request,
    session: DbSession,
    background: BackgroundTasks,
    idempotency_key: str = Header(alias="Idempotency-Key", min_length=1, max_length=255),
    config: CentreConfig = Depends(centre_config),
    lookup: victims.IndicatorLookup = Depends(indicator_lookup),
    index: victims.ReportPdqIndex = Depends(pdq_index),
    mailer: Mailer | None = Depends(victims_mailer),
) -> JSONResponse:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > victims.MAX_BODY_BYTES:
        raise PayloadTooLargeError(
            f"request is {declared} bytes; at most {victims.MAX_BODY_BYTES}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > victims.MAX_BODY_BYTES:
            raise PayloadTooLargeError(f"request over {victims.MAX_BODY_BYTES} bytes")
    def work() -> tuple[dict[str, Any], bool, int]:  # the search blocks: off the event loop
        row, replayed = victims.submit(session, config, body, idempotency_key,
                                       indicators=lookup, pdq_index=index)
        return victims.answer(session, config, row), replayed, row.id

    view, replayed, pk = await run_in_threadpool(work)
    if not replayed and mailer is not None:  # after the request committed
        background.add_task(mail_requester, get_database(request), config, mailer, pk,
                            "received")
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    return JSONResponse(view, status_code=200 if replayed else 201, headers=headers)


@router.get("/requests/mine", dependencies=[Depends(victims_public_limit)],
            summary="The answer to a person's request, by their reference code (public)")
def my_request(session: DbSession,
               reference_code: str = Header("", alias="X-Reference-Code", max_length=64),
               config: CentreConfig = Depends(centre_config)) -> dict[str, Any]:
    return victims.answer(session, config, victims.request_by_code(session, reference_code))


@router.get("/requests", summary="Victims' requests (newest first)")
def list_requests(session: DbSession,
                  caller: Principal = require("analyst", "admin")) -> list[dict[str, Any]]:
    from childshield import audit

    rows = repo.list_requests(session)
    audit.record(session, caller, "victims.list", "victim_request", None,
                 details={"count": len(rows)})
    return [{"request_id": r.request_id, "status": r.status, "hashes": r.hash_count,
             "matches": len(repo.matches_of(session, r.id))} for r in rows]


@router.get("/requests/{request_id}", summary="One request: the answer with report ids")
def get_request(request_id: str, session: DbSession,
                caller: Principal = require("analyst", "admin"),
                config: CentreConfig = Depends(centre_config)) -> dict[str, Any]:
    from childshield import audit

    row = victims.request_of(session, request_id)
    audit.record(session, caller, "victims.view", "victim_request", row.id)
    return victims.analyst_view(session, config, row)


@router.post("/requests/{request_id}/search", dependencies=[idempotent],
             summary="Search the reports again for a request's hashes")
def search_again(request_id: str, session: DbSession,
                 caller: Principal = require("analyst"),
                 config: CentreConfig = Depends(centre_config),
                 lookup: victims.IndicatorLookup = Depends(indicator_lookup),
                 index: victims.ReportPdqIndex = Depends(pdq_index)) -> dict[str, Any]:
    row = victims.request_of(session, request_id)
    victims.search(session, config, row, caller, indicators=lookup, pdq_index=index)
    return victims.analyst_view(session, config, row)


@router.post("/requests/{request_id}/notices", status_code=201, dependencies=[idempotent],
             summary="Removal notices (Art. 21) to providers that still host a match")
def send_notices(request_id: str, session: DbSession,
                 caller: Principal = require("analyst"),
                 config: CentreConfig = Depends(centre_config)) -> dict[str, Any]:
    row = victims.request_of(session, request_id)
    created = victims.send_notices(session, config, row, caller)
    return {"created": [victims.notice_view(n) for n in created],
            "request": victims.analyst_view(session, config, row)}


@router.get("/notices", summary="A provider's removal notices (its first look is delivery)")
def pull_notices(session: DbSession,
                 status: str | None = Query(None, pattern="^(pending|removed|not_hosted|refused)$"),
                 caller: Principal = require("provider")) -> list[dict[str, Any]]:
    return victims.pull_notices(session, caller, status)


@router.post("/notices/{notice_id}/answer", dependencies=[idempotent],
             summary="The provider's answer to a removal notice")
def answer_notice(notice_id: str, session: DbSession, request: Request,
                  background: BackgroundTasks,
                  body: dict[str, Any] = Body(..., description="{status, reason?}"),
                  caller: Principal = require("provider"),
                  config: CentreConfig = Depends(centre_config),
                  mailer: Mailer | None = Depends(victims_mailer)) -> dict[str, Any]:
    view = victims.answer_notice(session, caller, notice_id, body)
    if mailer is not None:
        notice = repo.notice_by_id(session, notice_id)
        assert notice is not None
        background.add_task(mail_requester, get_database(request), config, mailer,
                            notice.request_pk, "notice_answered", view["status"])
    return view
