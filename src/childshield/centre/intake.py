"""Report intake: verify, validate, pre-assess, link duplicates, store encrypted.

:func:`receive_report` takes the raw request body of ``POST /centre/v1/reports`` from an
authenticated provider and either stores the report completely (in the caller's unit of
work) or raises, naming the fault, with nothing written:

==========================  ======  ==============================================
fault                       status  error
==========================  ======  ==============================================
body over the limit         413     PayloadTooLargeError
not JSON / duplicate keys   400     InputError ("malformed JSON: ...")
forged / unknown key /      422     IntegrityError, ``fault`` = bad-signature,
wrong key / expired                 unknown-key, wrong-key, expired, ...
Art. 13 fields missing      422     ReportValidationError, ``errors`` names each
already received            409     ConflictError ("replayed report ...")
==========================  ======  ==============================================

Duplicates (Art. 83): every signal of an item (except low-quality PDQ) becomes a one-way
key, ``SHA-256("childshield.centre.signal/1:" + signal + ":" + value)``; items sharing a key
share a duplicate group, across reports and providers, so the centre can count how often
the same content was reported without keeping the hash values in the clear.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.centre.config import CentreConfig
from childshield.centre.preassess import ANALYST, MATCHES, IndicatorCheck
from childshield.centre.providers import provider_of, trusted_keys
from childshield.centre.report_index import signal_rows
from childshield.crypto.canonical import canonicalize, parse_json
from childshield.crypto.encoding import utc_iso
from childshield.errors import ConflictError, PayloadTooLargeError
from childshield.exchange.referral import resolve_recipients
from childshield.exchange.report import ContentItem, Report, parse_report, verify_report
from childshield.store import centre as repo
from childshield.store.models.base import utcnow
from childshield.store.models.centre import CentreReport, CentreReportItem, CentreSignalKey

SIGNAL_KEY_PREFIX = "childshield.centre.signal/1:"
MIN_LINK_QUALITY = 50


def signal_keys(item: ContentItem) -> set[str]:
    """The one-way keys that link this item to equal items of other reports."""
    keys = set()
    for s in item.signals:
        if s.signal in ("pdq", "vpdq") and s.quality is not None and s.quality < MIN_LINK_QUALITY:
            continue
        text = f"{SIGNAL_KEY_PREFIX}{s.signal}:{s.value}"
        keys.add(hashlib.sha256(text.encode("ascii")).hexdigest())
    return keys


def envelope_aad(provider_id: str, report_id: str) -> bytes:
    """What a stored report's ciphertext is bound to."""
    return f"childshield.centre.report/1:{provider_id}:{report_id}".encode()


@dataclass(frozen=True)
class Receipt:
    report_id: str
    case_id: int
    status: str
    received_at: datetime
    digest: str
    kid: str
    urgent: bool
    pre_assessment: str
    items: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "status": self.status,
            "received_at": utc_iso(self.received_at),
            "digest": self.digest,
            "signed_with": self.kid,
            "urgent": self.urgent,
            "pre_assessment": self.pre_assessment,
            "items": self.items,
        }


def _store_items(session: Session, row: CentreReport, report: Report) -> list[dict[str, Any]]:
    summary = []
    for item in report.content:
        keys = signal_keys(item)
        groups = repo.groups_with_keys(session, keys)
        stored = CentreReportItem(report_pk=row.id, item_id=item.item_id, kind=item.kind,
                                  media_type=item.media_type[:200], group_id=0)
        session.add(stored)
        session.flush()
        group = min(groups | {stored.id})
        stored.group_id = group
        repo.merge_groups(session, groups, group)
        session.add_all(CentreSignalKey(item_pk=stored.id, signal_key=k) for k in sorted(keys))
        session.flush()
        reports, providers = repo.group_counts(session, group)
        summary.append({"item_id": item.item_id, "duplicate_group": group,
                        "reports": reports, "providers": providers})
    return summary


def receive_report(
    session: Session,
    config: CentreConfig,
    principal: Principal,
    body: bytes,
    *,
    check: IndicatorCheck,
    now: datetime | None = None,
) -> Receipt:
    """Verify and store one signed report from the provider ``principal`` stands for."""
    now = now or utcnow()
    if len(body) > config.max_report_bytes:
        raise PayloadTooLargeError(
            f"report is {len(body)} bytes; the centre accepts at most {config.max_report_bytes}"
        )
    provider = provider_of(session, principal)
    envelope = parse_json(body)
    verified = verify_report(envelope, trusted_keys(session, provider), now=now)
    report = verified.report
    earlier = repo.report_of_provider(session, provider.id, report.report_id) or \
        repo.report_by_digest(session, verified.digest)
    if earlier is not None:
        raise ConflictError(
            f"replayed report: report {earlier.report_id!r} was already received at "
            f"{utc_iso(earlier.received_at)}; a new report needs a new report_id"
        )
    keyring = config.evidence()  # a centre without evidence keys stores nothing
    matches = check(report)
    resolution = resolve_recipients(report, config.directory)
    plain = canonicalize(envelope)
    row = CentreReport(
        tenant_id=provider.tenant_id,
        provider_pk=provider.id,
        report_id=report.report_id,
        digest=verified.digest,
        kid=verified.kid,
        abuse_type=report.abuse_type,
        urgent=report.urgent,
        member_state=resolution.member_states[0] if resolution.member_states else None,
        created=report.created,
        received_at=now,
        status="received",
        updated_at=now,
        pre_assessment=MATCHES if matches else ANALYST,
        centre_matches=matches,
        envelope=keyring.encrypt(plain, envelope_aad(provider.provider_id, report.report_id)),
        size_bytes=len(body),
    )
    session.add(row)
    try:
        session.flush()
    except SAIntegrityError as exc:  # a concurrent copy of the same report won the race
        raise ConflictError(
            f"replayed report: report {report.report_id!r} is being received already"
        ) from exc
    items = _store_items(session, row, report)
    session.add_all(signal_rows(keyring, row.id, report, matches))
    repo.add_event(session, row, "received", principal.actor, now)
    audit.record(session, principal, "report.receive", "report", row.id,
                 details={"report_id": report.report_id, "abuse_type": report.abuse_type,
                          "urgent": report.urgent, "pre_assessment": row.pre_assessment})
    return Receipt(report.report_id, row.id, row.status, now, verified.digest, verified.kid,
                   report.urgent, row.pre_assessment, items)


def load_report(config: CentreConfig, session: Session, row: CentreReport) -> Report:
    """Decrypt a stored report (the envelope was verified on intake)."""
    from childshield.store.models.centre import CentreProvider

    provider = session.get(CentreProvider, row.provider_pk)
    assert provider is not None
    plain = config.evidence().decrypt(row.envelope,
                                      envelope_aad(provider.provider_id, row.report_id))
    return parse_report(parse_json(plain)["payload"])


__all__ = [
    "SIGNAL_KEY_PREFIX",
    "Receipt",
    "envelope_aad",
    "load_report",
    "receive_report",
    "signal_keys",
]
