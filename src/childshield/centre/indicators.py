"""The centre's indicator database (Arts. 44, 46): confirmed submissions by authorities.

An indicator enters only from a competent authority (role ``authority``) that attests the
material it was generated from was confirmed, and names it (``material_reference``); its
provenance record says who submitted it, when, which material and how it was generated
(Art. 44(4)). Kinds:

=================  ====================  ==========  ===========================
kind               signal                media       distributed in lists
=================  ====================  ==========  ===========================
``known_material``  pdq, md5, sha256      image/video  yes
``url``             url                   url          yes
``solicitation``    pattern (free text)   text         yes (signal ``pattern``)
=================  ====================  ==========  ===========================

Every change (add, withdraw) is one new database *version*; lists and deltas are cut by
version (:mod:`childshield.centre.distribution`). Hash indicators are also kept, in the
same transaction, in the centre bank (``settings.centre_bank``) that pre-assessment
(:mod:`childshield.centre.preassess`) searches, so both always agree.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.crypto.encoding import utc_iso
from childshield.errors import ConflictError, InputError, NotFoundError
from childshield.exchange.indicator_list import Entry
from childshield.exchange.indicator_record import IndicatorRecord
from childshield.store import banks as bank_repo
from childshield.store import centre_indicators as repo
from childshield.store.models.base import utcnow
from childshield.store.models.centre_indicators import CentreIndicator

Actor = Principal | str
KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "known_material": (frozenset({"pdq", "md5", "sha256"}), frozenset({"image", "video"})),
    "url": (frozenset({"url"}), frozenset({"url"})),
    "solicitation": (frozenset({"pattern"}), frozenset({"text"})),
}
DEFAULT_MEDIA = {"known_material": "image", "url": "url", "solicitation": "text"}


def _label(actor: Actor) -> str:
    return actor.actor if isinstance(actor, Principal) else actor


def _problem(kind: str, signal: str, value: str, media: str) -> str | None:
    if kind not in KINDS:
        return f"unknown kind {kind!r} (expected {', '.join(KINDS)})"
    signals, medias = KINDS[kind]
    if signal not in signals:
        return f"a {kind} indicator has signal {' or '.join(sorted(signals))}, not {signal!r}"
    if media not in medias:
        return f"a {kind} indicator has media {' or '.join(sorted(medias))}, not {media!r}"
    return Entry("x", signal, value, media).problem()


def add_indicator(
    session: Session,
    *,
    kind: str,
    signal: str,
    value: str,
    media: str | None = None,
    authority: str,
    material_reference: str,
    how_generated: str,
    confirmed: bool,
    note: str | None = None,
    centre_bank: str | None = None,
    actor: Actor,
) -> CentreIndicator:
    """Add one indicator from a confirmed submission (InputError naming what is wrong)."""
    if not confirmed:
        raise InputError("only indicators generated from confirmed material are accepted "
                         "(the authority must attest confirmed=true)")
    if not material_reference.strip():
        raise InputError("material_reference must name the confirmed material")
    if not how_generated.strip():
        raise InputError("how_generated must say how the indicator was generated")
    if not authority.strip():
        raise InputError("the submitting authority must be named")
    signal = signal.strip().lower()
    value = value.strip() if kind == "solicitation" else value.strip().lower()
    if kind == "url":
        value = value.strip()
    media = media or DEFAULT_MEDIA.get(kind, "")
    problem = _problem(kind, signal, value, media)
    if problem:
        raise InputError(f"bad indicator: {problem}")
    existing = repo.by_value(session, signal, value)
    if existing is not None:
        raise ConflictError(f"the centre already holds this {signal} value as "
                            f"{existing.indicator_id} ({existing.status})")
    label = _label(actor)
    version = repo.new_version(session, "add", label)
    row = CentreIndicator(
        indicator_id=f"ind-{uuid.uuid4().hex[:20]}", kind=kind, signal=signal, value=value,
        media=media, status="active", submitted_by=label[:300], authority=authority.strip()[:200],
        submitted_at=utcnow(), material_reference=material_reference.strip()[:500],
        how_generated=how_generated.strip()[:500], note=(note or None) and note[:1000],
        version=version)
    session.add(row)
    session.flush()
    if centre_bank and kind == "known_material":
        row.bank_indicator = _bank_add(session, centre_bank, row)
    audit.record(session, actor, "indicator.add", "indicator", row.indicator_id,
                 details={"kind": kind, "signal": signal, "authority": row.authority,
                          "version": version})
    return row


def _bank_add(session: Session, name: str, row: CentreIndicator) -> int:
    try:
        bank = bank_repo.get_bank(session, name)
    except NotFoundError:
        bank_repo.create_bank(session, name, description="the centre's indicator database "
                              "(kept in step by childshield.centre.indicators)")
        bank = bank_repo.get_bank(session, name)
    record = IndicatorRecord(
        signal=row.signal, value=row.value, media=row.media,
        source=f"centre-indicator:{row.indicator_id}", submitted_by=row.authority,
        how_generated=row.how_generated, note=row.material_reference)
    stored = bank_repo.store_records(session, bank, [record], bank_repo.Provenance())
    return stored.ids[0]


def get_indicator(session: Session, indicator_id: str) -> CentreIndicator:
    row = repo.by_indicator_id(session, indicator_id)
    if row is None:
        raise NotFoundError(f"no indicator {indicator_id!r}")
    return row


def withdraw_indicator(
    session: Session, indicator_id: str, *, reason: str, centre_bank: str | None = None,
    actor: Actor,
) -> CentreIndicator:
    """Withdraw an indicator (a new version; the next delta carries the withdrawal)."""
    if not reason.strip():
        raise InputError("a withdrawal needs a reason")
    row = get_indicator(session, indicator_id)
    if row.status == "withdrawn":
        raise ConflictError(f"indicator {indicator_id} is already withdrawn")
    label = _label(actor)
    row.version = repo.new_version(session, "withdraw", label)
    row.status = "withdrawn"
    row.withdrawn_at = utcnow()
    row.withdrawn_by = label[:300]
    row.withdrawn_reason = reason.strip()[:1000]
    if centre_bank and row.bank_indicator is not None:
        try:
            bank = bank_repo.get_bank(session, centre_bank)
            bank_repo.withdraw(session, bank, [row.bank_indicator], row.withdrawn_reason)
        except NotFoundError:
            pass  # the bank was removed by hand: nothing to keep in step
    audit.record(session, actor, "indicator.withdraw", "indicator", row.indicator_id,
                 details={"version": row.version})
    return row


def list_indicators(session: Session, *, status: str | None = None, kind: str | None = None,
                    limit: int = 1000, actor: Actor) -> list[CentreIndicator]:
    rows = list(repo.indicators(session, status=status, kind=kind, limit=limit))
    audit.record(session, actor, "indicator.list", "indicator", None,
                 details={"status": status, "kind": kind, "count": len(rows)})
    return rows


def indicator_view(row: CentreIndicator) -> dict[str, Any]:
    return {
        "indicator_id": row.indicator_id,
        "kind": row.kind,
        "signal": row.signal,
        "value": row.value,
        "media": row.media,
        "status": row.status,
        "version": row.version,
        "provenance": {
            "submitted_by": row.submitted_by,
            "authority": row.authority,
            "submitted_at": utc_iso(row.submitted_at),
            "material_reference": row.material_reference,
            "how_generated": row.how_generated,
            "note": row.note,
        },
        "withdrawal": None if row.withdrawn_at is None else {
            "at": utc_iso(row.withdrawn_at), "by": row.withdrawn_by,
            "reason": row.withdrawn_reason},
    }


__all__ = [
    "KINDS",
    "add_indicator",
    "get_indicator",
    "indicator_view",
    "list_indicators",
    "withdraw_indicator",
]
