"""Bounded per-conversation state and the per-author features the model scores.

For every author the state keeps, per indicator category, a saturating evidence value
``1 - prod(1 - w)`` over the cues the author wrote (each cue counted at most twice, so
repeating one phrase cannot carry a score), the message where the category first
appeared, and a capped list of evidence spans. Features then describe one author *with
respect to the others*: whether the others disclosed being young or alone, whether an
age gap was stated, whether the indicators are one-sided, and the conversation's benign
context. Single words move little; combinations (``breadth``: from the third category on)
and the stage order (``progression``: rapport or incentives before approach, isolation or
coercion) move most. Two categories alone (a parent asking "are you home alone?" and
offering a lift) are everyday talk; three, in the stage order, are the pattern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from childshield.conversations.analyze import Analysis, Hit
from childshield.conversations.lexicon import BENIGN_KINDS, CATEGORIES

FEATURES: tuple[str, ...] = (
    *CATEGORIES,
    "breadth",
    "progression",
    "age_gap",
    "target_minor",
    "one_sided",
    "self_minor",
    "benign_context",
    "group",
    "mass_opener",
    "text",
)
"""Feature names, in vector order (``text``: the learned text component's probability)."""

_CAT_INDEX = {name: i for i, name in enumerate(CATEGORIES)}
_EARLY = (_CAT_INDEX["trust"], _CAT_INDEX["incentive"])
_LATE = (_CAT_INDEX["isolation"], _CAT_INDEX["approach"], _CAT_INDEX["coercion"])
BREADTH_LEVEL = 0.3
"""A category counts towards ``breadth`` once its evidence reaches this level."""
MAX_CUE_REPEATS = 2
TEXT_EVIDENCE = 3
"""Messages kept per author as evidence of the learned text component."""
_AGE_WORDS = frozenset({"old", "age", "alt", "anos", "edad", "anni", "eta", "oud", "lat", "asl"})


class Evidence(NamedTuple):
    """One quoted piece of evidence. An author's state keeps it as a plain tuple (see
    ``AuthorState``)."""

    category: str
    message: int
    text: str
    weight: float

    def to_dict(self) -> dict[str, object]:
        return {"category": self.category, "message": self.message, "text": self.text}


EvidenceFields = tuple[str, int, str, float]
"""An Evidence as a plain tuple, the way AuthorState keeps it."""


@dataclass(slots=True)
class AuthorState:
    """What is known about one author of one conversation.

    Everything but the object itself is held in plain tuples (and one dict of numbers),
    never lists or small objects: the cyclic garbage collector stops tracking a tuple of
    plain values after its first pass, and never tracks a dict of numbers, so the state of
    many live conversations adds next to nothing to its full collections (which walk every
    tracked object; with lists and evidence objects they took 27% of the scorer's time on
    a growing set of conversations)."""

    name: str
    evidence_per_category: int
    messages: int = 0
    level: tuple[float, ...] = (0.0,) * len(CATEGORIES)
    first: tuple[int, ...] = (-1,) * len(CATEGORIES)
    kept: tuple[int, ...] = (0,) * len(CATEGORIES)
    cue_counts: dict[int, int] = field(default_factory=dict)
    evidence: tuple[EvidenceFields, ...] = ()
    stated_age: int | None = None
    age_evidence: EvidenceFields | None = None
    minor: float = 0.0
    mass_opener: float = 0.0
    mass_evidence: EvidenceFields | None = None
    risk: float = 0.0
    peak: float = 0.0
    vector: tuple[float, ...] | None = None
    """Features at the last full rescoring (only ``text`` moves between rescorings)."""
    partial: float = 0.0
    """The model's logit of ``vector`` without the ``text`` term (``Model.partial_logit``)."""
    text_sum: float = 0.0
    """Running sum of the learned text weights of everything the author wrote."""
    text_words: int = 0
    text_p: float = 0.0
    text_evidence: tuple[EvidenceFields, ...] = ()
    """Quotes from the author's messages with the highest learned weight."""
    text_pending: tuple[tuple[float, int, str, tuple[str, ...]], ...] = ()
    """(weight, message, text, words) of the TEXT_EVIDENCE strongest messages; quoted
    only when evidence is read (most never are)."""

    def indicators(self) -> list[Evidence]:
        out = list(map(Evidence._make, self.evidence))
        if self.age_evidence is not None:
            out.append(Evidence._make(self.age_evidence))
        if self.mass_evidence is not None:
            out.append(Evidence._make(self.mass_evidence))
        if self.text_p >= 0.5:
            out.extend(map(Evidence._make, self.text_evidence))
        out.sort(key=lambda e: e.message)
        return out


def _heaviest_first(hit: Hit) -> float:
    return -hit[1]


def _saturate(level: float, weight: float) -> float:
    return 1.0 - (1.0 - level) * (1.0 - weight)


def _snippet(text: str, start: int, end: int, limit: int = 200) -> str:
    return text[start:min(end, start + limit)]


@dataclass(slots=True)
class ConversationState:
    """Everything kept about one conversation; its size is bounded by the limits."""

    max_authors: int = 64
    evidence_per_category: int = 5
    authors: dict[str, AuthorState] = field(default_factory=dict)
    messages: int = 0
    benign: float = 0.0
    ignored_authors: int = 0
    age_question_by: str | None = None
    alert_message: int | None = None
    alert_suspect: str | None = None
    warnings: tuple[str, ...] = ()
    last_time: float | None = None
    stale: bool = False
    """Evidence changed after the alert; risks are brought up to date when read."""

    def warn(self, text: str, limit: int = 20) -> None:
        if len(self.warnings) < limit:
            self.warnings += (text,)

    def author(self, name: str) -> AuthorState | None:
        state = self.authors.get(name)
        if state is None:
            if len(self.authors) >= self.max_authors:
                self.ignored_authors += 1
                if self.ignored_authors == 1:
                    self.warn(f"more than {self.max_authors} authors: later authors not scored")
                return None
            state = AuthorState(name, self.evidence_per_category)
            self.authors[name] = state
        return state

    def update(self, index: int, author: AuthorState, text: str, analysis: Analysis) -> bool:
        """Fold one analysed message into the state; True when any feature may have changed."""
        author.messages += 1
        if not analysis.hits and not analysis.ages and analysis.bare_number is None:
            return False  # most messages: nothing to fold in
        changed = False
        asked = False  # an access question in this message
        taken: list[tuple[str, int, int]] = []
        hits = analysis.hits
        for kind, weight, cue, start, end in (
                sorted(hits, key=_heaviest_first) if len(hits) > 1 else hits):
            if taken and any(k == kind and start < e and s < end for k, s, e in taken):
                continue  # the same words matched by a variant or another language's cue
            taken.append((kind, start, end))
            if kind in BENIGN_KINDS:
                self.benign = _saturate(self.benign, weight)
                changed = True
                continue
            if kind == "disclosure":
                author.minor = max(author.minor, weight)
                changed = True
                continue
            count = author.cue_counts.get(cue, 0)
            if count >= MAX_CUE_REPEATS:
                continue
            author.cue_counts[cue] = count + 1
            c = _CAT_INDEX[kind]
            level = author.level
            author.level = (*level[:c], _saturate(level[c], weight), *level[c + 1:])
            if author.first[c] < 0:
                first = author.first
                author.first = (*first[:c], index, *first[c + 1:])
            kept = author.kept
            if kept[c] < self.evidence_per_category:
                author.kept = (*kept[:c], kept[c] + 1, *kept[c + 1:])
                author.evidence += ((kind, index, _snippet(text, start, end), weight),)
            if kind == "access":
                asked = True
            changed = True
        if asked and not _AGE_WORDS.isdisjoint(analysis.tokens):
            self.age_question_by = author.name
        for age, start, end in analysis.ages:
            self._stated_age(index, author, age, _snippet(text, start, end))
            changed = True
        if (analysis.bare_number is not None and self.age_question_by not in (None, author.name)
                and not analysis.ages):
            self._stated_age(index, author, analysis.bare_number, text[:20])
            changed = True
        return changed

    def _stated_age(self, index: int, author: AuthorState, age: int, text: str) -> None:
        if not 6 <= age <= 90:
            return
        author.stated_age = age
        if age < 18:
            author.minor = 1.0
        author.age_evidence = ("age_gap", index, text, 0.0)

    def features(self, author: AuthorState) -> tuple[float, ...]:
        """The feature vector of ``author`` (order of FEATURES)."""
        level = author.level
        strong = 0
        for v in level:
            if v >= BREADTH_LEVEL:
                strong += 1
        breadth = max(0, strong - 2) / (len(CATEGORIES) - 2)
        first = author.first
        early = -1  # the earliest first message of an early-stage category, -1 for none
        for i in _EARLY:
            f = first[i]
            if f >= 0 and (early < 0 or f < early):
                early = f
        late = max([first[i] for i in _LATE])  # -1 when no late-stage category appeared
        progression = 1.0 if 0 <= early < late else 0.0
        target_minor = 0.0
        other_total = 0.0
        other_adult_gap = 0.0
        age = author.stated_age
        for other in self.authors.values():
            if other is author:
                continue
            if other.minor > target_minor:
                target_minor = other.minor
            total = sum(other.level)
            if total > other_total:
                other_total = total
            if (age is not None and other.stated_age is not None
                    and age >= 18 and other.stated_age < 18):
                other_adult_gap = 1.0
        own = sum(level)
        one_sided = 0.0 if own <= 0 else max(0.0, (own - other_total) / own)
        self_minor = 1.0 if age is not None and age < 18 else 0.0
        group = min(1.0, max(0, len(self.authors) + self.ignored_authors - 2) / 3)
        return (
            *level,
            breadth,
            progression,
            other_adult_gap,
            target_minor,
            one_sided,
            self_minor,
            self.benign,
            group,
            author.mass_opener,
            author.text_p,
        )


__all__ = [
    "BREADTH_LEVEL",
    "FEATURES",
    "TEXT_EVIDENCE",
    "AuthorState",
    "ConversationState",
    "Evidence",
]
