"""Readers: JSONL and PAN12 XML, with per-line errors and refusal of hostile XML."""
# ruff: noqa: E501  (the PAN12 fixture reads best one message a line)

from __future__ import annotations

import json
from pathlib import Path

import pytest

from childshield.conversations.io import (
    Conversation,
    ItemError,
    read_jsonl,
    read_labels,
    read_pan12,
)
from childshield.errors import InputError

PAN12 = """<?xml version="1.0" encoding="UTF-8"?>
<conversations>
  <conversation id="c-groom">
    <message line="1"><author>aa11</author><time>20:01</time><text>how old are you?</text></message>
    <message line="2"><author>bb22</author><time>20:02</time><text>12</text></message>
    <message line="3"><author>aa11</author><time>20:03</time><text>you are so mature for your age. our secret ok, dont tell your parents</text></message>
    <message line="4"><author>aa11</author><time>20:04</time><text>send me a selfie, and lets talk on snapchat</text></message>
  </conversation>
  <conversation id="c-benign">
    <message line="1"><author>cc33</author><time>10:00</time><text>did you finish the homework?</text></message>
    <message line="2"><author>dd44</author><time>10:01</time><text></text></message>
  </conversation>
</conversations>
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_pan12_conversations_and_labels(tmp_path):
    xml = write(tmp_path / "corpus.xml", PAN12)
    labels = read_labels(write(tmp_path / "predators.txt", "aa11\nzz99\n"))
    items = list(read_pan12(xml, labels))
    assert [i.id for i in items] == ["c-groom", "c-benign"]
    groom, benign = items
    assert isinstance(groom, Conversation) and groom.label and groom.suspect == "aa11"
    assert len(groom.messages) == 4 and groom.messages[0]["time"] == "20:01"
    assert isinstance(benign, Conversation) and benign.label is False
    assert benign.messages[1]["text"] == ""


def test_pan12_malformed_xml_keeps_what_was_read(tmp_path):
    broken = PAN12.split("<conversation id=\"c-benign\">")[0] + "<conversation id='x'><message>"
    items = list(read_pan12(write(tmp_path / "broken.xml", broken)))
    assert isinstance(items[0], Conversation)
    assert isinstance(items[-1], ItemError) and "XML error" in items[-1].error


def test_pan12_with_entities_is_refused(tmp_path):
    hostile = ('<?xml version="1.0"?><!DOCTYPE c [<!ENTITY a "aaaa">]>'
               "<conversations>&a;</conversations>")
    with pytest.raises(InputError, match="DOCTYPE"):
        list(read_pan12(write(tmp_path / "bomb.xml", hostile)))


def test_jsonl_bad_lines_are_errors_and_the_rest_is_read(tmp_path):
    good = {"id": "ok", "messages": [{"author": "a", "text": "hi"}], "label": 0}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps([1, 2]),
        json.dumps({"messages": []}),
        json.dumps({"id": "x", "messages": "nope"}),
        json.dumps({"id": "y", "messages": [], "label": "maybe"}),
        "",
        json.dumps({"id": 7, "messages": [], "label": True, "suspect": "a"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(read_jsonl(path))
    errors = [i for i in items if isinstance(i, ItemError)]
    good_items = [i for i in items if isinstance(i, Conversation)]
    assert [c.id for c in good_items] == ["ok", "7"]
    assert good_items[1].label is True and good_items[1].suspect == "a"
    messages = [e.error for e in errors]
    assert messages == [
        "line 2: not JSON (Expecting property name enclosed in double quotes)",
        "line 3: a conversation must be a JSON object",
        "line 4: conversation has no id",
        "line 5: conversation 'x' has no messages list",
        "line 6: label 'maybe' is not a boolean",
    ]


def test_jsonl_non_utf8_line_and_overlong_line(tmp_path):
    path = tmp_path / "mixed.jsonl"
    ok = json.dumps({"id": "ok", "messages": []}).encode()
    path.write_bytes(ok + b"\n" + b'{"id": "bad", "messages": [{"text": "caf\xe9"}]}\n'
                     + b'{"id": "long", "x": "' + b"a" * 5000 + b'"}\n' + ok + b"\n")
    items = list(read_jsonl(path, max_line_bytes=1000))
    assert isinstance(items[0], Conversation)
    assert isinstance(items[1], ItemError) and "not valid UTF-8" in items[1].error
    assert isinstance(items[2], ItemError) and "longer than 1000 bytes" in items[2].error
    assert isinstance(items[3], Conversation)
    latin = list(read_jsonl(path, encoding="latin-1", max_line_bytes=1000))
    assert isinstance(latin[1], Conversation)


def test_jsonl_utf16_file_asks_for_an_encoding(tmp_path):
    path = tmp_path / "u16.jsonl"
    path.write_bytes('{"id": "a", "messages": []}\n'.encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        list(read_jsonl(path))
    assert isinstance(next(iter(read_jsonl(path, encoding="utf-16"))), Conversation)
