"""The centre's answers: forward-only status, instructions capped at 18 months, signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from childshield.crypto.signing import SigningKey
from childshield.errors import ConflictError, IntegrityError
from childshield.exchange._common import DocumentValidationError
from childshield.exchange.report_status import (
    CentreAnswer,
    ReportStatus,
    add_months,
    check_transition,
    parse_answer,
    sign_answer,
    verify_answer,
)

T0 = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("old", "new"),
    [("received", "assessed"), ("assessed", "forwarded"), ("assessed", "manifestly_unfounded")],
)
def test_allowed_transitions(old: str, new: str) -> None:
    assert check_transition(old, new) == ReportStatus(new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("received", "forwarded"),
        ("received", "manifestly_unfounded"),
        ("forwarded", "assessed"),
        ("manifestly_unfounded", "forwarded"),
        ("assessed", "received"),
    ],
)
def test_refused_transitions(old: str, new: str) -> None:
    with pytest.raises(ConflictError, match=f"cannot become {new}"):
        check_transition(old, new)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(T0, 1) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert add_months(T0, 18) == datetime(2027, 7, 31, 9, 0, tzinfo=UTC)
    assert add_months(datetime(2027, 8, 31, tzinfo=UTC), 6) == datetime(2028, 2, 29, tzinfo=UTC)


def _answer(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "report_id": "r-1",
        "status": "forwarded",
        "updated": "2026-01-31T09:00:00Z",
        "forwarded_to": ["europol", "DE"],
        "forwarded_at": "2026-01-31T09:00:00Z",
        "instructions": [
            {
                "kind": "do_not_inform",
                "until": "2027-07-31T09:00:00Z",
                "issued_at": "2026-01-31T09:00:00Z",
                "issued_by": "BKA",
            }
        ],
    }
    data.update(overrides)
    return data


def test_instruction_of_exactly_18_months_is_accepted_and_in_force() -> None:
    answer = parse_answer(_answer())
    assert answer.instruction_until("do_not_inform", T0 + timedelta(days=30)) == datetime(
        2027, 7, 31, 9, 0, tzinfo=UTC
    )
    assert not answer.may_inform_user(T0 + timedelta(days=200), reported_at=T0)
    assert answer.may_inform_user(datetime(2027, 8, 1, tzinfo=UTC), reported_at=T0)
    assert answer.may_remove(T0)


def test_instruction_longer_than_18_months_is_refused() -> None:
    data = _answer()
    data["instructions"][0]["until"] = "2027-07-31T09:00:01Z"
    with pytest.raises(DocumentValidationError, match="at most 18 months"):
        parse_answer(data)


def test_do_not_remove_blocks_removal_until_the_date() -> None:
    data = _answer()
    data["instructions"] = [
        {
            "kind": "do_not_remove",
            "until": "2026-06-01T00:00:00Z",
            "issued_at": "2026-01-31T09:00:00Z",
            "issued_by": "Europol",
        }
    ]
    answer = parse_answer(data)
    assert not answer.may_remove(T0 + timedelta(days=10))
    assert answer.may_remove(datetime(2026, 6, 1, tzinfo=UTC))


def test_notice_three_months_after_report_or_after_unfounded() -> None:
    received = parse_answer(
        _answer(status="received", instructions=[], forwarded_to=[], forwarded_at=None)
    )
    assert not received.may_inform_user(T0 + timedelta(days=30), reported_at=T0)
    assert received.may_inform_user(T0 + timedelta(days=93), reported_at=T0)
    unfounded = parse_answer(
        _answer(
            status="manifestly_unfounded",
            reasons=["benign image"],
            instructions=[],
            forwarded_to=[],
            forwarded_at=None,
        )
    )
    assert unfounded.may_inform_user(T0 + timedelta(days=1), reported_at=T0)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"status": "manifestly_unfounded", "reasons": []}, "reasons"),
        ({"forwarded_to": []}, "recipients"),
        ({"status": "lost"}, "status"),
    ],
)
def test_inconsistent_answers_are_refused(overrides: dict[str, Any], words: str) -> None:
    with pytest.raises(DocumentValidationError, match=words):
        parse_answer(_answer(**overrides))


def test_open_questions() -> None:
    answer = parse_answer(
        _answer(
            status="received",
            forwarded_to=[],
            forwarded_at=None,
            instructions=[],
            info_requests=[
                {
                    "request_id": "q1",
                    "asked_at": "2026-01-31T09:00:00Z",
                    "question": "When was the account created?",
                },
                {
                    "request_id": "q2",
                    "asked_at": "2026-01-31T09:00:00Z",
                    "question": "x",
                    "answered_at": "2026-02-01T09:00:00Z",
                },
            ],
        )
    )
    assert [q.request_id for q in answer.open_questions()] == ["q1"]


def test_signed_answer_verifies_and_forgery_fails() -> None:
    centre = SigningKey.generate()
    answer = CentreAnswer.model_validate(_answer())
    envelope = sign_answer(answer, centre)
    assert verify_answer(envelope, [centre.trusted("centre")], now=T0) == answer
    envelope["payload"]["instructions"] = []
    with pytest.raises(IntegrityError):
        verify_answer(envelope, [centre.trusted("centre")], now=T0)
