"""Golden examples in docs/report-format.md: they verify, open, and match what the code says."""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.exchange.reportdata import STAND_IN_CONTENT, demo_centre_key, demo_signing_key

from childshield.exchange.report import (
    ReportValidationError,
    open_item,
    parse_report,
    verify_report,
)
from childshield.exchange.report_status import ReportStatus, verify_answer

DOC = Path(__file__).resolve().parents[2] / "docs" / "report-format.md"
NOW = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def blocks() -> list[Any]:
    text = DOC.read_text()
    return [json.loads(b) for b in re.findall(r"```json\n(.*?)\n```", text, flags=re.S)]


def test_doc_names_the_demo_keys() -> None:
    text = DOC.read_text()
    for key in (demo_signing_key(), demo_signing_key("centre")):
        assert key.kid in text and key.public_base64 in text
    assert demo_centre_key().public_key.to_base64() in text


def test_golden_report_verifies_and_opens(blocks: list[Any]) -> None:
    envelope = blocks[2]
    verified = verify_report(envelope, [demo_signing_key().trusted("demo-host")], now=NOW)
    item = verified.report.content[0]
    assert open_item(verified.report, item, demo_centre_key()) == STAND_IN_CONTENT


def test_golden_problem_document_is_what_the_code_says(blocks: list[Any]) -> None:
    from childshield.api.problems import problem_body

    data = copy.deepcopy(blocks[2]["payload"])
    del data["provider"]["email"], data["users"], data["legal_basis"]
    data["location"] = {"port": 443}
    data["urgent"] = True
    with pytest.raises(ReportValidationError) as excinfo:
        parse_report(data)
    assert problem_body(excinfo.value, "/centre/v1/reports") == blocks[0]


def test_golden_centre_answer_verifies(blocks: list[Any]) -> None:
    answer = verify_answer(blocks[1], [demo_signing_key("centre").trusted("eu-centre")], now=NOW)
    assert answer.status is ReportStatus.FORWARDED
    assert not answer.may_inform_user(NOW, reported_at=NOW)
    assert [q.request_id for q in answer.open_questions()] == ["q-1"]
