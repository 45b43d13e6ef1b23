"""RFC 8785 (JSON Canonicalization Scheme) and strict JSON parsing.

Everything childshield signs is signed over its canonical form, so two parties that
agree on the JSON value agree on the bytes. :func:`canonicalize` uses the ``rfc8785``
package; documents made only of strings, booleans, null, safe integers and objects with
keys below U+D800 (every document childshield itself produces: reports, indicator lists,
referrals) take an equivalent fast path through the standard library, which is about six
times quicker on million-entry indicator lists. A property test pins the two paths to the
same bytes.

:func:`parse_json` is the reading side: it refuses duplicate object keys (two readers
could otherwise see two different documents behind one signature), NaN/Infinity, and
absurd nesting, and names the problem.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from childshield._optional import require
from childshield.errors import InputError

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 64


class CanonicalizationError(InputError):
    """A value that has no RFC 8785 form (NaN, Infinity, integers beyond 2**53, non-JSON)."""

    status, title = 422, "Value cannot be canonicalised"


def _fast_path_ok(obj: Any, depth: int = 0) -> bool:
    """True if json.dumps(sort_keys=True) gives exactly the RFC 8785 bytes for ``obj``.

    Written for speed on million-entry lists: exact type checks first, and each distinct
    object key checked once.
    """
    kind = type(obj)
    if kind is str or kind is bool or obj is None:
        return True
    if kind is int:
        return bool(-MAX_SAFE_INTEGER <= obj <= MAX_SAFE_INTEGER)
    if depth > MAX_DEPTH:
        return False
    if kind is dict:
        for key, value in obj.items():
            # Below U+D800, code-point order (sort_keys) equals UTF-16 order (RFC 8785).
            if key not in _SAFE_KEYS:
                if type(key) is not str or (key and max(key) >= "\ud800"):
                    return False
                if len(_SAFE_KEYS) < 10_000:
                    _SAFE_KEYS.add(key)
            vkind = type(value)
            if vkind is str or vkind is bool or value is None:
                continue
            if not _fast_path_ok(value, depth + 1):
                return False
        return True
    if kind is list or kind is tuple:
        for value in obj:
            vkind = type(value)
            if vkind is str or vkind is bool or value is None:
                continue
            if not _fast_path_ok(value, depth + 1):
                return False
        return True
    return False  # floats, str/int subclasses and anything else: the reference implementation


_SAFE_KEYS: set[str] = set()


def canonicalize(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        if _fast_path_ok(obj):
            return json.dumps(
                obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
            ).encode("utf-8")
        rfc8785 = require("rfc8785")
        return bytes(rfc8785.dumps(obj))
    except UnicodeEncodeError as exc:
        raise CanonicalizationError("string contains a lone surrogate") from exc
    except RecursionError as exc:
        raise CanonicalizationError("value is nested too deeply") from exc
    except (ValueError, TypeError) as exc:
        # rfc8785.CanonicalizationError subclasses ValueError.
        raise CanonicalizationError(f"value has no canonical JSON form: {exc}") from exc


def canonical_sha256(obj: Any) -> str:
    """Hex SHA-256 of the canonical form (a stable digest of a JSON value)."""
    return hashlib.sha256(canonicalize(obj)).hexdigest()


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise InputError(f"malformed JSON: duplicate key {key!r}")
        out[key] = value
    return out


def _reject_constant(name: str) -> Any:
    raise InputError(f"malformed JSON: {name} is not allowed")


def _depth(obj: Any) -> int:
    depth, stack = 0, [(obj, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            depth = max(depth, level)
            if level > MAX_DEPTH:
                return level
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return depth


def parse_json(data: bytes | str) -> Any:
    """Parse JSON strictly: no duplicate keys, no NaN/Infinity, nesting at most 64 deep."""
    try:
        value = json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise InputError("malformed JSON: nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise InputError("malformed JSON: not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if _depth(value) > MAX_DEPTH:
        raise InputError(f"malformed JSON: nested more than {MAX_DEPTH} deep")
    return value


def as_mapping(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else an InputError naming ``what``."""
    if not isinstance(value, Mapping):
        raise InputError(f"{what} must be a JSON object")
    return value


__all__ = [
    "MAX_DEPTH",
    "CanonicalizationError",
    "as_mapping",
    "canonical_sha256",
    "canonicalize",
    "parse_json",
]
