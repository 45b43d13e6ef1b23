"""Solicitation (grooming) risk in conversations: streaming, explainable, multilingual.

    from childshield.conversations import ConversationMonitor
    monitor = ConversationMonitor()
    alert = monitor.feed("conversation-1", {"author": "a", "text": "...", "time": None})

``feed`` returns an :class:`Alert` at the message where a conversation's risk first
crosses the model's threshold; :meth:`ConversationMonitor.result` gives the current
``{"id", "risk", "alert", "alert_message", "suspect", "indicators"}`` of DESIGN.md. Every
alert is for human review: the score is evidence, never a verdict. See
docs/conversations.md for the indicator categories, the model and the measured figures.
"""

from __future__ import annotations

from childshield.conversations.batch import score_conversation
from childshield.conversations.io import Conversation, ItemError, read_conversations
from childshield.conversations.lexicon import CATEGORIES
from childshield.conversations.model import Model, load_model
from childshield.conversations.monitor import (
    Alert,
    ConversationMonitor,
    ConversationResult,
    Message,
)

__all__ = [
    "CATEGORIES",
    "Alert",
    "Conversation",
    "ConversationMonitor",
    "ConversationResult",
    "ItemError",
    "Message",
    "Model",
    "load_model",
    "read_conversations",
    "score_conversation",
]
