"""Exit codes of the ``childshield`` command, one enum (documented in docs/cli.md)."""

from __future__ import annotations

from enum import IntEnum

from childshield.errors import (
    AuthenticationError,
    ChildshieldError,
    ConfigurationError,
    ConflictError,
    DependencyMissingError,
    InputError,
    IntegrityError,
    NotFoundError,
    PermissionDeniedError,
)


class ExitCode(IntEnum):
    OK = 0
    """Everything worked."""
    ITEM_ERRORS = 1
    """The batch completed, but some items (files, lines, hashes) had errors; see their output."""
    USAGE = 2
    """Wrong command-line usage (Typer/Click's own code)."""
    BAD_INPUT = 3
    """The input as a whole was rejected (malformed file, bad hash, nothing imported)."""
    NOT_FOUND = 4
    """A named bank, indicator, case or file does not exist."""
    CONFLICT = 5
    """The thing already exists, or its state does not allow the action."""
    INTEGRITY = 6
    """A signature or checksum did not verify; nothing was loaded."""
    AUTH = 7
    """Missing or wrong credentials, or not allowed."""
    CONFIG = 8
    """Bad settings or a missing optional dependency (the message says what to install)."""
    INTERNAL = 70
    """A bug: please report it with the traceback."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C; resumable commands pick up where they stopped."""


def exit_code_for(error: BaseException) -> ExitCode:
    """Map an exception to the exit code the CLI returns for it."""
    table: list[tuple[type[ChildshieldError], ExitCode]] = [
        (InputError, ExitCode.BAD_INPUT),
        (NotFoundError, ExitCode.NOT_FOUND),
        (ConflictError, ExitCode.CONFLICT),
        (IntegrityError, ExitCode.INTEGRITY),
        (AuthenticationError, ExitCode.AUTH),
        (PermissionDeniedError, ExitCode.AUTH),
        (DependencyMissingError, ExitCode.CONFIG),
        (ConfigurationError, ExitCode.CONFIG),
    ]
    for kind, code in table:
        if isinstance(error, kind):
            return code
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.INTERNAL


__all__ = ["ExitCode", "exit_code_for"]
