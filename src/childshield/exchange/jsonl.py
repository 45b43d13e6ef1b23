"""JSONL indicator files: one JSON object a line, with provenance, status and hashes.

Fields (only ``signal`` and ``value`` are required on import)::

    {"signal": "pdq", "value": "<64 hex>", "media": "image", "status": "active",
     "source": "...", "submitted_by": "...", "created_at": "2026-11-29T00:00:00+00:00",
     "how_generated": "...", "note": "...", "withdrawn_at": null, "withdrawn_reason": null,
     "hashes": [{"value": "<64 hex>", "variant": "full", "frame": null, "time": null,
                 "quality": 92}],
     "id": 17, "bank": "demo-bank"}

``id`` and ``bank`` are written on export and ignored on import (the importing bank assigns
its own ids). Any other key is an error, so a misspelt field is not silently dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TextIO

from childshield.exchange.indicator_record import (
    HashRecord,
    IndicatorRecord,
    check_record,
    normalise_value,
    read_records,
)

_TEXT_FIELDS = (
    "media",
    "status",
    "source",
    "submitted_by",
    "how_generated",
    "note",
    "withdrawn_reason",
    "bank",
)
_TIME_FIELDS = ("created_at", "withdrawn_at")
FIELDS = frozenset(("signal", "value", "hashes", "id", *_TEXT_FIELDS, *_TIME_FIELDS))
MAX_LINE = 1_000_000  # characters; an indicator with thousands of frame hashes fits
_HASH_FIELDS = frozenset(("value", "variant", "frame", "time", "quality"))


def _text(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"{key!r} must be a string or null")


def _time(obj: dict[str, Any], key: str) -> datetime | None:
    value = _text(obj, key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key!r} is not an ISO 8601 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{key!r} needs a UTC offset, e.g. {value}+00:00")
    return parsed


def _number(item: dict[str, Any], key: str, kind: type) -> Any:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else int):
        raise ValueError(f"hash {key!r} must be {'a number' if kind is float else 'an integer'}")
    return kind(value)


def _hashes(obj: dict[str, Any]) -> tuple[HashRecord, ...]:
    items = obj.get("hashes") or []
    if not isinstance(items, list):
        raise ValueError("'hashes' must be a list")
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise ValueError("each hash must be an object with a string 'value'")
        unknown = set(item) - _HASH_FIELDS
        if unknown:
            raise ValueError(f"unknown hash field {sorted(unknown)[0]!r}")
        variant = item.get("variant", "full")
        if not isinstance(variant, str) or not variant or len(variant) > 64:
            raise ValueError("hash 'variant' must be a label of 1..64 characters")
        out.append(
            HashRecord(
                value=normalise_value("pdq", item["value"]),
                variant=variant,
                frame=_number(item, "frame", int),
                time=_number(item, "time", float),
                quality=_number(item, "quality", int),
            )
        )
    return tuple(out)


def parse_object(text: str) -> IndicatorRecord | None:
    """One line to a record, None for a blank line (ValueError naming the problem)."""
    if not text.strip():
        return None
    if len(text) > MAX_LINE:
        raise ValueError(f"line longer than {MAX_LINE} characters")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError("expected a JSON object")
    unknown = set(obj) - FIELDS
    if unknown:
        raise ValueError(f"unknown field {sorted(unknown)[0]!r}")
    signal, value = obj.get("signal"), obj.get("value")
    if not isinstance(signal, str) or not isinstance(value, str):
        raise ValueError("'signal' and 'value' are required strings")
    record = IndicatorRecord(
        signal=signal,
        value=normalise_value(signal, value),
        media=_text(obj, "media"),
        status=_text(obj, "status") or "active",
        source=_text(obj, "source"),
        submitted_by=_text(obj, "submitted_by"),
        created_at=_time(obj, "created_at"),
        how_generated=_text(obj, "how_generated"),
        note=_text(obj, "note"),
        withdrawn_at=_time(obj, "withdrawn_at"),
        withdrawn_reason=_text(obj, "withdrawn_reason"),
        hashes=_hashes(obj),
    )
    return check_record(record)


def read_jsonl(lines: Iterable[str]) -> list[IndicatorRecord]:
    """Parse a whole file; every malformed line is reported in one ImportFormatError."""
    return read_records(lines, parse_object)


def to_object(record: IndicatorRecord) -> dict[str, Any]:
    """The JSON object for a record (times as ISO 8601 with offset)."""
    return {
        "id": record.id,
        "bank": record.bank,
        "signal": record.signal,
        "value": record.value,
        "media": record.media,
        "status": record.status,
        "source": record.source,
        "submitted_by": record.submitted_by,
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "how_generated": record.how_generated,
        "note": record.note,
        "withdrawn_at": record.withdrawn_at.isoformat() if record.withdrawn_at else None,
        "withdrawn_reason": record.withdrawn_reason,
        "hashes": [
            {
                "value": h.value,
                "variant": h.variant,
                "frame": h.frame,
                "time": h.time,
                "quality": h.quality,
            }
            for h in record.hashes
        ],
    }


def write_jsonl(records: Iterable[IndicatorRecord], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(to_object(record), ensure_ascii=False, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count


__all__ = ["FIELDS", "parse_object", "read_jsonl", "to_object", "write_jsonl"]
