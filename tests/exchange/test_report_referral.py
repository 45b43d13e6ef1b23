"""Referral packages (Art. 48): who receives them, and that they are signed by the centre."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.exchange.reportdata import STAND_IN_CONTENT, report_dict

from childshield.crypto.signing import SigningKey
from childshield.errors import IntegrityError
from childshield.exchange._common import DocumentValidationError
from childshield.exchange.referral import (
    Assessment,
    AuthorityDirectory,
    build_referral,
    member_state,
    resolve_recipients,
    sign_referral,
    verify_referral,
)
from childshield.exchange.report import Report, parse_report

T0 = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)


def _report(location: dict[str, Any], users: list[dict[str, Any]] | None = None) -> Report:
    data = report_dict(location=location)
    if users is not None:
        data["users"] = users
    return parse_report(data)


def test_member_state_from_location_country() -> None:
    resolution = resolve_recipients(_report({"ip": "192.0.2.1", "country": "DE"}))
    assert resolution.member_states == ["DE"]
    assert [r.id for r in resolution.recipients] == ["europol", "authority-de"]
    assert resolution.basis == "location.country"


def test_several_member_states_from_users() -> None:
    users = [
        {"user_id": "a", "role": "uploader", "country": "FR"},
        {"user_id": "b", "role": "recipient", "country": "EL"},
        {"user_id": "c", "role": "suspect", "country": "US"},
    ]
    resolution = resolve_recipients(_report({"ip": "192.0.2.1", "country": "NL"}, users))
    assert resolution.member_states == ["NL", "FR", "GR"]
    assert [r.id for r in resolution.recipients] == [
        "europol",
        "authority-nl",
        "authority-fr",
        "authority-gr",
    ]


@pytest.mark.parametrize("location", [{"ip": "192.0.2.1"}, {"country": "US"}, {"country": "CH"}])
def test_europol_alone_when_no_member_state(location: dict[str, Any]) -> None:
    resolution = resolve_recipients(_report(location))
    assert resolution.member_states == []
    assert [r.id for r in resolution.recipients] == ["europol"]
    assert "Europol alone" in resolution.basis


def test_directory_from_json_overrides_defaults() -> None:
    directory = AuthorityDirectory.from_json(
        [
            {
                "id": "bka",
                "name": "Bundeskriminalamt",
                "country": "DE",
                "endpoint": "https://le.example/intake",
            }
        ]
    )
    resolution = resolve_recipients(_report({"country": "DE"}), directory)
    assert resolution.recipients[1].name == "Bundeskriminalamt"
    # A Member State missing from a deployment's directory cannot be resolved: Europol alone.
    assert [r.id for r in resolve_recipients(_report({"country": "FR"}), directory).recipients] == [
        "europol"
    ]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"id": "x"}, "0.name"),
        ([{"id": "x", "name": "X", "country": "de"}], "0.country"),
    ],
)
def test_bad_directory_is_named(data: Any, words: str) -> None:
    with pytest.raises(DocumentValidationError, match=words):
        AuthorityDirectory.from_json(data if isinstance(data, list) else [data])


def test_member_state_codes() -> None:
    assert member_state("el") == "GR"
    assert member_state("GB") is None
    assert member_state(None) is None


def test_signed_referral_round_trip_without_content() -> None:
    centre = SigningKey.generate()
    report = _report({"ip": "192.0.2.1", "country": "BE"})
    assessment = Assessment(
        analyst="analyst-1",
        assessed_at=T0,
        pre_assessment="matches_centre_indicators",
        centre_indicator_matches=["ci-9"],
    )
    package = build_referral(report, assessment, referral_id="ref-1", created=T0, received=T0)
    envelope = sign_referral(package, centre)
    assert STAND_IN_CONTENT.hex() not in str(envelope)
    assert "sealed_content" not in str(envelope)
    again = verify_referral(envelope, [centre.trusted("eu-centre")], now=T0)
    assert again == package
    assert again.report.report_digest == report.digest
    assert [r.id for r in again.recipients] == ["europol", "authority-be"]

    envelope["payload"]["recipients"] = envelope["payload"]["recipients"][:1]
    with pytest.raises(IntegrityError):
        verify_referral(envelope, [centre.trusted("eu-centre")], now=T0)
