"""Extra solicitation patterns: phrases from the EU Centre's indicator lists (a hook).

The shipped scorer (:mod:`childshield.conversations.monitor`) works from its own lexicon
and model. Competent authorities also confirm *patterns* (plain-text phrases seen in
solicitation) that the centre distributes in its signed indicator lists (signal
``pattern``, docs/indicator-list-format.md); ``bank sync`` stores them in a
``solicitation`` bank. This module only matches those phrases; it does not touch the
scorer. The provider's :class:`~childshield.provider.conversations.ConversationHub` asks a
:class:`PatternSet` about each message and raises a case for human review when one
matches (a ``centre_pattern`` indicator beside the scorer's own).

Matching is on words, not characters, and not a regular expression (patterns come from
outside and must not be able to hang the scorer). Both sides go through the scorer's chat
spelling normaliser (:mod:`childshield.conversations.normalize`): lower case, accents and
apostrophes removed, leetspeak decoded inside words, letter runs shortened, chat
abbreviations expanded; the patterns' own words guide the choices (``pleeease`` becomes
``please`` when a pattern says ``please``). A pattern matches when its words appear
consecutively in the message: "Don't tell your mum" matches "pls d0nt t3ll ur MUM",
"Delete our chat" matches "DELETE our chat now" but not "deleted our chatroom".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from childshield.conversations.normalize import TOKEN_RE, Normaliser, strip_accents

MAX_MESSAGE_TOKENS = 5_000
"""Only the first tokens of a very long message are searched (the scorer caps text too)."""
_PLAIN = Normaliser()


def pattern_tokens(text: str, normaliser: Normaliser = _PLAIN) -> tuple[str, ...]:
    """The canonical words patterns and messages are compared on."""
    return tuple(normaliser.words(text))


@dataclass(frozen=True, slots=True)
class PatternHit:
    pattern_id: str
    """Who the pattern belongs to (for bank patterns: the local indicator id)."""
    start: int
    """Index of the first matching token in the message."""


class PatternSet:
    """An immutable set of phrases, searched token by token."""

    def __init__(self, patterns: Iterable[tuple[str, str]] = ()) -> None:
        """``patterns``: (pattern id, phrase) pairs; phrases without a word are ignored."""
        pairs = list(patterns)
        # the patterns' words, folded but not rewritten, decide ambiguous chat spellings
        words = {strip_accents(w) for _, phrase in pairs
                 for w in TOKEN_RE.findall(phrase.lower())}
        self._normaliser = Normaliser(vocabulary=words)
        by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        count = 0
        for pattern_id, phrase in pairs:
            tokens = pattern_tokens(phrase, self._normaliser)
            if tokens:
                by_first.setdefault(tokens[0], []).append((tokens, pattern_id))
                count += 1
        self._by_first = by_first
        self._count = count

    def __len__(self) -> int:
        return self._count

    def match(self, text: str) -> list[PatternHit]:
        """Every pattern found in ``text`` (each at most once, at its first place)."""
        if not self._count or not text:
            return []
        tokens = pattern_tokens(text, self._normaliser)[:MAX_MESSAGE_TOKENS]
        hits: dict[str, PatternHit] = {}
        for start, token in enumerate(tokens):
            for phrase, pattern_id in self._by_first.get(token, ()):
                if pattern_id not in hits and tokens[start:start + len(phrase)] == phrase:
                    hits[pattern_id] = PatternHit(pattern_id, start)
        return list(hits.values())


EMPTY = PatternSet()

__all__ = ["EMPTY", "PatternHit", "PatternSet", "pattern_tokens"]
