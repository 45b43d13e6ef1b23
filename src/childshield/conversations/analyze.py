"""One message -> the cues it contains, with spans in the raw text, and any stated age."""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate, chain, repeat
from operator import itemgetter
from typing import NamedTuple

from childshield.conversations.lexicon import Lexicon, default_lexicon
from childshield.conversations.normalize import TOKEN_RE, Normaliser

_DIGIT = re.compile(r"\d")
SHORT_MESSAGE = 24
"""Messages up to this many characters have their analysis cached (they repeat a lot)."""
PHOTO_DAMPING = 0.3
"""Factor on photo/approach cues in a message that also names a benign object or context
("a photo of your homework", "the damaged parcel")."""
SECRET_DAMPING = 0.3
"""Factor on secrecy (isolation) cues in a message that says the secret is a surprise or a
present for a third person ("don't tell mum, it's a present for her 40th")."""


Hit = tuple[str, float, int, int, int]
"""One cue found in a message: (kind, weight, cue id, start, end), the span in the raw text.

Hits are plain tuples, and the analyses cached for short messages are kept as plain tuples
too: the cyclic garbage collector stops tracking a tuple of plain values after its first
pass, so however many are kept they add nothing to its full collections (which otherwise
walk every retained object, and cost the scorer a quarter of its time)."""


class Analysis(NamedTuple):
    hits: tuple[Hit, ...] = ()
    ages: tuple[tuple[int, int, int], ...] = ()
    """(age, start, end) for each stated age."""
    bare_number: int | None = None
    """The number when the whole message is just a number (an answer to "how old are you")."""
    tokens: tuple[str, ...] = ()


_EMPTY = Analysis()
_AS_ANALYSIS = tuple.__new__
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)


class Analyzer:
    """Finds lexicon cues in raw text. Thread-compatible: no state but a bounded cache."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or default_lexicon()
        self.normaliser = Normaliser(self.lexicon.vocabulary, self.lexicon.prefixes)
        self._short: dict[str, tuple[object, ...]] = {}
        """Analyses of short messages, as plain tuples (see ``Hit``; bounded)."""
        self._searches = [cue.spaced.search for cue in self.lexicon.cues]
        """Each cue's ``spaced`` search, by cue id."""
        self._raw: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {}
        """Per raw token: its canonical tokens and the cues they can anchor (bounded)."""
        self._chunks: dict[str, tuple[tuple[str, ...], tuple[int, ...]]] = {}
        """The same per whitespace-separated chunk of text (bounded)."""
        self._chunk_spans: dict[str, list[tuple[int, int]]] = {}
        """Per chunk that held a cue: the span of each of its canonical words (bounded)."""
        self._empty_tokens = False
        """Whether any raw token ever had no canonical word (then words and raw tokens
        cannot be paired by position)."""

    def analyze(self, text: str) -> Analysis:
        """Cues and stated ages in ``text``; short messages are cached ("ok", "lol", "13")."""
        if len(text) <= SHORT_MESSAGE:
            cached = self._short.get(text)
            if cached is None:
                result = self._analyze(text)
                if len(self._short) >= 100_000:
                    self._short.clear()
                self._short[text] = tuple(result)
                return result
            return _AS_ANALYSIS(Analysis, cached)
        return self._analyze(text)

    def _entry(self, raw: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """One raw token's canonical words and the cues they can anchor (cached)."""
        entry = self._raw.get(raw)
        if entry is not None:
            return entry
        canon = self.normaliser.canonical(raw)
        ids: set[int] = set()
        for token in canon:
            ids.update(self.lexicon.token_cues(token))
        entry = (canon, tuple(sorted(ids)))
        if not canon:
            self._empty_tokens = True
        if len(self._raw) >= 500_000:
            self._raw.clear()
        self._raw[raw] = entry
        return entry

    def _chunk(self, chunk: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        """The same for a whitespace-separated chunk (its raw tokens joined; cached)."""
        entries = [self._entry(raw) for raw in TOKEN_RE.findall(chunk)]
        if len(entries) == 1:
            entry = entries[0]
        else:
            ids = set().union(*map(_SECOND, entries))
            entry = (tuple(chain.from_iterable(map(_FIRST, entries))), tuple(sorted(ids)))
        if len(self._chunks) >= 500_000:
            self._chunks.clear()
        self._chunks[chunk] = entry
        return entry

    def _analyze(self, text: str) -> Analysis:
        # Raw tokens never contain whitespace, so the tokens of the whitespace-separated
        # chunks, in order, are the tokens of the text; chunks repeat, and are cached whole.
        chunks = text.split()
        found = list(map(self._chunks.get, chunks))
        if None in found:
            found = [self._chunk(chunk) if entry is None else entry
                     for chunk, entry in zip(chunks, found, strict=True)]
        entries: list[tuple[tuple[str, ...], tuple[int, ...]]] = found  # type: ignore[assignment]
        words = tuple(chain.from_iterable(map(_FIRST, entries)))
        if not words:
            return _EMPTY
        ids = set().union(*map(_SECOND, entries))
        has_digit = _DIGIT.search(text) is not None and any(map(str.isdigit, words))
        if not ids and not has_digit:
            return Analysis(tokens=words)
        norm = " ".join(words) + " "
        spaced = " " + norm  # Cue.spaced matches here one character later than Cue.regex
        matches = []
        if ids:
            cues, searches = self.lexicon.cues, self._searches
            for i in sorted(ids):
                match = searches[i](spaced)
                if match is not None:
                    matches.append((cues[i], match.start(), match.end() - 1))
        ages = []
        bare_number = None
        if has_digit:
            if len(words) <= 3 and words[0].isdigit() and len(words[0]) <= 2:
                bare_number = int(words[0])
            regex = self.lexicon.age_regex
            if regex is not None:
                for match in regex.finditer(norm[:-1]):
                    value = next((g for g in match.groups() if g), None)
                    if value is not None:
                        ages.append((int(value), match.start(), match.end() + 1))
        if not matches and not ages:
            return Analysis((), (), bare_number, words)
        span = _Locator(self, text, chunks, entries).span
        count = norm.count  # words are space-free: a position's word is the spaces before it

        def raw_span(start: int, end: int) -> tuple[int, int]:
            first = count(" ", 0, start)
            last = count(" ", 0, max(start, end - 2))
            head = span(first)
            return head[0], (head if last == first else span(last))[1]

        benign = surprise = False
        for cue, _start, _end in matches:
            if cue.kind == "benign":
                benign = True
            elif cue.kind == "surprise":
                benign = surprise = True
        hits = []
        for cue, start, end in matches:
            weight = cue.weight
            if benign:
                if cue.kind == "approach":
                    weight *= PHOTO_DAMPING
                elif surprise and cue.kind == "isolation":
                    weight *= SECRET_DAMPING
            hits.append((cue.kind, weight, cue.id, *raw_span(start, end)))
        stated = tuple((age, *raw_span(start, end)) for age, start, end in ages)
        return Analysis(tuple(hits), stated, bare_number, words)

    def chunk_spans(self, chunk: str) -> list[tuple[int, int]]:
        """For each canonical word of one whitespace-free chunk, its span in the chunk
        (cached, bounded)."""
        spans = self._chunk_spans.get(chunk)
        if spans is None:
            spans = []
            for match in TOKEN_RE.finditer(chunk):
                spans.extend([match.span()] * len(self._entry(match.group())[0]))
            if len(self._chunk_spans) >= 100_000:
                self._chunk_spans.clear()
            self._chunk_spans[chunk] = spans
        return spans

    def word_spans(self, text: str, words: int | None = None) -> list[tuple[int, int]]:
        """For each canonical word of ``text`` (as ``analyze`` gives them), its raw span.

        ``words``, the number of canonical words when the caller knows it, saves a pass:
        when it equals the number of raw tokens (no token was expanded), each word is its
        token."""
        found = list(TOKEN_RE.finditer(text))
        positions = [match.span() for match in found]
        if words == len(positions) and not self._empty_tokens:
            return positions
        counts = [len(self._entry(match.group())[0]) for match in found]
        if sum(counts) == len(counts) and not self._empty_tokens:
            return positions
        return list(chain.from_iterable(map(repeat, positions, counts)))


class _Locator:
    """Raw spans of a few canonical words of one message, found from its chunks: only
    the chunks holding the wanted words are located and tokenised again."""

    __slots__ = ("analyzer", "chunks", "ends", "starts", "text")

    def __init__(self, analyzer: Analyzer, text: str, chunks: list[str],
                 entries: list[tuple[tuple[str, ...], tuple[int, ...]]]) -> None:
        self.analyzer = analyzer
        self.text = text
        self.chunks = chunks
        self.ends = list(accumulate(map(len, map(_FIRST, entries))))
        """Number of canonical words up to and including each chunk."""
        self.starts: list[int] = []
        """Where each chunk starts in the text (found in order, as far as needed)."""

    def span(self, word: int) -> tuple[int, int]:
        c = bisect_right(self.ends, word)
        starts, chunks = self.starts, self.chunks
        known = len(starts)
        if known <= c:
            find = self.text.find
            after = starts[-1] + len(chunks[known - 1]) if known else 0
            for chunk in chunks[known:c + 1]:
                after = find(chunk, after)
                starts.append(after)
                after += len(chunk)
        start, end = self.analyzer.chunk_spans(chunks[c])[word - (self.ends[c - 1] if c else 0)]
        return starts[c] + start, starts[c] + end


__all__ = ["PHOTO_DAMPING", "SECRET_DAMPING", "Analysis", "Analyzer", "Hit"]
