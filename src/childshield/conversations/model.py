"""The scoring model: named feature weights, a bias and an alert threshold, stored as JSON.

A model is a logistic function over the per-author features of ``features.FEATURES``,
with a combination gate: unless an author's evidence spans ``min_categories`` indicator
categories (or is explicit coercion, or one category fewer in the stage order, with a
stated age gap or with mass openers), the risk is capped just below the alert threshold.
It is a small JSON document (never a pickle), versioned, and carries its model card: who
made it, from which data, with which measured figures and which known weaknesses. The
default model ships in this package (``default_model.json``); ``train`` writes new ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from operator import mul
from pathlib import Path
from typing import Any

from childshield.conversations.features import BREADTH_LEVEL, FEATURES
from childshield.conversations.lexicon import CATEGORIES
from childshield.conversations.text_model import TextModel
from childshield.errors import InputError

MODEL_FORMAT = "childshield.conversations.model"
N_CATEGORIES = len(CATEGORIES)
_COERCION = CATEGORIES.index("coercion")
_AGE_GAP = FEATURES.index("age_gap")
_PROGRESSION = FEATURES.index("progression")
_MASS_OPENER = FEATURES.index("mass_opener")
_TEXT = FEATURES.index("text")
COERCION_ALONE = 0.6
"""Coercion evidence at which the combination gate opens on its own (explicit extortion)."""
GATE_CAP = 0.9
"""Risk of evidence that does not open the gate: capped at this fraction of the threshold."""
MODEL_FORMAT_VERSION = 1


@dataclass
class Model:
    """Weights for the per-author features, an alert threshold, and the model card."""

    version: str
    weights: dict[str, float]
    bias: float
    threshold: float = 0.5
    max_chars: int = 4000
    """Characters of one message that are analysed; the rest is ignored (with a warning)."""
    lexicon_sha256: str | None = None
    card: dict[str, Any] = field(default_factory=dict)
    min_categories: int = 3
    """Categories an author's evidence must span before the risk may reach the threshold
    (coercion on its own, or one category fewer in the stage order, with a stated age gap
    or with mass openers, also open the gate). 0 switches the gate off."""
    text: TextModel | None = None
    """The learned text component (None: lexicon only, the ``text`` feature stays 0)."""
    text_gate: float = 0.9
    """Text probability at which the gate opens with ``text_gate_categories`` categories."""
    text_gate_categories: int = 2

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(FEATURES)
        if unknown:
            raise InputError(f"model has unknown features: {sorted(unknown)}")
        self.vector = [float(self.weights.get(name, 0.0)) for name in FEATURES]
        self._leading = self.vector[:_TEXT]

    def gate_open(self, features: Sequence[float], text: float | None = None) -> bool:
        """Whether the evidence is a combination (the risk is capped below the threshold
        otherwise, so that no single indicator, and no everyday pair, raises an alert).
        ``text``, when given, stands for the ``text`` feature of ``features``."""
        if self.min_categories <= 0:
            return True
        levels = features[:N_CATEGORIES]
        strong = sum(1 for v in levels if v >= BREADTH_LEVEL)
        if strong >= self.min_categories or levels[_COERCION] >= COERCION_ALONE:
            return True
        pattern = (features[_PROGRESSION] > 0 or features[_AGE_GAP] > 0
                   or features[_MASS_OPENER] > 0)
        if pattern and strong >= self.min_categories - 1:
            return True
        if text is None:
            text = features[_TEXT]
        return (self.text is not None and text >= self.text_gate
                and strong >= self.text_gate_categories)

    def risk(self, features: Sequence[float]) -> float:
        """Risk in [0, 1] for one author's feature vector."""
        return self.risk_from(self.partial_logit(features), features)

    def partial_logit(self, features: Sequence[float]) -> float:
        """The logit without its last term, the ``text`` feature (which moves on every
        message while the others stay): ``risk_from`` adds it. ``text`` is the last of
        FEATURES, so the sum is the same, term by term and bit for bit, as the whole one."""
        # on 3.11 sum() adds left to right from the bias, as a loop would (3.12+ compensates
        # rounding, which may move the last bit); map stops before the text term
        return sum(map(mul, self._leading, features), self.bias)

    def risk_from(self, partial: float, features: Sequence[float],
                  text: float | None = None) -> float:
        """Risk from ``partial_logit(features)`` and the ``text`` feature (``text`` when
        given: the one feature that moves between rescorings)."""
        if text is None:
            text = features[_TEXT]
        z = partial + self.vector[_TEXT] * text
        if z < -30:
            return 0.0
        risk = 1.0 / (1.0 + math.exp(-z))
        if risk >= self.threshold and not self.gate_open(features, text):
            return self.threshold * GATE_CAP
        return risk

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "version": self.version,
            "features": list(FEATURES),
            "weights": {name: round(self.weights.get(name, 0.0), 6) for name in FEATURES},
            "bias": round(self.bias, 6),
            "threshold": round(self.threshold, 6),
            "max_chars": self.max_chars,
            "min_categories": self.min_categories,
            "lexicon_sha256": self.lexicon_sha256,
            "text_gate": self.text_gate,
            "text_gate_categories": self.text_gate_categories,
            "card": self.card,
            "text_model": self.text.to_dict() if self.text is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if data.get("format") != MODEL_FORMAT:
            raise InputError("not a childshield conversation model (format field missing)")
        if data.get("format_version") != MODEL_FORMAT_VERSION:
            raise InputError(
                f"model format version {data.get('format_version')} is not supported "
                f"(this childshield reads version {MODEL_FORMAT_VERSION})"
            )
        try:
            return cls(
                version=str(data["version"]),
                weights={str(k): float(v) for k, v in data["weights"].items()},
                bias=float(data["bias"]),
                threshold=float(data["threshold"]),
                max_chars=int(data.get("max_chars", 4000)),
                min_categories=int(data.get("min_categories", 3)),
                lexicon_sha256=data.get("lexicon_sha256"),
                card=dict(data.get("card") or {}),
                text=(TextModel.from_dict(data["text_model"])
                      if data.get("text_model") is not None else None),
                text_gate=float(data.get("text_gate", 0.9)),
                text_gate_categories=int(data.get("text_gate_categories", 2)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed model file: {exc}") from exc

    def save(self, path: Path) -> None:
        """Write the model JSON and, beside it, its model card as Markdown."""
        path.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        path.with_suffix(".md").write_text(model_card_markdown(self))


def load_model(path: Path | str | None = None) -> Model:
    """Load a model file, or the shipped default model when ``path`` is None."""
    if path is None:
        text = resources.files(__package__).joinpath("default_model.json").read_text()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read model {path}: {exc.strerror}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"model file is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError("model file is not a JSON object")
    return Model.from_dict(data)


def model_card_markdown(model: Model) -> str:
    """The model card as Markdown (written beside every saved model)."""
    card = model.card
    lines = [f"# Model card: childshield conversation model {model.version}", ""]
    for key in ("summary", "intended_use", "training_data", "evaluation", "held_out_evaluation",
                "limitations"):
        value = card.get(key)
        if value is None:
            continue
        lines.append(f"## {key.replace('_', ' ').capitalize()}")
        lines.append("")
        if isinstance(value, dict):
            lines.extend(f"- {k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            lines.extend(f"- {v}" for v in value)
        else:
            lines.append(str(value))
        lines.append("")
    lines += ["## Weights", "", "| feature | weight |", "|---|---|"]
    lines += [f"| {name} | {model.weights.get(name, 0.0):+.3f} |" for name in FEATURES]
    lines += [f"| (bias) | {model.bias:+.3f} |", "",
              f"Combination gate: at least {model.min_categories} indicator categories "
              "(or coercion alone, or one fewer in the stage order, with a stated age gap or "
              "with mass openers).", "",
              *([f"Learned text component: {len(model.text.weights)} n-gram weights; it "
                 f"opens the gate with {model.text_gate_categories} categories when its "
                 f"probability is at least {model.text_gate:.2f}.", ""]
                if model.text is not None else []),
              f"Alert threshold: {model.threshold:.3f}. Every alert goes to human review; "
              "the score is evidence, never a verdict.", ""]
    return "\n".join(lines)


__all__ = ["MODEL_FORMAT", "MODEL_FORMAT_VERSION", "Model", "load_model", "model_card_markdown"]
