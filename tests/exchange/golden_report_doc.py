"""Rewrite the golden JSON blocks of docs/report-format.md (run when the format changes).

    PYTHONPATH=src:. python tests/exchange/golden_report_doc.py

The blocks, in order: the problem document for an incomplete report, a signed centre answer,
a signed report. test_report_docs.py checks them against the code.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

from tests.exchange.reportdata import demo_signing_key, report_dict

from childshield.api.problems import problem_body
from childshield.exchange.report import ReportValidationError, parse_report, sign_report
from childshield.exchange.report_status import CentreAnswer, sign_answer

DOC = Path(__file__).resolve().parents[2] / "docs" / "report-format.md"


def blocks() -> list[object]:
    report = parse_report(report_dict())
    envelope = sign_report(report, demo_signing_key())
    bad = copy.deepcopy(envelope["payload"])
    del bad["provider"]["email"], bad["users"], bad["legal_basis"]
    bad["location"] = {"port": 443}
    bad["urgent"] = True
    try:
        parse_report(bad)
    except ReportValidationError as error:
        problem = problem_body(error, "/centre/v1/reports")
    answer = CentreAnswer.model_validate(
        {
            "report_id": report.report_id,
            "status": "forwarded",
            "updated": "2026-11-29T09:00:00Z",
            "forwarded_to": ["europol", "authority-de"],
            "forwarded_at": "2026-11-29T09:00:00Z",
            "instructions": [
                {
                    "kind": "do_not_inform",
                    "until": "2027-05-29T09:00:00Z",
                    "issued_at": "2026-11-29T09:00:00Z",
                    "issued_by": "authority-de",
                    "reason": "ongoing investigation",
                }
            ],
            "info_requests": [
                {
                    "request_id": "q-1",
                    "asked_at": "2026-11-29T09:00:00Z",
                    "question": "Please give the account creation date and registration IP.",
                }
            ],
        }
    )
    return [problem, sign_answer(answer, demo_signing_key("centre")), envelope]


def main() -> None:
    text = DOC.read_text()
    new = iter(blocks())
    text = re.sub(
        r"```json\n(.*?)\n```",
        lambda _m: "```json\n" + json.dumps(next(new), indent=2, ensure_ascii=False) + "\n```",
        text,
        flags=re.S,
    )
    DOC.write_text(text)


if __name__ == "__main__":
    main()
