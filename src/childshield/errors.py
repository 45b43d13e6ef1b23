"""One exception tree for the whole package.

Every error a user can cause or see derives from :class:`ChildshieldError`. Each class
carries the HTTP status and the stable problem ``type`` slug used by the API
(RFC 9457 problem+json, ``https://childshield.dev/problems/<slug>``) and the CLI exit
code. Only errors with ``safe = True`` have their message shown to remote clients;
anything else is reported as an internal error with no detail.

    ChildshieldError
    ├── InputError                    400  bad input the user can fix (safe)
    │   ├── MalformedRequestError     400  unparseable JSON, bad header, bad Content-Length
    │   ├── InvalidRequestError       422  the request does not match the schema (has .errors)
    │   ├── PayloadTooLargeError      413  request body over the configured limit
    │   ├── MethodNotAllowedError     405  the path exists, the method does not
    │   ├── IdempotencyKeyReusedError 422  an Idempotency-Key reused with a different request
    │   ├── MediaError                422  a file could not be turned into signals
    │   │   ├── UnsupportedMediaError 415  not an image/video format we read
    │   │   ├── CorruptMediaError     422  truncated, corrupt or zero-byte file
    │   │   └── MediaTooLargeError    413  decompression bomb, absurd dimensions, oversize
    │   ├── SignalValueError          422  a hash of the wrong length or alphabet
    │   └── ImportFormatError         422  a malformed line in an indicator file (has .line)
    ├── NotFoundError                 404  bank, indicator, case... (or not visible to tenant)
    ├── ConflictError                 409  already exists / state does not allow it
    ├── AuthenticationError           401  missing or wrong credentials
    ├── PermissionDeniedError         403  authenticated, but the role does not allow it
    ├── RateLimitedError              429  too many requests (``retry_after`` seconds)
    ├── IntegrityError                422  signature invalid, list tampered with, out of scope
    ├── DependencyMissingError        500  an optional extra is not installed (says which)
    └── ConfigurationError            500  settings are wrong (says which)
"""

from __future__ import annotations

PROBLEM_BASE = "https://childshield.dev/problems/"


class ChildshieldError(Exception):
    """Base of every error childshield raises on purpose."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal error"
    safe: bool = False

    def __init__(self, message: str = "", **extra: object) -> None:
        super().__init__(message or self.title)
        self.message = message or self.title
        self.extra = extra

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + self.slug


class InputError(ChildshieldError):
    status, slug, title, safe = 400, "bad-input", "Bad input", True


class MalformedRequestError(InputError):
    status, slug, title = 400, "malformed-request", "Malformed request"


class InvalidRequestError(InputError):
    status, slug, title = 422, "invalid-request", "Request validation failed"

    def __init__(
        self, message: str = "", errors: list[dict[str, object]] | None = None, **extra: object
    ) -> None:
        super().__init__(message, **extra)
        self.errors = errors or []


class PayloadTooLargeError(InputError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class MethodNotAllowedError(InputError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class IdempotencyKeyReusedError(InputError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused"


class MediaError(InputError):
    status, slug, title = 422, "unreadable-media", "Media could not be read"


class UnsupportedMediaError(MediaError):
    status, slug, title = 415, "unsupported-media", "Unsupported media type"


class CorruptMediaError(MediaError):
    status, slug, title = 422, "corrupt-media", "Corrupt or truncated media"


class MediaTooLargeError(MediaError):
    status, slug, title = 413, "media-too-large", "Media too large"


class SignalValueError(InputError):
    status, slug, title = 422, "bad-signal-value", "Malformed signal value"


class ImportFormatError(InputError):
    status, slug, title = 422, "bad-import-line", "Malformed indicator file"

    def __init__(self, message: str, line: int | None = None, **extra: object) -> None:
        if line is not None:
            message = f"line {line}: {message}"
        super().__init__(message, line=line, **extra)
        self.line = line


class NotFoundError(ChildshieldError):
    status, slug, title, safe = 404, "not-found", "Not found", True


class ConflictError(ChildshieldError):
    status, slug, title, safe = 409, "conflict", "Conflict", True


class RateLimitedError(ChildshieldError):
    """Too many requests; ``extra["retry_after"]`` (seconds) becomes ``Retry-After``."""

    status, slug, title, safe = 429, "rate-limited", "Too many requests", True


class AuthenticationError(ChildshieldError):
    status, slug, title, safe = 401, "unauthenticated", "Authentication required", True


class PermissionDeniedError(ChildshieldError):
    status, slug, title, safe = 403, "forbidden", "Forbidden", True


class IntegrityError(ChildshieldError):
    status, slug, title, safe = 422, "integrity", "Integrity check failed", True


class DependencyMissingError(ChildshieldError):
    status, slug, title, safe = 500, "dependency-missing", "Optional dependency missing", True


class ConfigurationError(ChildshieldError):
    status, slug, title, safe = 500, "configuration", "Configuration error", True


__all__ = [
    "PROBLEM_BASE",
    "AuthenticationError",
    "ChildshieldError",
    "ConfigurationError",
    "ConflictError",
    "CorruptMediaError",
    "DependencyMissingError",
    "IdempotencyKeyReusedError",
    "ImportFormatError",
    "InputError",
    "IntegrityError",
    "InvalidRequestError",
    "MalformedRequestError",
    "MediaError",
    "MediaTooLargeError",
    "MethodNotAllowedError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "SignalValueError",
    "UnsupportedMediaError",
]
