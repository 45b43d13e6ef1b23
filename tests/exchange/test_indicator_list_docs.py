"""The golden signed list in docs/indicator-list-format.md verifies and loads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from tests.exchange.reportdata import demo_signing_key

from childshield.exchange.indicator_list import Scope, apply_list, verify_list

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicator-list-format.md"


def test_golden_list_verifies() -> None:
    text = DOC.read_text()
    envelope = json.loads(re.findall(r"```json\n(.*?)\n```", text, flags=re.S)[-1])
    lst = verify_list(
        envelope,
        [demo_signing_key("centre").trusted("eu-centre")],
        issuer="eu-centre",
        list_id="known-images",
        held_version=None,
        allowed=Scope(signals=["pdq", "md5"], media=["image"]),
        now=datetime(2026, 11, 30, tzinfo=UTC),
    )
    assert sorted(apply_list(None, lst).entries) == ["ci-1", "ci-2"]
    assert demo_signing_key("centre").public_base64 in text
