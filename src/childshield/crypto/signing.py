"""Ed25519 signatures over canonical JSON, in a detached-signature envelope.

An envelope carries the signed document and a signature block::

    {"payload": {...},
     "signature": {"alg": "Ed25519", "kid": "3f1c0e9a5b7d2c41", "typ": "childshield.report/1",
                   "created": "2026-11-28T23:59:18Z", "expires": null, "sig": "<base64url>"}}

The signature covers the RFC 8785 form of the whole envelope without ``signature.sig``, so
the document type, key id and validity times cannot be altered either. ``typ`` separates
document kinds: a signed indicator list can never be replayed as a report.

Key ids are the first 8 bytes of SHA-256 over the raw 32-byte public key, in hex.
Private and public keys travel as standard base64 of their raw 32 bytes.

Every verification failure raises IntegrityError whose ``extra["fault"]`` is one of
:data:`FAULTS`, and whose message starts with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from childshield._optional import require

require("cryptography")

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import (  # noqa: E402
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (  # noqa: E402
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from childshield.crypto.canonical import CanonicalizationError, canonicalize  # noqa: E402
from childshield.crypto.encoding import (  # noqa: E402
    b64decode,
    b64encode,
    b64url_decode,
    b64url_encode,
    configured_key,
    integrity_error,
    parse_utc,
    utc_iso,
    utcnow,
)

ALG = "Ed25519"
FAULTS = (
    "malformed",
    "wrong-type",
    "unsupported-algorithm",
    "unknown-key",
    "bad-signature",
    "wrong-key",
    "expired",
    "not-yet-valid",
)
DEFAULT_SKEW = timedelta(minutes=5)
_HEADER_FIELDS = {"alg", "kid", "typ", "created", "expires", "sig"}


def key_id(raw_public_key: bytes) -> str:
    """Key id: hex of the first 8 bytes of SHA-256 over the raw public key."""
    return hashlib.sha256(raw_public_key).digest()[:8].hex()


def _raw_public(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key with its key id."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_base64(cls, text: str, what: str = "signing key") -> SigningKey:
        """Load from base64 of the raw 32-byte private key (ConfigurationError if bad)."""
        raw = configured_key(text, what)
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def to_base64(self) -> str:
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return b64encode(raw)

    @property
    def public_raw(self) -> bytes:
        return _raw_public(self.private.public_key())

    @property
    def public_base64(self) -> str:
        return b64encode(self.public_raw)

    @property
    def kid(self) -> str:
        return key_id(self.public_raw)

    def trusted(self, owner: str | None = None) -> TrustedKey:
        """The matching public key, for a verifier's trust set."""
        return TrustedKey(public=self.private.public_key(), owner=owner)

    def __repr__(self) -> str:  # never print key material
        return f"SigningKey(kid={self.kid!r})"


@dataclass(frozen=True)
class TrustedKey:
    """A public key a verifier accepts, who it belongs to, and when it is valid."""

    public: Ed25519PublicKey
    owner: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None

    @classmethod
    def from_base64(
        cls,
        text: str,
        owner: str | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> TrustedKey:
        """From base64 of the raw 32-byte public key (InputError-free: ValueError if bad)."""
        raw = b64decode(text, "public key", length=32)
        return cls(Ed25519PublicKey.from_public_bytes(raw), owner, not_before, not_after)

    @property
    def raw(self) -> bytes:
        return _raw_public(self.public)

    @property
    def kid(self) -> str:
        return key_id(self.raw)

    @property
    def public_base64(self) -> str:
        return b64encode(self.raw)


class TrustedKeys:
    """A set of trusted public keys, looked up by key id."""

    def __init__(self, keys: Iterable[TrustedKey] = ()) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for key in keys:
            self.add(key)

    def add(self, key: TrustedKey) -> None:
        self._keys[key.kid] = key

    def get(self, kid: str) -> TrustedKey | None:
        return self._keys.get(kid)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True)
class Verified:
    """A verified envelope: the payload and who signed it, when."""

    payload: Any
    key: TrustedKey
    created: datetime
    expires: datetime | None

    @property
    def kid(self) -> str:
        return self.key.kid


def _signing_input(payload: Any, header: Mapping[str, Any]) -> bytes:
    unsigned = {k: v for k, v in header.items() if k != "sig"}
    return canonicalize({"payload": payload, "signature": unsigned})


def sign_document(
    payload: Any,
    key: SigningKey,
    *,
    typ: str,
    created: datetime | None = None,
    expires: datetime | None = None,
) -> dict[str, Any]:
    """Sign ``payload`` (any JSON value) and return the envelope."""
    header: dict[str, Any] = {
        "alg": ALG,
        "kid": key.kid,
        "typ": typ,
        "created": utc_iso(created or utcnow()),
        "expires": utc_iso(expires) if expires else None,
    }
    signature = key.private.sign(_signing_input(payload, header))
    return {"payload": payload, "signature": {**header, "sig": b64url_encode(signature)}}


def _parse_header(envelope: Any) -> tuple[Any, dict[str, Any], bytes, datetime, datetime | None]:
    if not isinstance(envelope, Mapping):
        raise integrity_error("malformed", "envelope must be a JSON object")
    if set(envelope) != {"payload", "signature"}:
        raise integrity_error("malformed", "envelope must have exactly 'payload' and 'signature'")
    header = envelope["signature"]
    if not isinstance(header, Mapping):
        raise integrity_error("malformed", "signature must be a JSON object")
    missing = sorted(_HEADER_FIELDS - {"expires"} - set(header))
    if missing:
        raise integrity_error("malformed", f"signature lacks {', '.join(missing)}")
    extra = sorted(set(header) - _HEADER_FIELDS)
    if extra:
        raise integrity_error("malformed", f"signature has unknown fields {', '.join(extra)}")
    for name in ("alg", "kid", "typ", "sig"):
        if not isinstance(header[name], str):
            raise integrity_error("malformed", f"signature.{name} must be a string")
    try:
        sig = b64url_decode(header["sig"], "signature.sig", length=64)
        created = parse_utc(header["created"], "signature.created")
        raw_expires = header.get("expires")
        expires = None if raw_expires is None else parse_utc(raw_expires, "signature.expires")
    except ValueError as exc:
        raise integrity_error("malformed", str(exc)) from exc
    return envelope["payload"], dict(header), sig, created, expires


def verify_document(
    envelope: Any,
    trusted: TrustedKeys | Iterable[TrustedKey],
    *,
    typ: str,
    owner: str | None = None,
    now: datetime | None = None,
    skew: timedelta = DEFAULT_SKEW,
) -> Verified:
    """Verify an envelope against trusted keys; IntegrityError naming the fault otherwise.

    ``owner``, when given, is who must have signed (e.g. the provider a report names):
    a valid signature by anyone else's key is the ``wrong-key`` fault.
    """
    keys = trusted if isinstance(trusted, TrustedKeys) else TrustedKeys(trusted)
    payload, header, sig, created, expires = _parse_header(envelope)
    if header["typ"] != typ:
        raise integrity_error("wrong-type", f"document is {header['typ']!r}, expected {typ!r}")
    if header["alg"] != ALG:
        raise integrity_error("unsupported-algorithm", f"{header['alg']!r} is not {ALG}")
    key = keys.get(header["kid"])
    if key is None:
        raise integrity_error("unknown-key", f"no trusted key with id {header['kid']!r}")
    try:
        key.public.verify(sig, _signing_input(payload, header))
    except (InvalidSignature, CanonicalizationError) as exc:
        raise integrity_error(
            "bad-signature", f"signature by key {key.kid} does not match the document"
        ) from exc
    if owner is not None and key.owner != owner:
        raise integrity_error(
            "wrong-key", f"signed with key {key.kid} of {key.owner!r}, not a key of {owner!r}"
        )
    now = now or utcnow()
    if key.not_before is not None and created < key.not_before:
        raise integrity_error(
            "not-yet-valid", f"key {key.kid} is valid only from {utc_iso(key.not_before)}"
        )
    if key.not_after is not None and max(created, now) > key.not_after:
        raise integrity_error("expired", f"key {key.kid} expired at {utc_iso(key.not_after)}")
    if created > now + skew:
        raise integrity_error("not-yet-valid", f"signed in the future ({utc_iso(created)})")
    if expires is not None and now > expires:
        raise integrity_error("expired", f"signature expired at {utc_iso(expires)}")
    return Verified(payload=payload, key=key, created=created, expires=expires)


def signed_type(envelope: Any) -> str | None:
    """The ``typ`` an envelope claims (unverified), or None if it has none."""
    if isinstance(envelope, Mapping) and isinstance(envelope.get("signature"), Mapping):
        typ = envelope["signature"].get("typ")
        return typ if isinstance(typ, str) else None
    return None


__all__ = [
    "ALG",
    "FAULTS",
    "SigningKey",
    "TrustedKey",
    "TrustedKeys",
    "Verified",
    "key_id",
    "sign_document",
    "signed_type",
    "verify_document",
]
