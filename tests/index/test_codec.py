"""Hex text <-> code arrays, and what a malformed hash line gets back."""

from __future__ import annotations

import numpy as np
import pytest

import childshield.index as index_pkg
from childshield.errors import SignalValueError
from childshield.index import bits_to_hex, hex_to_bits

GOOD = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_round_trip_and_case() -> None:
    codes = hex_to_bits([GOOD, GOOD.upper(), "  " + GOOD + "\n"])
    assert codes.shape == (3, 32) and codes.dtype == np.uint8
    assert bits_to_hex(codes) == [GOOD] * 3
    assert codes[0, 0] == 0xF8


def test_empty_input() -> None:
    assert hex_to_bits([]).shape == (0, 32)


@pytest.mark.parametrize(
    "bad, message",
    [
        (GOOD[:-2], "item 1: expected 64 hex digits, got 62"),
        (GOOD[:-1] + "g", "item 1: not a hexadecimal string"),
        ("", "item 1: expected 64 hex digits, got 0"),
        (None, "item 1: expected a hex string, got NoneType"),
    ],
)
def test_bad_items_are_named_by_position_without_echoing_the_value(
    bad: object, message: str
) -> None:
    with pytest.raises(SignalValueError) as info:
        hex_to_bits([GOOD, bad, GOOD])  # type: ignore[list-item]
    assert str(info.value) == message
    assert GOOD[:20] not in str(info.value)


def test_exported_names() -> None:
    assert set(index_pkg.__all__) == {
        "HammingIndex",
        "SearchResult",
        "bits_to_hex",
        "brute_force_search",
        "hex_to_bits",
        "warmup",
    }
