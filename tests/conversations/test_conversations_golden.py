"""The scorer's streaming output on every evaluation set matches the stored snapshot.

The snapshot (``data/golden_stream.json``, written by ``golden_stream.py``) was taken from
the scorer before its speed work; optimisations must not change a single alert, feature
or result. A deliberate model or lexicon change regenerates it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from golden_stream import GOLDEN, snapshot


def _close(expected: Any, actual: Any, path: str) -> None:
    if isinstance(expected, float) or isinstance(actual, float):
        assert isinstance(actual, int | float) and math.isclose(
            expected, actual, rel_tol=0, abs_tol=2e-9), f"{path}: {expected} != {actual}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and sorted(expected) == sorted(actual), path
        for key in expected:
            _close(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(expected) == len(actual), path
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _close(e, a, f"{path}[{i}]")
    else:
        assert expected == actual, f"{path}: {expected!r} != {actual!r}"


@pytest.fixture(scope="module")
def outputs() -> tuple[dict[str, Any], dict[str, Any]]:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return expected, json.loads(json.dumps(snapshot()))


def test_snapshot_is_for_the_shipped_model(outputs: tuple[dict[str, Any], dict[str, Any]]):
    expected, actual = outputs
    assert expected["model_version"] == actual["model_version"]
    assert len(expected["results"]) >= 500 and expected["alerts"]


@pytest.mark.parametrize("part", ["alerts", "features", "results"])
def test_streaming_output_unchanged(outputs: tuple[dict[str, Any], dict[str, Any]], part: str):
    expected, actual = outputs
    _close(expected[part], actual[part], part)
