"""Art. 22: keep a reported case's content and personal data 12 months, then delete them.

:func:`run_retention` finds reports made 12 calendar months or more before ``now``; unless
a recorded hold (:func:`add_hold`, with its reason and end) is in force for the case, it
deletes the case's content (ciphertext emptied, ``deleted_at`` set), the personal data
in its context, its signals, the bytes kept in the outbox (the sealed report carries user
data), the affected users' ids in notices and complaints, and marks the report
``purged_at``. What stays: that a report was made, when, its id and the centre's answer
(no personal data), so the provider can still account for it.

:func:`rewrap_evidence` re-encrypts every kept item with the keyring's current key
(``childshield provider evidence rewrap`` after adding a key to CHILDSHIELD_EVIDENCE_KEYS).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from childshield import audit
from childshield.auth.principal import Principal
from childshield.errors import ConfigurationError, InputError
from childshield.exchange.report_status import add_months
from childshield.provider.cases import get_case, iso, utc
from childshield.provider.evidence import _aad, keyring_for
from childshield.settings import get_settings
from childshield.store import provider_reports as repo
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.provider_reports import (
    ProviderComplaint,
    ProviderNotice,
    ProviderRetentionHold,
)
from childshield.store.tenancy import TenantScope

RETENTION_MONTHS = 12


def add_hold(scope: TenantScope, principal: Principal, case_id: int, *, until: datetime,
             reason: str) -> ProviderRetentionHold:
    """Record why a case's data must be kept longer (e.g. a court's or authority's request)."""
    get_case(scope, case_id)
    if not reason.strip():
        raise InputError("a retention hold needs its reason")
    if utc(until) <= utcnow():
        raise InputError("a retention hold must end in the future")
    hold = ProviderRetentionHold(tenant_id=scope.tenant_id, case_id=case_id, until=until,
                                 reason=reason[:5000], created_by=principal.label)
    scope.session.add(hold)
    scope.session.flush()
    audit.record(scope.session, principal, "retention.hold", "case", case_id,
                 details={"until": iso(until)})
    return hold


def retention_end(session: Any, case_id: int, reported_at: datetime) -> datetime:
    """When the case's data is deleted: 12 months after the report, or the latest hold."""
    end = add_months(utc(reported_at), RETENTION_MONTHS)
    for hold in repo.holds_of(session, case_id):
        end = max(end, utc(hold.until))
    return end


def run_retention(database: Database, *, now: datetime | None = None,
                  batch: int = 500) -> dict[str, Any]:
    """Delete what is due; returns counts."""
    now = now or utcnow()
    cutoff = add_months(now, -RETENTION_MONTHS)
    purged = held = items = 0
    with database.session() as session:
        for report in repo.reports_reported_before(session, cutoff, batch):
            if retention_end(session, report.case_id, report.created_at) > now:
                held += 1
                continue
            case = repo.case(session, report.case_id)
            if case is not None:
                case.context, case.signals = {}, {}
            for row in repo.content_rows(session, report.case_id):
                if row.ciphertext is not None:
                    row.ciphertext, row.deleted_at = None, now
                    items += 1
            for out in repo.outbox_of_report(session, report.id):
                if out.status in ("delivered", "failed"):
                    out.body = None
            for notice in session.query(ProviderNotice).filter_by(report_pk=report.id):
                notice.user_id, notice.content = "deleted", {"deleted": True}
            for complaint in session.query(ProviderComplaint).filter_by(
                    tenant_id=report.tenant_id, case_id=report.case_id):
                complaint.user_id, complaint.text = "deleted", ""
            report.purged_at = now
            purged += 1
            audit.record(session, "system:retention", "retention.purge", "report",
                         report.report_id, tenant_id=report.tenant_id,
                         details={"case": report.case_id})
    return {"purged": purged, "held": held, "content_items_deleted": items}


def rewrap_evidence(database: Database, batch: int = 200) -> dict[str, Any]:
    """Re-encrypt every kept content item under the current evidence key."""
    keyring = keyring_for(get_settings())
    if keyring is None:
        raise ConfigurationError("CHILDSHIELD_EVIDENCE_KEYS is not set; nothing to rewrap with")
    rewrapped = current = 0
    last = 0
    while True:
        with database.session() as session:
            rows = repo.all_content(session, last, batch)
            if not rows:
                break
            for row in rows:
                last = row.id
                assert row.ciphertext is not None
                if not keyring.needs_rewrap(row.ciphertext):
                    current += 1
                    continue
                row.ciphertext = keyring.rewrap(row.ciphertext, _aad(row.case_id, row.id))
                row.key_id = keyring.current_kid
                rewrapped += 1
            audit.record(session, "system:evidence", "evidence.rewrap", "case_content", last,
                         details={"rows": len(rows)})
    return {"rewrapped": rewrapped, "already_current": current, "key": keyring.current_kid}


__all__ = ["RETENTION_MONTHS", "add_hold", "retention_end", "rewrap_evidence", "run_retention"]
