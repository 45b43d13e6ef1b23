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

Large evidence (videos up to gigabytes; one AES-GCM call is limited to 2 GiB and would need
it all in memory) goes through :meth:`EvidenceKeyring.encrypt_stream`, the STREAM
construction (Hoang et al., 2015) over 1 MiB segments::

    b"CSS1" | len(kid) | kid | nonce prefix (7) | segment size (4, big-endian)
    then per segment: AES-GCM(nonce = prefix | counter (4) | last (1)) of <= segment bytes

The counter stops segments being reordered or repeated and the last-segment flag stops
truncation; the header and ``aad`` are authenticated with every segment.
"""

from __future__ import annotations

import os
import re
import secrets
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from childshield._optional import require

require("cryptography")

from cryptography.exceptions import InvalidTag  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from childshield.crypto.encoding import b64decode, b64encode, integrity_error  # noqa: E402
from childshield.errors import ConfigurationError  # noqa: E402

MAGIC = b"CSE1"
STREAM_MAGIC = b"CSS1"
SEGMENT = 1 << 20
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

    # --- streams (large evidence) ---------------------------------------------------------

    def _write_segments(
        self, chunks: Iterator[bytes], dst: BinaryIO, aad: bytes, segment: int
    ) -> int:
        """Encrypt chunks (all but the last exactly ``segment`` bytes) as a stream."""
        if not 1 <= segment <= 1 << 30:
            raise ValueError("segment size must be between 1 byte and 1 GiB")
        kid = self._current.kid.encode("ascii")
        prefix = os.urandom(7)
        header = STREAM_MAGIC + bytes([len(kid)]) + kid + prefix + struct.pack(">I", segment)
        dst.write(header)
        aead, total, counter = AESGCM(self._current.key), 0, 0
        chunk = next(chunks, b"")
        while True:
            following = next(chunks, None)
            last = following is None
            nonce = prefix + struct.pack(">IB", counter, 1 if last else 0)
            dst.write(aead.encrypt(nonce, chunk, header + aad))
            total += len(chunk)
            if following is None:
                return total
            chunk, counter = following, counter + 1

    def encrypt_stream(
        self, src: BinaryIO, dst: BinaryIO, aad: bytes = b"", *, segment: int = SEGMENT
    ) -> int:
        """Encrypt ``src`` into ``dst`` with the current key; returns plaintext bytes."""
        chunks = iter(lambda: src.read(segment), b"")
        return self._write_segments(chunks, dst, aad, segment)

    @staticmethod
    def _stream_header(src: BinaryIO) -> tuple[bytes, str, bytes, int]:
        start = src.read(5)
        if len(start) < 5 or start[:4] != STREAM_MAGIC:
            raise integrity_error("malformed", "not an evidence stream (bad magic)")
        size = start[4]
        rest = src.read(size + 11)
        if size == 0 or len(rest) != size + 11:
            raise integrity_error("malformed", "evidence stream header is truncated")
        try:
            kid = rest[:size].decode("ascii")
        except UnicodeDecodeError as exc:
            raise integrity_error("malformed", "evidence stream key id is not ASCII") from exc
        prefix = rest[size : size + 7]
        (segment,) = struct.unpack(">I", rest[size + 7 :])
        if not 1 <= segment <= 1 << 30:
            raise integrity_error("malformed", "evidence stream segment size is out of range")
        return start + rest, kid, prefix, segment

    def _read_segments(self, src: BinaryIO, aad: bytes) -> tuple[int, Iterator[bytes]]:
        """The stream's segment size and an iterator over its authenticated plaintext."""
        header, kid, prefix, segment = self._stream_header(src)
        key = self._keys.get(kid)
        if key is None:
            raise ConfigurationError(
                f"evidence was encrypted with key {kid!r}, which is not in {ENV_VAR}"
            )

        def segments() -> Iterator[bytes]:
            aead, counter = AESGCM(key.key), 0
            block = src.read(segment + 16)
            while True:
                following = src.read(segment + 16) if len(block) == segment + 16 else b""
                last = not following
                nonce = prefix + struct.pack(">IB", counter, 1 if last else 0)
                try:
                    yield aead.decrypt(nonce, block, header + aad)
                except InvalidTag as exc:
                    raise integrity_error(
                        "tampered",
                        f"evidence stream segment {counter} does not decrypt: altered, "
                        "truncated, or bound to another record",
                    ) from exc
                if last:
                    return
                block, counter = following, counter + 1

        return segment, segments()

    def decrypt_stream(self, src: BinaryIO, dst: BinaryIO, aad: bytes = b"") -> int:
        """Decrypt a stream into ``dst``; returns plaintext bytes.

        On IntegrityError part of the plaintext may already be in ``dst``: discard it
        (write to a temporary file and rename it into place only on success).
        """
        total = 0
        for plain in self._read_segments(src, aad)[1]:
            dst.write(plain)
            total += len(plain)
        return total

    def rewrap_stream(self, src: BinaryIO, dst: BinaryIO, aad: bytes = b"") -> int:
        """Re-encrypt a stream under the current key, segment by segment (no plaintext
        is ever written anywhere)."""
        segment, plain = self._read_segments(src, aad)
        return self._write_segments(plain, dst, aad, segment)

    @classmethod
    def stream_key_id(cls, src: BinaryIO) -> str:
        """The key id of an evidence stream (reads its header)."""
        return cls._stream_header(src)[1]


__all__ = ["ENV_VAR", "MAGIC", "SEGMENT", "STREAM_MAGIC", "EvidenceKey", "EvidenceKeyring"]
