"""Every registered signal type passes the conformance kit (childshield.signals.testing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from childshield.errors import SignalValueError
from childshield.signals import all_signals, get_signal
from childshield.signals.base import SignalType
from childshield.signals.testing import CHECKS, Check


@pytest.mark.parametrize("signal", all_signals(), ids=lambda s: s.name)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_conformance(signal: SignalType, check: Check, tmp_path: Path) -> None:
    check(signal, tmp_path)


def test_builtin_signals_are_registered() -> None:
    names = {s.name for s in all_signals()}
    assert {"pdq", "md5", "sha256"} <= names
    assert get_signal("pdq").default_threshold == 31
    assert get_signal("md5").default_threshold == 0


def test_unknown_signal_names_the_known_ones() -> None:
    with pytest.raises(SignalValueError, match=r"known: .*md5.*pdq"):
        get_signal("phash")


def test_pdq_wrong_length_message() -> None:
    with pytest.raises(SignalValueError, match="64 hex digits, got 63"):
        get_signal("pdq").validate("f" * 63)
    with pytest.raises(SignalValueError, match="non-hex character 'z'"):
        get_signal("pdq").validate("z" + "0" * 63)


def test_kit_catches_a_broken_signal_type(tmp_path: Path) -> None:
    """The kit must fail on a type that accepts anything (or it proves nothing)."""
    from childshield.signals.crypto_hashes import DigestSignal
    from childshield.signals.testing import check_rejects_malformed

    class Lax(DigestSignal):
        def validate(self, value: str) -> str:
            return str(value).strip().lower()

    with pytest.raises(AssertionError, match="was accepted"):
        check_rejects_malformed(Lax("md5", 32), tmp_path)
