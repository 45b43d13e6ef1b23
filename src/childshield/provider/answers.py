"""The centre's answers, pulled back and verified (``childshield.report-status/1``).

:func:`pull_answers` reads the centre's change feed (``GET /centre/v1/reports?since=N``),
verifies each answer's Ed25519 signature with ``CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY``
(an answer that does not verify is ignored and logged, never acted on), stores it on the
report and advances the cursor in the same transaction. The answer (manifestly unfounded
with reasons, forwarded, do-not-inform / do-not-remove until, questions) is then shown on
the case (:func:`childshield.provider.reports.report_view`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from childshield import audit
from childshield.auth.principal import Principal
from childshield.crypto import configured
from childshield.crypto.canonical import canonicalize
from childshield.errors import ChildshieldError, InputError, NotFoundError
from childshield.exchange.report_status import CentreAnswer, verify_answer
from childshield.provider import outbox
from childshield.provider.delivery import centre_key
from childshield.store import provider_reports as repo
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.provider_reports import (
    ProviderOutbox,
    ProviderReport,
    ProviderReportProfile,
)
from childshield.store.tenancy import TenantScope

log = logging.getLogger(__name__)


@dataclass
class PullResult:
    updated: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"updated": self.updated, "rejected": self.rejected, "errors": self.errors[:20]}


def apply_answer(report: ProviderReport, answer: CentreAnswer, now: datetime) -> bool:
    """Store a verified answer; False when it is not newer than what we have."""
    data = answer.model_dump(mode="json")
    report.answer_checked_at = now
    if report.answer == data:
        return False
    report.answer, report.centre_status = data, str(answer.status)
    report.answer_updated_at = answer.updated
    return True


def pull_answers(database: Database, *, transport: Any = None, limit: int = 100,
                 now: datetime | None = None) -> PullResult:
    """One pass over every tenant's change feed at its centre."""
    import httpx

    result = PullResult()
    with database.session() as session:
        tenants = [p.tenant_id for p in repo.profiles(session)]
    for tenant_id in tenants:
        with database.session() as session:
            profile = repo.profile(session, tenant_id)
            assert profile is not None
            try:
                trust = configured.centre_signing_trust("centre")
                key = centre_key(profile)
            except ChildshieldError as exc:
                result.errors.append(f"tenant {tenant_id}: {exc}")
                continue
            try:
                with httpx.Client(timeout=30, transport=transport) as client:
                    _pull_tenant(session, client, profile, key, trust, result, limit,
                                 now or utcnow())
            except httpx.HTTPError as exc:
                result.errors.append(f"tenant {tenant_id}: could not reach the centre: "
                                     f"{type(exc).__name__}")
    return result


def _pull_tenant(session: Any, client: Any, profile: ProviderReportProfile, key: str,
                 trust: Any, result: PullResult, limit: int, now: datetime) -> None:
    if not profile.centre_url.startswith("https://") and not profile.allow_http:
        result.errors.append(f"tenant {profile.tenant_id}: centre URL is not HTTPS")
        return
    for _page in range(100):
        response = client.get(f"{profile.centre_url}/centre/v1/reports",
                              params={"since": profile.answers_cursor, "limit": limit},
                              headers={"Authorization": f"Bearer {key}"})
        if response.status_code != 200:
            result.errors.append(f"tenant {profile.tenant_id}: HTTP {response.status_code}")
            return
        page = response.json()
        items = page.get("items", []) if isinstance(page, dict) else []
        for envelope in items:
            try:
                answer = verify_answer(envelope, [trust])
            except (ChildshieldError, ValueError) as exc:
                result.rejected += 1
                log.warning("centre answer rejected (tenant %s): %s", profile.tenant_id, exc)
                continue
            report = repo.report_by_id(session, profile.tenant_id, answer.report_id)
            if report is None:
                continue
            if apply_answer(report, answer, now):
                result.updated += 1
                audit.record(session, "system:answers", "report.answer", "report",
                             report.report_id, tenant_id=profile.tenant_id,
                             details={"status": str(answer.status)})
        nxt = page.get("next") if isinstance(page, dict) else None
        if not isinstance(nxt, int) or nxt <= profile.answers_cursor:
            return
        profile.answers_cursor = nxt
        session.flush()
        if len(items) < limit:
            return


def answer_question(scope: TenantScope, principal: Principal, report_id: str,
                    request_id: str, answer: str) -> ProviderOutbox:
    """Answer a question the centre asked about a report; the answer goes out through the
    outbox (same transaction as the audit entry), once."""
    report = repo.report_by_id(scope.session, scope.tenant_id, report_id[:64])
    if report is None:
        raise NotFoundError(f"report {report_id[:64]} not found")
    asked = (report.answer or {}).get("info_requests", [])
    if not any(q.get("request_id") == request_id for q in asked):
        raise NotFoundError(f"the centre asked no question {request_id[:100]} about this report")
    if not answer.strip():
        raise InputError("the answer is empty")
    row = outbox.enqueue(
        scope.session, report, destination="centre", kind="info_answer",
        path=f"/centre/v1/reports/{report.report_id}/info-requests/{request_id}/answer",
        body=canonicalize({"answer": answer[:100_000]}))
    audit.record(scope.session, principal, "report.info_answer", "report", report.report_id,
                 details={"request": request_id[:100]})
    return row


__all__ = ["PullResult", "answer_question", "apply_answer", "pull_answers"]
