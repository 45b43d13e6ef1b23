"""The centre's answer to a report: status, law-enforcement instructions, questions.

Status moves only forward::

    received -> assessed -> forwarded
                        \\-> manifestly_unfounded   (with reasons; the provider is told)

Instructions come from law enforcement through the centre: ``do_not_inform`` (do not tell
the user yet, Art. 12) and ``do_not_remove`` (keep the material up for the investigation),
each until a date at most 18 months after it was issued. Requests for more information
carry an id so the provider's answer can refer to them.

The centre signs its answers (``childshield.report-status/1``) so a provider acts only on
instructions that really come from the centre.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, Field, model_validator

from childshield.crypto.signing import SigningKey, TrustedKey, TrustedKeys, sign_document
from childshield.crypto.signing import verify_document as _verify_document
from childshield.errors import ConflictError
from childshield.exchange._common import (
    DocumentValidationError,
    Identifier,
    StrictModel,
    Text,
    describe,
    model_or_problems,
)

STATUS_TYPE = "childshield.report-status/1"
MAX_INSTRUCTION_MONTHS = 18
PROVIDER_NOTICE_DELAY = timedelta(days=92)  # Art. 12(2): three months after the report


class ReportStatus(StrEnum):
    RECEIVED = "received"
    ASSESSED = "assessed"
    FORWARDED = "forwarded"
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"


TRANSITIONS: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.RECEIVED: frozenset({ReportStatus.ASSESSED}),
    ReportStatus.ASSESSED: frozenset({ReportStatus.FORWARDED, ReportStatus.MANIFESTLY_UNFOUNDED}),
    ReportStatus.FORWARDED: frozenset(),
    ReportStatus.MANIFESTLY_UNFOUNDED: frozenset(),
}


def check_transition(current: ReportStatus | str, new: ReportStatus | str) -> ReportStatus:
    """``new`` if the status may move there from ``current``, else ConflictError."""
    old, target = ReportStatus(current), ReportStatus(new)
    if target not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(TRANSITIONS[old])) or "nothing (final)"
        raise ConflictError(f"a report that is {old} cannot become {target}; allowed: {allowed}")
    return target


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


class Instruction(StrictModel):
    kind: Literal["do_not_inform", "do_not_remove"]
    until: AwareDatetime
    issued_at: AwareDatetime
    issued_by: Text
    reason: str | None = None

    @model_validator(mode="after")
    def _at_most_18_months(self) -> Instruction:
        if self.until <= self.issued_at:
            raise ValueError("until must be after issued_at")
        limit = add_months(self.issued_at, MAX_INSTRUCTION_MONTHS)
        if self.until > limit:
            raise ValueError(
                f"{self.kind} may last at most {MAX_INSTRUCTION_MONTHS} months "
                f"(until {limit.isoformat()} at the latest)"
            )
        return self

    def in_force(self, at: datetime) -> bool:
        return self.issued_at <= at < self.until


class InfoRequest(StrictModel):
    request_id: Identifier
    asked_at: AwareDatetime
    question: Text
    answered_at: AwareDatetime | None = None


class CentreAnswer(StrictModel):
    """What the provider sees when it pulls a report's status."""

    format: Literal["childshield.report-status/1"] = "childshield.report-status/1"
    report_id: Identifier
    status: ReportStatus
    updated: AwareDatetime
    reasons: list[Text] = Field(default_factory=list)
    instructions: list[Instruction] = Field(default_factory=list)
    info_requests: list[InfoRequest] = Field(default_factory=list)
    forwarded_to: list[Identifier] = Field(default_factory=list)
    forwarded_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CentreAnswer:
        if self.status is ReportStatus.MANIFESTLY_UNFOUNDED and not self.reasons:
            raise ValueError("a manifestly unfounded answer must give its reasons")
        if self.status is ReportStatus.FORWARDED and not (self.forwarded_to and self.forwarded_at):
            raise ValueError("a forwarded answer must name the recipients and the time")
        return self

    def instruction_until(self, kind: str, at: datetime) -> datetime | None:
        """The latest end of an instruction of ``kind`` in force at ``at`` (None if none)."""
        ends = [i.until for i in self.instructions if i.kind == kind and i.in_force(at)]
        return max(ends) if ends else None

    def may_remove(self, at: datetime) -> bool:
        return self.instruction_until("do_not_remove", at) is None

    def may_inform_user(self, at: datetime, reported_at: datetime) -> bool:
        """Art. 12(2): after a manifestly-unfounded answer, or three months after the
        report, unless a do-not-inform instruction is in force."""
        if self.instruction_until("do_not_inform", at) is not None:
            return False
        return (
            self.status is ReportStatus.MANIFESTLY_UNFOUNDED
            or at >= reported_at + PROVIDER_NOTICE_DELAY
        )

    def open_questions(self) -> list[InfoRequest]:
        return [q for q in self.info_requests if q.answered_at is None]


def parse_answer(data: Any) -> CentreAnswer:
    answer, problems = model_or_problems(CentreAnswer, data)
    if problems:
        raise DocumentValidationError(f"invalid centre answer: {describe(problems)}", problems)
    assert isinstance(answer, CentreAnswer)
    return answer


def sign_answer(answer: CentreAnswer, key: SigningKey) -> dict[str, Any]:
    """The centre signs an answer with its Ed25519 key."""
    return sign_document(
        answer.model_dump(mode="json"), key, typ=STATUS_TYPE, created=answer.updated
    )


def verify_answer(
    envelope: Any, centre_keys: TrustedKeys | list[TrustedKey], *, now: datetime | None = None
) -> CentreAnswer:
    """A provider verifies the centre's signature, then the answer's content."""
    return parse_answer(_verify_document(envelope, centre_keys, typ=STATUS_TYPE, now=now).payload)


__all__ = [
    "MAX_INSTRUCTION_MONTHS",
    "PROVIDER_NOTICE_DELAY",
    "STATUS_TYPE",
    "TRANSITIONS",
    "CentreAnswer",
    "InfoRequest",
    "Instruction",
    "ReportStatus",
    "add_months",
    "check_transition",
    "parse_answer",
    "sign_answer",
    "verify_answer",
]
