"""Evidence at rest: rotation keeps old ciphertexts readable; tampering and swaps fail."""

from __future__ import annotations

import pytest

from childshield.crypto.keyring import EvidenceKey, EvidenceKeyring
from childshield.errors import ConfigurationError, IntegrityError
from childshield.settings import get_settings

EVIDENCE = b"\x89PNG stand-in evidence bytes " * 100


def test_encrypt_decrypt_with_associated_data() -> None:
    ring = EvidenceKeyring([EvidenceKey.generate("k1")])
    blob = ring.encrypt(EVIDENCE, aad=b"evidence:42")
    assert EVIDENCE[:20] not in blob
    assert ring.key_id_of(blob) == "k1"
    assert ring.decrypt(blob, aad=b"evidence:42") == EVIDENCE
    with pytest.raises(IntegrityError, match="another record"):
        ring.decrypt(blob, aad=b"evidence:43")


def test_rotation_new_writes_use_newest_old_still_decrypt_and_rewrap() -> None:
    k1, k2 = EvidenceKey.generate("k1"), EvidenceKey.generate("k2")
    old_ring = EvidenceKeyring([k1])
    old_blob = old_ring.encrypt(EVIDENCE, aad=b"e1")

    rotated = EvidenceKeyring([k1, k2])
    assert rotated.current_kid == "k2"
    assert rotated.key_id_of(rotated.encrypt(b"new")) == "k2"
    assert rotated.decrypt(old_blob, aad=b"e1") == EVIDENCE
    assert rotated.needs_rewrap(old_blob)

    new_blob = rotated.rewrap(old_blob, aad=b"e1")
    assert rotated.key_id_of(new_blob) == "k2"
    assert not rotated.needs_rewrap(new_blob)
    assert rotated.rewrap(new_blob, aad=b"e1") is new_blob

    retired = EvidenceKeyring([k2])  # k1 dropped after the rewrap
    assert retired.decrypt(new_blob, aad=b"e1") == EVIDENCE
    with pytest.raises(ConfigurationError, match=r"'k1'.*CHILDSHIELD_EVIDENCE_KEYS"):
        retired.decrypt(old_blob, aad=b"e1")


def test_tampered_or_swapped_key_id_fails() -> None:
    ring = EvidenceKeyring([EvidenceKey.generate("k1"), EvidenceKey.generate("k2")])
    blob = bytearray(ring.encrypt(EVIDENCE))
    blob[-1] ^= 1
    with pytest.raises(IntegrityError) as excinfo:
        ring.decrypt(bytes(blob))
    assert excinfo.value.extra["fault"] == "tampered"
    swapped = bytearray(ring.encrypt(EVIDENCE))
    swapped[5 + 1] = ord("1")  # "k2" -> "k1": the header is authenticated
    with pytest.raises(IntegrityError):
        ring.decrypt(bytes(swapped))


@pytest.mark.parametrize(
    "blob", [b"", b"CSE1", b"XXXX\x02k1" + bytes(40), b"CSE1\x02k1" + bytes(5)]
)
def test_malformed_ciphertexts(blob: bytes) -> None:
    ring = EvidenceKeyring([EvidenceKey.generate("k1")])
    with pytest.raises(IntegrityError) as excinfo:
        ring.decrypt(blob)
    assert excinfo.value.extra["fault"] == "malformed"


def test_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    k1, k2 = EvidenceKey.generate("2026-01"), EvidenceKey.generate("2026-07")
    monkeypatch.setenv("CHILDSHIELD_EVIDENCE_KEYS", f"{k1.to_spec()}, {k2.to_spec()}")
    get_settings.cache_clear()
    ring = EvidenceKeyring.from_settings()
    assert ring.kids == ["2026-01", "2026-07"] and ring.current_kid == "2026-07"
    assert k1.to_spec().split(":")[1] not in repr(get_settings())


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("", "no evidence keys"),
        ("k1", "not kid:base64key"),
        ("k1:abc", "not valid base64"),
        ("k1:" + "QUJD", "32 bytes"),
        ("bad id!:" + EvidenceKey.generate().to_spec().split(":")[1], "key id"),
    ],
)
def test_bad_key_configuration_is_named(spec: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        EvidenceKeyring.parse(spec)


def test_duplicate_key_ids_refused() -> None:
    k = EvidenceKey.generate("k1")
    with pytest.raises(ConfigurationError, match="twice"):
        EvidenceKeyring.parse(f"{k.to_spec()},{k.to_spec()}")


def test_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHILDSHIELD_EVIDENCE_KEYS", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="CHILDSHIELD_EVIDENCE_KEYS"):
        EvidenceKeyring.from_settings()
