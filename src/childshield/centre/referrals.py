"""Forwarding a report (Art. 48(3)): the signed referral package and its delivery.

:func:`forward` moves the report to ``forwarded``, builds the package with
``exchange.referral`` (Europol plus the competent authority of each Member State the
location data points to; Europol alone when none can be determined), signs it with the
centre's key, hands it to the delivery adapter for each recipient, and records the time,
the recipients and each delivery's outcome. A failed delivery does not undo the decision:
it is recorded as ``failed`` and :func:`redeliver` tries again.
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
from childshield.centre.delivery import ReferralSink, RoutingSink
from childshield.centre.intake import load_report
from childshield.crypto.canonical import canonicalize, parse_json
from childshield.crypto.encoding import utc_iso
from childshield.errors import NotFoundError
from childshield.exchange.referral import (
    Assessment,
    Recipient,
    build_referral,
    sign_referral,
)
from childshield.exchange.report_status import ReportStatus
from childshield.store import centre as repo
from childshield.store.banks import as_utc
from childshield.store.models.base import utcnow
from childshield.store.models.centre import CentreReferral


def _aad(referral_id: str) -> bytes:
    return f"childshield.centre.referral/1:{referral_id}".encode()


def _deliver(sink: ReferralSink, recipients: list[Recipient], referral_id: str,
             envelope: dict[str, Any], now: datetime) -> list[dict[str, Any]]:
    out = []
    for recipient in recipients:
        adapter = sink.adapter_for(recipient).name if isinstance(sink, RoutingSink) \
            else sink.name
        entry: dict[str, Any] = {"recipient": recipient.id, "adapter": adapter,
                                 "at": utc_iso(now)}
        try:
            entry.update(status="delivered", reference=sink.deliver(recipient, referral_id,
                                                                    envelope))
        except Exception as exc:  # any adapter failure is recorded, never lost
            entry.update(status="failed", error=str(exc)[:500])
        out.append(entry)
    return out


def forward(session: Session, config: CentreConfig, sink: ReferralSink, case_id: int,
            actor: Principal, *, notes: str | None = None, now: datetime | None = None
            ) -> CentreReferral:
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
    deliveries = _deliver(sink, package.recipients, referral_id, envelope, now)
    stored = CentreReferral(
        report_pk=row.id, referral_id=referral_id, created_at=now,
        recipients=[r.id for r in package.recipients], member_states=package.member_states,
        deliveries=deliveries,
        package=config.evidence().encrypt(canonicalize(envelope), _aad(referral_id)),
    )
    session.add(stored)
    row.forwarded_at = now
    row.forwarded_to = [r.id for r in package.recipients]
    session.flush()
    repo.add_event(session, row, "forwarded", actor.actor, now)
    audit.record(session, actor, "report.forward", "report", row.id,
                 details={"referral_id": referral_id, "recipients": stored.recipients,
                          "failed": [d["recipient"] for d in deliveries
                                     if d["status"] == "failed"]})
    return stored


def redeliver(session: Session, config: CentreConfig, sink: ReferralSink, referral_id: str,
              actor: Principal | str, now: datetime | None = None) -> CentreReferral:
    """Try the failed deliveries of a referral again."""
    now = now or utcnow()
    stored = repo.referral_by_id(session, referral_id)
    if stored is None:
        raise NotFoundError(f"referral {referral_id!r} not found")
    envelope = parse_json(config.evidence().decrypt(stored.package, _aad(referral_id)))
    recipients = {r["id"]: Recipient.model_validate(r)
                  for r in envelope["payload"]["recipients"]}
    updated = []
    for entry in stored.deliveries:
        if entry.get("status") == "failed" and entry["recipient"] in recipients:
            entry = _deliver(sink, [recipients[entry["recipient"]]], referral_id, envelope,
                             now)[0]
        updated.append(entry)
    stored.deliveries = updated
    audit.record(session, actor, "referral.redeliver", "referral", referral_id,
                 details={"failed": [d["recipient"] for d in updated
                                     if d["status"] == "failed"]})
    return stored


def open_package(config: CentreConfig, stored: CentreReferral) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(
        config.evidence().decrypt(stored.package, _aad(stored.referral_id)))
    return value


__all__ = ["forward", "open_package", "redeliver"]
