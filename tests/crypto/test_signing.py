"""Signed envelopes: a good one verifies; every kind of fault is refused and named."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from childshield.crypto.encoding import b64url_decode, b64url_encode
from childshield.crypto.signing import (
    SigningKey,
    TrustedKey,
    TrustedKeys,
    key_id,
    sign_document,
    verify_document,
)
from childshield.errors import ConfigurationError, IntegrityError

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TYP = "childshield.test/1"


@pytest.fixture(scope="module")
def alice() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="module")
def bob() -> SigningKey:
    return SigningKey.generate()


def _doc() -> dict[str, Any]:
    return {"report_id": "r-1", "items": [{"md5": "0" * 32}], "note": "Zürich €"}


def _fault(excinfo: pytest.ExceptionInfo[IntegrityError]) -> str:
    return str(excinfo.value.extra["fault"])


def test_round_trip_and_key_id(alice: SigningKey) -> None:
    envelope = sign_document(_doc(), alice, typ=TYP, created=T0)
    verified = verify_document(envelope, [alice.trusted("acme")], typ=TYP, now=T0)
    assert verified.payload == _doc()
    assert verified.kid == alice.kid == key_id(alice.public_raw)
    assert len(alice.kid) == 16 and int(alice.kid, 16) >= 0
    assert verified.created == T0
    assert envelope["signature"]["alg"] == "Ed25519"
    assert len(b64url_decode(envelope["signature"]["sig"], "sig")) == 64


def test_key_survives_base64_round_trip(alice: SigningKey) -> None:
    again = SigningKey.from_base64(alice.to_base64())
    assert again.kid == alice.kid
    public = TrustedKey.from_base64(alice.public_base64, owner="acme")
    envelope = sign_document(_doc(), again, typ=TYP, created=T0)
    assert verify_document(envelope, [public], typ=TYP, now=T0).payload == _doc()
    assert alice.to_base64() not in repr(alice)


def test_signature_survives_reserialisation(alice: SigningKey) -> None:
    """Key order and whitespace of the payload do not matter: the canonical form is signed."""
    import json

    envelope = sign_document(_doc(), alice, typ=TYP, created=T0)
    text = json.dumps(envelope, indent=3, sort_keys=False, ensure_ascii=True)
    reordered = json.loads(text)
    reordered["payload"] = dict(reversed(list(reordered["payload"].items())))
    assert verify_document(reordered, [alice.trusted()], typ=TYP, now=T0).payload == _doc()


def _tamper_payload(env: dict[str, Any]) -> None:
    env["payload"]["items"][0]["md5"] = "1" * 32


def _tamper_created(env: dict[str, Any]) -> None:
    env["signature"]["created"] = "2026-11-28T11:00:00Z"


def _tamper_sig(env: dict[str, Any]) -> None:
    raw = bytearray(b64url_decode(env["signature"]["sig"], "sig"))
    raw[0] ^= 1
    env["signature"]["sig"] = b64url_encode(bytes(raw))


def _add_field(env: dict[str, Any]) -> None:
    env["payload"]["extra"] = True


@pytest.mark.parametrize("tamper", [_tamper_payload, _tamper_created, _tamper_sig, _add_field])
def test_tampering_is_a_bad_signature(alice: SigningKey, tamper: Any) -> None:
    envelope = sign_document(_doc(), alice, typ=TYP, created=T0)
    forged = copy.deepcopy(envelope)
    tamper(forged)
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(forged, [alice.trusted()], typ=TYP, now=T0)
    assert _fault(excinfo) == "bad-signature"
    assert excinfo.value.status == 422


def test_unknown_key(alice: SigningKey, bob: SigningKey) -> None:
    envelope = sign_document(_doc(), bob, typ=TYP, created=T0)
    with pytest.raises(IntegrityError, match=f"unknown-key.*{bob.kid}") as excinfo:
        verify_document(envelope, [alice.trusted()], typ=TYP, now=T0)
    assert _fault(excinfo) == "unknown-key"


def test_swapped_kid_is_a_bad_signature(alice: SigningKey, bob: SigningKey) -> None:
    """Claiming a trusted key id does not help a signature made with another key."""
    envelope = sign_document(_doc(), bob, typ=TYP, created=T0)
    envelope["signature"]["kid"] = alice.kid
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [alice.trusted(), bob.trusted()], typ=TYP, now=T0)
    assert _fault(excinfo) == "bad-signature"


def test_wrong_key_for_the_claimed_owner(alice: SigningKey, bob: SigningKey) -> None:
    trusted = TrustedKeys([alice.trusted("acme"), bob.trusted("globex")])
    envelope = sign_document(_doc(), bob, typ=TYP, created=T0)
    assert verify_document(envelope, trusted, typ=TYP, owner="globex", now=T0)
    with pytest.raises(IntegrityError, match="globex") as excinfo:
        verify_document(envelope, trusted, typ=TYP, owner="acme", now=T0)
    assert _fault(excinfo) == "wrong-key"


def test_document_type_is_bound(alice: SigningKey) -> None:
    envelope = sign_document(_doc(), alice, typ="childshield.indicator-list/1", created=T0)
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [alice.trusted()], typ="childshield.report/1", now=T0)
    assert _fault(excinfo) == "wrong-type"
    envelope["signature"]["typ"] = "childshield.report/1"
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [alice.trusted()], typ="childshield.report/1", now=T0)
    assert _fault(excinfo) == "bad-signature"


def test_expiry_and_not_yet_valid(alice: SigningKey) -> None:
    envelope = sign_document(_doc(), alice, typ=TYP, created=T0, expires=T0 + timedelta(days=1))
    assert verify_document(envelope, [alice.trusted()], typ=TYP, now=T0 + timedelta(hours=23))
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [alice.trusted()], typ=TYP, now=T0 + timedelta(days=2))
    assert _fault(excinfo) == "expired"
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [alice.trusted()], typ=TYP, now=T0 - timedelta(hours=1))
    assert _fault(excinfo) == "not-yet-valid"


def test_key_validity_window(alice: SigningKey) -> None:
    retired = TrustedKey(alice.private.public_key(), not_after=T0 - timedelta(days=1))
    future = TrustedKey(alice.private.public_key(), not_before=T0 + timedelta(days=1))
    envelope = sign_document(_doc(), alice, typ=TYP, created=T0)
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [retired], typ=TYP, now=T0)
    assert _fault(excinfo) == "expired"
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [future], typ=TYP, now=T0)
    assert _fault(excinfo) == "not-yet-valid"


@pytest.mark.parametrize(
    "envelope",
    [
        None,
        [],
        {"payload": {}},
        {"payload": {}, "signature": "abc"},
        {"payload": {}, "signature": {"alg": "Ed25519"}},
        {
            "payload": {},
            "signature": {
                "alg": "Ed25519",
                "kid": "x",
                "typ": TYP,
                "created": "yesterday",
                "sig": "A" * 86,
            },
        },
        {
            "payload": {},
            "signature": {
                "alg": "Ed25519",
                "kid": "x",
                "typ": TYP,
                "created": "2026-11-28T12:00:00Z",
                "sig": "not base64!",
            },
        },
        {
            "payload": {},
            "signature": {
                "alg": "Ed25519",
                "kid": "x",
                "typ": TYP,
                "created": "2026-11-28T12:00:00",
                "sig": "A" * 86,
            },
        },
        {"payload": {}, "signature": {}, "extra": 1},
    ],
)
def test_malformed_envelopes(alice: SigningKey, envelope: Any) -> None:
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [alice.trusted()], typ=TYP, now=T0)
    assert _fault(excinfo) == "malformed"


def test_unsupported_algorithm(alice: SigningKey) -> None:
    envelope = sign_document(_doc(), alice, typ=TYP, created=T0)
    envelope["signature"]["alg"] = "none"
    with pytest.raises(IntegrityError) as excinfo:
        verify_document(envelope, [alice.trusted()], typ=TYP, now=T0)
    assert _fault(excinfo) == "unsupported-algorithm"


@pytest.mark.parametrize("text", ["", "abc", "QUJD", "A" * 44 + "!"])
def test_bad_private_key_configuration(text: str) -> None:
    with pytest.raises(ConfigurationError, match="signing key"):
        SigningKey.from_base64(text)
