"""A learned, additive text component: linear weights over chat-normalised n-grams.

The lexicon only knows the phrasings someone wrote down; this component learns from
labelled conversations which words and word pieces separate a suspect's messages from
everyone else's. Its features are the canonical words of the normaliser (so ``u``,
``ur``, ``h0me`` and missing accents are already folded), each word whole (``w:word``),
its character 3- to 5-grams with word-boundary marks (``<wo``, ``ord>``, which carry
unseen inflections and typos), and adjacent word pairs (``b:dont tell``).

A linear model is additive over messages, so the streaming state per author is two
numbers: the running sum ``S`` of the weights of every feature the author wrote, and the
number of words ``N``. The author's text score is ``sigmoid(bias + S / sqrt(N + K))``:
dividing by the square root of the length keeps a long, chatty author from drifting up
by volume alone, and ``K`` keeps one short message from carrying a score. A message
costs one cached look-up per word and one per word pair. Evidence is the message's
highest-weighted words, quoted from the raw text.

Weights are stored in the model JSON as a plain dictionary (feature -> weight), pruned to
the strongest ones; never a pickle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise, repeat
from typing import Any

from childshield.errors import InputError

NGRAM_MIN = 3
NGRAM_MAX = 5
LENGTH_DAMPING = 20.0
"""``K`` in ``S / sqrt(N + K)``: words of text before an author's score can move far."""


def word_features(word: str) -> list[str]:
    """The features one canonical word contributes (whole word and character n-grams)."""
    out = [f"w:{word}"]
    marked = f"<{word}>"
    size = len(marked)
    for n in range(NGRAM_MIN, NGRAM_MAX + 1):
        if n > size:
            break
        out.extend(marked[i:i + n] for i in range(size - n + 1))
    return out


def message_features(words: Sequence[str]) -> list[str]:
    """All features of one message's canonical words (training uses exactly these)."""
    out: list[str] = []
    for word in words:
        out.extend(word_features(word))
    out.extend(f"b:{a} {b}" for a, b in pairwise(words))
    return out


@dataclass
class TextModel:
    """Weights over n-gram features, a bias, and the length damping ``K``."""

    weights: dict[str, float]
    bias: float = 0.0
    damping: float = LENGTH_DAMPING
    _word: dict[str, float] = field(default_factory=dict, repr=False)
    _pairs: dict[tuple[str, str], float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._pairs = {}
        for key, value in self.weights.items():
            if key.startswith("b:"):
                first, _, second = key[2:].partition(" ")
                self._pairs[(first, second)] = value

    def word_score(self, word: str) -> float:
        """Summed weight of one word's features (cached; words repeat a lot)."""
        score = self._word.get(word)
        if score is None:
            score = sum(map(self.weights.get, word_features(word), repeat(0.0)))
            if len(self._word) >= 500_000:
                self._word.clear()
            self._word[word] = score
        return score

    def message_score(self, words: Sequence[str]) -> float:
        """Sum of the weights of every feature of one message (its additive share)."""
        cache = self._word
        scores = list(map(cache.get, words))
        if None in scores:
            scores = [self.word_score(w) for w in words]
        total: float = sum(scores)  # type: ignore[arg-type]
        if len(words) > 1 and self._pairs:
            total += sum(map(self._pairs.get, pairwise(words), repeat(0.0)))
        return total

    def logit(self, total: float, words: int) -> float:
        return self.bias + total / math.sqrt(words + self.damping)

    def probability(self, total: float, words: int) -> float:
        z = self.logit(total, words)
        if z < -30:
            return 0.0
        return 1.0 / (1.0 + math.exp(-z))

    def top_words(self, words: Sequence[str], count: int = 2) -> list[int]:
        """Positions of the message's highest positively weighted words."""
        scored = sorted(((self.word_score(w), i) for i, w in enumerate(words)), reverse=True)
        return sorted(i for s, i in scored[:count] if s > 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": f"canonical words, char {NGRAM_MIN}-{NGRAM_MAX}-grams, word pairs",
            "bias": round(self.bias, 6),
            "damping": self.damping,
            "weights": {k: round(v, 4) for k, v in sorted(self.weights.items())},
        }

    @classmethod
    def from_dict(cls, data: object) -> TextModel:
        if not isinstance(data, dict):
            raise InputError("malformed model file: text_model is not an object")
        try:
            return cls(
                weights={str(k): float(v) for k, v in data["weights"].items()},
                bias=float(data["bias"]),
                damping=float(data.get("damping", LENGTH_DAMPING)),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed model file (text_model): {exc}") from exc


def fit_text_model(
    documents: Iterable[tuple[list[list[str]], int]], *, c: float = 1.0, keep: int = 20_000,
    damping: float = LENGTH_DAMPING,
) -> TextModel:
    """Fit the weights on author documents: (the author's messages as canonical words, label).

    Needs scikit-learn (the ``ml`` extra). Features of one author are counted over all
    their messages and scaled by ``1 / sqrt(N + K)``, exactly as the streaming scorer
    sums them; the ``keep`` strongest weights are kept.
    """
    from childshield._optional import require

    require("sklearn")
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
    from sklearn.linear_model import LogisticRegression

    index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    labels: list[int] = []
    for row, (messages, label) in enumerate(documents):
        counts: dict[int, float] = {}
        words = 0
        for message in messages:
            words += len(message)
            for feature in message_features(message):
                col = index.setdefault(feature, len(index))
                counts[col] = counts.get(col, 0.0) + 1.0
        scale = 1.0 / math.sqrt(words + damping)
        for col, value in counts.items():
            rows.append(row)
            cols.append(col)
            vals.append(value * scale)
        labels.append(label)
    if len(set(labels)) < 2:
        raise InputError("the text model needs both suspect and other authors to learn from")
    x = csr_matrix((vals, (rows, cols)), shape=(len(labels), len(index)))
    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    clf.fit(x, labels)
    coef = clf.coef_[0]
    names = sorted(index, key=index.__getitem__)
    order = sorted(range(len(names)), key=lambda i: -abs(coef[i]))[:keep]
    weights = {names[i]: float(coef[i]) for i in order if coef[i] != 0.0}
    return TextModel(weights, float(clf.intercept_[0]), damping)


__all__ = ["LENGTH_DAMPING", "TextModel", "fit_text_model", "message_features", "word_features"]
