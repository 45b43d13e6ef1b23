"""Review API (console users): take the next case, decide, error rates, preferences.

* ``POST /provider/v1/review/next``: lease the next case of the caller's queue (optional
  ``abuse_type``/``source``) -> 200 with the case, or 204 when the queue is empty.
* ``POST /provider/v1/cases/{id}/claim`` / ``.../release``: take a case opened by its URL
  (409 while another reviewer holds it) / give it back.
* ``POST /provider/v1/cases/{id}/decisions``: ``{"decision": "confirm" | "not_abuse" |
  "escalate" | "needs_context", "abuse_type": "known" | "new" | "solicitation" (confirm
  only), "note"}`` -> 201.
* ``GET /provider/v1/review/stats`` (supervisors): false-positive rates per bank and
  detector, decisions and reversals per reviewer.
* ``GET``/``PUT /provider/v1/review/preferences``: the caller's display preference.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from childshield.api.auth import require, tenant_scope
from childshield.api.idempotency import idempotent
from childshield.api.schemas import ObjectId
from childshield.auth.principal import Principal
from childshield.provider import cases, review
from childshield.store.tenancy import TenantScope

router = APIRouter(tags=["review"])
REVIEWERS = ("reviewer", "supervisor")


class NextIn(BaseModel):
    abuse_type: Literal["known", "new", "solicitation"] | None = None
    source: str | None = Field(None, max_length=32)


class DecisionIn(BaseModel):
    decision: Literal["confirm", "not_abuse", "escalate", "needs_context"]
    abuse_type: Literal["known", "new", "solicitation"] | None = None
    note: str = Field("", max_length=5000)


class PreferenceIn(BaseModel):
    colour: bool


@router.post("/review/next", summary="Take the next case", dependencies=[idempotent],
             responses={204: {"description": "The queue is empty"}})
def next_case(
    body: NextIn,
    response: Response,
    scope: TenantScope = tenant_scope,
    caller: Principal = require(*REVIEWERS),
) -> dict[str, Any] | None:
    case = review.next_case(scope, caller, abuse_type=body.abuse_type, source=body.source)
    if case is None:
        response.status_code = 204
        return None
    return cases.case_detail(scope.session, case)


@router.post("/cases/{case_id}/claim", summary="Take a case", dependencies=[idempotent])
def claim(
    case_id: ObjectId,
    scope: TenantScope = tenant_scope,
    caller: Principal = require(*REVIEWERS),
) -> dict[str, Any]:
    return cases.case_detail(scope.session, review.claim(scope, caller, case_id))


@router.post("/cases/{case_id}/release", summary="Give a case back to the queue",
             dependencies=[idempotent])
def release(
    case_id: ObjectId,
    scope: TenantScope = tenant_scope,
    caller: Principal = require(*REVIEWERS),
) -> dict[str, Any]:
    return cases.case_detail(scope.session, review.release(scope, caller, case_id))


@router.post("/cases/{case_id}/decisions", status_code=201, summary="Decide a case",
             dependencies=[idempotent])
def decide(
    case_id: ObjectId,
    body: DecisionIn,
    response: Response,
    scope: TenantScope = tenant_scope,
    caller: Principal = require(*REVIEWERS),
) -> dict[str, Any]:
    done = review.decide(scope, caller, case_id, body.decision, abuse_type=body.abuse_type,
                         note=body.note)
    response.headers["Location"] = f"/provider/v1/cases/{case_id}"
    return {"decision": cases.decision_to_dict(done.decision),
            "case": cases.case_summary(done.case)}


@router.get("/review/stats", summary="Error rates per bank, detector and reviewer")
def stats(
    scope: TenantScope = tenant_scope,
    caller: Principal = require("supervisor", "provider:admin"),
) -> dict[str, Any]:
    return review.error_rates(scope, caller)


@router.get("/review/preferences", summary="The caller's display preferences")
def get_preferences(
    scope: TenantScope = tenant_scope,
    caller: Principal = require(*REVIEWERS),
) -> dict[str, bool]:
    return review.get_preference(scope, caller)


@router.put("/review/preferences", summary="Set the caller's display preferences",
            dependencies=[idempotent])
def put_preferences(
    body: PreferenceIn,
    scope: TenantScope = tenant_scope,
    caller: Principal = require(*REVIEWERS),
) -> dict[str, bool]:
    return review.set_preference(scope, caller, colour=body.colour)
