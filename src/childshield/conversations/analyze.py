"""One message -> the cues it contains, with spans in the raw text, and any stated age."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from childshield.conversations.lexicon import Lexicon, default_lexicon
from childshield.conversations.normalize import Normaliser

PHOTO_DAMPING = 0.3
"""Factor on photo/approach cues in a message that also names a benign object or context
("a photo of your homework", "the damaged parcel")."""


@dataclass(slots=True)
class Hit:
    kind: str
    weight: float
    cue: int
    start: int
    end: int


@dataclass(slots=True)
class Analysis:
    hits: list[Hit] = field(default_factory=list)
    ages: list[tuple[int, int, int]] = field(default_factory=list)
    """(age, start, end) for each stated age."""
    bare_number: int | None = None
    """The number when the whole message is just a number (an answer to "how old are you")."""
    tokens: tuple[str, ...] = ()


_EMPTY = Analysis()


class Analyzer:
    """Finds lexicon cues in raw text. Thread-compatible: no state but a bounded cache."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or default_lexicon()
        self.normaliser = Normaliser(self.lexicon.vocabulary, self.lexicon.prefixes)

    def analyze(self, text: str) -> Analysis:
        tokens, spans = self.normaliser.tokens(text)
        if not tokens:
            return _EMPTY
        result = Analysis(tokens=tuple(tokens))
        candidates = self.lexicon.candidates(tokens)
        has_digit = False
        for token in tokens:
            if token.isdigit():
                has_digit = True
                break
        if not candidates and not has_digit:
            return result
        norm = " ".join(tokens) + " "
        offsets = [0] * len(tokens)
        position = 0
        for i, token in enumerate(tokens):
            offsets[i] = position
            position += len(token) + 1
        benign = False
        for cue in candidates:
            match = cue.regex.search(norm)
            if match is None:
                continue
            first = bisect_right(offsets, match.start()) - 1
            last = bisect_right(offsets, max(match.start(), match.end() - 2)) - 1
            result.hits.append(Hit(cue.kind, cue.weight, cue.id, spans[first][0], spans[last][1]))
            if cue.kind == "benign":
                benign = True
        if benign:
            for hit in result.hits:
                if hit.kind == "approach":
                    hit.weight *= PHOTO_DAMPING
        if has_digit:
            if len(tokens) <= 3 and tokens[0].isdigit() and len(tokens[0]) <= 2:
                result.bare_number = int(tokens[0])
            regex = self.lexicon.age_regex
            if regex is not None:
                for match in regex.finditer(norm[:-1]):
                    value = next((g for g in match.groups() if g), None)
                    if value is None:
                        continue
                    index = bisect_right(offsets, match.start()) - 1
                    last = bisect_right(offsets, max(match.start(), match.end() - 1)) - 1
                    result.ages.append((int(value), spans[index][0], spans[last][1]))
        return result


__all__ = ["PHOTO_DAMPING", "Analysis", "Analyzer", "Hit"]
