"""A confirmed case becomes an Art. 13 report, signed and queued for the centre.

When a reviewer confirms a case, :func:`on_case_confirmed` (registered with
``childshield.provider.cases.on_confirmed``) runs *inside the deciding transaction*: it
creates the :class:`ProviderReport` row and an outbox row (``childshield.provider.outbox``)
holding the exact bytes to send, a ``childshield.report/1`` envelope (RFC 8785 canonical
JSON, Ed25519 signature with the tenant's key (``childshield.provider.signing``: the variable
its profile names, else ``CHILDSHIELD_SIGNING_KEY``), every content item sealed for the
centre's X25519 key ``CHILDSHIELD_CENTRE_PUBLIC_KEY``). Either the decision and its report
commit together or neither does.

If the tenant has no reporting profile yet or a key is missing, the outbox row is written
``waiting`` with the reason, and the delivery worker builds the report once the
configuration is there: a confirmed case is never left without its report.

Where the tenant also reports to NCMEC (``profile.ncmec``), a second outbox row with
destination ``ncmec`` is written in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.crypto import configured
from childshield.crypto.canonical import canonicalize
from childshield.crypto.keyring import EvidenceKeyring
from childshield.crypto.sealing import SealingPublicKey
from childshield.crypto.signing import SigningKey
from childshield.errors import ChildshieldError, ConfigurationError, InputError
from childshield.exchange._common import signal_value_problem
from childshield.exchange.report import Report, parse_report, seal_item, sign_report
from childshield.provider import outbox
from childshield.provider.cases import Confirmation, get_case, iso, on_confirmed, utc
from childshield.provider.evidence import keyring_for, open_content
from childshield.provider.signing import check_env_name, tenant_signing_key
from childshield.settings import get_settings
from childshield.store import provider as case_repo
from childshield.store import provider_reports as repo
from childshield.store.models.base import utcnow
from childshield.store.models.provider import ProviderCase
from childshield.store.models.provider_reports import ProviderReport, ProviderReportProfile
from childshield.store.tenancy import TenantScope

DEFAULT_LEGAL_BASIS = (
    "Regulation (EU) 2021/1232 (voluntary detection); "
    "COM(2022) 209 Art. 12(1) reporting obligation"
)
_KIND = {"image": "image", "video": "video", "conversation": "text", "stream": "video"}
_USER_ROLES = {"uploader", "sender", "recipient", "account_holder", "suspect", "victim", "other"}


def set_profile(
    session: Session, tenant_id: int, *, provider_id: str, name: str, address: str, email: str,
    country: str, centre_url: str, centre_key_env: str, legal_basis: str | None = None,
    legal_representative: dict[str, str] | None = None, allow_http: bool = False,
    ncmec: bool = False, ncmec_reporter: dict[str, Any] | None = None, actor: str = "cli",
    signing_key_env: str | None = None,
) -> ProviderReportProfile:
    """Create or replace a tenant's reporting profile."""
    if not centre_url.startswith("https://") and not allow_http:
        raise InputError(f"centre URL {centre_url!r} is not HTTPS; pass allow_http for a test "
                         "or sandbox deployment")
    if len(country) != 2 or not country.isalpha():
        raise InputError(f"country {country!r} is not a two-letter code")
    identity: dict[str, Any] = {"name": name, "address": address, "email": email,
                                "country": country.upper()}
    if legal_representative:
        identity["legal_representative"] = legal_representative
    row = repo.profile(session, tenant_id)
    if row is None:
        row = ProviderReportProfile(tenant_id=tenant_id)
        session.add(row)
    row.provider_id, row.identity = provider_id, identity
    row.legal_basis = legal_basis or DEFAULT_LEGAL_BASIS
    row.centre_url, row.centre_key_env = centre_url.rstrip("/"), centre_key_env
    row.allow_http, row.ncmec = allow_http, ncmec
    if signing_key_env is not None:
        row.signing_key_env = check_env_name(signing_key_env) if signing_key_env else None
    row.ncmec_reporter = ncmec_reporter or {}
    row.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "report_profile.set", "tenant", tenant_id, tenant_id=tenant_id,
                 details={"provider_id": provider_id, "ncmec": ncmec})
    return row


def _signals(case: ProviderCase) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name in ("pdq", "md5", "sha256"):
        value = case.signals.get(name)
        if isinstance(value, str) and not signal_value_problem(name, value):
            entry: dict[str, Any] = {"signal": name, "value": value}
            quality = case.signals.get("quality")
            if name == "pdq" and isinstance(quality, int) and 0 <= quality <= 100:
                entry["quality"] = quality
            out.append(entry)
    return out


def _users(context: dict[str, Any]) -> list[dict[str, Any]]:
    raw = context.get("users")
    people = raw if isinstance(raw, list) else []
    if isinstance(context.get("user"), dict):
        people = [{"role": "uploader", **context["user"]}, *people]
    users: list[dict[str, Any]] = []
    for person in people[:50]:
        if not isinstance(person, dict) or (not person.get("id") and not person.get("user_id")):
            continue
        role = person.get("role") if person.get("role") in _USER_ROLES else "other"
        user: dict[str, Any] = {"user_id": str(person.get("user_id") or person.get("id"))[:200],
                                "role": role}
        for key in ("screen_name", "display_name", "email", "ip", "country"):
            if isinstance(person.get(key), str | int) and person.get(key) != "":
                user[key] = str(person[key])
        users.append(user)
    return users or [{"user_id": "unknown", "role": "other"}]


def _location(context: dict[str, Any], users: list[dict[str, Any]],
              profile: ProviderReportProfile) -> tuple[dict[str, Any], str | None]:
    given = context.get("location")
    raw: dict[str, Any] = given if isinstance(given, dict) else {}
    location = {k: raw[k] for k in ("ip", "port", "time", "country") if raw.get(k) is not None}
    if location.get("ip") or location.get("country"):
        return location, None
    for user in users:
        if user.get("country"):
            return {**location, "country": user["country"]}, "the user's country"
    return {**location, "country": profile.identity["country"]}, (
        "no location was given with the content; the provider's country of establishment")


def _content_items(session: Session, case: ProviderCase, report_id: str,
                   keyring: EvidenceKeyring | None,
                   centre: SealingPublicKey) -> tuple[list[dict[str, Any]], bool]:
    hits = case_repo.hits_of(session, [case.id])[case.id]
    matched = [{"indicator_id": str(h.indicator_id), "signal": h.signal, "distance": h.distance,
                "bank": h.detector} for h in hits
               if h.kind in ("bank", "live") and h.indicator_id is not None
               and h.signal in ("pdq", "md5", "sha256", "vpdq")]
    rows = [r for r in repo.content_rows(session, case.id) if r.ciphertext is not None]
    item_kind = _KIND.get(case.kind, "other")
    items: list[dict[str, Any]] = []
    for n, row in enumerate(rows[:20], start=1):
        if keyring is None:
            break
        item_id = f"item-{n}"
        data = open_content(keyring, row)
        items.append({
            "item_id": item_id, "kind": _KIND.get(row.kind, item_kind),
            "media_type": row.media_type, "signals": _signals(case) if n == 1 else [],
            "matched_indicators": matched if n == 1 else [],
            "sealed_content": seal_item(data, centre, report_id=report_id,
                                        item_id=item_id).model_dump(mode="json"),
            **({"file_name": row.name} if row.name else {}),
        })
    if items:
        return items, True
    # No content was kept (no evidence keys, or too large): the item still carries its
    # signals and matches, and says so inside the sealed box.
    note = canonicalize({"content_retained": False, "case": case.id})
    return [{
        "item_id": "item-1", "kind": item_kind, "media_type": case.media_type or
        "application/octet-stream", "signals": _signals(case), "matched_indicators": matched,
        "sealed_content": seal_item(note, centre, report_id=report_id,
                                    item_id="item-1").model_dump(mode="json"),
    }], False


def build_report(session: Session, case: ProviderCase, profile: ProviderReportProfile,
                 report_id: str, *, centre: SealingPublicKey,
                 keyring: EvidenceKeyring | None, created: datetime | None = None) -> Report:
    """The Art. 13 report of a confirmed case (validated; content sealed for the centre)."""
    decisions = [d for d in case_repo.decisions_of(session, case.id) if d.decision == "confirm"]
    if case.status != "confirmed" or not decisions:
        raise InputError(f"case {case.id} is not confirmed; only confirmed cases are reported")
    decision = decisions[-1]
    context = case.context or {}
    users = _users(context)
    location, location_note = _location(context, users, profile)
    items, retained = _content_items(session, case, report_id, keyring, centre)
    other: dict[str, Any] = {"case_id": str(case.id), "source": case.source,
                             "content_retained": retained}
    if case.external_id:
        other["external_id"] = case.external_id
    if location_note:
        other["location_source"] = location_note
    hits = case_repo.hits_of(session, [case.id])[case.id]
    alerts = [{"detector": h.detector, "kind": h.kind, "score": h.score} for h in hits
              if h.kind in ("classifier", "conversation")]
    if alerts:
        other["detections"] = alerts
    removal = context.get("removal") if isinstance(context.get("removal"), dict) else None
    if removal is None and case.abuse_type in ("known", "new"):
        removal = {"status": "not_removed"}
    payload: dict[str, Any] = {
        "report_id": report_id,
        "provider": {"id": profile.provider_id, **profile.identity},
        "created": iso(created or utcnow()),
        "content": items,
        "other_data": other,
        "abuse_type": case.abuse_type,
        "location": location,
        "users": users,
        "third_country_reports": [{"body": "NCMEC", "country": "US",
                                   "status": "will_be_made"}] if profile.ncmec else [],
        "removal": removal,
        "urgent": bool(case.urgent),
        "urgency_reason": (str(context.get("urgency_reason") or
                               "marked urgent when it was detected") if case.urgent else None),
        "legal_basis": profile.legal_basis,
        "human_review": {"reviewer": decision.reviewer, "decided_at": iso(decision.decided_at),
                         "decision": f"confirm_{case.abuse_type}", "case_id": str(case.id),
                         **({"notes": decision.note} if decision.note else {})},
    }
    return parse_report(payload)


def _keys(profile: ProviderReportProfile
          ) -> tuple[SigningKey, SealingPublicKey, EvidenceKeyring | None]:
    return (tenant_signing_key(profile), configured.centre_public_key(),
            keyring_for(get_settings()))


def build_body(session: Session, report: ProviderReport) -> bytes:
    """Build, sign and return the bytes to send for ``report`` (ConfigurationError when the
    profile or a key is missing); records the digest."""
    profile = repo.profile(session, report.tenant_id)
    if profile is None:
        raise ConfigurationError(
            "this tenant has no reporting profile; set one with `childshield provider "
            "profile set`")
    case = repo.case(session, report.case_id)
    assert case is not None
    signing, centre, keyring = _keys(profile)
    built = build_report(session, case, profile, report.report_id, centre=centre,
                         keyring=keyring, created=utc(report.created_at))
    report.digest = built.digest
    audit.record(session, "system:reports", "report.build", "report", report.report_id,
                 tenant_id=report.tenant_id, details={"case": case.id})
    return canonicalize(sign_report(built, signing))


def report_for_case(session: Session, case: ProviderCase) -> ProviderReport:
    """Create the report row and its outbox rows for a confirmed case (idempotent)."""
    existing = repo.report_of_case(session, case.tenant_id, case.id)
    if existing is not None:
        return existing
    profile = repo.profile(session, case.tenant_id)
    report = ProviderReport(tenant_id=case.tenant_id, case_id=case.id,
                            report_id=str(uuid.uuid4()), created_at=utcnow(),
                            delivery="queued")
    session.add(report)
    session.flush()
    try:
        body: bytes | None = build_body(session, report)
        waiting = None
    except (ConfigurationError, ChildshieldError) as exc:
        body, waiting = None, str(exc)
        report.delivery = "waiting"
    outbox.enqueue(session, report, destination="centre", kind="report", path="/centre/v1/reports",
                   body=body, waiting=waiting)
    if profile is not None and profile.ncmec:
        outbox.enqueue(session, report, destination="ncmec", kind="ncmec_report",
                       path="cybertip", body=None, waiting="built when sent")
    return report


@on_confirmed
def on_case_confirmed(session: Session, confirmation: Confirmation) -> None:
    """Registered with review: the report commits with the decision."""
    report_for_case(session, confirmation.case)


def reconcile(session: Session, limit: int = 500) -> int:
    """Give every confirmed case without a report its report (a safety net for a decision
    made in a process where this module, and so the handler, was not loaded)."""
    missing = repo.confirmed_without_report(session, limit)
    for case in missing:
        report_for_case(session, case)
        audit.record(session, "system:reports", "report.reconcile", "case", case.id,
                     tenant_id=case.tenant_id)
    return len(missing)


def report_view(session: Session, report: ProviderReport) -> dict[str, Any]:
    """A report as the API and the console show it, with the centre's answer."""
    answer = report.answer or {}
    rows = repo.outbox_of_report(session, report.id)
    return {
        "report_id": report.report_id,
        "case_id": report.case_id,
        "created_at": iso(report.created_at),
        "delivery": report.delivery,
        "delivered_at": iso(report.delivered_at),
        "centre_status": report.centre_status,
        "reasons": answer.get("reasons", []),
        "instructions": answer.get("instructions", []),
        "info_requests": answer.get("info_requests", []),
        "forwarded_to": answer.get("forwarded_to", []),
        "forwarded_at": answer.get("forwarded_at"),
        "answer_updated_at": iso(report.answer_updated_at),
        "ncmec": {"status": report.ncmec_status, "reference": report.ncmec_reference}
        if report.ncmec_status else None,
        "outbox": [{"destination": r.destination, "kind": r.kind, "status": r.status,
                    "attempts": r.attempts, "last_error": r.last_error,
                    "next_attempt_at": iso(r.next_attempt_at) if r.status != "delivered"
                    else None} for r in rows],
        "purged_at": iso(report.purged_at),
    }


def case_report_section(scope: TenantScope, case_id: int) -> dict[str, Any] | None:
    """What the console's report section shows for a case (None before it is reported):
    the report, the centre's answer, retention and holds. Raises NotFoundError for
    another tenant's case."""
    from childshield.provider.retention import retention_end

    case = get_case(scope, case_id)
    report = repo.report_of_case(scope.session, scope.tenant_id, case.id)
    if report is None:
        return None
    view = report_view(scope.session, report)
    view["retention_until"] = iso(retention_end(scope.session, case.id, report.created_at))
    view["holds"] = [{"until": iso(h.until), "reason": h.reason, "by": h.created_by}
                     for h in repo.holds_of(scope.session, case.id)]
    return view


__all__ = [
    "DEFAULT_LEGAL_BASIS",
    "build_body",
    "build_report",
    "case_report_section",
    "on_case_confirmed",
    "reconcile",
    "report_for_case",
    "report_view",
    "set_profile",
]
