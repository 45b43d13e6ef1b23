"""The centre's referral package to law enforcement (COM(2022) 209 Art. 48(3)).

When an analyst decides a report is not manifestly unfounded, the centre forwards it to
Europol and to the competent law-enforcement authority of each Member State likely to have
jurisdiction. :func:`resolve_recipients` finds those Member States from the report's
location data (the location's country first, then the countries of the users involved)
and always includes Europol; where no Member State can be determined, Europol alone.

The package (:class:`ReferralPackage`) is a signed JSON bundle
(``childshield.referral/1``): a summary of the report (no content bytes: those stay sealed
at the centre and are released on request), the assessment, and the recipients.
National authorities come from an :class:`AuthorityDirectory`, which a deployment loads from
JSON; the built-in default names one placeholder authority per Member State.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, model_validator

from childshield.crypto.signing import SigningKey, TrustedKey, TrustedKeys, sign_document
from childshield.crypto.signing import verify_document as _verify_document
from childshield.exchange._common import (
    CountryCode,
    DocumentValidationError,
    Identifier,
    StrictModel,
    Text,
    describe,
    model_or_problems,
)
from childshield.exchange.report import (
    AbuseType,
    ContentSignal,
    InvolvedUser,
    Location,
    MatchedIndicator,
    Removal,
    Report,
    ThirdCountryReport,
)

REFERRAL_TYPE = "childshield.referral/1"
EU_MEMBER_STATES = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()  # noqa: SIM905
)
_ALIASES = {"EL": "GR"}  # the EU's own code for Greece
_JURISDICTION_ROLES = ("suspect", "uploader", "sender", "account_holder", "victim", "recipient")


class Recipient(StrictModel):
    id: Identifier
    kind: Literal["europol", "national_authority"]
    name: Text
    country: CountryCode | None = None
    endpoint: str | None = None


EUROPOL = Recipient(id="europol", kind="europol", name="Europol European Cybercrime Centre (EC3)")


def member_state(code: str | None) -> str | None:
    """The ISO code of an EU Member State (``EL`` accepted for Greece), else None."""
    if not code:
        return None
    code = _ALIASES.get(code.upper(), code.upper())
    return code if code in EU_MEMBER_STATES else None


class AuthorityDirectory:
    """Member State -> competent national authority."""

    def __init__(self, authorities: Iterable[Recipient] | None = None) -> None:
        if authorities is None:
            authorities = [
                Recipient(
                    id=f"authority-{cc.lower()}",
                    kind="national_authority",
                    name=f"Competent law-enforcement authority ({cc})",
                    country=cc,
                )
                for cc in sorted(EU_MEMBER_STATES)
            ]
        self._by_country: dict[str, Recipient] = {}
        for authority in authorities:
            state = member_state(authority.country)
            if authority.kind != "national_authority" or state is None:
                raise ValueError(f"{authority.id}: a national authority needs an EU country")
            self._by_country[state] = authority

    @classmethod
    def from_json(cls, data: Any) -> AuthorityDirectory:
        """From a JSON list of recipients (``{"id", "name", "country", "endpoint"}``)."""
        if not isinstance(data, list):
            raise DocumentValidationError(
                "authority directory must be a JSON list",
                [{"field": "(document)", "problem": "not a list"}],
            )
        items = []
        for n, raw in enumerate(data):
            item = {"kind": "national_authority", **raw} if isinstance(raw, Mapping) else raw
            recipient, problems = model_or_problems(Recipient, item)
            if problems:
                for p in problems:
                    p["field"] = f"{n}.{p['field']}"
                raise DocumentValidationError(
                    f"authority directory: {describe(problems)}", problems
                )
            items.append(recipient)
        return cls(items)

    def for_country(self, code: str | None) -> Recipient | None:
        state = member_state(code)
        return self._by_country.get(state) if state else None


@dataclass(frozen=True)
class Resolution:
    member_states: list[str]
    recipients: list[Recipient]
    basis: str


def resolve_recipients(report: Report, directory: AuthorityDirectory | None = None) -> Resolution:
    """Europol plus the authority of every Member State the location data points to."""
    directory = directory or AuthorityDirectory()
    candidates: list[tuple[str | None, str]] = [(report.location.country, "location.country")]
    for role in _JURISDICTION_ROLES:
        candidates += [
            (u.country, f"users[{u.user_id}].country") for u in report.users if u.role == role
        ]
    states: list[str] = []
    bases: list[str] = []
    for code, basis in candidates:
        state = member_state(code)
        if state and state not in states and directory.for_country(state):
            states.append(state)
            bases.append(basis)
    recipients = [EUROPOL] + [a for s in states if (a := directory.for_country(s)) is not None]
    basis = ", ".join(bases) if bases else "no Member State could be determined: Europol alone"
    return Resolution(states, recipients, basis)


class ItemSummary(StrictModel):
    item_id: Identifier
    kind: str
    media_type: str
    signals: list[ContentSignal]
    matched_indicators: list[MatchedIndicator]


class ReportSummary(StrictModel):
    report_id: Identifier
    report_digest: str
    provider_id: Identifier
    provider_name: Text
    provider_country: CountryCode
    created: AwareDatetime
    received: AwareDatetime
    abuse_type: AbuseType
    urgent: bool
    urgency_reason: str | None = None
    items: list[ItemSummary]
    location: Location
    users: list[InvolvedUser]
    third_country_reports: list[ThirdCountryReport]
    removal: Removal | None

    @classmethod
    def of(cls, report: Report, received: datetime) -> ReportSummary:
        return cls(
            report_id=report.report_id,
            report_digest=report.digest,
            provider_id=report.provider.id,
            provider_name=report.provider.name,
            provider_country=report.provider.country,
            created=report.created,
            received=received,
            abuse_type=report.abuse_type,
            urgent=report.urgent,
            urgency_reason=report.urgency_reason,
            items=[
                ItemSummary(
                    item_id=i.item_id,
                    kind=i.kind,
                    media_type=i.media_type,
                    signals=i.signals,
                    matched_indicators=i.matched_indicators,
                )
                for i in report.content
            ],
            location=report.location,
            users=report.users,
            third_country_reports=report.third_country_reports,
            removal=report.removal,
        )


class Assessment(StrictModel):
    analyst: Identifier
    assessed_at: AwareDatetime
    outcome: Literal["forward"] = "forward"
    pre_assessment: Literal["matches_centre_indicators", "analyst_review"]
    centre_indicator_matches: list[Identifier] = Field(default_factory=list)
    notes: str | None = None


class ReferralPackage(StrictModel):
    format: Literal["childshield.referral/1"] = "childshield.referral/1"
    referral_id: Identifier
    created: AwareDatetime
    report: ReportSummary
    assessment: Assessment
    member_states: list[CountryCode]
    recipients: list[Recipient] = Field(min_length=1)
    jurisdiction_basis: Text

    @model_validator(mode="after")
    def _europol_always(self) -> ReferralPackage:
        if not any(r.kind == "europol" for r in self.recipients):
            raise ValueError("a referral always goes to Europol")
        return self


def build_referral(
    report: Report,
    assessment: Assessment,
    *,
    referral_id: str,
    created: datetime,
    received: datetime,
    directory: AuthorityDirectory | None = None,
) -> ReferralPackage:
    resolution = resolve_recipients(report, directory)
    return ReferralPackage(
        referral_id=referral_id,
        created=created,
        report=ReportSummary.of(report, received),
        assessment=assessment,
        member_states=resolution.member_states,
        recipients=resolution.recipients,
        jurisdiction_basis=resolution.basis,
    )


def sign_referral(package: ReferralPackage, key: SigningKey) -> dict[str, Any]:
    return sign_document(
        package.model_dump(mode="json"), key, typ=REFERRAL_TYPE, created=package.created
    )


def verify_referral(
    envelope: Any,
    centre_keys: TrustedKeys | list[TrustedKey],
    *,
    now: datetime | None = None,
) -> ReferralPackage:
    """A recipient verifies the centre's signature, then the package."""
    payload = _verify_document(envelope, centre_keys, typ=REFERRAL_TYPE, now=now).payload
    package, problems = model_or_problems(ReferralPackage, payload)
    if problems:
        raise DocumentValidationError(f"invalid referral: {describe(problems)}", problems)
    assert isinstance(package, ReferralPackage)
    return package


__all__ = [
    "EUROPOL",
    "EU_MEMBER_STATES",
    "REFERRAL_TYPE",
    "Assessment",
    "AuthorityDirectory",
    "ItemSummary",
    "Recipient",
    "ReferralPackage",
    "ReportSummary",
    "Resolution",
    "build_referral",
    "member_state",
    "resolve_recipients",
    "sign_referral",
    "verify_referral",
]
