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


def _stream(ring: EvidenceKeyring, data: bytes, aad: bytes = b"e1", segment: int = 64) -> bytes:
    import io

    out = io.BytesIO()
    assert ring.encrypt_stream(io.BytesIO(data), out, aad, segment=segment) == len(data)
    return out.getvalue()


def _unstream(ring: EvidenceKeyring, blob: bytes, aad: bytes = b"e1") -> bytes:
    import io

    out = io.BytesIO()
    ring.decrypt_stream(io.BytesIO(blob), out, aad)
    return out.getvalue()


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 128, 1000])
def test_stream_round_trip_at_segment_boundaries(size: int) -> None:
    ring = EvidenceKeyring([EvidenceKey.generate("k1")])
    data = bytes(i % 251 for i in range(size))
    blob = _stream(ring, data)
    assert _unstream(ring, blob) == data
    assert size < 16 or data[:16] not in blob


def test_stream_truncation_reordering_and_rebinding_fail() -> None:
    ring = EvidenceKeyring([EvidenceKey.generate("k1")])
    data = bytes(range(200)) * 2  # 400 bytes: 7 segments of 64
    blob = _stream(ring, data)
    header = 5 + 2 + 7 + 4
    block = 64 + 16
    segments = [blob[header + i : header + i + block] for i in range(0, len(blob) - header, block)]
    attacks = {
        "drop the last segment": blob[:header] + b"".join(segments[:-1]),
        "cut inside a segment": blob[:-5],
        "swap two segments": blob[:header] + segments[1] + segments[0] + b"".join(segments[2:]),
        "repeat a segment": blob[:header] + segments[0] + b"".join(segments),
    }
    for forged in attacks.values():
        with pytest.raises(IntegrityError, match="does not decrypt"):
            _unstream(ring, forged)
    with pytest.raises(IntegrityError):
        _unstream(ring, blob, aad=b"e2")
    with pytest.raises(IntegrityError) as excinfo:
        _unstream(ring, b"CSE1" + blob[4:])
    assert excinfo.value.extra["fault"] == "malformed"


def test_stream_rotation_and_rewrap_without_plaintext_on_disk() -> None:
    import io

    k1, k2 = EvidenceKey.generate("k1"), EvidenceKey.generate("k2")
    data = bytes(range(256)) * 10
    old = _stream(EvidenceKeyring([k1]), data)
    rotated = EvidenceKeyring([k1, k2])
    assert rotated.stream_key_id(io.BytesIO(old)) == "k1"
    new = io.BytesIO()
    assert rotated.rewrap_stream(io.BytesIO(old), new, b"e1") == len(data)
    assert rotated.stream_key_id(io.BytesIO(new.getvalue())) == "k2"
    assert _unstream(EvidenceKeyring([k2]), new.getvalue()) == data
    with pytest.raises(ConfigurationError, match="'k1'"):
        _unstream(EvidenceKeyring([k2]), old)
