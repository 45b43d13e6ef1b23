"""Small encodings shared by the crypto modules: base64 flavours and UTC timestamps."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from childshield.errors import IntegrityError


def integrity_error(fault: str, message: str) -> IntegrityError:
    """An IntegrityError naming its fault (``extra["fault"]``, also in the message)."""
    return IntegrityError(f"{fault}: {message}", fault=fault)


def b64encode(data: bytes) -> str:
    """Standard base64 with padding (keys in environment variables)."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, what: str, *, length: int | None = None) -> bytes:
    """Decode standard base64 strictly; ValueError naming ``what`` on failure."""
    try:
        data = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not valid base64") from exc
    if length is not None and len(data) != length:
        raise ValueError(f"{what} must be {length} bytes, got {len(data)}")
    return data


def configured_key(text: str, what: str) -> bytes:
    """A 32-byte key from base64 settings text; ConfigurationError naming ``what``."""
    from childshield.errors import ConfigurationError

    try:
        return b64decode(text, what, length=32)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc


def b64url_encode(data: bytes) -> str:
    """URL-safe base64 without padding (signatures, sealed boxes), as in JWS."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, what: str, *, length: int | None = None) -> bytes:
    """Decode URL-safe base64 without padding strictly; ValueError naming ``what``."""
    if not isinstance(text, str) or "=" in text or any(c.isspace() for c in text):
        raise ValueError(f"{what} is not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not valid base64url") from exc
    if b64url_encode(data) != text:
        raise ValueError(f"{what} is not canonical base64url")
    if length is not None and len(data) != length:
        raise ValueError(f"{what} must be {length} bytes, got {len(data)}")
    return data


def utc_iso(moment: datetime) -> str:
    """``2026-11-28T23:59:18Z`` (microseconds kept when present); naive means UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_utc(text: object, what: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries a time zone; ValueError naming ``what``."""
    if not isinstance(text, str):
        raise ValueError(f"{what} must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{what} is not an ISO 8601 timestamp") from exc
    if moment.tzinfo is None:
        raise ValueError(f"{what} has no time zone")
    return moment.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "b64decode",
    "b64encode",
    "b64url_decode",
    "b64url_encode",
    "configured_key",
    "integrity_error",
    "parse_utc",
    "utc_iso",
    "utcnow",
]
