"""Victims' requests (Arts. 20-21): search the reports for a person's hashes, notify providers.

A person hashes pictures or videos of themselves in their own browser (``web/static/pdq.js``);
the files never leave their device. They submit only the hashes and a contact route: a
reference code their browser made and they keep (the centre stores its SHA-256 only), and
optionally an e-mail address (stored encrypted). The centre then:

* searches its reports (Art. 20): md5/sha256 and exact PDQ through the one-way signal keys
  the intake keeps (``centre.intake.signal_keys``), PDQ within distance 31 in an in-memory
  index of the reports' PDQs (:mod:`childshield.centre.report_index`: encrypted rows,
  decrypted once per process, never the whole reports; PDQ of quality below 50 is not
  near-matched), and the items intake matched to the indicators the person's hashes match;
* answers, to an analyst and to the person (by reference code), which providers reported
  the material, when, whether it was forwarded and whether it was removed;
* records removal notices (Art. 21) to providers that still host a match: a notice names
  the provider's own ``report_id`` and ``item_id`` (never a hash); the provider pulls its
  notices and answers ``removed``, ``not_hosted`` or ``refused``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.centre.config import CentreConfig
from childshield.centre.intake import SIGNAL_KEY_PREFIX, load_report
from childshield.centre.providers import provider_of
from childshield.centre.report_index import (
    MIN_PDQ_QUALITY,
    PDQ_RADIUS,
    ReportPdqIndex,
    index_missing,
    indicator_items,
)
from childshield.crypto.canonical import canonicalize, parse_json
from childshield.crypto.encoding import utc_iso
from childshield.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    NotFoundError,
    PayloadTooLargeError,
)
from childshield.store import centre_victims as repo
from childshield.store.banks import as_utc
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.centre import CentreProvider, CentreReport
from childshield.store.models.centre_victims import VictimMatch, VictimRemovalNotice, VictimRequest

MAX_BODY_BYTES = 512 * 1024
MAX_HASHES = 2000
HEX_DIGITS = {"md5": 32, "sha256": 64, "pdq": 64}
REFERENCE_RE = re.compile(r"^[A-Za-z0-9-]{20,64}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
NOTICE_ANSWERS = ("removed", "not_hosted", "refused")
REMOVED = ("removed", "access_disabled")


class IndicatorLookup(Protocol):
    def __call__(self, hashes: list[dict[str, Any]]) -> dict[int, tuple[str, int]]:
        """Indicator id -> (signal, distance) for the centre's indicators these hashes match."""
        ...


class BankIndicatorLookup:
    """The centre's indicators (the bank that pre-assessment uses), through the Matcher."""

    def __init__(self, db: Database, bank: str) -> None:
        self.db, self.bank = db, bank

    def __call__(self, hashes: list[dict[str, Any]]) -> dict[int, tuple[str, int]]:
        from childshield.errors import NotFoundError as Missing
        from childshield.matching import Matcher, PdqQuery

        matcher = Matcher(self.db)
        try:
            matcher.check_bank(self.bank)
        except Missing:
            return {}
        found: list[Any] = []
        for signal in ("md5", "sha256"):
            values = [h["value"] for h in hashes if h["signal"] == signal]
            if values:
                found.extend(m for row in matcher.match_exact(signal, values, self.bank)
                             for m in row)
        pdq = [PdqQuery(h["value"], quality=h.get("quality")) for h in hashes
               if h["signal"] == "pdq"]
        if pdq:
            found.extend(m for row in matcher.match_pdq(pdq, self.bank) for m in row)
        best: dict[int, tuple[str, int]] = {}
        for m in found:
            if m.indicator not in best or m.distance < best[m.indicator][1]:
                best[m.indicator] = (m.signal, m.distance)
        return best


def reference_digest(code: str) -> str:
    return hashlib.sha256(f"childshield.victims.reference/1:{code}".encode()).hexdigest()


def _aad(request_id: str, what: str) -> bytes:
    return f"childshield.centre.victims/1:{request_id}:{what}".encode()


@dataclass(frozen=True)
class Submission:
    hashes: list[dict[str, Any]]
    reference_code: str
    email: str | None


def parse_submission(data: Any) -> Submission:
    """Validate a submission; every fault is named (per hash, by its index)."""
    errors: list[dict[str, object]] = []
    if not isinstance(data, dict):
        raise InvalidRequestError("expected a JSON object with 'hashes' and 'reference_code'")
    unknown = sorted(set(data) - {"hashes", "reference_code", "email"})
    if unknown:
        errors.append({"field": ",".join(unknown), "problem": "unknown field"})
    code = data.get("reference_code")
    if not isinstance(code, str) or not REFERENCE_RE.match(code):
        errors.append({"field": "reference_code",
                       "problem": "required: 20-64 letters, digits or dashes"})
    email = data.get("email")
    if email is not None and (not isinstance(email, str) or not EMAIL_RE.match(email)):
        errors.append({"field": "email", "problem": "not an e-mail address"})
    raw = data.get("hashes")
    hashes: list[dict[str, Any]] = []
    if not isinstance(raw, list) or not raw:
        errors.append({"field": "hashes", "problem": "required: a non-empty list"})
        raw = []
    elif len(raw) > MAX_HASHES:
        errors.append({"field": "hashes", "problem": f"at most {MAX_HASHES} hashes"})
        raw = []
    for i, h in enumerate(raw):
        where = f"hashes[{i}]"
        if not isinstance(h, dict):
            errors.append({"field": where, "problem": "expected an object"})
            continue
        signal, value, quality = h.get("signal"), h.get("value"), h.get("quality")
        if signal not in HEX_DIGITS:
            errors.append({"field": f"{where}.signal", "problem": "one of md5, sha256, pdq"})
            continue
        if not isinstance(value, str) or len(value) != HEX_DIGITS[signal] or \
                not re.fullmatch(r"[0-9a-fA-F]+", value):
            errors.append({"field": f"{where}.value",
                           "problem": f"{signal} needs {HEX_DIGITS[signal]} hex digits"})
            continue
        if quality is not None and (isinstance(quality, bool) or not isinstance(quality, int)
                                    or not 0 <= quality <= 100):
            errors.append({"field": f"{where}.quality", "problem": "an integer 0-100"})
            continue
        hashes.append({"signal": signal, "value": value.lower(), "quality": quality})
    if errors:
        raise InvalidRequestError(f"{len(errors)} problem(s) in the request", errors=errors)
    assert isinstance(code, str)
    return Submission(hashes, code, email)


def submit(session: Session, config: CentreConfig, body: bytes, idempotency_key: str,
           *, indicators: IndicatorLookup | None = None,
           pdq_index: ReportPdqIndex | None = None,
           now: datetime | None = None) -> tuple[VictimRequest, bool]:
    """Store a person's request and search for it. Returns (request, replayed)."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"request is {len(body)} bytes; at most {MAX_BODY_BYTES}")
    body_digest = hashlib.sha256(body).hexdigest()
    key_digest = hashlib.sha256(f"victims:{idempotency_key}".encode()).hexdigest()
    earlier = repo.request_by_idempotency(session, key_digest)
    if earlier is not None:
        if earlier.body_digest != body_digest:
            raise IdempotencyKeyReusedError("this Idempotency-Key was used for another request")
        return earlier, True
    sub = parse_submission(parse_json(body))
    digest = reference_digest(sub.reference_code)
    if repo.request_by_reference(session, digest) is not None:
        raise ConflictError("this reference code is in use: let the page make a new one")
    keyring = config.evidence()
    request_id = "vr-" + secrets.token_hex(12)
    now = now or utcnow()
    row = VictimRequest(
        request_id=request_id, reference_digest=digest, idempotency_digest=key_digest,
        body_digest=body_digest, hash_count=len(sub.hashes), created_at=now,
        hashes=keyring.encrypt(canonicalize(sub.hashes), _aad(request_id, "hashes")),
        email=(keyring.encrypt(sub.email.encode(), _aad(request_id, "email"))
               if sub.email else None),
        status="received",
    )
    session.add(row)
    session.flush()
    audit.record(session, "public:victim", "victims.request", "victim_request", row.id,
                 details={"hashes": row.hash_count, "email": sub.email is not None})
    search(session, config, row, "public:victim", indicators=indicators, pdq_index=pdq_index,
           now=now)
    return row, False


def hashes_of(config: CentreConfig, row: VictimRequest) -> list[dict[str, Any]]:
    plain = config.evidence().decrypt(row.hashes, _aad(row.request_id, "hashes"))
    found = parse_json(plain)
    assert isinstance(found, list)
    return found


def email_of(config: CentreConfig, row: VictimRequest) -> str | None:
    """The address the person left, decrypted (None when they left none)."""
    if row.email is None:
        return None
    return config.evidence().decrypt(row.email, _aad(row.request_id, "email")).decode()


def _signal_key(signal: str, value: str) -> str:
    return hashlib.sha256(f"{SIGNAL_KEY_PREFIX}{signal}:{value}".encode("ascii")).hexdigest()


def search(session: Session, config: CentreConfig, row: VictimRequest,
           actor: Principal | str, *, indicators: IndicatorLookup | None = None,
           pdq_index: ReportPdqIndex | None = None,
           now: datetime | None = None) -> list[VictimMatch]:
    """(Re-)search the centre's reports (and, through ``indicators``, the reports matched to
    the centre's indicators) for a request's hashes and store the matches.

    ``pdq_index``: the process's :class:`ReportPdqIndex` (kept between searches, so each
    report PDQ is decrypted once); without one, a new index is built for this search."""
    hashes = hashes_of(config, row)
    indicator_hits = indicators(hashes) if indicators is not None else {}
    by_key = {_signal_key(h["signal"], h["value"]): h["signal"] for h in hashes}
    best: dict[tuple[int, str], tuple[str, int]] = {}
    for item, signal_key in repo.items_with_keys(session, by_key):
        best[(item.report_pk, item.item_id)] = (by_key[signal_key], 0)
    pdqs = sorted({h["value"] for h in hashes if h["signal"] == "pdq"
                   and (h.get("quality") is None or h["quality"] >= MIN_PDQ_QUALITY)})
    keyring = config.evidence()
    index_missing(session, keyring, lambda report: load_report(config, session, report))
    near = (pdq_index or ReportPdqIndex()).search(session, keyring, pdqs)
    for key, distance in near.items():
        best.setdefault(key, ("pdq", distance))
    for key, hit in indicator_items(session, indicator_hits).items():
        best.setdefault(key, hit)
    repo.clear_matches(session, row.id)
    now = now or utcnow()
    matches = [VictimMatch(request_pk=row.id, report_pk=pk, item_id=item, signal=signal,
                           distance=dist, found_at=now)
               for (pk, item), (signal, dist) in sorted(best.items())]
    session.add_all(matches)
    row.searched_at = now
    row.status = "searched"
    session.flush()
    audit.record(session, actor, "victims.search", "victim_request", row.id,
                 details={"matches": len(matches), "indicators": len(indicator_hits)})
    return matches


def _removal_of(config: CentreConfig, session: Session, report: CentreReport,
                cache: dict[int, Any]) -> dict[str, Any]:
    if report.id not in cache:
        removal = load_report(config, session, report).removal
        cache[report.id] = {"status": removal.status if removal else None,
                            "time": utc_iso(removal.time) if removal and removal.time else None}
    return dict(cache[report.id])


def answer(session: Session, config: CentreConfig, row: VictimRequest) -> dict[str, Any]:
    """Art. 20: which providers reported the material, when, forwarded, removed."""
    matches = repo.matches_of(session, row.id)
    reports = repo.reports_by_pk(session, [m.report_pk for m in matches])
    providers = {p.id: p for p in (session.get(CentreProvider, r.provider_pk)
                                   for r in reports.values()) if p is not None}
    notices = repo.notices_of_request(session, row.id)
    cache: dict[int, Any] = {}
    found = []
    for m in matches:
        report = reports[m.report_pk]
        provider = providers[report.provider_pk]
        removal = _removal_of(config, session, report, cache)
        notice = next((n for n in notices if n.report_pk == m.report_pk
                       and n.item_id == m.item_id), None)
        removed = removal["status"] in REMOVED or (notice is not None
                                                    and notice.status == "removed")
        found.append({
            "provider": provider.name, "provider_id": provider.provider_id,
            "reported_at": utc_iso(as_utc(report.created)),
            "received_at": utc_iso(as_utc(report.received_at)),
            "signal": m.signal, "distance": m.distance,
            "status": report.status,
            "forwarded": report.forwarded_at is not None,
            "forwarded_at": utc_iso(as_utc(report.forwarded_at)) if report.forwarded_at else None,
            "removed": removed,
            "removal": removal,
            "notice": notice_view(notice) if notice else None,
        })
    return {"request_id": row.request_id, "status": row.status,
            "submitted_at": utc_iso(as_utc(row.created_at)),
            "searched_at": utc_iso(as_utc(row.searched_at)) if row.searched_at else None,
            "hashes": row.hash_count, "matches": found}


def analyst_view(session: Session, config: CentreConfig, row: VictimRequest) -> dict[str, Any]:
    """What an analyst sees: the answer plus report ids and item ids."""
    view = answer(session, config, row)
    reports = repo.reports_by_pk(session, [m.report_pk for m in repo.matches_of(session, row.id)])
    for shown, m in zip(view["matches"], repo.matches_of(session, row.id), strict=True):
        shown["report_id"] = reports[m.report_pk].report_id
        shown["item_id"] = m.item_id
    view["has_email"] = row.email is not None
    return view


def request_of(session: Session, request_id: str) -> VictimRequest:
    row = repo.request_by_id(session, request_id)
    if row is None:
        raise NotFoundError(f"victims' request {request_id!r} not found")
    return row


def request_by_code(session: Session, code: str) -> VictimRequest:
    row = repo.request_by_reference(session, reference_digest(code)) if code else None
    if row is None:
        raise NotFoundError("no request has this reference code")
    return row


# --- removal notices (Art. 21) -------------------------------------------------------------


def notice_view(n: VictimRemovalNotice) -> dict[str, Any]:
    return {"notice_id": n.notice_id, "status": n.status,
            "created_at": utc_iso(as_utc(n.created_at)),
            "pulled_at": utc_iso(as_utc(n.pulled_at)) if n.pulled_at else None,
            "answered_at": utc_iso(as_utc(n.answered_at)) if n.answered_at else None}


def provider_notice_view(session: Session, n: VictimRemovalNotice) -> dict[str, Any]:
    report = session.get(CentreReport, n.report_pk)
    assert report is not None
    return {**notice_view(n), "report_id": report.report_id, "item_id": n.item_id,
            "legal_basis": "Regulation (EU) .../... (CSA Regulation), Art. 21",
            "request": "remove or disable access to this item; answer with removed, "
                       "not_hosted or refused", "answer": n.answer}


def send_notices(session: Session, config: CentreConfig, row: VictimRequest,
                 caller: Principal, *, now: datetime | None = None
                 ) -> list[VictimRemovalNotice]:
    """A notice for every match not known to be removed and not already noticed."""
    now = now or utcnow()
    created = []
    cache: dict[int, Any] = {}
    reports = repo.reports_by_pk(session, [m.report_pk for m in repo.matches_of(session, row.id)])
    for m in repo.matches_of(session, row.id):
        report = reports[m.report_pk]
        if _removal_of(config, session, report, cache)["status"] in REMOVED:
            continue
        if any(n.status in ("pending", "removed")
               for n in repo.notices_for_item(session, m.report_pk, m.item_id)):
            continue
        notice = VictimRemovalNotice(
            tenant_id=report.tenant_id, notice_id="vn-" + secrets.token_hex(10),
            request_pk=row.id, report_pk=report.id, provider_pk=report.provider_pk,
            item_id=m.item_id, created_at=now, created_by=caller.actor[:200], status="pending")
        session.add(notice)
        created.append(notice)
    session.flush()
    for notice in created:
        audit.record(session, caller, "victims.notice", "victim_notice", notice.id,
                     details={"request": row.request_id, "report_pk": notice.report_pk})
    return created


def pull_notices(session: Session, caller: Principal, status: str | None,
                 *, now: datetime | None = None) -> list[dict[str, Any]]:
    """A provider's notices; the first look at a notice is recorded as its delivery."""
    provider_of(session, caller)
    now = now or utcnow()
    rows = repo.notices_of_tenant(session, caller.tenant_id, status)
    for n in rows:
        if n.pulled_at is None:
            n.pulled_at = now
    session.flush()
    if rows:
        audit.record(session, caller, "victims.notice.pull", "victim_notice", None,
                     details={"count": len(rows)})
    return [provider_notice_view(session, n) for n in rows]


def answer_notice(session: Session, caller: Principal, notice_id: str, body: Any,
                  *, now: datetime | None = None) -> dict[str, Any]:
    """The provider's answer to a notice: removed (with time), not_hosted or refused."""
    provider_of(session, caller)
    n = repo.notice_by_id(session, notice_id)
    if n is None or n.tenant_id != caller.tenant_id:
        raise NotFoundError(f"notice {notice_id!r} not found")
    if not isinstance(body, dict) or body.get("status") not in NOTICE_ANSWERS:
        raise InvalidRequestError("status: one of " + ", ".join(NOTICE_ANSWERS),
                                  errors=[{"field": "status", "problem": "required"}])
    if n.status != "pending":
        raise ConflictError(f"notice {notice_id!r} was already answered ({n.status})")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 2000):
        raise InvalidRequestError("reason: text of at most 2000 characters")
    now = now or utcnow()
    n.status = body["status"]
    n.answered_at = now
    n.answer = {"status": n.status, "reason": reason, "by": caller.actor}
    session.flush()
    audit.record(session, caller, "victims.notice.answer", "victim_notice", n.id,
                 details={"status": n.status})
    return provider_notice_view(session, n)


__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HASHES",
    "PDQ_RADIUS",
    "BankIndicatorLookup",
    "IndicatorLookup",
    "ReportPdqIndex",
    "Submission",
    "analyst_view",
    "answer",
    "answer_notice",
    "email_of",
    "hashes_of",
    "notice_view",
    "parse_submission",
    "pull_notices",
    "reference_digest",
    "request_by_code",
    "request_of",
    "search",
    "send_notices",
    "submit",
]
