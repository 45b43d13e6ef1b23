"""Content sealed for the centre: only the holder of the centre's X25519 key can open it.

Hybrid encryption (the ECIES/HPKE pattern, base mode):

1. a fresh ephemeral X25519 key pair per sealed item; ECDH with the centre's public key;
2. HKDF-SHA256 over the shared secret, ``info = "childshield/seal/v1" || epk || centre pk``,
   gives a one-time 256-bit key;
3. AES-256-GCM with a random 96-bit nonce; the associated data is the RFC 8785 form of
   ``{"alg", "kid", "epk", "context"}``, where ``context`` binds the box to where it belongs
   (the report id): a box moved into another report, or any edited byte, does not open.

A sealed box is JSON: ``{"alg", "kid", "epk", "nonce", "ct"}`` (binary fields base64url).
``kid`` is the centre key's id (same derivation as signing keys), so a centre can rotate its
sealing key and still tell which one a box needs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from childshield._optional import require

require("cryptography")

from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import (  # noqa: E402
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402
from cryptography.hazmat.primitives.serialization import (  # noqa: E402
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from childshield.crypto.canonical import canonicalize  # noqa: E402
from childshield.crypto.encoding import (  # noqa: E402
    b64encode,
    b64url_decode,
    b64url_encode,
    configured_key,
    integrity_error,
)
from childshield.crypto.signing import key_id  # noqa: E402

SEAL_ALG = "X25519-HKDF-SHA256-A256GCM"
_INFO = b"childshield/seal/v1"


class SealedBox(BaseModel):
    """Ciphertext that only the centre can open (all binary fields base64url, unpadded)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    alg: Literal["X25519-HKDF-SHA256-A256GCM"]
    kid: str
    epk: str
    nonce: str
    ct: str


def _raw_public(public: X25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class SealingPublicKey:
    """The centre's X25519 public key, as providers hold it."""

    public: X25519PublicKey

    @classmethod
    def from_base64(cls, text: str, what: str = "centre public key") -> SealingPublicKey:
        raw = configured_key(text, what)
        return cls(X25519PublicKey.from_public_bytes(raw))

    @property
    def raw(self) -> bytes:
        return _raw_public(self.public)

    @property
    def kid(self) -> str:
        return key_id(self.raw)

    def to_base64(self) -> str:
        return b64encode(self.raw)


@dataclass(frozen=True)
class SealingKey:
    """The centre's X25519 private key (opens sealed boxes)."""

    private: X25519PrivateKey

    @classmethod
    def generate(cls) -> SealingKey:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_base64(cls, text: str, what: str = "centre private key") -> SealingKey:
        raw = configured_key(text, what)
        return cls(X25519PrivateKey.from_private_bytes(raw))

    def to_base64(self) -> str:
        return b64encode(
            self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        )

    @property
    def public_key(self) -> SealingPublicKey:
        return SealingPublicKey(self.private.public_key())

    @property
    def kid(self) -> str:
        return self.public_key.kid

    def __repr__(self) -> str:  # never print key material
        return f"SealingKey(kid={self.kid!r})"


def _derive(shared: bytes, epk: bytes, recipient: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO + epk + recipient)
    return hkdf.derive(shared)


def _aad(kid: str, epk: str, context: str) -> bytes:
    return canonicalize({"alg": SEAL_ALG, "kid": kid, "epk": epk, "context": context})


def seal(plaintext: bytes, recipient: SealingPublicKey, *, context: str) -> SealedBox:
    """Encrypt ``plaintext`` for the holder of ``recipient``, bound to ``context``."""
    ephemeral = X25519PrivateKey.generate()
    epk = _raw_public(ephemeral.public_key())
    key = _derive(ephemeral.exchange(recipient.public), epk, recipient.raw)
    nonce = os.urandom(12)
    epk_text = b64url_encode(epk)
    ct = AESGCM(key).encrypt(nonce, plaintext, _aad(recipient.kid, epk_text, context))
    return SealedBox(
        alg=SEAL_ALG,
        kid=recipient.kid,
        epk=epk_text,
        nonce=b64url_encode(nonce),
        ct=b64url_encode(ct),
    )


def open_sealed(box: SealedBox | Mapping[str, Any], key: SealingKey, *, context: str) -> bytes:
    """Decrypt a sealed box; IntegrityError naming the fault if it cannot be opened."""
    if not isinstance(box, SealedBox):
        try:
            box = SealedBox.model_validate(box)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'box'}: {e['msg']}" for e in exc.errors()
            )
            raise integrity_error("malformed", f"sealed box: {problems}") from exc
    if box.kid != key.kid:
        raise integrity_error("wrong-key", f"sealed for key {box.kid}, but this key is {key.kid}")
    try:
        epk = b64url_decode(box.epk, "sealed box epk", length=32)
        nonce = b64url_decode(box.nonce, "sealed box nonce", length=12)
        ct = b64url_decode(box.ct, "sealed box ct")
    except ValueError as exc:
        raise integrity_error("malformed", str(exc)) from exc
    if len(ct) < 16:
        raise integrity_error("malformed", "sealed box ct is shorter than its tag")
    try:
        shared = key.private.exchange(X25519PublicKey.from_public_bytes(epk))
    except ValueError as exc:  # low-order point: all-zero shared secret
        raise integrity_error("malformed", "sealed box epk is not a usable X25519 key") from exc
    aes_key = _derive(shared, epk, key.public_key.raw)
    try:
        return AESGCM(aes_key).decrypt(nonce, ct, _aad(box.kid, box.epk, context))
    except InvalidTag as exc:
        raise integrity_error(
            "tampered",
            f"sealed content does not open for {context!r}: altered, or sealed for another context",
        ) from exc


__all__ = ["SEAL_ALG", "SealedBox", "SealingKey", "SealingPublicKey", "open_sealed", "seal"]
