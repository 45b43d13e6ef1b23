"""JSONL indicator files: provenance, status and hashes survive a round trip."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from childshield.errors import ImportFormatError
from childshield.exchange.indicator_record import HashRecord, IndicatorRecord
from childshield.exchange.jsonl import read_jsonl, write_jsonl

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ2 = "0" * 63 + "1"


def test_round_trip_keeps_everything() -> None:
    record = IndicatorRecord(
        signal="vpdq",
        value="clip-17",
        media="video",
        status="withdrawn",
        source="hotline export 12",
        submitted_by="analyst-3",
        created_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        how_generated="vpdq 0.2 / childshield 0.1.0",
        note="benign test clip",
        withdrawn_at=datetime(2026, 2, 1, tzinfo=UTC),
        withdrawn_reason="duplicate",
        hashes=(HashRecord(PDQ, "frame", 0, 0.0, 90), HashRecord(PDQ2, "frame", 30, 1.0, 88)),
    )
    out = io.StringIO()
    assert write_jsonl([record], out) == 1
    (back,) = read_jsonl(io.StringIO(out.getvalue()))
    assert back == record


def test_pdq_without_hashes_indexes_its_value() -> None:
    (record,) = read_jsonl([json.dumps({"signal": "pdq", "value": PDQ.upper()})])
    assert record.value == PDQ
    assert record.index_hashes() == (HashRecord(PDQ, "full"),)


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ({"signal": "pdq"}, "'signal' and 'value' are required"),
        ({"signal": "pdq", "value": PDQ, "sauce": "x"}, "unknown field 'sauce'"),
        ({"signal": "pdq", "value": PDQ[:10]}, "must be 64 hex digits, got 10"),
        ({"signal": "pdq", "value": PDQ, "status": "gone"}, "unknown status 'gone'"),
        ({"signal": "pdq", "value": PDQ, "created_at": "yesterday"}, "not an ISO 8601 time"),
        ({"signal": "pdq", "value": PDQ, "created_at": "2026-01-01T00:00:00"}, "UTC offset"),
        ({"signal": "vpdq", "value": "clip"}, "needs its frame hashes"),
        ({"signal": "pdq", "value": PDQ, "hashes": [{"value": "ab"}]}, "64 hex digits"),
        ({"signal": "pdq", "value": PDQ, "hashes": [{"value": PDQ, "frame": "x"}]}, "integer"),
        ({"signal": "pdq", "value": PDQ, "hashes": [{"value": PDQ, "quality": 101}]}, "0..100"),
    ],
)
def test_malformed_object_names_line_and_problem(obj: object, message: str) -> None:
    text = obj if isinstance(obj, str) else json.dumps(obj)
    good = json.dumps({"signal": "md5", "value": "a" * 32})
    with pytest.raises(ImportFormatError) as info:
        read_jsonl([good, "", text])
    assert info.value.line == 3
    assert message in str(info.value)


def test_hostile_lines_are_errors_not_crashes() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    long_line = json.dumps({"signal": "pdq", "value": PDQ, "note": "x" * 1_000_001})
    with pytest.raises(ImportFormatError) as info:
        read_jsonl([deep, long_line])
    assert [e["line"] for e in info.value.extra["errors"]] == [1, 2]  # type: ignore[union-attr]
    assert "nested too deeply" in str(info.value)
    assert "longer than" in str(info.value)
