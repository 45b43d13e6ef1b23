"""256-bit codes between hex text and ``uint8`` arrays of shape (n, 32)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from childshield.errors import SignalValueError

CODE_BYTES = 32
_HEX = frozenset("0123456789abcdefABCDEF")


def _problem(i: int, text: object) -> str:
    # Never echo the value: hashes are sensitive data.
    if not isinstance(text, str):
        return f"item {i}: expected a hex string, got {type(text).__name__}"
    s = text.strip()
    if len(s) != 2 * CODE_BYTES:
        return f"item {i}: expected {2 * CODE_BYTES} hex digits, got {len(s)}"
    return f"item {i}: not a hexadecimal string"


def hex_to_bits(items: Iterable[str]) -> np.ndarray:
    """Hex strings (64 digits, case-insensitive, surrounding spaces ignored) -> (n, 32) uint8.

    Raises SignalValueError naming the first bad item's position (not its value).
    """
    texts = [t.strip() if isinstance(t, str) else t for t in items]
    if not texts:
        return np.zeros((0, CODE_BYTES), np.uint8)
    try:
        if all(isinstance(t, str) and len(t) == 2 * CODE_BYTES for t in texts):
            raw = bytes.fromhex("".join(texts))
            if len(raw) == CODE_BYTES * len(texts):
                return np.frombuffer(raw, np.uint8).reshape(-1, CODE_BYTES).copy()
    except ValueError:
        pass
    for i, t in enumerate(texts):
        if not (isinstance(t, str) and len(t) == 2 * CODE_BYTES and set(t) <= _HEX):
            raise SignalValueError(_problem(i, t), item=i)
    raise SignalValueError("malformed hex input")  # pragma: no cover - unreachable


def bits_to_hex(codes: np.ndarray) -> list[str]:
    """(n, 32) uint8 -> lower-case hex strings."""
    arr = check_codes(codes, "codes")
    return [row.tobytes().hex() for row in arr]


def check_codes(codes: object, what: str) -> np.ndarray:
    """Validate a (n, 32) uint8 array of codes; returns it C-contiguous."""
    if not isinstance(codes, np.ndarray):
        raise SignalValueError(f"{what}: expected a numpy array of shape (n, 32), uint8")
    if codes.dtype != np.uint8 or codes.ndim != 2 or codes.shape[1] != CODE_BYTES:
        raise SignalValueError(
            f"{what}: expected shape (n, {CODE_BYTES}) uint8 (256-bit codes), "
            f"got {codes.shape} {codes.dtype}"
        )
    return np.ascontiguousarray(codes)


def to_words(codes: np.ndarray) -> np.ndarray:
    """(n, 32) uint8 -> (n, 4) uint64, a fresh aligned copy (same bits, same distances)."""
    out = np.empty((codes.shape[0], CODE_BYTES // 8), np.uint64)
    out.view(np.uint8)[...] = codes
    return out


def from_words(words: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(words).view(np.uint8).reshape(-1, CODE_BYTES).copy()
