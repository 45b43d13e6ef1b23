"""Signed indicator lists: each refusal before loading, and full/delta application."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from childshield.crypto.signing import SigningKey, TrustedKey
from childshield.errors import InputError, IntegrityError
from childshield.exchange.indicator_list import (
    Entry,
    IndicatorList,
    ListState,
    Scope,
    apply_list,
    build_delta_between,
    build_list,
    sign_list,
    verify_list,
)

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
IMAGE_SCOPE = Scope(signals=["pdq", "md5"], media=["image"])


def _entry(n: int, signal: str = "pdq", status: str = "active", media: str = "image") -> Entry:
    digits = 64 if signal in ("pdq", "sha256", "vpdq") else 32
    return Entry(
        indicator_id=f"ind-{n}",
        signal=signal,
        value=f"{n:0{digits}x}",
        media=media,
        status=status,
    )


@pytest.fixture(scope="module")
def centre() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def trusted(centre: SigningKey) -> list[TrustedKey]:
    return [centre.trusted("eu-centre")]


def _full(version: int = 1, entries: list[Entry] | None = None, **kw: Any) -> IndicatorList:
    return build_list(
        issuer=kw.pop("issuer", "eu-centre"),
        list_id=kw.pop("list_id", "known-images"),
        version=version,
        scope=kw.pop("scope", IMAGE_SCOPE),
        entries=entries if entries is not None else [_entry(1), _entry(2), _entry(3, "md5")],
        created=kw.pop("created", T0),
        **kw,
    )


def _verify(envelope: Any, trusted: list[TrustedKey], **kw: Any) -> IndicatorList:
    args: dict[str, Any] = {
        "issuer": "eu-centre",
        "list_id": "known-images",
        "held_version": None,
        "allowed": IMAGE_SCOPE,
        "provider_id": "demo-host",
        "now": T0 + timedelta(minutes=1),
    }
    args.update(kw)
    return verify_list(envelope, trusted, **args)


def _fault(envelope: Any, trusted: list[TrustedKey], **kw: Any) -> str:
    with pytest.raises(IntegrityError) as excinfo:
        _verify(envelope, trusted, **kw)
    return str(excinfo.value.extra["fault"])


def test_full_then_delta_round_trip(centre: SigningKey, trusted: list[TrustedKey]) -> None:
    full = _verify(sign_list(_full(), centre), trusted)
    state = apply_list(None, full)
    assert (state.version, sorted(state.entries)) == (1, ["ind-1", "ind-2", "ind-3"])

    delta = build_list(
        issuer="eu-centre",
        list_id="known-images",
        version=2,
        base_version=1,
        scope=IMAGE_SCOPE,
        created=T0,
        entries=[_entry(4), _entry(2, status="withdrawn")],
    )
    verified = _verify(sign_list(delta, centre), trusted, held_version=1)
    state = apply_list(state, verified)
    assert (state.version, sorted(state.entries)) == (2, ["ind-1", "ind-3", "ind-4"])


def test_delta_between_two_states_reproduces_the_new_state() -> None:
    old = {e.indicator_id: e for e in [_entry(1), _entry(2), _entry(3)]}
    changed = Entry("ind-3", "pdq", "f" * 64, "image")
    new = {e.indicator_id: e for e in [_entry(1), changed, _entry(5)]}
    delta = build_list(
        issuer="c",
        list_id="l",
        version=8,
        base_version=7,
        scope=IMAGE_SCOPE,
        created=T0,
        entries=build_delta_between(old, new),
    )
    state = apply_list(ListState("l", 7, dict(old)), delta)
    assert state.entries == new


def test_tampered_entry_is_refused(centre: SigningKey, trusted: list[TrustedKey]) -> None:
    envelope = sign_list(_full(), centre)
    forged = copy.deepcopy(envelope)
    forged["payload"]["entries"][0]["value"] = "0" * 64
    assert _fault(forged, trusted) == "bad-signature"
    dropped = copy.deepcopy(envelope)
    dropped["payload"]["entries"].pop()
    assert _fault(dropped, trusted) == "bad-signature"


def test_unknown_key_is_refused(trusted: list[TrustedKey]) -> None:
    assert _fault(sign_list(_full(), SigningKey.generate()), trusted) == "unknown-key"


def test_key_of_another_issuer_is_refused(centre: SigningKey) -> None:
    envelope = sign_list(_full(), centre)
    assert _fault(envelope, [centre.trusted("hotline-x")]) == "wrong-key"


def test_header_naming_another_issuer_is_refused(
    centre: SigningKey, trusted: list[TrustedKey]
) -> None:
    envelope = sign_list(_full(issuer="someone-else"), centre)
    assert _fault(envelope, trusted) == "wrong-issuer"


def test_other_list_is_refused(centre: SigningKey, trusted: list[TrustedKey]) -> None:
    envelope = sign_list(_full(list_id="urls"), centre)
    assert _fault(envelope, trusted) == "wrong-list"


def test_replayed_or_rolled_back_full_list_is_refused(
    centre: SigningKey, trusted: list[TrustedKey]
) -> None:
    envelope = sign_list(_full(version=3), centre)
    assert _verify(envelope, trusted, held_version=2)
    assert _fault(envelope, trusted, held_version=3) == "stale-version"
    assert _fault(envelope, trusted, held_version=5) == "stale-version"


@pytest.mark.parametrize("held", [None, 1, 3])
def test_delta_not_starting_at_the_held_version_is_refused(
    centre: SigningKey, trusted: list[TrustedKey], held: int | None
) -> None:
    delta = _full(version=3, base_version=2, entries=[_entry(9)])
    assert _fault(sign_list(delta, centre), trusted, held_version=held) == "version-gap"


def test_list_for_another_provider_is_refused(
    centre: SigningKey, trusted: list[TrustedKey]
) -> None:
    scope = Scope(signals=["pdq"], media=["image"], provider="other-host")
    envelope = sign_list(_full(scope=scope, entries=[_entry(1)]), centre)
    assert _fault(envelope, trusted) == "out-of-scope"


def test_list_scope_wider_than_allowed_is_refused(
    centre: SigningKey, trusted: list[TrustedKey]
) -> None:
    wide = Scope(signals=["pdq", "md5", "sha256"], media=["image", "video"])
    envelope = sign_list(_full(scope=wide, entries=[_entry(1)]), centre)
    with pytest.raises(IntegrityError, match="sha256, video"):
        _verify(envelope, trusted)


def test_entry_outside_the_signed_scope_is_refused(
    centre: SigningKey, trusted: list[TrustedKey]
) -> None:
    """A centre bug (or a hand-made list) with entries beyond its own scope: refused."""
    from childshield.crypto.signing import sign_document

    payload = _full().to_json()
    payload["entries"].append(_entry(7, "sha256").to_json())
    envelope = sign_document(payload, centre, typ="childshield.indicator-list/1", created=T0)
    with pytest.raises(IntegrityError, match="ind-7 \\(sha256/image\\)") as excinfo:
        _verify(envelope, trusted)
    assert excinfo.value.extra["fault"] == "out-of-scope"


def test_malformed_values_and_duplicates_are_refused(
    centre: SigningKey, trusted: list[TrustedKey]
) -> None:
    from childshield.crypto.signing import sign_document

    payload = _full().to_json()
    payload["entries"][0]["value"] = "abc"
    payload["entries"][1]["indicator_id"] = payload["entries"][2]["indicator_id"]
    envelope = sign_document(payload, centre, typ="childshield.indicator-list/1", created=T0)
    with pytest.raises(IntegrityError, match="2 bad entries") as excinfo:
        _verify(envelope, trusted)
    assert excinfo.value.extra["fault"] == "bad-entry"


def test_signed_garbage_is_malformed(centre: SigningKey, trusted: list[TrustedKey]) -> None:
    from childshield.crypto.signing import sign_document

    envelope = sign_document({"header": {}}, centre, typ="childshield.indicator-list/1", created=T0)
    assert _fault(envelope, trusted) == "malformed"


def test_expired_list_is_refused(centre: SigningKey, trusted: list[TrustedKey]) -> None:
    from childshield.crypto.signing import sign_document

    lst = _full()
    envelope = sign_document(
        lst.to_json(),
        centre,
        typ="childshield.indicator-list/1",
        created=T0,
        expires=T0 + timedelta(days=1),
    )
    assert _fault(envelope, trusted, now=T0 + timedelta(days=2)) == "expired"


def test_report_envelope_cannot_pass_as_a_list(
    centre: SigningKey, trusted: list[TrustedKey]
) -> None:
    from childshield.crypto.signing import sign_document

    envelope = sign_document(_full().to_json(), centre, typ="childshield.report/1", created=T0)
    assert _fault(envelope, trusted) == "wrong-type"


def test_centre_cannot_build_a_list_with_junk() -> None:
    with pytest.raises(InputError, match="ind-1: md5 value must be 32"):
        build_list(
            issuer="c",
            list_id="l",
            version=1,
            scope=IMAGE_SCOPE,
            created=T0,
            entries=[{"indicator_id": "ind-1", "signal": "md5", "value": "xyz", "media": "image"}],
        )
    with pytest.raises(InputError, match="outside the list's scope"):
        _full(entries=[_entry(1, "sha256")])


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("not an object", "entry 1: not a JSON object"),
        ({"indicator_id": "x", "signal": "pdq", "value": "0" * 64}, "missing ['media']"),
        (
            {
                "indicator_id": "x",
                "signal": "pdq",
                "value": ["0"],
                "media": "image",
                "status": "active",
            },
            "must be a string",
        ),
        (
            {
                "indicator_id": "x",
                "signal": "pdq",
                "value": "0" * 64,
                "media": ["image"],
                "status": "active",
            },
            "must be a string",
        ),
        (
            {
                "indicator_id": "x",
                "signal": "pdq",
                "value": "0" * 64,
                "media": "image",
                "status": "gone",
            },
            "status must be active or withdrawn",
        ),
        (
            {
                "indicator_id": "x",
                "signal": "pdq",
                "value": "0" * 64,
                "media": "image",
                "status": "active",
                "note": "hi",
            },
            "unexpected ['note']",
        ),
    ],
)
def test_malformed_entries_in_a_signed_list_are_named(
    centre: SigningKey, trusted: list[TrustedKey], bad: Any, words: str
) -> None:
    from childshield.crypto.signing import sign_document

    payload = _full(entries=[_entry(1)]).to_json()
    payload["entries"].append(bad)
    envelope = sign_document(payload, centre, typ="childshield.indicator-list/1", created=T0)
    with pytest.raises(IntegrityError, match=re.escape(words)) as excinfo:
        _verify(envelope, trusted)
    assert excinfo.value.extra["fault"] == "bad-entry"


PATTERN_SCOPE = Scope(signals=["pattern"], media=["text"])


def _pattern(n: int, value: str = "keep this between us", status: str = "active") -> Entry:
    return Entry(f"pat-{n}", "pattern", value, "text", status)


def test_pattern_entries_round_trip(centre: SigningKey, trusted: list[TrustedKey]) -> None:
    lst = _full(entries=[_pattern(1), _pattern(2, "Ne le dis à personne")],
                scope=PATTERN_SCOPE)
    verified = _verify(sign_list(lst, centre), trusted, allowed=PATTERN_SCOPE)
    assert [(e.signal, e.media, e.value) for e in verified.entries] == [
        ("pattern", "text", "keep this between us"), ("pattern", "text", "Ne le dis à personne")]
    # a provider whose bank holds hashes only refuses it before loading anything
    assert _fault(sign_list(lst, centre), trusted) == "out-of-scope"


@pytest.mark.parametrize(("entry", "problem"), [
    (Entry("p", "pattern", "a phrase", "image"), "media text"),
    (Entry("p", "md5", "a" * 32, "text"), "media text"),
    (Entry("p", "pattern", "   ", "text"), "1-500 characters"),
    (Entry("p", "pattern", "x" * 501, "text"), "1-500 characters"),
    (Entry("p", "pattern", "two\nlines", "text"), "control characters"),
    (Entry("p", "pattern", " padded", "text"), "surrounding spaces"),
])
def test_bad_pattern_entries_are_named(entry: Entry, problem: str) -> None:
    assert problem in (entry.problem() or "")


def test_signed_list_with_a_bad_pattern_is_refused(
    centre: SigningKey, trusted: list[TrustedKey]
) -> None:
    from childshield.crypto.signing import sign_document

    payload = _full(entries=[_pattern(1)], scope=PATTERN_SCOPE).to_json()
    payload["entries"][0]["value"] = "tab\there"
    envelope = sign_document(payload, centre, typ="childshield.indicator-list/1", created=T0)
    with pytest.raises(IntegrityError, match="pat-1: a solicitation pattern") as excinfo:
        _verify(envelope, trusted, allowed=PATTERN_SCOPE)
    assert excinfo.value.extra["fault"] == "bad-entry"
