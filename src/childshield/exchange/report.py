"""The provider -> centre report (COM(2022) 209 Art. 13), its validation and its signature.

A report is a JSON document (:class:`Report`), canonicalised with RFC 8785 and signed with
the provider's Ed25519 key in a ``childshield.report/1`` envelope (:func:`sign_report`).
Content is never in the clear: each item carries its bytes sealed for the centre's X25519
key, bound to the report id and item id (:func:`seal_item`, :func:`open_item`).

:func:`parse_report` validates a payload and names **every** missing or invalid field in
one :class:`ReportValidationError` (``.errors``: ``{"field", "problem", "article"}``), so
the centre's intake can return them all as one problem+json. :func:`verify_report` checks
the signature first, then the schema, then that the key belongs to the provider the report
names. The golden examples are in docs/report-format.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, IPvAnyAddress, ValidationError, field_validator

from childshield.crypto.canonical import canonical_sha256
from childshield.crypto.sealing import SealedBox, SealingKey, SealingPublicKey, open_sealed, seal
from childshield.crypto.signing import SigningKey, TrustedKey, TrustedKeys, sign_document
from childshield.crypto.signing import verify_document as _verify_document
from childshield.exchange._common import (
    SIGNALS,
    CountryCode,
    DocumentValidationError,
    Identifier,
    StrictModel,
    Text,
    describe,
    pydantic_problems,
    signal_value_problem,
)

REPORT_TYPE = "childshield.report/1"
AbuseType = Literal["known", "new", "solicitation"]
SignalName = Literal["pdq", "md5", "sha256", "vpdq"]

#: Which provision of the Regulation asks for each top-level field.
ARTICLE: dict[str, str] = {
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
    "urgency_reason": "Art. 13(1)(j)",
    "legal_basis": "Art. 13(1)(k)",
    "human_review": "Art. 10(4) (human oversight)",
}


class ReportValidationError(DocumentValidationError):
    """A report lacks Art. 13 fields or has invalid ones; ``errors`` names every one."""

    slug, title = "invalid-report", "Report does not meet Art. 13"


class LegalRepresentative(StrictModel):
    name: Text
    address: Text
    email: Text
    country: CountryCode


class ProviderIdentity(StrictModel):
    id: Identifier
    name: Text
    address: Text
    email: Text
    country: CountryCode
    legal_representative: LegalRepresentative | None = None


class ContentSignal(StrictModel):
    """A signal computed from the item; vPDQ frames are one entry each with frame/time."""

    signal: SignalName
    value: str
    quality: int | None = Field(default=None, ge=0, le=100)
    frame: int | None = Field(default=None, ge=0)
    time: float | None = Field(default=None, ge=0)

    @field_validator("value")
    @classmethod
    def _hex(cls, value: str, info: Any) -> str:
        problem = signal_value_problem(info.data.get("signal", ""), value)
        if problem and info.data.get("signal") in SIGNALS:
            raise ValueError(problem)
        return value


class MatchedIndicator(StrictModel):
    indicator_id: Identifier
    signal: SignalName
    distance: int | None = Field(default=None, ge=0)
    bank: str | None = None
    list_id: str | None = None
    list_version: int | None = Field(default=None, ge=1)


class ContentItem(StrictModel):
    item_id: Identifier
    kind: Literal["image", "video", "text", "url", "other"]
    media_type: Text
    signals: list[ContentSignal]
    matched_indicators: list[MatchedIndicator] = Field(default_factory=list)
    sealed_content: SealedBox
    file_name: str | None = None
    uploaded_at: AwareDatetime | None = None
    url: str | None = None
    publicly_available: bool | None = None


class Location(StrictModel):
    ip: IPvAnyAddress | None = None
    port: int | None = Field(default=None, ge=0, le=65535)
    time: AwareDatetime | None = None
    country: CountryCode | None = None


class InvolvedUser(StrictModel):
    user_id: Identifier
    role: Literal["uploader", "sender", "recipient", "account_holder", "suspect", "victim", "other"]
    screen_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    ip: IPvAnyAddress | None = None
    country: CountryCode | None = None


class ThirdCountryReport(StrictModel):
    body: Text
    country: CountryCode
    status: Literal["made", "will_be_made"]
    reference: str | None = None


class Removal(StrictModel):
    status: Literal["removed", "access_disabled", "not_removed"]
    time: AwareDatetime | None = None


class HumanReview(StrictModel):
    reviewer: Identifier
    decided_at: AwareDatetime
    decision: Literal["confirm_known", "confirm_new", "confirm_solicitation"]
    case_id: str | None = None
    notes: str | None = None


class Report(StrictModel):
    """An Art. 13 report. Field order follows the article."""

    format: Literal["childshield.report/1"] = "childshield.report/1"
    report_id: Identifier
    provider: ProviderIdentity
    created: AwareDatetime
    content: list[ContentItem] = Field(min_length=1)
    other_data: dict[str, Any]
    abuse_type: AbuseType
    location: Location
    users: list[InvolvedUser] = Field(min_length=1)
    third_country_reports: list[ThirdCountryReport]
    removal: Removal | None
    urgent: bool
    urgency_reason: str | None = None
    legal_basis: Text
    human_review: HumanReview

    def to_json(self) -> dict[str, Any]:
        """The JSON payload that is canonicalised and signed."""
        return self.model_dump(mode="json")

    @property
    def digest(self) -> str:
        """SHA-256 of the canonical payload (stable id for duplicates and idempotency)."""
        return canonical_sha256(self.to_json())


def _conditional_problems(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """Rules that span fields; tolerant of missing or malformed pieces."""
    problems: list[dict[str, str]] = []

    def add(field: str, problem: str) -> None:
        problems.append(
            {"field": field, "problem": problem, "article": ARTICLE[field.split(".")[0]]}
        )

    abuse = data.get("abuse_type")
    removal = data.get("removal")
    if abuse in ("known", "new") and "removal" in data and removal is None:
        add("removal", "required for known or new material: was it removed or disabled?")
    removed = isinstance(removal, Mapping) and removal.get("status") in (
        "removed",
        "access_disabled",
    )
    if removed and isinstance(removal, Mapping) and not removal.get("time"):
        add("removal.time", "required when the material was removed or disabled")
    if data.get("urgent") is True and not data.get("urgency_reason"):
        add("urgency_reason", "required when the report is marked urgent")
    location = data.get("location")
    if isinstance(location, Mapping) and not location.get("ip") and not location.get("country"):
        add("location", "give at least the IP address or the country")
    review = data.get("human_review")
    if (
        isinstance(review, Mapping)
        and abuse in ("known", "new", "solicitation")
        and review.get("decision") not in (None, f"confirm_{abuse}")
    ):
        add("human_review.decision", f"must be confirm_{abuse} for abuse_type {abuse}")
    return problems


def _after_parse_problems(report: Report) -> list[dict[str, str]]:
    problems = []
    if report.human_review.decided_at > report.created:
        problems.append(
            {
                "field": "human_review.decided_at",
                "problem": "the review decision is later than the report",
                "article": ARTICLE["human_review"],
            }
        )
    seen: set[str] = set()
    for n, item in enumerate(report.content):
        if item.item_id in seen:
            problems.append(
                {
                    "field": f"content.{n}.item_id",
                    "problem": f"duplicate item id {item.item_id!r}",
                    "article": ARTICLE["content"],
                }
            )
        seen.add(item.item_id)
    return problems


def _raise(problems: list[dict[str, str]]) -> None:
    missing = sum(1 for p in problems if p["problem"] == "missing")
    lead = f"report has {len(problems)} problem(s)"
    if missing:
        lead += f", {missing} missing field(s)"
    raise ReportValidationError(f"{lead}: {describe(problems)}", problems)


def parse_report(data: Any) -> Report:
    """Validate a report payload; ReportValidationError names every problem at once."""
    if not isinstance(data, Mapping):
        raise ReportValidationError(
            "report must be a JSON object", [{"field": "(document)", "problem": "not an object"}]
        )
    problems = _conditional_problems(data)
    try:
        report = Report.model_validate(data)
    except ValidationError as exc:
        problems = pydantic_problems(exc, ARTICLE.get) + problems
        _raise(problems)
    problems += _after_parse_problems(report)
    if problems:
        _raise(problems)
    return report


def sign_report(
    report: Report, key: SigningKey, *, created: datetime | None = None
) -> dict[str, Any]:
    """The signed envelope the provider sends (RFC 8785 canonical payload, Ed25519)."""
    return sign_document(report.to_json(), key, typ=REPORT_TYPE, created=created or report.created)


@dataclass(frozen=True)
class VerifiedReport:
    report: Report
    kid: str
    signed_at: datetime
    digest: str


def verify_report(
    envelope: Any,
    trusted_keys: TrustedKeys | list[TrustedKey],
    *,
    now: datetime | None = None,
) -> VerifiedReport:
    """Signature (IntegrityError), then schema (ReportValidationError), then signer.

    Each trusted key's ``owner`` is the provider id it belongs to; a report naming
    provider A signed with provider B's key is the ``wrong-key`` IntegrityError.
    """
    from childshield.crypto.encoding import integrity_error

    verified = _verify_document(envelope, trusted_keys, typ=REPORT_TYPE, now=now)
    report = parse_report(verified.payload)
    if verified.key.owner != report.provider.id:
        raise integrity_error(
            "wrong-key",
            f"report names provider {report.provider.id!r} but key {verified.kid} belongs to "
            f"{verified.key.owner!r}",
        )
    return VerifiedReport(report, verified.kid, verified.created, report.digest)


def item_context(report_id: str, item_id: str) -> str:
    """What a sealed item is bound to: this report and this item."""
    return f"{REPORT_TYPE}:{report_id}:{item_id}"


def seal_item(
    content: bytes, centre: SealingPublicKey, *, report_id: str, item_id: str
) -> SealedBox:
    """Seal one item's bytes for the centre, bound to the report and item ids."""
    return seal(content, centre, context=item_context(report_id, item_id))


def open_item(report: Report, item: ContentItem, centre: SealingKey) -> bytes:
    """The centre opens one item of a verified report (IntegrityError if tampered)."""
    return open_sealed(
        item.sealed_content, centre, context=item_context(report.report_id, item.item_id)
    )


__all__ = [
    "ARTICLE",
    "REPORT_TYPE",
    "ContentItem",
    "ContentSignal",
    "HumanReview",
    "InvolvedUser",
    "LegalRepresentative",
    "Location",
    "MatchedIndicator",
    "ProviderIdentity",
    "Removal",
    "Report",
    "ReportValidationError",
    "ThirdCountryReport",
    "VerifiedReport",
    "item_context",
    "open_item",
    "parse_report",
    "seal_item",
    "sign_report",
    "verify_report",
]
