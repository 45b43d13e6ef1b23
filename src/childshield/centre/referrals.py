"""Forwarding a report (Art. 48(3)): the signed referral package and its delivery.

:func:`forward` moves the report to ``forwarded``, builds the package with
``exchange.referral`` (Europol plus the competent authority of each Member State the
location data points to; Europol alone when none can be determined), signs it with the
centre's key, and writes one outbox row per recipient in the same transaction (time and
recipients recorded with it). Delivery happens after the decision committed, by the
delivery job (:mod:`childshield.centre.referral_outbox`) with retries; a failing recipient
never undoes the decision, and :func:`redeliver` makes given-up deliveries due again.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.centre.assessment import decide, get_case
from childshield.centre.config import CentreConfig
from childshield.centre.intake import load_report
from childshield.centre.referral_outbox import enqueue, package_aad, requeue
from childshield.crypto.canonical import canonicalize
from childshield.errors import NotFoundError
from childshield.exchange.referral import Assessment, build_referral, sign_referral
from childshield.exchange.report_status import ReportStatus
from childshield.store import centre as repo
from childshield.store.banks import as_utc
from childshield.store.models.base import utcnow
from childshield.store.models.centre import CentreReferral


def forward(session: Session, config: CentreConfig, case_id: int, actor: Principal, *,
            notes: str | None = None, now: datetime | None = None) -> CentreReferral:
    """Decide to forward: the signed package and one outbox row per recipient, in the
    caller's transaction (the delivery job sends them; :mod:`.referral_outbox`)."""
    now = now or utcnow()
    row = get_case(session, case_id)
    decide(session, row, ReportStatus.FORWARDED, actor, now)
    report = load_report(config, session, row)
    assessment = Assessment(
        analyst=actor.actor, assessed_at=now,
        pre_assessment=row.pre_assessment,
        centre_indicator_matches=[str(m["indicator"]) for m in row.centre_matches or []],
        notes=notes or None,
    )
    referral_id = str(uuid.uuid4())
    package = build_referral(report, assessment, referral_id=referral_id, created=now,
                             received=as_utc(row.received_at), directory=config.directory)
    envelope = sign_referral(package, config.signer())
    stored = CentreReferral(
        report_pk=row.id, referral_id=referral_id, created_at=now,
        recipients=[r.id for r in package.recipients], member_states=package.member_states,
        deliveries=[],
        package=config.evidence().encrypt(canonicalize(envelope), package_aad(referral_id)),
    )
    session.add(stored)
    row.forwarded_at = now
    row.forwarded_to = [r.id for r in package.recipients]
    session.flush()
    enqueue(session, stored, stored.recipients, now)
    repo.add_event(session, row, "forwarded", actor.actor, now)
    audit.record(session, actor, "report.forward", "report", row.id,
                 details={"referral_id": referral_id, "recipients": stored.recipients})
    return stored


def referral_of(session: Session, referral_id: str) -> CentreReferral:
    stored = repo.referral_by_id(session, referral_id)
    if stored is None:
        raise NotFoundError(f"referral {referral_id!r} not found")
    return stored


def redeliver(session: Session, referral_id: str, actor: Principal | str,
              now: datetime | None = None) -> CentreReferral:
    """Make the referral's undelivered deliveries due now (the delivery job sends them)."""
    stored = referral_of(session, referral_id)
    count = requeue(session, stored, now or utcnow())
    audit.record(session, actor, "referral.redeliver", "referral", referral_id,
                 details={"requeued": count})
    return stored


def open_package(config: CentreConfig, stored: CentreReferral) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        config.evidence().decrypt(stored.package, package_aad(stored.referral_id)))
    return value


__all__ = ["forward", "open_package", "redeliver", "referral_of"]
