"""The indicator as it travels between files and banks, and the rules for its values.

A record is what one line of an indicator file carries: the signal and its value, the media
type, provenance and status, and (for PDQ) the hashes the near-duplicate index searches.
Formats (:mod:`childshield.exchange.pytx_format`, :mod:`childshield.exchange.jsonl`) turn
lines into records and back; the bank service stores them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from childshield.errors import ImportFormatError

SIGNALS = ("pdq", "md5", "sha256", "vpdq", "url")
MEDIA = ("image", "video")
_HEX_LENGTH = {"pdq": 64, "md5": 32, "sha256": 64}
_HEX = re.compile(r"[0-9a-f]+")
MAX_URL_LENGTH = 2048
MAX_LABEL_LENGTH = 256
MAX_REPORTED_ERRORS = 50


@dataclass(frozen=True, slots=True)
class HashRecord:
    """One PDQ hash of an indicator: the full image, a robustness variant or a video frame."""

    value: str
    variant: str = "full"
    frame: int | None = None
    time: float | None = None
    quality: int | None = None


@dataclass(frozen=True, slots=True)
class IndicatorRecord:
    """One indicator with provenance, as read from or written to an indicator file."""

    signal: str
    value: str
    media: str | None = None
    status: str = "active"
    source: str | None = None
    submitted_by: str | None = None
    created_at: datetime | None = None
    how_generated: str | None = None
    note: str | None = None
    withdrawn_at: datetime | None = None
    withdrawn_reason: str | None = None
    hashes: tuple[HashRecord, ...] = field(default_factory=tuple)
    id: int | None = None
    bank: str | None = None

    def index_hashes(self) -> tuple[HashRecord, ...]:
        """The hashes to index: the given ones, or for a PDQ indicator its value as ``full``."""
        if self.hashes:
            return self.hashes
        if self.signal == "pdq":
            return (HashRecord(self.value, "full"),)
        return ()


def normalise_hex(signal: str, value: str) -> str:
    """Lower-case ``value`` and check it is a hex digest of the right length for ``signal``.

    Raises ValueError with a message naming what is wrong (used as the per-line error).
    """
    expected = _HEX_LENGTH[signal]
    text = value.strip().lower()
    if len(text) != expected:
        raise ValueError(
            f"{signal} value must be {expected} hex digits, got {len(text)} characters"
        )
    if not _HEX.fullmatch(text):
        bad = next(c for c in text if c not in "0123456789abcdef")
        raise ValueError(f"{signal} value must be hex digits, found {bad!r}")
    return text


def normalise_value(signal: str, value: str) -> str:
    """The canonical form of ``value`` for ``signal`` (ValueError naming the problem)."""
    if signal not in SIGNALS:
        raise ValueError(f"unknown signal {signal!r} (expected one of {', '.join(SIGNALS)})")
    if signal in _HEX_LENGTH:
        return normalise_hex(signal, value)
    text = value.strip()
    if not text:
        raise ValueError(f"empty {signal} value")
    limit = MAX_URL_LENGTH if signal == "url" else MAX_LABEL_LENGTH
    if len(text) > limit or any(c.isspace() for c in text):
        raise ValueError(f"{signal} value must be one token of at most {limit} characters")
    return text


def check_record(record: IndicatorRecord) -> IndicatorRecord:
    """Validate a whole record (ValueError naming the first problem)."""
    if record.media is not None and record.media not in MEDIA:
        raise ValueError(f"unknown media {record.media!r} (expected image or video)")
    if record.status not in ("active", "withdrawn"):
        raise ValueError(f"unknown status {record.status!r} (expected active or withdrawn)")
    for item in record.hashes:
        normalise_hex("pdq", item.value)
        if item.quality is not None and not 0 <= item.quality <= 100:
            raise ValueError(f"hash quality must be 0..100, got {item.quality}")
    if record.signal == "vpdq" and not record.hashes:
        raise ValueError("a vpdq indicator needs its frame hashes")
    return record


def read_records(
    lines: Iterable[str], parse: Callable[[str], IndicatorRecord | None]
) -> list[IndicatorRecord]:
    """Parse every line with ``parse`` (None = skip). All malformed lines are collected and
    reported in one ImportFormatError, so a file with a bad line imports nothing."""
    records: list[IndicatorRecord] = []
    errors: list[tuple[int, str]] = []
    for number, text in enumerate(lines, start=1):
        try:
            record = parse(text)
        except ValueError as exc:
            errors.append((number, str(exc)))
            continue
        if record is not None:
            records.append(record)
    if errors:
        raise import_error(errors)
    return records


def check_lines(lines: Iterable[str], parse: Callable[[str], IndicatorRecord | None]) -> int:
    """Validate every line without keeping the records (pass one of a streamed import):
    the number of records, or one ImportFormatError naming every malformed line."""
    count = 0
    errors: list[tuple[int, str]] = []
    for number, text in enumerate(lines, start=1):
        try:
            count += parse(text) is not None
        except ValueError as exc:
            errors.append((number, str(exc)))
    if errors:
        raise import_error(errors)
    return count


def stream_records(
    lines: Iterable[str], parse: Callable[[str], IndicatorRecord | None]
) -> Iterator[IndicatorRecord]:
    """Records one at a time (pass two of a streamed import); the first malformed line
    raises ImportFormatError (the file changed since it was checked)."""
    for number, text in enumerate(lines, start=1):
        try:
            record = parse(text)
        except ValueError as exc:
            raise import_error([(number, str(exc))]) from None
        if record is not None:
            yield record


def import_error(errors: list[tuple[int, str]]) -> ImportFormatError:
    """One error for all malformed lines: the first few in the message, up to 50 in
    ``.extra["errors"]`` as ``{"line", "error"}`` objects, ``.line`` the first."""
    first_line, first_message = errors[0]
    listed = [{"line": n, "error": m} for n, m in errors[:MAX_REPORTED_ERRORS]]
    if len(errors) == 1:
        return ImportFormatError(first_message, line=first_line, errors=listed)
    shown = "; ".join(f"line {n}: {m}" for n, m in errors[:5])
    more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
    error = ImportFormatError(
        f"{len(errors)} malformed lines, nothing imported: {shown}{more}", errors=listed
    )
    error.line = first_line
    return error


__all__ = [
    "MEDIA",
    "SIGNALS",
    "HashRecord",
    "IndicatorRecord",
    "check_lines",
    "check_record",
    "import_error",
    "normalise_hex",
    "normalise_value",
    "read_records",
    "stream_records",
]
