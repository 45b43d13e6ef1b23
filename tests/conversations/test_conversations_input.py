"""Bad input never crashes: each problem becomes a clear warning or error for its item."""

from __future__ import annotations

import pytest

from childshield.conversations import ConversationMonitor, Message
from childshield.conversations.batch import score_conversation
from childshield.conversations.io import Conversation
from childshield.errors import InputError


def test_missing_author_is_an_input_error_that_keeps_message_numbering():
    monitor = ConversationMonitor()
    with pytest.raises(InputError, match="message 0: no author"):
        monitor.feed("c", {"text": "hello"})
    monitor.feed("c", {"author": "a", "text": "how old are you"})
    result = monitor.result("c")
    assert result.indicators[0]["message"] == 1
    assert any("no author" in w for w in result.warnings)


def test_a_message_that_is_not_an_object_is_rejected():
    monitor = ConversationMonitor()
    with pytest.raises(InputError, match="not an object"):
        monitor.feed("c", "just a string")  # type: ignore[arg-type]


@pytest.mark.parametrize("text, warning", [
    ("", None),
    (None, None),
    ("\x00\x01\x02binary\x00\x00", "binary content ignored"),
    (b"\xff\xfe\x00broken", "not UTF-8"),
    (12345, "not a string"),
])
def test_empty_binary_and_wrong_type_texts_are_skipped_with_a_warning(text, warning):
    monitor = ConversationMonitor()
    assert monitor.feed("c", {"author": "a", "text": text}) is None
    result = monitor.close("c")
    assert result.messages == 1 and not result.alert
    if warning:
        assert any(warning in w for w in result.warnings), result.warnings
    else:
        assert not result.warnings


def test_utf8_bytes_are_decoded():
    monitor = ConversationMonitor()
    monitor.feed("c", {"author": "a", "text": b"wie alt bist du?"})
    assert monitor.result("c").indicators


def test_an_enormous_message_is_cut_and_reported():
    monitor = ConversationMonitor()
    huge = "how old are you " + "blah " * 2_000_000
    monitor.feed("c", {"author": "a", "text": huge})
    result = monitor.result("c")
    assert result.indicators and result.indicators[0]["category"] == "access"
    assert any("only the first" in w for w in result.warnings)


def test_out_of_order_missing_and_unreadable_times_are_warnings_not_failures():
    monitor = ConversationMonitor()
    monitor.feed("c", Message("a", "hi", "2024-01-01T10:00:00Z"))
    monitor.feed("c", Message("b", "hey", "2024-01-01T09:00:00Z"))
    monitor.feed("c", Message("a", "ok", None))
    monitor.feed("c", Message("b", "fine", "yesterday-ish"))
    monitor.feed("c", {"author": "a", "text": "x", "time": 1_704_103_200})
    result = monitor.close("c")
    assert result.messages == 5
    assert any("earlier than the message before" in w for w in result.warnings)
    assert any("unreadable time" in w for w in result.warnings)


def test_one_author_conversation_is_scored_and_flagged():
    monitor = ConversationMonitor()
    conv = Conversation("solo", [{"author": "a", "text": "how old are you"}] * 3)
    result = score_conversation(monitor, conv)
    assert any("only one author" in w for w in result.warnings)
    assert not result.alert


def test_empty_conversation_is_reported():
    result = score_conversation(ConversationMonitor(), Conversation("empty", []))
    assert result.to_dict()["warnings"] == ["conversation has no messages"]
    assert result.risk == 0.0 and result.suspect is None


def test_many_authors_are_capped_and_group_chats_weigh_less():
    monitor = ConversationMonitor(max_authors=5)
    for n in range(20):
        monitor.feed("group", {"author": f"user{n}", "text": "hello everyone"})
    result = monitor.close("group")
    assert any("more than 5 authors" in w for w in result.warnings)
    lines = [("a", "how old are you"), ("b", "12"), ("a", "you are so mature for your age"),
             ("a", "our little secret ok, dont tell your parents"), ("a", "send me a selfie")]
    pair = ConversationMonitor()
    group = ConversationMonitor()
    for n in range(6):
        group.feed("g", {"author": f"bystander{n}", "text": "lol"})
    for author, text in lines:
        pair.feed("p", {"author": author, "text": text})
        group.feed("g", {"author": author, "text": text})
    assert group.result("g").risk < pair.result("p").risk


def test_state_is_bounded():
    monitor = ConversationMonitor(max_conversations=100, evidence_per_category=2)
    for n in range(1000):
        monitor.feed(f"c{n}", {"author": "a", "text": "hi"})
    assert len(monitor) == 100
    for _ in range(50):
        monitor.feed("evidence", {"author": "a", "text": "our secret. dont tell anyone. "
                                                      "delete the chat"})
    result = monitor.result("evidence")
    assert sum(1 for i in result.indicators if i["category"] == "isolation") <= 2


def test_a_monitor_can_be_fed_from_several_threads():
    import threading

    monitor = ConversationMonitor()
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(200):
                monitor.feed(f"t{n}-{i % 20}", {"author": f"a{i % 3}", "text": "how old are you"})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(monitor) == 80
    assert sum(monitor.result(f"t{n}-{k}").messages for n in range(4) for k in range(20)) == 800
