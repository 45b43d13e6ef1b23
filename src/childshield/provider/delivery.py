"""The delivery worker: sends outbox rows to the centre (and NCMEC), exactly once.

For each due row: lease it (compare-and-set, so two workers never send one row at the same
time), commit; build its body if it is still ``waiting``; send it with the row's
``Idempotency-Key``; record the outcome in a new transaction. A worker killed between the
send and the record leaves the row ``pending``: the next worker sends the same bytes with
the same key, and the centre answers with the receipt it stored the first time
(``Idempotent-Replayed``) or ``409 replayed report``, both recorded as delivered. So a
report reaches the centre once, whatever is killed when.

Run it with ``childshield provider deliver`` (``--once`` for one pass, from cron).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from childshield import audit
from childshield.errors import ChildshieldError, ConfigurationError
from childshield.provider import outbox
from childshield.provider.reports import build_body
from childshield.store import provider_reports as repo
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.provider_reports import (
    ProviderOutbox,
    ProviderReport,
    ProviderReportProfile,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_RETRY_STATUSES = {401, 403, 404, 408, 425, 429}


@dataclass
class PassResult:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    built: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "retried": self.retried, "failed": self.failed,
                "built": self.built, "errors": self.errors[:20]}


@dataclass(frozen=True)
class Outcome:
    kind: str  # delivered | retry | failed
    detail: str = ""
    response: dict[str, Any] | None = None
    retry_after: float | None = None


def centre_key(profile: ProviderReportProfile) -> str:
    key = os.environ.get(profile.centre_key_env)
    if not key:
        raise ConfigurationError(f"{profile.centre_key_env} is not set (the API key this "
                                 "provider was given by the centre)")
    return key


def _retry_after(value: str | None) -> float | None:
    try:
        return min(float(value), 3600.0) if value else None
    except ValueError:
        return None


def classify(status: int, body: Any, headers: Any) -> Outcome:
    """What an HTTP answer from the centre means for the row."""
    detail = str(body.get("detail", "")) if isinstance(body, dict) else ""
    if 200 <= status < 300:
        return Outcome("delivered", response=body if isinstance(body, dict) else None)
    if status == 409 and ("was already received" in detail or "was already answered" in detail):
        # The centre has it already (an earlier attempt whose answer we never recorded).
        return Outcome("delivered", response={"already_received": True, "detail": detail})
    if status == 409 or status >= 500 or status in _RETRY_STATUSES:
        return Outcome("retry", f"HTTP {status}: {detail}"[:500],
                       retry_after=_retry_after(headers.get("retry-after")))
    return Outcome("failed", f"HTTP {status}: {detail}"[:2000])


class CentreSender:
    """POSTs rows to the centre over HTTP (HTTPS unless the profile allows HTTP)."""

    def __init__(self, timeout: float = 30.0, transport: Any = None) -> None:
        import httpx

        self._client = httpx.Client(timeout=timeout, transport=transport,
                                    follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def send(self, profile: ProviderReportProfile, row: ProviderOutbox) -> Outcome:
        import httpx

        url = profile.centre_url + row.path
        if not url.startswith("https://") and not profile.allow_http:
            return Outcome("failed", f"refusing to send to {profile.centre_url}: not HTTPS")
        try:
            key = centre_key(profile)
        except ConfigurationError as exc:
            return Outcome("retry", str(exc))
        assert row.body is not None
        try:
            response = self._client.post(url, content=row.body, headers={
                "Authorization": f"Bearer {key}", "Idempotency-Key": row.idempotency_key,
                "Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            return Outcome("retry", f"could not reach the centre: {type(exc).__name__}: {exc}")
        try:
            body = response.json()
        except ValueError:
            body = None
        return classify(response.status_code, body, response.headers)


NcmecSend = Callable[[Database, ProviderOutbox], Outcome]


class Worker:
    """One delivery worker. ``clock`` is injectable for tests."""

    def __init__(self, database: Database, *, clock: Clock = utcnow, lease_seconds: float = 120,
                 timeout: float = 30.0, rate: float | None = None, transport: Any = None,
                 ncmec: NcmecSend | None = None,
                 after_send: Callable[[ProviderOutbox, Outcome], None] | None = None) -> None:
        self.database, self.clock, self.lease = database, clock, lease_seconds
        self.rate = rate
        self.sender = CentreSender(timeout=timeout, transport=transport)
        self.ncmec = ncmec
        self.after_send = after_send
        """Test hook: runs after a send and before its outcome is recorded (a crash here
        is the worst case for exactly-once)."""
        self._last_send = 0.0

    def close(self) -> None:
        self.sender.close()

    def _lease(self, row_id: int) -> bool:
        now = self.clock()
        with self.database.session() as session:
            return repo.lease_outbox(session, row_id, now, now + timedelta(seconds=self.lease))

    def _build(self, row_id: int, result: PassResult) -> bool:
        """Build a ``waiting`` report's body; False if it still cannot be built."""
        with self.database.session() as session:
            row = session.get(ProviderOutbox, row_id)
            assert row is not None
            if row.status != "waiting" or row.kind != "report":
                return row.status == "pending" or row.destination == "ncmec"
            report = session.get(ProviderReport, row.report_pk)
            assert report is not None
            try:
                row.body = build_body(session, report)
            except ChildshieldError as exc:
                outbox.retry_later(row, f"cannot build the report: {exc}", self.clock())
                result.retried += 1
                return False
            row.status, row.last_error = "pending", None
            report.delivery = "queued"
            result.built += 1
            return True

    def _pace(self) -> None:
        if self.rate:
            wait = 1.0 / self.rate - (time.monotonic() - self._last_send)
            if wait > 0:
                time.sleep(wait)
        self._last_send = time.monotonic()

    def _send(self, row_id: int) -> Outcome:
        with self.database.session() as session:
            row = session.get(ProviderOutbox, row_id)
            assert row is not None
            session.expunge(row)
            profile = repo.profile(session, row.tenant_id)
            if profile is not None:
                session.expunge(profile)
        if row.destination == "ncmec":
            if self.ncmec is None:
                return Outcome("retry", "no NCMEC client is configured")
            return self.ncmec(self.database, row)
        if profile is None:
            return Outcome("retry", "this tenant has no reporting profile")
        self._pace()
        outcome = self.sender.send(profile, row)
        if self.after_send is not None:
            self.after_send(row, outcome)
        return outcome

    def _record(self, row_id: int, outcome: Outcome, result: PassResult) -> None:
        now = self.clock()
        with self.database.session() as session:
            row = session.get(ProviderOutbox, row_id)
            assert row is not None
            report = (session.get(ProviderReport, row.report_pk)
                      if row.report_pk else None)
            if outcome.kind == "delivered":
                outbox.mark_delivered(row, outcome.response, now)
                result.delivered += 1
                if report is not None and row.kind == "report":
                    report.delivery, report.delivered_at = "delivered", now
                    report.receipt = outcome.response
                    report.centre_status = report.centre_status or "received"
                elif report is not None and row.kind == "ncmec_report":
                    report.ncmec_status = "reported"
                    ref = (outcome.response or {}).get("report_id")
                    report.ncmec_reference = str(ref) if ref else None
                audit.record(session, "system:delivery", f"{row.kind}.delivered",
                             "outbox", row.id, tenant_id=row.tenant_id,
                             details={"destination": row.destination,
                                      "attempts": row.attempts})
            elif outcome.kind == "retry":
                outbox.retry_later(row, outcome.detail, now, outcome.retry_after)
                result.retried += 1
                result.errors.append(f"outbox {row.id}: {outcome.detail}")
            else:
                outbox.mark_failed(row, outcome.detail)
                result.failed += 1
                result.errors.append(f"outbox {row.id}: {outcome.detail}")
            if row.status == "failed":
                if report is not None and row.kind == "report":
                    report.delivery = "failed"
                log.error("outbox row %s (%s to %s) failed for good: %s", row.id, row.kind,
                          row.destination, row.last_error)

    def run_once(self, limit: int = 100) -> PassResult:
        """One pass over the rows that are due now."""
        result = PassResult()
        with self.database.session() as session:
            ids = repo.due_outbox_ids(session, self.clock(), limit)
        for row_id in ids:
            if not self._lease(row_id):
                continue  # another worker has it
            if not self._build(row_id, result):
                continue
            self._record(row_id, self._send(row_id), result)
        return result

    def run_forever(self, interval: float = 5.0, stop: Callable[[], bool] = lambda: False
                    ) -> None:
        while not stop():
            result = self.run_once()
            if result.delivered or result.retried or result.failed:
                log.info("delivery pass: %s", result.to_json())
            if not (result.delivered or result.built):
                time.sleep(interval)


__all__ = ["CentreSender", "Outcome", "PassResult", "Worker", "centre_key", "classify"]
