"""``bank sync``: pull the centre's signed indicator list into a local bank, safely.

One sync: ask the centre for the delta since the version the bank holds (or the full list
when it holds none), verify the signature against ``centre_signing_public_key`` and the
whole list (:func:`childshield.exchange.indicator_list.verify_list`: issuer, list,
version continuity, scope, every entry) *before* anything is applied, then apply it in one
transaction: active entries are added to the bank, withdrawn ones (or, for a full list,
ones no longer in it) are withdrawn, and the held version is stored. The bank's PDQ index
follows the bank table (it catches up on its own), so matching reflects the change; a
``solicitation`` bank's patterns reach the conversation hub within its refresh period.
Anything tampered with or out of scope raises IntegrityError and changes nothing.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from typing import Any

from childshield.centre.config import CENTRE_ID
from childshield.crypto.signing import TrustedKey, TrustedKeys
from childshield.errors import (
    AuthenticationError,
    ConfigurationError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
)
from childshield.exchange.indicator_list import IndicatorList, Scope, verify_list
from childshield.exchange.indicator_record import IndicatorRecord
from childshield.store import banks as bank_repo
from childshield.store import centre_indicators as repo
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.centre_indicators import ProviderListSync

KEY_ENV = "CHILDSHIELD_CENTRE_API_KEY"
BANK_SCOPES: dict[str, tuple[list[str], list[str]]] = {
    "known_material": (["pdq", "md5", "sha256"], ["image", "video"]),
    "url": (["url"], ["url"]),
    "solicitation": (["pattern"], ["text"]),
}
"""What each bank kind may take from the centre; a ``solicitation`` bank holds the
centre's patterns, which the provider's conversation hub matches in chat messages
(:class:`childshield.provider.conversations.BankPatterns`)."""


@dataclass(frozen=True)
class SyncResult:
    bank: str
    list_id: str
    kind: str  # full, delta or up-to-date
    from_version: int | None
    version: int | None
    added: int = 0
    withdrawn: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def centre_key(public_key: str | None) -> TrustedKeys:
    if not public_key:
        raise ConfigurationError("CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY is not set: indicator "
                                 "lists cannot be verified, so none is loaded")
    try:
        return TrustedKeys([TrustedKey.from_base64(public_key, owner=CENTRE_ID)])
    except ValueError as exc:
        raise ConfigurationError(f"CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY: {exc}") from exc


def allowed_scope(kind: str, signals: list[str] | None) -> Scope:
    """What this bank may take: by its kind, narrowed to ``signals`` when given."""
    if kind not in BANK_SCOPES:
        raise InputError(f"a {kind} bank cannot take centre lists "
                         f"({', '.join(BANK_SCOPES)})")
    kind_signals, media = BANK_SCOPES[kind]
    chosen = signals or kind_signals
    beyond = sorted(set(chosen) - set(kind_signals))
    if beyond:
        raise InputError(f"a {kind} bank cannot hold {', '.join(beyond)} indicators")
    return Scope(signals=sorted(set(chosen)), media=media)


def fetch(centre_url: str, list_id: str, since: int | None, api_key: str, *,
          allow_http: bool = False, timeout: float = 60.0) -> Any | None:
    """The signed envelope from the centre, or None when ``since`` is current (304)."""
    import httpx

    if not centre_url.startswith("https://") and not allow_http:
        raise InputError(f"centre URL {centre_url!r} is not HTTPS (pass --allow-http only "
                         "for a test or sandbox centre)")
    params = {} if since is None else {"since": str(since)}
    url = f"{centre_url.rstrip('/')}/centre/v1/indicator-lists/{list_id}"
    try:
        response = httpx.get(url, params=params, timeout=timeout,
                             headers={"Authorization": f"Bearer {api_key}"})
    except httpx.HTTPError as exc:
        raise ConfigurationError(f"cannot reach the centre at {centre_url}: {exc}") from exc
    if response.status_code == 304:
        return None
    detail = response.text[:300]
    if response.status_code == 401:
        raise AuthenticationError(f"the centre refused the API key: {detail}")
    if response.status_code == 403:
        raise PermissionDeniedError(f"the centre refused: {detail}")
    if response.status_code == 404:
        raise NotFoundError(f"the centre has no list {list_id!r} for this provider: {detail}")
    if response.status_code != 200:
        raise InputError(f"the centre answered {response.status_code}: {detail}")
    try:
        return response.json()
    except ValueError:
        from childshield.crypto.encoding import integrity_error

        raise integrity_error("malformed", "the centre's answer is not JSON") from None


def held_version(db: Database, bank: str, list_id: str) -> int | None:
    with db.session() as session:
        row = repo.sync_of(session, bank, list_id)
        return None if row is None else row.version


def apply(db: Database, bank: str, centre_url: str, lst: IndicatorList) -> SyncResult:
    """Apply a *verified* list to ``bank`` in one transaction; store the held version."""
    header = lst.header
    with db.session() as session:
        target = bank_repo.get_bank(session, bank)
        state = repo.sync_of(session, bank, header.list_id)
        before = None if state is None else state.version
        if state is None:
            state = ProviderListSync(bank=bank, list_id=header.list_id, centre_url=centre_url,
                                     version=header.version)
            session.add(state)
            session.flush()
        mapped = repo.entry_map(session, state.id)
        active = [e for e in lst.entries if e.status == "active"]
        gone = [e.indicator_id for e in lst.entries if e.status == "withdrawn"]
        if header.kind == "full":
            keep = {e.indicator_id for e in active}
            gone = [k for k in mapped if k not in keep]
        records = [IndicatorRecord(signal=e.signal, value=e.value, media=e.media,
                                   source=f"centre:{header.list_id}:{e.indicator_id}")
                   for e in active]
        provenance = bank_repo.Provenance(
            submitted_by=header.issuer,
            how_generated=f"centre indicator list {header.list_id} v{header.version} "
                          "(signature verified)")
        stored = bank_repo.store_records(session, target, records, provenance)
        repo.put_entries(session, state.id,
                         {e.indicator_id: i for e, i in zip(active, stored.ids, strict=True)})
        local = sorted({mapped[k] for k in gone if k in mapped})
        withdrawn_now: list[int] = []
        if local:
            withdrawn_now, _ = bank_repo.withdraw(
                session, target, local,
                f"withdrawn by the centre (list {header.list_id} v{header.version})")
        repo.drop_entries(session, state.id, gone)
        state.version, state.centre_url, state.synced_at = header.version, centre_url, utcnow()
        return SyncResult(bank, header.list_id, header.kind, before, header.version,
                          added=stored.created_count, withdrawn=len(withdrawn_now))


def sync(
    db: Database, *, centre_url: str, list_id: str, bank: str, provider_id: str | None,
    centre_public_key: str | None, api_key: str | None = None, key_env: str = KEY_ENV,
    signals: list[str] | None = None, allow_http: bool = False,
) -> SyncResult:
    """Pull, verify and apply one list (see the module docstring)."""
    trusted = centre_key(centre_public_key)
    api_key = api_key or os.environ.get(key_env)
    if not api_key:
        raise ConfigurationError(f"{key_env} is not set: the centre's API key for this provider")
    with db.session() as session:
        kind = bank_repo.get_bank(session, bank).kind
    allowed = allowed_scope(kind, signals)
    held = held_version(db, bank, list_id)
    envelope = fetch(centre_url, list_id, held, api_key, allow_http=allow_http)
    if envelope is None:
        return SyncResult(bank, list_id, "up-to-date", held, held)
    lst = verify_list(envelope, trusted, issuer=CENTRE_ID, list_id=list_id,
                      held_version=held, allowed=allowed, provider_id=provider_id)
    return apply(db, bank, centre_url, lst)


__all__ = ["KEY_ENV", "SyncResult", "allowed_scope", "apply", "centre_key", "fetch", "sync"]
