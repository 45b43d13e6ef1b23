"""Fixtures for the conversation tests: a shared monitor and a conversation runner."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from childshield.conversations import ConversationMonitor, ConversationResult

Runner = Callable[[ConversationMonitor, str, Sequence[tuple[str, str]]], ConversationResult]


def _run(monitor: ConversationMonitor, conv_id: str,
         lines: Sequence[tuple[str, str]]) -> ConversationResult:
    for author, text in lines:
        monitor.feed(conv_id, {"author": author, "text": text, "time": None})
    return monitor.close(conv_id)


@pytest.fixture
def run() -> Runner:
    """Feed (author, text) pairs into a monitor and return the closed result."""
    return _run


@pytest.fixture(scope="module")
def monitor() -> ConversationMonitor:
    return ConversationMonitor()
