"""The hash of one audit entry: SHA-256 over its canonical JSON, including ``prev_hash``.

Canonical JSON here is RFC 8785 for the values an entry can hold (strings, integers,
booleans, null, lists and objects with string keys): keys sorted, no whitespace, UTF-8.
Floats are refused, so the encoding never depends on float formatting. Times are written
as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` so a value read back from SQLite (naive) or
PostgreSQL (aware) hashes the same.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def format_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check(value: Any, where: str) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return
    if isinstance(value, float):
        raise TypeError(f"audit {where}: floats are not allowed (use a string or integer)")
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"audit {where}: keys must be strings")
            _check(item, f"{where}.{key}")
        return
    raise TypeError(f"audit {where}: {type(value).__name__} is not JSON")


def canonical_json(value: dict[str, Any]) -> bytes:
    _check(value, "entry")
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def entry_fields(
    *,
    seq: int,
    time: datetime,
    tenant_id: int | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str | None,
    outcome: str,
    details: dict[str, Any],
    prev_hash: str,
) -> dict[str, Any]:
    """The exact dict that is hashed (everything but the hash itself)."""
    return {
        "seq": seq,
        "time": format_time(time),
        "tenant": tenant_id,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "outcome": outcome,
        "details": details,
        "prev_hash": prev_hash,
    }


def entry_hash(fields: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(fields)).hexdigest()


__all__ = ["GENESIS", "canonical_json", "entry_fields", "entry_hash", "format_time"]
