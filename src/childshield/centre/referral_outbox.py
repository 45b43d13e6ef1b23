"""The referral outbox: forwarding decides, the centre's delivery job delivers.

Forwarding (:func:`childshield.centre.referrals.forward`) writes, in the decision's
transaction, one outbox row per recipient (``centre_referral_outbox``); nothing is sent
inside that transaction, so a slow or failing recipient can neither hold the decision nor
undo it. :class:`DeliveryWorker` (``childshield centre deliver``; the API also runs one
pass for a referral right after its decision committed) sends each due row:

1. lease it (compare-and-set on ``leased_until``, committed: two workers never send one
   row at the same time);
2. hand the signed package to the delivery adapter, outside any transaction;
3. record the outcome in a new transaction: ``delivered`` with the adapter's reference,
   or a retry after an exponential backoff with jitter (``failed`` after
   :data:`MAX_ATTEMPTS`).

A worker killed between 2 and 3 leaves the row ``pending``; when its lease runs out the
next worker sends the same package again with the same ``Idempotency-Key`` (the referral
id), which the recipient's endpoint stores once, and the file adapter rewrites the same
file. So no referral is lost and none is stored twice.

Row states::

    pending --(adapter ok)--> delivered
       \\--(adapter error)--> pending, later (backoff) ... --(MAX_ATTEMPTS)--> failed
    failed --(redeliver)--> pending, now
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.centre.config import CentreConfig
from childshield.centre.delivery import ReferralSink, RoutingSink
from childshield.crypto.canonical import parse_json
from childshield.crypto.encoding import utc_iso
from childshield.exchange.referral import Recipient
from childshield.provider.delivery import PassResult as DeliveryPass
from childshield.provider.outbox import backoff
from childshield.store import centre as repo
from childshield.store.banks import as_utc
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.centre import CentreReferral, CentreReferralDelivery

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 30
"""After this many failed attempts (about a day with the backoff) a row is ``failed``."""
Clock = Callable[[], datetime]


def package_aad(referral_id: str) -> bytes:
    return f"childshield.centre.referral/1:{referral_id}".encode()


def enqueue(session: Session, referral: CentreReferral, recipients: list[str],
            now: datetime) -> None:
    """One due row per recipient, in the caller's (the decision's) transaction."""
    session.add_all(CentreReferralDelivery(referral_pk=referral.id, recipient=r, status="pending",
                                           attempts=0, next_attempt_at=now, created_at=now)
                    for r in recipients)
    session.flush()


def delivery_view(session: Session, referral: CentreReferral) -> list[dict[str, Any]]:
    """Per recipient: status (pending, delivered, failed), adapter, attempts, reference or
    last error, and when it was delivered or will be tried next."""
    rows = repo.deliveries_of(session, referral.id)
    if not rows:  # forwarded before the outbox existed
        return list(referral.deliveries)
    out = []
    for row in rows:
        entry: dict[str, Any] = {"recipient": row.recipient, "adapter": row.adapter,
                                 "status": row.status, "attempts": row.attempts}
        if row.status == "delivered":
            entry.update(at=utc_iso(as_utc(row.delivered_at)) if row.delivered_at else None,
                         reference=row.reference)
        else:
            entry.update(error=row.last_error,
                         next_attempt_at=utc_iso(as_utc(row.next_attempt_at))
                         if row.status == "pending" else None)
        out.append(entry)
    return out


def requeue(session: Session, referral: CentreReferral, now: datetime) -> int:
    """Make the referral's undelivered rows due now (``failed`` ones too); how many. A
    referral forwarded before the outbox existed has no rows: its failed recipients (in
    ``referral.deliveries``) get due rows now."""
    rows = repo.deliveries_of(session, referral.id)
    if not rows:
        failed = [str(entry["recipient"]) for entry in referral.deliveries
                  if entry.get("status") == "failed" and entry.get("recipient")]
        enqueue(session, referral, failed, now)
        return len(failed)
    count = 0
    for row in rows:
        if row.status != "delivered":
            row.status, row.next_attempt_at, row.leased_until = "pending", now, None
            count += 1
    session.flush()
    return count


def _adapter_name(sink: ReferralSink, recipient: Recipient) -> str:
    adapter = sink.adapter_for(recipient) if isinstance(sink, RoutingSink) else sink
    return str(getattr(adapter, "name", type(adapter).__name__))[:16]


class DeliveryWorker:
    """Sends due outbox rows through ``sink`` (see the module docstring)."""

    def __init__(self, database: Database, config: CentreConfig, sink: ReferralSink, *,
                 lease_seconds: float = 120.0, clock: Clock = utcnow) -> None:
        self.database, self.config, self.sink = database, config, sink
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock

    def _lease(self, row_id: int) -> tuple[str, str, dict[str, Any]] | None:
        """Lease the row; (referral id, recipient, signed package) or None."""
        now = self.clock()
        with self.database.session() as session:
            if not repo.lease_delivery(session, row_id, now, now + self.lease):
                return None
            row = session.get(CentreReferralDelivery, row_id)
            assert row is not None
            referral = session.get(CentreReferral, row.referral_pk)
            assert referral is not None
            envelope = parse_json(self.config.evidence().decrypt(
                referral.package, package_aad(referral.referral_id)))
            assert isinstance(envelope, dict)
            return referral.referral_id, row.recipient, envelope

    def _record(self, row_id: int, adapter: str, reference: str | None, error: str | None,
                result: DeliveryPass) -> None:
        now = self.clock()
        with self.database.session() as session:
            row = session.get(CentreReferralDelivery, row_id)
            assert row is not None
            referral = session.get(CentreReferral, row.referral_pk)
            assert referral is not None
            row.adapter, row.leased_until = adapter, None
            row.attempts += 1
            if error is None:
                row.status, row.reference, row.delivered_at = "delivered", reference, now
                result.delivered += 1
            else:
                row.last_error = error[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = "failed"
                    result.failed += 1
                else:
                    row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts))
                    result.retried += 1
                result.errors.append(f"{referral.referral_id} -> {row.recipient}: {error}")
            audit.record(session, "system:referral-delivery", "referral.deliver", "referral",
                         referral.referral_id,
                         outcome="success" if error is None else "failure",
                         details={"recipient": row.recipient, "status": row.status,
                                  "attempts": row.attempts})

    def _deliver(self, row_id: int, result: DeliveryPass) -> None:
        leased = self._lease(row_id)
        if leased is None:
            return
        referral_id, recipient_id, envelope = leased
        recipients = {r["id"]: Recipient.model_validate(r)
                      for r in envelope["payload"]["recipients"]}
        recipient = recipients.get(recipient_id)
        if recipient is None:
            self._record(row_id, "-", None, f"{recipient_id} is not a recipient of the "
                         "package", result)
            return
        adapter = _adapter_name(self.sink, recipient)
        try:
            reference = self.sink.deliver(recipient, referral_id, envelope)
        except Exception as exc:  # any adapter failure is recorded and retried, never lost
            self._record(row_id, adapter, None, str(exc) or type(exc).__name__, result)
            return
        self._record(row_id, adapter, reference, None, result)

    def run_once(self, limit: int = 100, *, referral_pk: int | None = None) -> DeliveryPass:
        """One pass over the due rows (only those of referral ``referral_pk``, when given)."""
        result = DeliveryPass()
        with self.database.session() as session:
            due = repo.due_deliveries(session, self.clock(), limit=limit,
                                      referral_pk=referral_pk)
        for row_id in due:
            self._deliver(row_id, result)
        return result

    def run_forever(self, interval: float = 5.0, stop: Callable[[], bool] = lambda: False
                    ) -> None:
        while not stop():
            result = self.run_once()
            for error in result.errors:
                log.warning("referral delivery: %s", error)
            if not (result.delivered or result.retried or result.failed):
                time.sleep(interval)


__all__ = [
    "MAX_ATTEMPTS",
    "DeliveryPass",
    "DeliveryWorker",
    "delivery_view",
    "enqueue",
    "package_aad",
    "requeue",
]
