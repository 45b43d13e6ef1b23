"""Fit the model's weights from labelled conversations (JSONL labels or PAN12 predator lists).

Samples are authors, as in PAN12's predator identification task: the labelled suspect of
a grooming conversation is a positive, every other author a negative. Features are those
of the streaming scorer at the end of each conversation. The fit is an L2-regularised
logistic regression solved by Newton's method (numpy only), shrunk towards the shipped
default weights rather than towards zero, so that a small training set adjusts the
defaults instead of replacing the knowledge in them. The alert threshold is then chosen
on the training conversations' streaming peak risk to maximise F0.5 (PAN12's measure).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from childshield.conversations.batch import score_conversation
from childshield.conversations.features import FEATURES
from childshield.conversations.io import Conversation
from childshield.conversations.lexicon import default_lexicon
from childshield.conversations.metrics import Outcome, evaluate
from childshield.conversations.model import Model, load_model
from childshield.conversations.monitor import ConversationMonitor
from childshield.conversations.text_model import TextModel, fit_text_model
from childshield.errors import InputError

TEXT_C = 3.0
"""Inverse regularisation of the text component's logistic regression."""
_TEXT = FEATURES.index("text")


@dataclass
class TrainingSet:
    features: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    documents: list[list[list[str]]] = field(default_factory=list)
    """Per sample: the author's messages as canonical words (for the text component)."""
    sample_conversation: list[int] = field(default_factory=list)


def collect(conversations: Iterable[Conversation], base: Model) -> TrainingSet:
    """Author-level samples from labelled conversations (unlabelled ones are skipped)."""
    data = TrainingSet()
    monitor = ConversationMonitor(_lexicon_only(base))
    analyzer = monitor.analyzer
    for conv in conversations:
        if conv.label is None:
            continue
        words: dict[str, list[list[str]]] = {}
        for message in conv.messages:
            try:
                monitor.feed(conv.id, message)
            except InputError:
                continue
            text = message.get("text") if isinstance(message, dict) else None
            if isinstance(text, str) and text:
                tokens = analyzer.analyze(text[:base.max_chars]).tokens
                words.setdefault(str(message.get("author")), []).append(list(tokens))
        for author, vector in monitor.author_features(conv.id).items():
            data.features.append(vector)
            data.labels.append(int(bool(conv.label) and author == conv.suspect))
            data.documents.append(words.get(author, []))
            data.sample_conversation.append(len(data.conversations))
        monitor.close(conv.id)
        data.conversations.append(conv)
    return data


def _lexicon_only(model: Model) -> Model:
    return replace(model, text=None)


def _fold(conv: Conversation, folds: int) -> int:
    return int(hashlib.sha256(conv.id.encode()).hexdigest(), 16) % folds


def cross_fit_text(
    data: TrainingSet, folds: int = 5, c: float = TEXT_C,
) -> tuple[list[float], list[TextModel | None]]:
    """Out-of-fold text probabilities for every sample, and the model of every fold.

    The outer weights and the threshold must see the text component as it behaves on
    conversations it was not fitted on; otherwise they would trust it blindly.
    """
    fold_of = [_fold(conv, folds) for conv in data.conversations]
    scores = [0.0] * len(data.labels)
    models: list[TextModel | None] = []
    for fold in range(folds):
        train_docs = [(doc, label) for doc, label, conv in
                      zip(data.documents, data.labels, data.sample_conversation, strict=True)
                      if fold_of[conv] != fold]
        if len(set(label for _, label in train_docs)) < 2:
            models.append(None)
            continue
        model = fit_text_model(train_docs, c=c)
        models.append(model)
        for i, conv in enumerate(data.sample_conversation):
            if fold_of[conv] == fold:
                doc = data.documents[i]
                total = sum(model.message_score(m) for m in doc)
                scores[i] = model.probability(total, sum(len(m) for m in doc))
    return scores, models


def fit_logistic(
    x: np.ndarray, y: np.ndarray, prior: np.ndarray, prior_bias: float, strength: float = 1.0,
    iterations: int = 50,
) -> tuple[np.ndarray, float]:
    """Class-balanced logistic regression with a Gaussian prior centred on ``prior``."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    centre = np.append(prior, prior_bias)
    theta = centre.copy()
    positives = max(1, int(y.sum()))
    negatives = max(1, n - positives)
    sample_weight = np.where(y == 1, n / (2 * positives), n / (2 * negatives))
    reg = np.full(d + 1, strength)
    reg[-1] = strength * 0.1

    def loss(t: np.ndarray) -> float:
        z = xb @ t
        # log(1 + exp(z)) - y z, computed stably
        nll = np.logaddexp(0.0, z) - y * z
        return float(sample_weight @ nll + 0.5 * (reg * (t - centre) ** 2).sum())

    current = loss(theta)
    for _ in range(iterations):
        z = np.clip(xb @ theta, -30, 30)
        p = 1 / (1 + np.exp(-z))
        gradient = xb.T @ (sample_weight * (p - y)) + reg * (theta - centre)
        hessian = (xb.T * (sample_weight * p * (1 - p))) @ xb + np.diag(reg)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while scale > 1e-6:  # backtracking: Newton steps can overshoot far from the optimum
            candidate = theta - scale * step
            value = loss(candidate)
            if value <= current:
                break
            scale /= 2
        else:
            break
        theta, current = candidate, value
        if float(np.abs(scale * step).max()) < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def peak_outcomes(model: Model, conversations: list[Conversation]) -> list[Outcome]:
    monitor = ConversationMonitor(model)
    out = []
    for conv in conversations:
        result = score_conversation(monitor, conv)
        out.append(Outcome(conv.id, bool(conv.label), result.alert, result.risk,
                           result.alert_message, result.suspect, conv.suspect, conv.language))
    return out


def choose_threshold(outcomes: list[Outcome]) -> float:
    """The threshold on peak risk that maximises F0.5.

    When a range of thresholds ties (a small, separable training set), the middle of the
    range is taken, which leaves the widest margin on both sides for unseen data.
    """
    scores: list[tuple[float, float]] = []
    for step in range(5, 96):
        threshold = step / 100
        scored = [
            Outcome(o.id, o.label, o.risk >= threshold, o.risk, o.alert_message, o.suspect,
                    o.true_suspect)
            for o in outcomes
        ]
        scores.append((threshold, float(evaluate(scored)["f0_5"])))
    best_f = max(f for _, f in scores)
    best = [t for t, f in scores if f >= best_f - 1e-9]
    return best[len(best) // 2]


def train(
    conversations: Iterable[Conversation], *, version: str | None = None,
    base: Model | None = None, strength: float = 1.0, source: str = "",
    text: bool = True, folds: int = 5,
) -> tuple[Model, dict[str, Any]]:
    """Fit a model; returns it with its training-set measures.

    With ``text`` (needs scikit-learn), the learned text component is fitted too: its
    out-of-fold probabilities (``folds`` folds by conversation) are the ``text`` feature
    the outer weights and the threshold are fitted on.
    """
    base = base or load_model()
    data = collect(conversations, base)
    fold_models: list[TextModel | None] = []
    if text:
        oof, fold_models = cross_fit_text(data, folds)
        for vector, score in zip(data.features, oof, strict=True):
            vector[_TEXT] = score
    positives = sum(data.labels)
    if positives == 0 or positives == len(data.labels):
        raise InputError("training needs labelled grooming conversations with a suspect "
                         "and benign ones (found "
                         f"{positives} suspect authors among {len(data.labels)})")
    x = np.asarray(data.features, dtype=float)
    y = np.asarray(data.labels, dtype=float)
    prior = np.asarray([base.weights.get(name, 0.0) for name in FEATURES])
    weights, bias = fit_logistic(x, y, prior, base.bias, strength)
    created = datetime.now(UTC)
    model = Model(
        version=version or created.strftime("trained-%Y%m%dT%H%M%SZ"),
        weights={name: float(w) for name, w in zip(FEATURES, weights, strict=True)},
        bias=bias,
        threshold=0.0,  # with threshold 0, evidence the gate keeps out scores exactly 0
        max_chars=base.max_chars,
        min_categories=base.min_categories,
        lexicon_sha256=default_lexicon().sha256,
        text_gate=base.text_gate,
        text_gate_categories=base.text_gate_categories,
    )
    if text:
        folds_of = [_fold(conv, folds) for conv in data.conversations]
        provisional = []
        for fold, fold_model in enumerate(fold_models):
            held = [c for c, f in zip(data.conversations, folds_of, strict=True) if f == fold]
            provisional += peak_outcomes(replace(model, text=fold_model), held)
        model.threshold = choose_threshold(provisional)
        model.text = fit_text_model(
            [(d, y) for d, y in zip(data.documents, data.labels, strict=True)], c=TEXT_C)
        oof_outcomes = []
        for fold, fold_model in enumerate(fold_models):
            held = [c for c, f in zip(data.conversations, folds_of, strict=True) if f == fold]
            oof_outcomes += peak_outcomes(replace(model, text=fold_model), held)
        oof_measures = evaluate(oof_outcomes)
    else:
        model.threshold = choose_threshold(peak_outcomes(model, data.conversations))
    measures = evaluate(peak_outcomes(model, data.conversations))
    n_pos_conv = sum(1 for c in data.conversations if c.label)
    model.card = {
        "summary": "Logistic model over indicator-category evidence of the childshield "
                   "conversation scorer, fitted by `childshield conversations train`.",
        "intended_use": "Ranking chat conversations for human review of possible "
                        "solicitation of children. Every alert goes to a human reviewer; "
                        "the score is evidence, never a verdict.",
        "training_data": {
            "source": source or "(not recorded)",
            "conversations": len(data.conversations),
            "grooming_conversations": n_pos_conv,
            "other_conversations": len(data.conversations) - n_pos_conv,
            "author_samples": len(data.labels),
            "created": created.isoformat(timespec="seconds"),
            "base_model": base.version,
            "regularisation_towards_base": strength,
        },
        "evaluation": {
            "note": "measured on the training data itself (optimistic); evaluate on "
                    "held-out conversations with `childshield conversations evaluate`",
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in measures.items()},
        },
        **({"cross_validated_evaluation": {
            "note": f"{folds}-fold by conversation: each conversation scored with the text "
                    "component fitted without it (outer weights and threshold in-sample)",
            **{k: (round(v, 4) if isinstance(v, float) else v)
               for k, v in oof_measures.items()},
        }} if text else {}),
        "limitations": [
            "Lexicon-based: indicators phrased in ways the lexicon does not know are missed.",
            "Languages: en, de, fr, es, it, nl, pl only.",
            "Known false positives: adults who legitimately arrange meetings or pick-ups "
            "with children (family, coaches) without the benign context words the scorer "
            "knows; teenagers flirting with each other; role-play.",
        ],
    }
    return model, measures


__all__ = ["TrainingSet", "choose_threshold", "collect", "fit_logistic", "peak_outcomes",
           "train"]
