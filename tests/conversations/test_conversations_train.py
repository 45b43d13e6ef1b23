"""Training from labelled data (PAN12 format built here, non-explicit text) and the model file."""

from __future__ import annotations

import json
import random
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from childshield.conversations.io import read_labels, read_pan12
from childshield.conversations.model import Model, load_model
from childshield.conversations.train import train
from childshield.errors import InputError

GROOMING = [
    "how old are you?", "you are so mature for your age", "are your parents home?",
    "our little secret ok, dont tell anyone", "add me on snapchat", "send me a selfie",
    "i can pick you up after school", "delete this chat",
]
REPLIES = ["ok", "lol", "13", "idk", "yes", "my mum is at work"]
GIFTS = ["happy birthday! i bought you robux as a present", "i got you a gift card for your "
         "birthday", "free robux for the whole class at the party"]
BENIGN = ["did you finish the maths homework?", "see you at practice", "what time is the "
          "film", "can you bring the ball", "lol that was funny"]


def pan12_file(tmp_path: Path, n: int = 30, seed: int = 7) -> tuple[Path, Path]:
    """A tiny PAN12-format corpus: grooming-indicator chats and benign ones with gift talk."""
    rng = random.Random(seed)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<conversations>"]
    predators = []
    for i in range(n):
        parts.append(f'<conversation id="conv{i}">')
        if i % 2 == 0:
            adult, kid = f"p{i}", f"k{i}"
            predators.append(adult)
            lines = []
            for text in rng.sample(GROOMING, 5):
                lines += [(adult, text), (kid, rng.choice(REPLIES))]
        else:
            a, b = f"u{i}", f"v{i}"
            lines = [(a, rng.choice(GIFTS)), (b, rng.choice(BENIGN)), (a, rng.choice(BENIGN)),
                     (b, "ok"), (a, rng.choice(GIFTS))]
        for line, (author, text) in enumerate(lines, 1):
            parts.append(f'<message line="{line}"><author>{author}</author>'
                         f"<time>12:{line:02d}</time><text>{escape(text)}</text></message>")
        parts.append("</conversation>")
    parts.append("</conversations>")
    xml = tmp_path / "train.xml"
    xml.write_text("\n".join(parts), encoding="utf-8")
    labels = tmp_path / "predators.txt"
    labels.write_text("\n".join(predators) + "\n", encoding="utf-8")
    return xml, labels


def test_train_fits_weights_from_pan12_data_and_saves_a_versioned_model(tmp_path):
    xml, labels = pan12_file(tmp_path)
    conversations = [c for c in read_pan12(xml, read_labels(labels)) if hasattr(c, "label")]
    base = load_model()
    model, measures = train(conversations, version="test-1", source="train.xml")
    # gift talk only ever appeared in benign chats here, so its weight must go down
    assert model.weights["incentive"] < base.weights["incentive"]
    assert measures["recall"] > 0.8 and measures["precision"] > 0.8
    out = tmp_path / "model.json"
    model.save(out)
    loaded = load_model(out)
    assert loaded.version == "test-1"
    assert loaded.weights == pytest.approx(model.weights, abs=1e-5)
    card = out.with_suffix(".md").read_text()
    assert "Model card" in card and "train.xml" in card and "human review" in card
    data = json.loads(out.read_text())
    assert data["card"]["training_data"]["conversations"] == 30


def test_train_refuses_data_without_both_classes(tmp_path):
    xml, _ = pan12_file(tmp_path)
    conversations = list(read_pan12(xml, read_labels(tmp_path / "none.txt")
                                    if (tmp_path / "none.txt").write_text("") is not None
                                    else None))
    with pytest.raises(InputError, match="training needs"):
        train(conversations)  # type: ignore[arg-type]


def test_model_files_are_validated(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(InputError, match="not a childshield conversation model"):
        load_model(bad)
    data = load_model().to_dict()
    data["format_version"] = 99
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match="version 99"):
        load_model(bad)
    data["format_version"] = 1
    data["weights"]["nonsense"] = 1.0
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match="unknown features"):
        load_model(bad)


def test_the_shipped_model_matches_the_shipped_lexicon():
    from childshield.conversations.lexicon import default_lexicon

    model = load_model()
    assert isinstance(model, Model)
    assert model.lexicon_sha256 == default_lexicon().sha256, (
        "the lexicon changed after the default model was fitted: refit it "
        "(see docs/conversations.md, 'Rebuilding the default model')"
    )
