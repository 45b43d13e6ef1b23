"""Score whole conversations (files, lists) through the streaming monitor."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from childshield.conversations.io import Conversation, ItemError
from childshield.conversations.monitor import ConversationMonitor, ConversationResult
from childshield.errors import InputError

MAX_MESSAGES = 1_000_000
"""Messages of one conversation that are read; the rest is reported and ignored."""


def score_conversation(
    monitor: ConversationMonitor, conversation: Conversation
) -> ConversationResult:
    """Feed every message in order and return the final result (state is then freed)."""
    conv_id = conversation.id
    monitor.close(conv_id)  # a repeated id in one file starts afresh
    for position, message in enumerate(conversation.messages):
        if position >= MAX_MESSAGES:
            result = monitor.close(conv_id)
            result.warnings.append(
                f"more than {MAX_MESSAGES} messages; the rest were not scored")
            return result
        try:
            monitor.feed(conv_id, message)
        except InputError:
            continue  # recorded as a warning on the conversation
    result = monitor.close(conv_id)
    if not conversation.messages:
        result.warnings.append("conversation has no messages")
    elif len({_author(m) for m in conversation.messages} - {None}) == 1:
        result.warnings.append("only one author: scored without a counterpart")
    return result


def _author(message: object) -> str | None:
    if isinstance(message, dict):
        author = message.get("author")
        return str(author) if author is not None else None
    return None


def score_items(
    monitor: ConversationMonitor, items: Iterable[Conversation | ItemError]
) -> Iterator[tuple[Conversation | ItemError, ConversationResult | None]]:
    """(item, result) for each conversation; errors pass through with result None."""
    for item in items:
        if isinstance(item, ItemError):
            yield item, None
        else:
            yield item, score_conversation(monitor, item)


__all__ = ["MAX_MESSAGES", "score_conversation", "score_items"]
