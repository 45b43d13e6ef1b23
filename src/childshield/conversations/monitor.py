"""Streaming scorer: feed messages as they arrive, get an Alert the moment risk crosses.

    monitor = ConversationMonitor()            # the shipped default model
    alert = monitor.feed("conv-1", {"author": "a", "text": "hi", "time": 1700000000})
    if alert is not None:
        open_review_case(alert.to_dict())      # a human decides; the score is evidence

State per conversation and per author is bounded (authors, evidence spans, warnings), and
the number of live conversations is capped (least recently active evicted first), so a
long-running service keeps a flat memory footprint. One author's similar first messages
across many conversations (the "mass opener" meta-signal) are remembered per author in a
bounded map as well. A monitor is safe to share between threads (one lock).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from childshield.conversations.analyze import Analyzer
from childshield.conversations.features import (
    TEXT_EVIDENCE,
    AuthorState,
    ConversationState,
)
from childshield.conversations.model import Model, load_model
from childshield.errors import InputError

TEXT_QUOTE_SOURCE = 600
"""Characters of a message kept to quote it as learned-text evidence."""
BINARY_CONTROL_SHARE = 0.1
"""A message with NUL bytes or more than this share of control characters is not text."""
OPENER_SIMILARITY = 0.6
OPENER_MIN_TOKENS = 4
OPENER_CONVERSATIONS = 3
"""Similar openers in this many conversations (this one included) raise ``mass_opener``."""
OPENER_HISTORY = 32
"""First messages remembered per author."""


@dataclass(frozen=True, slots=True)
class Message:
    author: str
    text: str
    time: float | str | None = None


@dataclass(slots=True)
class Alert:
    """Raised once per conversation, at the message where the risk first crossed."""

    conversation_id: str
    message: int
    suspect: str
    risk: float
    indicators: list[dict[str, object]]
    model_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.conversation_id,
            "alert_message": self.message,
            "suspect": self.suspect,
            "risk": round(self.risk, 4),
            "indicators": self.indicators,
            "model_version": self.model_version,
        }


@dataclass(slots=True)
class ConversationResult:
    id: str
    risk: float
    alert: bool
    alert_message: int | None
    suspect: str | None
    indicators: list[dict[str, object]]
    messages: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN.md shape; ``warnings`` only when there are any."""
        out: dict[str, Any] = {
            "id": self.id,
            "risk": round(self.risk, 4),
            "alert": self.alert,
            "alert_message": self.alert_message,
            "suspect": self.suspect,
            "indicators": self.indicators,
        }
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    """NUL bytes, or more than BINARY_CONTROL_SHARE control characters."""
    if _CONTROL.search(text) is None:
        return False
    return "\x00" in text or len(_CONTROL.findall(text)) > BINARY_CONTROL_SHARE * len(text)


def parse_time(value: object) -> float | None:
    """Seconds since the epoch from a number or an ISO 8601 string; None when absent."""
    if type(value) is str and value:  # the common case first (ISO 8601 text)
        return _parse_text_time(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("time is not finite")
        return float(value)
    if isinstance(value, str):
        return _parse_text_time(value)
    raise ValueError(f"unsupported time value of type {type(value).__name__}")


def _parse_text_time(value: str) -> float:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return float(text)


class ConversationMonitor:
    """Scores conversations message by message with bounded state."""

    def __init__(
        self,
        model: Model | None = None,
        analyzer: Analyzer | None = None,
        *,
        max_conversations: int = 100_000,
        max_authors: int = 64,
        evidence_per_category: int = 5,
        max_opener_authors: int = 100_000,
    ) -> None:
        self.model = model or load_model()
        self.analyzer = analyzer or Analyzer()
        self.max_conversations = max_conversations
        self.max_authors = max_authors
        self.evidence_per_category = evidence_per_category
        self.max_opener_authors = max_opener_authors
        self._conversations: OrderedDict[str, ConversationState] = OrderedDict()
        self._openers: OrderedDict[str, tuple[tuple[str, tuple[str, ...]], ...]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._conversations)

    def _state(self, conversation_id: str) -> ConversationState:
        state = self._conversations.get(conversation_id)
        if state is None:
            state = ConversationState(self.max_authors, self.evidence_per_category)
            self._conversations[conversation_id] = state
            while len(self._conversations) > self.max_conversations:
                self._conversations.popitem(last=False)
        else:
            self._conversations.move_to_end(conversation_id)
        return state

    def _message(self, index: int, message: object) -> tuple[object, object, object]:
        if type(message) is dict:  # the common case, without the abstract-class check
            return message.get("author"), message.get("text"), message.get("time")
        if isinstance(message, Message):
            return message.author, message.text, message.time
        if not isinstance(message, Mapping):
            raise InputError(f"message {index}: not an object with author, text and time")
        return message.get("author"), message.get("text"), message.get("time")

    def feed(self, conversation_id: str, message: Message | Mapping[str, Any]) -> Alert | None:
        """Add one message; return an Alert if this message first raised one.

        Raises InputError for a message that cannot be attributed (no author, not an
        object); text problems (empty, binary, enormous) and bad times become warnings
        on the conversation and never stop it. Safe to call from several threads.
        """
        with self._lock:
            return self._feed(conversation_id, message)

    def _feed(self, conversation_id: str, message: Message | Mapping[str, Any]) -> Alert | None:
        state = self._state(conversation_id)
        index = state.messages
        state.messages += 1
        try:
            author_raw, text_raw, time_raw = self._message(index, message)
            if (type(author_raw) is not str and isinstance(author_raw, int | float)
                    and not isinstance(author_raw, bool)):
                author_raw = str(author_raw)
            if not isinstance(author_raw, str) or not author_raw.strip():
                raise InputError(f"message {index}: no author")
        except InputError as exc:
            state.warn(f"{exc.message}; ignored")
            raise
        if time_raw is not None:
            self._check_time(state, index, time_raw)
        if (type(text_raw) is str and len(text_raw) <= self.model.max_chars
                and _CONTROL.search(text_raw) is None):
            text = text_raw  # the common case; _text handles and warns about the rest
        else:
            text = self._text(state, index, text_raw)
        author = state.author(author_raw[:200])
        if author is None or not text:
            if author is not None:
                author.messages += 1
            return None
        analysis = self.analyzer.analyze(text)
        changed = state.update(index, author, text, analysis)
        if author.messages == 1 and len(analysis.tokens) >= OPENER_MIN_TOKENS:
            changed |= self._opener(conversation_id, author, index, text, analysis.tokens)
        text_changed = False
        text_model = self.model.text
        tokens = analysis.tokens
        if text_model is not None and tokens:
            score = text_model.message_score(tokens)
            author.text_sum += score
            author.text_words += len(tokens)
            author.text_p = text_model.probability(author.text_sum, author.text_words)
            if score > 0 and (len(author.text_pending) < TEXT_EVIDENCE
                              or score > min(p[0] for p in author.text_pending)):
                self._text_evidence(author, index, text, tokens, score)
            text_changed = True
        if not changed and not text_changed:
            return None
        if state.alert_message is not None:
            state.stale = True  # the alert stands; risks are refreshed when the result is read
            return None
        if not changed:  # only this author's text score moved: no one else's features did
            return self._rescore_author(conversation_id, state, author, index)
        return self._rescore(conversation_id, state, index)

    @staticmethod
    def _text_evidence(author: AuthorState, index: int, text: str,
                       tokens: tuple[str, ...], score: float) -> None:
        """Remember the author's TEXT_EVIDENCE messages with the highest learned weight."""
        kept = author.text_pending
        if len(kept) >= TEXT_EVIDENCE:
            weakest = 0  # the first of the lowest-weighted kept messages
            low = kept[0][0]
            for i in range(1, len(kept)):
                if kept[i][0] < low:
                    weakest, low = i, kept[i][0]
            if low >= score:
                return
            kept = kept[:weakest] + kept[weakest + 1:]
        author.text_pending = (*kept, (score, index, text[:TEXT_QUOTE_SOURCE], tokens))

    def _indicators(self, author: AuthorState) -> list[dict[str, object]]:
        """The author's evidence; learned-text spans are quoted here, when read."""
        text_model = self.model.text
        if author.text_pending and text_model is not None:
            quotes = []
            for score, index, text, tokens in sorted(author.text_pending, key=lambda p: p[1]):
                positions = text_model.top_words(tokens)
                spans = self.analyzer.word_spans(text, len(tokens))
                positions = [p for p in positions if p < len(spans)]
                if positions:
                    start, end = spans[positions[0]][0], spans[positions[-1]][1]
                    if end - start > 80:
                        start, end = spans[positions[0]]
                    quote = text[start:end]
                else:
                    quote = text[:80]
                quotes.append(("learned", index, quote[:200], score))
            author.text_evidence = tuple(quotes)
        return [e.to_dict() for e in author.indicators()]

    def _check_time(self, state: ConversationState, index: int, value: object) -> None:
        try:
            when = parse_time(value)
        except (ValueError, OverflowError, OSError):
            state.warn(f"message {index}: unreadable time {str(value)[:40]!r} ignored")
            return
        if when is None:
            return
        if state.last_time is not None and when < state.last_time:
            state.warn(f"message {index}: time earlier than the message before; "
                       "kept in arrival order")
        state.last_time = when if state.last_time is None else max(state.last_time, when)

    def _text(self, state: ConversationState, index: int, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bytes | bytearray):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                state.warn(f"message {index}: text is not UTF-8; ignored")
                return ""
        if not isinstance(value, str):
            state.warn(f"message {index}: text is a {type(value).__name__}, not a string; "
                       "ignored")
            return ""
        limit = self.model.max_chars
        if len(value) > limit:
            state.warn(f"message {index}: {len(value)} characters; only the first {limit} "
                       "were analysed")
            value = value[:limit]
        if value and _looks_binary(value):
            state.warn(f"message {index}: binary content ignored")
            return ""
        return value

    def _opener(self, conversation_id: str, author: AuthorState, index: int, text: str,
                tokens: tuple[str, ...]) -> bool:
        fingerprint = frozenset(tokens)
        size = len(fingerprint)
        # kept as tuples of plain values (untracked by the garbage collector), not sets
        history = self._openers.get(author.name, ())
        similar = set()
        for other, seen in history:
            if other != conversation_id:
                shared = len(fingerprint.intersection(seen))
                if shared / (size + len(seen) - shared) >= OPENER_SIMILARITY:
                    similar.add(other)
        self._openers[author.name] = (*history[-(OPENER_HISTORY - 1):],
                                      (conversation_id, tuple(fingerprint)))
        self._openers.move_to_end(author.name)
        while len(self._openers) > self.max_opener_authors:
            self._openers.popitem(last=False)
        if len(similar) + 1 >= OPENER_CONVERSATIONS:
            author.mass_opener = 1.0
            author.mass_evidence = (
                "mass_opener", index,
                f"{text[:160]} (similar first message in {len(similar)} other conversations)",
                0.0,
            )
            return True
        return False

    def _refresh(self, state: ConversationState) -> AuthorState | None:
        """Recompute every author's risk and peak; the author with the highest risk."""
        model = self.model
        best: AuthorState | None = None
        for author in state.authors.values():
            author.vector = vector = state.features(author)
            author.partial = model.partial_logit(vector)
            author.risk = model.risk_from(author.partial, vector)
            if author.risk > author.peak:
                author.peak = author.risk
            if best is None or author.risk > best.risk:
                best = author
        state.stale = False
        return best

    def _rescore_author(self, conversation_id: str, state: ConversationState,
                        author: AuthorState, index: int) -> Alert | None:
        model = self.model
        vector = author.vector
        if vector is None:
            vector = author.vector = state.features(author)
            author.partial = model.partial_logit(vector)
        author.risk = model.risk_from(author.partial, vector, author.text_p)
        if author.risk > author.peak:
            author.peak = author.risk
        if author.risk < model.threshold:
            return None
        state.alert_message = index
        state.alert_suspect = author.name
        return Alert(conversation_id, index, author.name, author.risk,
                     self._indicators(author), model.version)

    def _rescore(self, conversation_id: str, state: ConversationState, index: int) -> Alert | None:
        model = self.model
        best = self._refresh(state)
        if best is None or state.alert_message is not None or best.risk < model.threshold:
            return None
        state.alert_message = index
        state.alert_suspect = best.name
        return Alert(conversation_id, index, best.name, best.risk,
                     self._indicators(best), model.version)

    def result(self, conversation_id: str) -> ConversationResult:
        """The conversation's current result (risk is the suspect's peak so far)."""
        with self._lock:
            return self._result(conversation_id)

    def _result(self, conversation_id: str) -> ConversationResult:
        state = self._conversations.get(conversation_id)
        if state is None:
            return ConversationResult(conversation_id, 0.0, False, None, None, [])
        if state.stale:
            self._refresh(state)
        suspect: AuthorState | None = None
        if state.alert_suspect is not None:
            suspect = state.authors[state.alert_suspect]
        else:
            for author in state.authors.values():
                if suspect is None or author.peak > suspect.peak:
                    suspect = author
        indicators = self._indicators(suspect) if suspect is not None else []
        name = suspect.name if suspect is not None and indicators else None
        return ConversationResult(
            conversation_id,
            suspect.peak if suspect is not None else 0.0,
            state.alert_message is not None,
            state.alert_message,
            name,
            indicators,
            state.messages,
            list(state.warnings),
        )

    def author_features(self, conversation_id: str) -> dict[str, list[float]]:
        """Current feature vector of every author of a conversation (for training)."""
        with self._lock:
            state = self._conversations.get(conversation_id)
            if state is None:
                return {}
            return {name: list(state.features(author))
                    for name, author in state.authors.items()}

    def close(self, conversation_id: str) -> ConversationResult:
        """The final result; the conversation's state is then freed."""
        with self._lock:
            result = self._result(conversation_id)
            self._conversations.pop(conversation_id, None)
            return result


__all__ = [
    "Alert",
    "ConversationMonitor",
    "ConversationResult",
    "Message",
    "parse_time",
]
