"""python-threatexchange's signal file format: one ``<signal type> <signal>`` a line.

This is what ``threatexchange hash`` prints and what its local-file exchange
(``LocalFileSignalExchangeAPI``) reads: the signal type name, one space, the signal string,
e.g. ``pdq 6c3a...`` (64 hex digits) or ``video_md5 cab0...`` (32 hex digits). Its names for
the types we handle:

========================  ==================  =====================================
pytx name                 childshield signal  media
========================  ==================  =====================================
``pdq``                   ``pdq``             image
``video_md5``             ``md5``             video
``video_sha256``          ``sha256``          video
``md5`` / ``sha256``      ``md5``/``sha256``  unknown (not pytx names; we accept and
                                              write them for non-video files)
``url``                   ``url``             none
========================  ==================  =====================================

Blank lines and lines starting with ``#`` are skipped. A file may also hold bare signals (as
pytx's file exchange allows with a collaboration ``signal_type``) when a default signal type
is given. The format carries no provenance or status: an export writes active indicators only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO

from childshield.exchange.indicator_record import IndicatorRecord, normalise_value, read_records

# pytx type name -> (our signal, media)
PYTX_TYPES: dict[str, tuple[str, str | None]] = {
    "pdq": ("pdq", "image"),
    "video_md5": ("md5", "video"),
    "video_sha256": ("sha256", "video"),
    "md5": ("md5", None),
    "sha256": ("sha256", None),
    "url": ("url", None),
}


_PLAIN_PDQ = re.compile(r"pdq ([0-9a-fA-F]{64})\s*")  # the common line, parsed in one step


def parse_line(text: str, default_type: str | None = None) -> IndicatorRecord | None:
    """One line to a record, None for a blank or comment line (ValueError naming the problem)."""
    plain = _PLAIN_PDQ.fullmatch(text)
    if plain is not None:
        return IndicatorRecord(signal="pdq", value=plain[1].lower(), media="image")
    line = text.strip()
    if not line or line.startswith("#"):
        return None
    words = line.split()
    if len(words) == 1:
        if default_type is None:
            raise ValueError("expected '<signal type> <hash>', found one word")
        type_name, value = default_type, words[0]
    elif len(words) == 2:
        type_name, value = words
    else:
        raise ValueError(f"expected '<signal type> <hash>', found {len(words)} words")
    mapped = PYTX_TYPES.get(type_name.lower())
    if mapped is None:
        raise ValueError(
            f"unsupported signal type {type_name!r} (supported: {', '.join(PYTX_TYPES)})"
        )
    signal, media = mapped
    return IndicatorRecord(signal=signal, value=normalise_value(signal, value), media=media)


def read_pytx(lines: Iterable[str], *, default_type: str | None = None) -> list[IndicatorRecord]:
    """Parse a whole file. Every malformed line is reported (line number and what is wrong)
    in one ImportFormatError, so nothing is imported from a file with a bad line."""
    return read_records(lines, lambda text: parse_line(text, default_type))


def format_line(record: IndicatorRecord) -> str | None:
    """The pytx line for an indicator, or None when the format cannot carry it (vpdq)."""
    if record.signal == "pdq":
        return f"pdq {record.value}"
    if record.signal in ("md5", "sha256"):
        prefix = "video_" if record.media == "video" else ""
        return f"{prefix}{record.signal} {record.value}"
    if record.signal == "url":
        return f"url {record.value}"
    return None


def write_pytx(records: Iterable[IndicatorRecord], out: TextIO) -> tuple[int, int]:
    """Write active indicators; returns (written, skipped: withdrawn or not expressible)."""
    written = skipped = 0
    for record in records:
        line = format_line(record) if record.status == "active" else None
        if line is None:
            skipped += 1
            continue
        out.write(line + "\n")
        written += 1
    return written, skipped


__all__ = ["PYTX_TYPES", "format_line", "parse_line", "read_pytx", "write_pytx"]
