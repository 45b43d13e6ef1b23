"""Multilingual indicator lexicon: cue phrases per category, compiled for fast lookup.

Cues are written in a small phrase language over canonical tokens (see ``normalize``):

    ``how old [are] you``        words in order; ``[...]`` is optional
    ``pic*|photo*|selfie*``      alternatives; ``*`` matches any word ending
    ``send ~2 pic*``             ``~N`` skips up to N words (``~`` = 2)
    ``a_tu_escuela|a_todos``     ``_`` joins words inside one alternative
    ``#``                        any number

Each compiled cue is indexed under the first words of the alternatives of its most
selective required element (whole words, or stems for ``*`` prefixes), so a message only
runs the few regular expressions whose anchor word it contains; the cues a token can
anchor are cached per token. That keeps scoring cost flat as the lexicon grows.

Categories follow the published, non-explicit stage models of online grooming (O'Connell
2003; Olson et al. 2007, luring communication theory; Lorenzo-Dus et al. 2016): see
docs/conversations.md. ``benign`` cues mark contexts that share words with grooming but
are not (a surprise party, homework, a parcel, a sports team, a parent being addressed, a
moderator); ``disclosure`` cues are a young person's own statements that they are alone
or a minor. ``kin`` cues are a stated family relation between the authors ("it's auntie
Rose", "thanks grandma"); ``surprise`` cues name what a secret is for when that is a
third person or an event ("a present for your mum", "for her 40th"): both count as benign
context, and a ``surprise`` damps the secrecy cues of its own message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import import_module

CATEGORIES: tuple[str, ...] = (
    "access", "trust", "isolation", "incentive", "approach", "coercion",
)
"""Indicator categories a suspect's messages are scored on, in stage order."""

CONTEXT_KINDS: tuple[str, ...] = ("benign", "disclosure", "kin", "surprise")
BENIGN_KINDS: frozenset[str] = frozenset({"benign", "kin", "surprise"})
"""Context kinds that count towards the conversation's benign context."""
LANGUAGES: tuple[str, ...] = ("en", "de", "fr", "es", "it", "nl", "pl")

CueSpec = tuple[str, str, float]
"""(kind, phrase, weight in (0, 1])."""


@dataclass(frozen=True, slots=True)
class Cue:
    id: int
    kind: str
    phrase: str
    weight: float
    language: str
    regex: re.Pattern[str]
    """Matches the phrase in canonical text (words joined and ended by single spaces)."""
    spaced: re.Pattern[str]
    """The same phrase after a leading space instead of a look-behind: searched in the
    text with one more space in front, it gives the same matches one character later,
    and its literal first character lets the regex engine skip to word starts."""


class LexiconError(ValueError):
    """A cue phrase that cannot be compiled (a bug in a lexicon file)."""


_WORD_START = "(?<![^ ])"
"""A phrase starts at the start of the text or after a space."""


def _word_regex(word: str) -> str:
    if word == "#":
        return "[0-9]+"
    if word.endswith("*"):
        stem = word[:-1]
        if len(stem) < 3:
            raise LexiconError(f"prefix {word!r} is shorter than three letters")
        return re.escape(stem) + "[^ ]*"
    return re.escape(word)


# Function words of the seven languages: poor anchors, because almost every message has one.
_COMMON = frozenset([
    "a", "an", "the", "i", "me", "my", "you", "your", "is", "are", "am", "be", "do", "not",
    "no", "to", "of", "in", "on", "at", "it", "and", "or", "so", "if", "we", "us", "ich", "du",
    "dich", "dir", "mich", "mir", "und", "der", "die", "das", "ist", "bist", "nicht", "ein",
    "eine", "es", "wir", "uns", "sie", "je", "tu", "te", "toi", "moi", "de", "la", "le", "les",
    "et", "est", "pas", "ne", "un", "une", "on", "se", "ce", "ca", "yo", "tu", "te", "ti",
    "me", "mi", "que", "el", "la", "lo", "los", "las", "en", "no", "se", "un", "una", "es",
    "y", "de", "io", "ti", "mi", "che", "il", "la", "lo", "non", "un", "una", "e", "di", "si",
    "per", "ik", "je", "jij", "me", "mij", "het", "een", "de", "en", "is", "ben", "niet", "we",
    "nie", "ja", "ty", "cie", "mi", "sie", "to", "jest", "i", "w", "na", "z", "do",
])


def _selectivity(word: str) -> int:
    """How rare an anchor word is likely to be: its length, 0 for function words."""
    if word == "#":
        return 1
    stem = word.rstrip("*")
    return 0 if stem in _COMMON else len(stem)


def _key(word: str) -> str:
    """Index key of an anchor word: the word, ``stem*`` for a prefix, ``#`` for numbers."""
    return word


def compile_phrase(phrase: str) -> tuple[str, frozenset[str], set[str], set[str]]:
    """Compile one phrase: (regex source, anchor keys, whole words, prefixes)."""
    parts: list[str] = []
    best: tuple[int, int, frozenset[str]] | None = None
    words: set[str] = set()
    prefixes: set[str] = set()
    elements = phrase.split()
    if not elements or elements[0].startswith("~") or elements[-1].startswith("~"):
        raise LexiconError(f"bad phrase {phrase!r}")
    for element in elements:
        if element.startswith("~"):
            span = int(element[1:] or 2)
            parts.append(f"(?:[^ ]+ ){{0,{span}}}")
            continue
        optional = element.startswith("[") and element.endswith("]")
        body = element[1:-1] if optional else element
        alts = [alt.split("_") for alt in body.split("|")]
        for alt in alts:
            for word in alt:
                if word.endswith("*"):
                    prefixes.add(word[:-1])
                elif word != "#":
                    words.add(word)
        regex = "(?:" + "|".join(" ".join(_word_regex(w) for w in alt) for alt in alts) + ") "
        if optional:
            parts.append(f"(?:{regex})?")
            continue
        parts.append(regex)
        keys = frozenset(_key(alt[0]) for alt in alts)
        selectivity = min(_selectivity(alt[0]) for alt in alts)
        rank = (selectivity, -len(alts), keys)
        if best is None or rank[:2] > best[:2]:
            best = rank
    if best is None:
        raise LexiconError(f"phrase {phrase!r} has no required word")
    return _WORD_START + "".join(parts), best[2], words, prefixes


class Lexicon:
    """All cues of all languages, compiled and indexed by anchor key."""

    def __init__(self, specs: dict[str, list[CueSpec]], age_patterns: dict[str, list[str]]):
        self.cues: list[Cue] = []
        self.index: dict[str, tuple[int, ...]] = {}
        self.vocabulary: set[str] = set()
        self.prefixes: set[str] = set()
        index: dict[str, list[int]] = {}
        digest = hashlib.sha256()
        for language in sorted(specs):
            for kind, phrase, weight in specs[language]:
                if kind not in CATEGORIES and kind not in CONTEXT_KINDS:
                    raise LexiconError(f"{language}: unknown kind {kind!r} in {phrase!r}")
                if not 0 < weight <= 1:
                    raise LexiconError(f"{language}: weight {weight} out of (0, 1] in {phrase!r}")
                source, keys, words, prefixes = compile_phrase(phrase)
                cue = Cue(len(self.cues), kind, phrase, weight, language, re.compile(source),
                          re.compile(" " + source.removeprefix(_WORD_START)))
                self.cues.append(cue)
                for key in keys:
                    index.setdefault(key, []).append(cue.id)
                self.vocabulary |= words
                self.prefixes |= prefixes
                digest.update(f"{language}\t{kind}\t{phrase}\t{weight}\n".encode())
        self.index = {key: tuple(ids) for key, ids in index.items()}
        self._exact = {k: v for k, v in self.index.items() if not k.endswith("*")}
        self._prefix = {k[:-1]: v for k, v in self.index.items() if k.endswith("*")}
        self._prefix_lengths = sorted({len(k) for k in self._prefix})
        self._token_cache: dict[str, tuple[int, ...]] = {}
        sources = [p for language in sorted(age_patterns) for p in age_patterns[language]]
        for pattern in sources:
            digest.update(pattern.encode())
        self.age_regex = re.compile("|".join(f"(?:{p})" for p in sources)) if sources else None
        self.sha256 = digest.hexdigest()

    def token_cues(self, token: str) -> tuple[int, ...]:
        """Ids of the cues ``token`` can anchor (cached, bounded)."""
        ids = self._token_cache.get(token)
        if ids is not None:
            return ids
        found: list[int] = list(self._exact.get("#" if token.isdigit() else token, ()))
        for length in self._prefix_lengths:
            if length > len(token):
                break
            found.extend(self._prefix.get(token[:length], ()))
        ids = tuple(sorted(set(found)))
        if len(self._token_cache) >= 500_000:
            self._token_cache.clear()
        self._token_cache[token] = ids
        return ids

    def candidates(self, tokens: list[str]) -> list[Cue]:
        """Cues whose anchor word occurs among ``tokens`` (a superset of those that match)."""
        ids: set[int] = set()
        cache = self._token_cache
        for token in tokens:
            found = cache.get(token)
            if found is None:
                found = self.token_cues(token)
            if found:
                ids.update(found)
        if not ids:
            return []
        cues = self.cues
        return [cues[i] for i in sorted(ids)]


_DEFAULT: Lexicon | None = None


def default_lexicon() -> Lexicon:
    """The built-in lexicon of the seven languages (compiled once per process)."""
    global _DEFAULT
    if _DEFAULT is None:
        specs: dict[str, list[CueSpec]] = {}
        ages: dict[str, list[str]] = {}
        for language in LANGUAGES:
            module = import_module(f"{__name__}.{language}")
            specs[language] = list(module.CUES)
            ages[language] = list(module.AGE_PATTERNS)
        _DEFAULT = Lexicon(specs, ages)
    return _DEFAULT


__all__ = [
    "BENIGN_KINDS",
    "CATEGORIES",
    "CONTEXT_KINDS",
    "LANGUAGES",
    "Cue",
    "CueSpec",
    "Lexicon",
    "LexiconError",
    "compile_phrase",
    "default_lexicon",
]
