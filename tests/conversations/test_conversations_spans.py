"""Both ways of finding a hit's raw span (tokenising the message whole, or locating only
the chunks that hold hits, for long messages) give the same spans."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from childshield.conversations import analyze
from childshield.conversations.analyze import Analyzer

DATA = Path(__file__).resolve().parents[2] / "data" / "conversations"


def _texts() -> list[str]:
    texts = []
    for name in ("dev", "dev2", "test", "blind"):
        for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            texts.extend(str(m["text"]) for m in json.loads(line)["messages"])
    rng = random.Random(7)
    # long messages, with chat spelling the normaliser expands (one raw token, two words)
    # and tokens it drops, so word and token positions differ
    for _ in range(300):
        parts = rng.sample(texts, 6) + rng.sample(["u", "r", "imma", "ur", "'", "__", "b4"], 2)
        rng.shuffle(parts)
        texts.append("  ".join(parts))
    return texts


@pytest.mark.parametrize("threshold", [0, 10**9])
def test_whole_and_located_spans_agree(monkeypatch: pytest.MonkeyPatch, threshold: int):
    texts = _texts()
    expected = [Analyzer()._analyze(text) for text in texts]
    monkeypatch.setattr(analyze, "TOKENISE_WHOLE", threshold)
    analyzer = Analyzer()
    with_hits = 0
    for text, before in zip(texts, expected, strict=True):
        after = analyzer._analyze(text)
        assert after == before, text
        with_hits += bool(after.hits)
        for _kind, _weight, _cue, start, end in after.hits:
            assert 0 <= start < end <= len(text)
    assert with_hits > 100
