"""The learned text component: additive streaming, evidence, the softened gate, the file."""

from __future__ import annotations

import json
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from childshield.conversations import ConversationMonitor
from childshield.conversations.analyze import Analyzer
from childshield.conversations.model import Model, load_model
from childshield.conversations.text_model import TextModel, fit_text_model

Runner = Any  # the conftest fixture (feed (author, text) pairs, return the result)


def test_streaming_sum_equals_scoring_the_whole_author_text() -> None:
    """Additivity: the running per-message sums give the same score as all words at once
    (the bug it guards against: a streaming score that drifts from the trained one)."""
    text_model = load_model().text
    assert text_model is not None
    analyzer = Analyzer()
    messages = ["how old r u", "ur so mature 4 ur age", "dont tell ur mum ok",
                "lets move to another app"]
    words = [analyzer.analyze(m).tokens for m in messages]
    running = sum(text_model.message_score(w) for w in words)
    pieces = sum(text_model.word_score(w) for ws in words for w in ws)
    pairs = sum(text_model.weights.get(f"b:{a} {b}", 0.0)
                for ws in words for a, b in pairwise(ws))
    assert running == pytest.approx(pieces + pairs)
    n = sum(len(w) for w in words)
    assert 0.0 <= text_model.probability(running, n) <= 1.0


def test_learned_evidence_quotes_the_messages_own_words(run: Runner) -> None:
    monitor = ConversationMonitor()
    result = run(monitor, "t1", [
        ("x", "hey you are so mature for your age, how old are you?"),
        ("kid", "12"),
        ("x", "are your parents home? dont tell them about me, delete this chat"),
        ("x", "add me on snapchat and send me a selfie, i'll get you robux"),
    ])
    texts = {i["text"] for i in result.indicators if i["category"] == "learned"}
    assert result.alert and result.suspect == "x"
    assert texts, "an alert backed by the text component shows its strongest words"
    full = " ".join(t for a, t in [("x", "hey you are so mature for your age, how old are you?"),
                                  ("x", "are your parents home? dont tell them about me, "
                                        "delete this chat"),
                                  ("x", "add me on snapchat and send me a selfie, i'll get "
                                        "you robux")])
    assert all(t in full for t in texts)


def test_one_message_never_alerts_on_the_text_component_alone(run: Runner) -> None:
    monitor = ConversationMonitor()
    result = run(monitor, "t2", [("x", "delete this chat"), ("y", "ok")])
    assert not result.alert


def test_gate_needs_two_categories_even_when_the_text_agrees() -> None:
    model = load_model()
    features = [0.0] * len(model.vector)
    features[-1] = 0.99  # text probability
    features[0] = 0.9    # one category only
    assert not model.gate_open(features)
    features[1] = 0.9    # a second category: the learned component may open the gate
    assert model.gate_open(features)
    assert not replace(model, text=None).gate_open(features)


def test_model_file_round_trip_keeps_the_text_component(tmp_path: Path) -> None:
    text = fit_text_model([([["how", "old", "are", "you"], ["dont", "tell"]], 1),
                           ([["see", "you", "at", "practice"]], 0),
                           ([["ok"], ["lol"]], 0)], keep=50)
    model = replace(load_model(), text=text, version="t")
    path = tmp_path / "m.json"
    model.save(path)
    loaded = Model.from_dict(json.loads(path.read_text()))
    assert loaded.text is not None
    assert loaded.text.weights == pytest.approx(
        {k: round(v, 4) for k, v in text.weights.items()})
    assert loaded.text.bias == pytest.approx(text.bias, abs=1e-5)
    assert isinstance(loaded.text, TextModel)


def test_an_old_lexicon_only_model_file_still_loads() -> None:
    data = load_model().to_dict()
    data.pop("text_model")
    data.pop("text_gate")
    data["weights"].pop("text")
    model = Model.from_dict(data)
    assert model.text is None
    result = ConversationMonitor(model).result("none")
    assert result.risk == 0.0
