"""Evidence encryption at rest: AES-256-GCM with named keys and rotation.

Keys come from the environment only (``CHILDSHIELD_EVIDENCE_KEYS``), as a comma-separated
list of ``kid:base64key`` (32-byte keys), oldest first. The **last** key is the current
one: every new encryption uses it; older keys stay listed so existing ciphertexts still
decrypt, until :meth:`EvidenceKeyring.rewrap` has moved them to the current key and the
old key can be dropped from the list.

Ciphertext layout (binary, self-describing)::

    b"CSE1" | len(kid) (1 byte) | kid (ASCII) | nonce (12 bytes) | AES-GCM ciphertext+tag

The header and the caller's associated data (e.g. the evidence id) are authenticated, so a
blob copied onto another record, or with a key id swapped, does not decrypt.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from childshield._optional import require

require("cryptography")

from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from childshield.crypto.encoding import b64decode, b64encode, integrity_error  # noqa: E402
from childshield.errors import ConfigurationError  # noqa: E402

MAGIC = b"CSE1"
ENV_VAR = "CHILDSHIELD_EVIDENCE_KEYS"
_KID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class EvidenceKey:
    """One named 256-bit AES key."""

    kid: str
    key: bytes

    def __post_init__(self) -> None:
        if not _KID.fullmatch(self.kid):
            raise ConfigurationError(
                f"evidence key id {self.kid!r} must be 1-64 of A-Z a-z 0-9 . _ -"
            )
        if len(self.key) != 32:
            raise ConfigurationError(f"evidence key {self.kid!r} must be 32 bytes")

    @classmethod
    def generate(cls, kid: str | None = None) -> EvidenceKey:
        return cls(kid or f"ek-{secrets.token_hex(4)}", os.urandom(32))

    def to_spec(self) -> str:
        """``kid:base64`` as it goes into CHILDSHIELD_EVIDENCE_KEYS."""
        return f"{self.kid}:{b64encode(self.key)}"

    def __repr__(self) -> str:  # never print key material
        return f"EvidenceKey(kid={self.kid!r})"


class EvidenceKeyring:
    """Encrypts with the newest key; decrypts with whichever key a ciphertext names."""

    def __init__(self, keys: Sequence[EvidenceKey]) -> None:
        if not keys:
            raise ConfigurationError(f"no evidence keys: set {ENV_VAR} (kid:base64key,...)")
        self._keys: dict[str, EvidenceKey] = {}
        for key in keys:
            if key.kid in self._keys:
                raise ConfigurationError(f"evidence key id {key.kid!r} is listed twice")
            self._keys[key.kid] = key
        self._current = keys[-1]

    @classmethod
    def parse(cls, spec: str) -> EvidenceKeyring:
        """From ``kid:base64,kid:base64`` (oldest first; the last one is current)."""
        keys = []
        for n, item in enumerate(part.strip() for part in spec.split(",")):
            if not item:
                continue
            kid, sep, material = item.partition(":")
            if not sep:
                raise ConfigurationError(f"{ENV_VAR} item {n + 1} is not kid:base64key")
            try:
                raw = b64decode(material, f"{ENV_VAR} key {kid!r}", length=32)
            except ValueError as exc:
                raise ConfigurationError(str(exc)) from exc
            keys.append(EvidenceKey(kid.strip(), raw))
        return cls(keys)

    @classmethod
    def from_settings(cls) -> EvidenceKeyring:
        """The keyring configured in CHILDSHIELD_EVIDENCE_KEYS."""
        from childshield.settings import get_settings

        secret = get_settings().evidence_keys
        if secret is None:
            raise ConfigurationError(f"no evidence keys: set {ENV_VAR} (kid:base64key,...)")
        return cls.parse(secret.get_secret_value())

    @property
    def current_kid(self) -> str:
        return self._current.kid

    @property
    def kids(self) -> list[str]:
        return list(self._keys)

    @staticmethod
    def _header(kid: str) -> bytes:
        raw = kid.encode("ascii")
        return MAGIC + bytes([len(raw)]) + raw

    def encrypt(self, plaintext: bytes, aad: bytes = b"") -> bytes:
        """Encrypt with the current key; ``aad`` must be given again to decrypt."""
        header = self._header(self._current.kid)
        nonce = os.urandom(12)
        return header + nonce + AESGCM(self._current.key).encrypt(nonce, plaintext, header + aad)

    @staticmethod
    def key_id_of(blob: bytes) -> str:
        """The key id a ciphertext was made with (IntegrityError if it is not one)."""
        if len(blob) < 6 or blob[:4] != MAGIC:
            raise integrity_error("malformed", "not an evidence ciphertext (bad magic)")
        size = blob[4]
        if size == 0 or len(blob) < 5 + size + 12 + 16:
            raise integrity_error("malformed", "evidence ciphertext is truncated")
        try:
            return blob[5 : 5 + size].decode("ascii")
        except UnicodeDecodeError as exc:
            raise integrity_error("malformed", "evidence ciphertext key id is not ASCII") from exc

    def decrypt(self, blob: bytes, aad: bytes = b"") -> bytes:
        """Decrypt a ciphertext made with any key still in the ring."""
        kid = self.key_id_of(blob)
        key = self._keys.get(kid)
        if key is None:
            raise ConfigurationError(
                f"evidence was encrypted with key {kid!r}, which is not in {ENV_VAR}"
            )
        start = 5 + len(kid)
        nonce, body = blob[start : start + 12], blob[start + 12 :]
        try:
            return AESGCM(key.key).decrypt(nonce, body, blob[:start] + aad)
        except InvalidTag as exc:
            raise integrity_error(
                "tampered", "evidence does not decrypt: altered, or bound to another record"
            ) from exc

    def needs_rewrap(self, blob: bytes) -> bool:
        return self.key_id_of(blob) != self._current.kid

    def rewrap(self, blob: bytes, aad: bytes = b"") -> bytes:
        """Re-encrypt under the current key (returned unchanged if it already uses it)."""
        if not self.needs_rewrap(blob):
            return blob
        return self.encrypt(self.decrypt(blob, aad), aad)


__all__ = ["ENV_VAR", "MAGIC", "EvidenceKey", "EvidenceKeyring"]
