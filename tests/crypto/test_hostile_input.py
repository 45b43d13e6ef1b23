"""Hostile input never crashes a verifier: junk envelopes, boxes and lists give named errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from childshield.crypto.sealing import SealingKey, open_sealed
from childshield.crypto.signing import SigningKey, sign_document, verify_document
from childshield.errors import ChildshieldError, IntegrityError
from childshield.exchange.indicator_list import Scope, verify_list
from childshield.exchange.report import verify_report

KEY = SigningKey.generate()
CENTRE = SealingKey.generate()
T0 = datetime(2026, 11, 28, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=25,
)
header_like = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.sampled_from(["Ed25519", "none", 1]),
        "kid": st.sampled_from([KEY.kid, "x", None]),
        "typ": st.sampled_from(["childshield.report/1", "childshield.indicator-list/1", 3]),
        "created": st.sampled_from(["2026-11-28T00:00:00Z", "2026-11-28", "x", None]),
        "expires": st.sampled_from([None, "2020-01-01T00:00:00Z", 5]),
        "sig": st.text(max_size=90),
        "extra": json_values,
    },
)
envelopes = st.one_of(
    json_values,
    st.fixed_dictionaries({"payload": json_values, "signature": header_like | json_values}),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(envelopes)
def test_junk_envelopes_are_integrity_errors(envelope: Any) -> None:
    for verify in (
        lambda: verify_document(envelope, [KEY.trusted("p")], typ="childshield.report/1", now=T0),
        lambda: verify_report(envelope, [KEY.trusted("p")], now=T0),
        lambda: verify_list(
            envelope,
            [KEY.trusted("c")],
            issuer="c",
            list_id="l",
            held_version=None,
            allowed=Scope(signals=["pdq"], media=["image"]),
            now=T0,
        ),
    ):
        with pytest.raises(IntegrityError):
            verify()


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["alg", "kid", "epk", "nonce", "ct", "x"]), json_values))
def test_junk_sealed_boxes_are_integrity_errors(box: dict[str, Any]) -> None:
    with pytest.raises(IntegrityError):
        open_sealed(box, CENTRE, context="c")


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_changed_character_of_a_signed_document_is_caught(data: st.DataObject) -> None:
    envelope = sign_document({"report_id": "r-1", "n": [1, 2, "drei"]}, KEY, typ="t", created=T0)
    text = json.dumps(envelope)
    index = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.characters(codec="ascii"))
    mutated = text[:index] + replacement + text[index + 1 :]
    try:
        candidate = json.loads(mutated)
    except ValueError:
        return  # no longer JSON: the intake refuses it before verification
    try:
        verified = verify_document(candidate, [KEY.trusted()], typ="t", now=T0)
    except ChildshieldError:
        return
    # Only changes that leave the JSON value the same (e.g. whitespace) may verify.
    assert verified.payload == envelope["payload"]
    assert candidate == envelope
