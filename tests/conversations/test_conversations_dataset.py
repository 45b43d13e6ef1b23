"""The project's own evaluation data: shape required by issue 6, and a regression guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from childshield.conversations.io import Conversation, read_jsonl
from childshield.conversations.metrics import evaluate
from childshield.conversations.model import load_model
from childshield.conversations.train import peak_outcomes

DATA = Path(__file__).resolve().parents[2] / "data" / "conversations"
LANGUAGES = {"en", "de", "fr", "es", "it", "nl", "pl"}
DEV_SETS = ("dev", "dev2", "dev3", "dev4", "dev5", "dev6")


def load(name: str) -> list[Conversation]:
    items = list(read_jsonl(DATA / f"{name}.jsonl"))
    assert all(isinstance(i, Conversation) for i in items)
    return items  # type: ignore[return-value]


@pytest.mark.parametrize("name", [*DEV_SETS, "test", "blind", "fresh"])
def test_sets_are_balanced_labelled_and_cover_seven_languages(name):
    conversations = load(name)
    assert len({c.id for c in conversations}) == len(conversations)
    assert {c.language for c in conversations} == LANGUAGES
    positives = [c for c in conversations if c.label]
    assert len(positives) * 2 == len(conversations)
    for conv in positives:
        assert conv.suspect in {m["author"] for m in conv.messages}


@pytest.mark.parametrize(("name", "size"), [("test", 80), ("blind", 42), ("fresh", 42)])
def test_held_out_sets_are_large_enough_and_disjoint_from_development(name, size):
    held_out = load(name)
    assert len(held_out) >= size
    dev_texts = {m["text"] for name in DEV_SETS for c in load(name) for m in c.messages}
    test_texts = [m["text"] for c in held_out for m in c.messages]
    shared = [t for t in test_texts if t in dev_texts and len(t) > 25]
    assert not shared, shared


def test_default_model_does_not_regress_on_the_held_out_set():
    """Guards the figures published in docs/conversations.md (model 2.2.0: every grooming
    conversation of ``test`` alerts, none of its hard negatives; its lexicon was extended
    after reading this set's misses, so it is validation data, no longer held out)."""
    measures = evaluate(peak_outcomes(load_model(), load("test")))
    assert measures["fp"] == 0
    assert measures["recall"] == 1.0
    assert measures["suspect_accuracy"] == 1.0


@pytest.mark.parametrize(("name", "f0_5", "recall", "false_alerts"), [
    ("blind", 0.85, 0.85, 3),
    ("fresh", 0.92, 1.0, 2),
    ("dev6", 0.99, 1.0, 0),
])
def test_default_model_keeps_its_published_held_out_figures(name, f0_5, recall, false_alerts):
    """Guards the model 2.2.0 figures in docs/conversations.md and the README (dev6 is
    fitted data for 2.2.0; 2.1.0 scored it blind at recall 0.69)."""
    measures = evaluate(peak_outcomes(load_model(), load(name)))
    assert measures["fp"] <= false_alerts
    assert measures["f0_5"] >= f0_5
    assert measures["recall"] >= recall
    assert measures["suspect_accuracy"] == 1.0
