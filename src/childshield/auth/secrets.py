"""Secret material: API keys, session tokens, passwords.

API key format: ``csk_<prefix>_<secret>`` where ``prefix`` is 12 hex digits (stored in
clear, for lookup and for naming the key in logs) and ``secret`` is 32 random bytes in
base64url. Only SHA-256 of the whole key is stored: with 256 bits of entropy a fast hash
is as safe as a slow one, and it keeps every API call cheap. Passwords are argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from childshield._optional import require

KEY_PATTERN = re.compile(r"^csk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str
    """The whole key, shown once."""
    sha256: str


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_api_key() -> NewKey:
    prefix = secrets.token_hex(6)
    whole = f"csk_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix, whole, sha256_hex(whole))


def key_prefix(presented: str) -> str | None:
    """The prefix of a well-formed key, or None for anything else."""
    match = KEY_PATTERN.match(presented)
    return match.group(1) if match else None


def key_matches(presented: str, stored_sha256: str) -> bool:
    return hmac.compare_digest(sha256_hex(presented), stored_sha256)


def new_token() -> str:
    """A session token or CSRF token: 32 random bytes, base64url."""
    return secrets.token_urlsafe(32)


def _hasher() -> Any:
    argon2 = require("argon2")
    return argon2.PasswordHasher()


def hash_password(password: str) -> str:
    return str(_hasher().hash(password))


def check_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches; spends the same time when there is no user."""
    argon2 = require("argon2")
    hasher = _hasher()
    try:
        return bool(hasher.verify(stored or _DUMMY.value(hasher), password))
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


class _Dummy:
    _hash: str | None = None

    def value(self, hasher: Any) -> str:
        if self._hash is None:
            self._hash = str(hasher.hash(secrets.token_hex(16)))
        return self._hash


_DUMMY = _Dummy()


__all__ = [
    "KEY_PATTERN",
    "MIN_PASSWORD_LENGTH",
    "NewKey",
    "check_password",
    "hash_password",
    "key_matches",
    "key_prefix",
    "new_api_key",
    "new_token",
    "sha256_hex",
]
