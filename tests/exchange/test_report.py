"""Art. 13 reports: validation names every missing field; signatures bind the provider."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.exchange.reportdata import STAND_IN_CONTENT, demo_centre_key, report_dict

from childshield.crypto.signing import SigningKey
from childshield.errors import IntegrityError
from childshield.exchange.report import (
    ReportValidationError,
    open_item,
    parse_report,
    sign_report,
    verify_report,
)

NOW = datetime(2026, 11, 28, 12, 5, tzinfo=UTC)


def _problems(data: Any) -> dict[str, dict[str, str]]:
    with pytest.raises(ReportValidationError) as excinfo:
        parse_report(data)
    assert excinfo.value.status == 422
    return {p["field"]: p for p in excinfo.value.errors}


def test_a_complete_report_parses() -> None:
    report = parse_report(report_dict())
    assert report.abuse_type == "known"
    assert report.content[0].signals[0].signal == "pdq"
    assert str(report.location.ip) == "192.0.2.10"
    assert parse_report(report.to_json()) == report


def test_every_missing_art13_field_is_named_in_one_error() -> None:
    data = report_dict()
    for field in (
        "provider",
        "created",
        "content",
        "other_data",
        "abuse_type",
        "location",
        "users",
        "third_country_reports",
        "removal",
        "urgent",
        "legal_basis",
        "human_review",
    ):
        del data[field]
    problems = _problems(data)
    expected = {
        "provider": "Art. 13(1)(a)",
        "created": "Art. 13(1)(b)",
        "content": "Art. 13(1)(c)",
        "other_data": "Art. 13(1)(d)",
        "abuse_type": "Art. 13(1)(e)",
        "location": "Art. 13(1)(f)",
        "users": "Art. 13(1)(g)",
        "third_country_reports": "Art. 13(1)(h)",
        "removal": "Art. 13(1)(i)",
        "urgent": "Art. 13(1)(j)",
        "legal_basis": "Art. 13(1)(k)",
        "human_review": "Art. 10(4) (human oversight)",
    }
    for field, article in expected.items():
        assert problems[field] == {"field": field, "problem": "missing", "article": article}


def test_nested_missing_fields_and_message() -> None:
    data = report_dict()
    del data["provider"]["email"]
    del data["human_review"]["reviewer"]
    data["location"]["ip"] = "not-an-ip"
    data["content"][0]["signals"][1]["value"] = "XYZ"
    with pytest.raises(ReportValidationError) as excinfo:
        parse_report(data)
    fields = {p["field"] for p in excinfo.value.errors}
    assert {
        "provider.email",
        "human_review.reviewer",
        "location.ip",
        "content.0.signals.1.value",
    } <= fields
    message = excinfo.value.message
    assert "provider.email (Art. 13(1)(a)): missing" in message
    assert "md5 value must be 32 lower-case hex digits" in message


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"removal": None}, "removal", "removed or disabled"),
        ({"removal": {"status": "removed"}}, "removal.time", "required"),
        ({"urgent": True}, "urgency_reason", "urgent"),
        ({"location": {"port": 443}}, "location", "IP address or the country"),
        ({"abuse_type": "new"}, "human_review.decision", "confirm_new"),
        ({"content": []}, "content", "at least 1"),
        ({"users": []}, "users", "at least 1"),
        ({"surprise": 1}, "surprise", "unexpected field"),
    ],
)
def test_conditional_rules(change: dict[str, Any], field: str, words: str) -> None:
    problems = _problems(report_dict(**change))
    assert words in problems[field]["problem"]


def test_review_after_report_is_refused() -> None:
    data = report_dict()
    data["human_review"]["decided_at"] = "2026-11-28T13:00:00Z"
    assert "later than the report" in _problems(data)["human_review.decided_at"]["problem"]


def test_solicitation_report_without_removal_is_fine() -> None:
    data = report_dict(abuse_type="solicitation", removal=None)
    data["human_review"]["decision"] = "confirm_solicitation"
    assert parse_report(data).removal is None


@pytest.mark.parametrize("junk", [None, [], "report", 3])
def test_non_object_is_refused(junk: Any) -> None:
    with pytest.raises(ReportValidationError, match="JSON object"):
        parse_report(junk)


@pytest.fixture(scope="module")
def provider_key() -> SigningKey:
    return SigningKey.generate()


def test_sign_verify_and_open_sealed_content(provider_key: SigningKey) -> None:
    report = parse_report(report_dict())
    envelope = sign_report(report, provider_key)
    verified = verify_report(envelope, [provider_key.trusted("demo-host")], now=NOW)
    assert verified.report == report
    assert verified.kid == provider_key.kid
    assert verified.digest == report.digest
    assert (
        open_item(verified.report, verified.report.content[0], demo_centre_key())
        == STAND_IN_CONTENT
    )


def test_report_signed_by_another_providers_key(provider_key: SigningKey) -> None:
    envelope = sign_report(parse_report(report_dict()), provider_key)
    with pytest.raises(IntegrityError) as excinfo:
        verify_report(envelope, [provider_key.trusted("other-host")], now=NOW)
    assert excinfo.value.extra["fault"] == "wrong-key"


def test_tampered_report_is_refused_before_schema(provider_key: SigningKey) -> None:
    envelope = sign_report(parse_report(report_dict()), provider_key)
    forged = copy.deepcopy(envelope)
    forged["payload"]["abuse_type"] = "new"
    with pytest.raises(IntegrityError) as excinfo:
        verify_report(forged, [provider_key.trusted("demo-host")], now=NOW)
    assert excinfo.value.extra["fault"] == "bad-signature"
    del forged["payload"]["users"]
    with pytest.raises(IntegrityError):
        verify_report(forged, [provider_key.trusted("demo-host")], now=NOW)


def test_signed_but_incomplete_report_names_fields(provider_key: SigningKey) -> None:
    from childshield.crypto.signing import sign_document

    data = report_dict()
    del data["legal_basis"]
    envelope = sign_document(data, provider_key, typ="childshield.report/1", created=NOW)
    with pytest.raises(ReportValidationError, match="legal_basis"):
        verify_report(envelope, [provider_key.trusted("demo-host")], now=NOW)


def test_sealed_item_moved_to_another_report_does_not_open() -> None:
    one = parse_report(report_dict())
    other = parse_report(report_dict(report_id="another-report"))
    moved = other.model_copy(update={"content": one.content})
    with pytest.raises(IntegrityError):
        open_item(moved, moved.content[0], demo_centre_key())


def test_report_signed_in_the_future_is_refused(provider_key: SigningKey) -> None:
    report = parse_report(report_dict())
    envelope = sign_report(report, provider_key, created=NOW + timedelta(hours=1))
    with pytest.raises(IntegrityError) as excinfo:
        verify_report(envelope, [provider_key.trusted("demo-host")], now=NOW)
    assert excinfo.value.extra["fault"] == "not-yet-valid"
