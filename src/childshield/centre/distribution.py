"""Signed indicator lists for registered providers: full lists and deltas by version.

A provider receives a list only through a scope record (``grant_scope``): which signals
and media of which list its detection order or agreement allows. A list it is not granted
is "not found" (it learns nothing about lists of others). The list is cut from the
indicator database at its current version, filtered to the scope, signed with the
centre's key (:func:`childshield.exchange.indicator_list.sign_list`), and every pull is
written to the audit log (including refusals and "up to date" answers).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from childshield import audit
from childshield.auth.principal import Principal
from childshield.centre.config import CENTRE_ID
from childshield.crypto.signing import SigningKey
from childshield.errors import InputError, NotFoundError
from childshield.exchange.indicator_list import (
    LIST_SIGNALS,
    MEDIA,
    Entry,
    Scope,
    build_list,
    sign_list,
)
from childshield.store import centre_indicators as repo
from childshield.store.models.base import utcnow
from childshield.store.models.centre import CentreProvider
from childshield.store.models.centre_indicators import CentreIndicatorScope

Actor = Principal | str


def grant_scope(
    session: Session, provider: CentreProvider, list_id: str, *, signals: list[str],
    media: list[str], basis: str, actor: Actor,
) -> CentreIndicatorScope:
    """Allow ``provider`` the ``signals``/``media`` of ``list_id`` (replaces an earlier grant)."""
    list_id = list_id.strip()
    if not 0 < len(list_id) <= 200:
        raise InputError("list id must be 1-200 characters")
    bad = sorted(set(signals) - LIST_SIGNALS) + sorted(set(media) - MEDIA)
    if bad or not signals or not media:
        raise InputError(f"a scope needs signals from {sorted(LIST_SIGNALS)} and media from "
                         f"{sorted(MEDIA)}; unknown: {bad}")
    if not basis.strip():
        raise InputError("a scope needs its basis: the detection order or agreement")
    label = actor.actor if isinstance(actor, Principal) else actor
    row = repo.scope_of(session, provider.id, list_id)
    if row is None:
        row = CentreIndicatorScope(provider_pk=provider.id, list_id=list_id, signals=[],
                                   media=[], basis="", granted_by="")
        session.add(row)
    row.signals, row.media = sorted(set(signals)), sorted(set(media))
    row.basis, row.granted_by, row.granted_at = basis.strip()[:500], label[:300], utcnow()
    session.flush()
    audit.record(session, actor, "indicator_scope.grant", "indicator_list", list_id,
                 tenant_id=provider.tenant_id,
                 details={"provider": provider.provider_id, "signals": row.signals,
                          "media": row.media, "basis": row.basis})
    return row


def scope_view(row: CentreIndicatorScope, provider_id: str) -> dict[str, Any]:
    return {"provider_id": provider_id, "list_id": row.list_id, "signals": row.signals,
            "media": row.media, "basis": row.basis, "granted_by": row.granted_by}


def signed_list_for(
    session: Session, provider: CentreProvider, list_id: str, *, since: int | None,
    key: SigningKey, actor: Actor,
) -> dict[str, Any] | None:
    """The signed list (``since`` None: full; else the delta since that version) for
    ``provider``, or None when it already holds the current version. A refusal
    (NotFoundError, InputError) is for the caller to audit in its own transaction
    (:func:`record_refusal`), since this one is rolled back."""
    row = repo.scope_of(session, provider.id, list_id)
    details: dict[str, Any] = {"provider": provider.provider_id, "since": since}
    if row is None:
        raise NotFoundError(f"no indicator list {list_id!r} for provider "
                            f"{provider.provider_id!r}")
    current = repo.current_version(session)
    if since is not None and (since < 0 or since > current):
        raise InputError(f"since={since} is not a version of this list (current: {current})")
    if current == 0 or since == current:
        audit.record(session, actor, "indicator_list.pull", "indicator_list", list_id,
                     tenant_id=provider.tenant_id, details={**details, "up_to_date": current})
        return None
    scope = Scope(signals=row.signals, media=row.media, provider=provider.provider_id)
    delta = since is not None and since > 0
    rows = repo.indicators(session, since=since if delta else None,
                           status=None if delta else "active")
    entries = [Entry(r.indicator_id, r.signal, r.value, r.media, r.status)
               for r in rows if scope.allows(r.signal, r.media)]
    indicator_list = build_list(issuer=CENTRE_ID, list_id=list_id, version=current,
                                scope=scope, entries=entries, created=utcnow(),
                                base_version=since if delta else None)
    audit.record(session, actor, "indicator_list.pull", "indicator_list", list_id,
                 tenant_id=provider.tenant_id,
                 details={**details, "kind": indicator_list.header.kind, "version": current,
                          "entries": len(entries)})
    return sign_list(indicator_list, key)


def record_refusal(session: Session, provider: CentreProvider, list_id: str,
                   since: int | None, error: Exception, actor: Actor) -> None:
    audit.record(session, actor, "indicator_list.pull", "indicator_list", list_id,
                 outcome="denied", tenant_id=provider.tenant_id,
                 details={"provider": provider.provider_id, "since": since,
                          "error": type(error).__name__})


__all__ = ["grant_scope", "record_refusal", "scope_view", "signed_list_for"]
