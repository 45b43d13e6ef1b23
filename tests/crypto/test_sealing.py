"""Content sealed for the centre opens only with the centre's key and the right context."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from childshield.crypto.encoding import b64url_decode, b64url_encode
from childshield.crypto.sealing import SealedBox, SealingKey, SealingPublicKey, open_sealed, seal
from childshield.errors import IntegrityError

CONTENT = bytes(range(256)) * 40  # a stand-in for image bytes


@pytest.fixture(scope="module")
def centre() -> SealingKey:
    return SealingKey.generate()


def test_round_trip_through_json(centre: SealingKey) -> None:
    public = SealingPublicKey.from_base64(centre.public_key.to_base64())
    box = seal(CONTENT, public, context="report:r-1")
    as_json = box.model_dump_json()
    assert CONTENT[:64].hex() not in as_json
    again = SealedBox.model_validate_json(as_json)
    assert open_sealed(again, centre, context="report:r-1") == CONTENT
    assert open_sealed(box.model_dump(), centre, context="report:r-1") == CONTENT
    assert box.kid == centre.kid


def test_each_seal_is_fresh(centre: SealingKey) -> None:
    a = seal(b"same", centre.public_key, context="c")
    b = seal(b"same", centre.public_key, context="c")
    assert a.epk != b.epk and a.ct != b.ct


def test_key_survives_base64(centre: SealingKey) -> None:
    again = SealingKey.from_base64(centre.to_base64())
    box = seal(b"x", centre.public_key, context="c")
    assert open_sealed(box, again, context="c") == b"x"
    assert centre.to_base64() not in repr(centre)


def test_other_report_context_does_not_open(centre: SealingKey) -> None:
    box = seal(CONTENT, centre.public_key, context="report:r-1")
    with pytest.raises(IntegrityError) as excinfo:
        open_sealed(box, centre, context="report:r-2")
    assert excinfo.value.extra["fault"] == "tampered"


def test_wrong_centre_key(centre: SealingKey) -> None:
    other = SealingKey.generate()
    box = seal(CONTENT, other.public_key, context="c")
    with pytest.raises(IntegrityError) as excinfo:
        open_sealed(box, centre, context="c")
    assert excinfo.value.extra["fault"] == "wrong-key"


def _flip(text: str, index: int) -> str:
    raw = bytearray(b64url_decode(text, "x"))
    raw[index] ^= 0x80
    return b64url_encode(bytes(raw))


@pytest.mark.parametrize("field", ["ct", "nonce", "epk"])
@pytest.mark.parametrize("index", [0, -1])
def test_any_flipped_bit_is_tampering(centre: SealingKey, field: str, index: int) -> None:
    box = seal(CONTENT, centre.public_key, context="c").model_dump()
    forged = copy.deepcopy(box)
    forged[field] = _flip(forged[field], index)
    with pytest.raises(IntegrityError) as excinfo:
        open_sealed(forged, centre, context="c")
    assert excinfo.value.extra["fault"] in {"tampered", "malformed"}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda b: b.pop("ct"),
        lambda b: b.update(alg="RSA"),
        lambda b: b.update(extra=1),
        lambda b: b.update(ct="!!!"),
        lambda b: b.update(ct="AAAA"),
        lambda b: b.update(epk=b64url_encode(bytes(32))),  # low-order point
    ],
)
def test_malformed_boxes(centre: SealingKey, mutate: Any) -> None:
    box = seal(CONTENT, centre.public_key, context="c").model_dump()
    mutate(box)
    with pytest.raises(IntegrityError) as excinfo:
        open_sealed(box, centre, context="c")
    assert excinfo.value.extra["fault"] == "malformed"
