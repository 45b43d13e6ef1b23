"""Readers for conversation files: DESIGN.md JSONL and the PAN12 XML format.

Both yield :class:`Conversation` items or :class:`ItemError` items (a malformed line or
conversation), so one bad record never stops a batch. Files are streamed; a line longer
than ``max_line_bytes`` is skipped with an error rather than read into memory whole.

JSONL, one conversation a line (labels optional, used by ``train`` and ``evaluate``)::

    {"id": "c1", "messages": [{"author": "a", "time": "2024-01-01T10:00:00Z", "text": "hi"}],
     "label": 1, "suspect": "a"}

PAN12 (sexual predator identification, 2012) XML: ``<conversations><conversation id=..>
<message line=..><author>..</author><time>..</time><text>..</text></message>...``; its
labels are a separate file of predator author ids, one a line. Users bring their own
licensed copy; none is shipped.
"""

from __future__ import annotations

import codecs
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from childshield.errors import InputError

MAX_LINE_BYTES = 32 * 1024 * 1024
FORMATS = ("jsonl", "pan12")


@dataclass(slots=True)
class Conversation:
    id: str
    messages: list[Any]
    label: bool | None = None
    suspect: str | None = None
    line: int | None = None
    language: str | None = None


@dataclass(slots=True)
class ItemError:
    error: str
    line: int | None = None
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "error": self.error}
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(slots=True)
class Labels:
    """Ground truth for PAN12: the set of predator author ids."""

    predators: set[str] = field(default_factory=set)


def _label(value: object) -> bool | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "positive", "grooming", "solicitation"):
            return True
        if lowered in ("0", "false", "no", "negative", "benign", "none"):
            return False
    raise ValueError(f"label {value!r} is not a boolean")


def _lines(handle: IO[Any], max_line: int) -> Iterator[tuple[int, Any]]:
    """(line number, line) for each line of a binary or text handle; None if too long."""
    newline = b"\n" if isinstance(handle.read(0), bytes) else "\n"
    number = 0
    while True:
        chunk = handle.readline(max_line + 1)
        if not chunk:
            return
        number += 1
        if len(chunk) > max_line and not chunk.endswith(newline):
            while chunk and not chunk.endswith(newline):
                chunk = handle.readline(1024 * 1024)
            yield number, None
            continue
        yield number, chunk


def _decode(raw: bytes | str, encoding: str | None, first: bool) -> str:
    if isinstance(raw, str):
        return raw.lstrip("\ufeff") if first else raw
    if encoding:
        return raw.decode(encoding)
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.decode("utf-8")


def _open(path: Path, encoding: str | None) -> IO[Any]:
    """Binary for ASCII-compatible encodings (lines split on bytes), text for UTF-16/32."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError as exc:
            raise InputError(f"unknown encoding {encoding!r}") from exc
        if name.startswith(("utf-16", "utf-32")):
            return path.open("r", encoding=encoding, newline="")
    return path.open("rb")


def read_jsonl(
    path: Path, *, encoding: str | None = None, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[Conversation | ItemError]:
    """Conversations of a JSONL file, with a clear error item for each bad line."""
    try:
        with path.open("rb") as probe:
            head = probe.read(4)
        handle = _open(path, encoding)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    with handle:
        if head[:2] in (b"\xff\xfe", b"\xfe\xff") and encoding is None:
            raise InputError(f"{path} is UTF-16; re-encode it as UTF-8 or pass --encoding utf-16")
        for number, raw in _lines(handle, max_line_bytes):
            if raw is None:
                yield ItemError(f"line {number}: longer than {max_line_bytes} bytes; skipped",
                                number)
                continue
            try:
                text = _decode(raw, encoding, number == 1)
            except UnicodeDecodeError as exc:
                yield ItemError(f"line {number}: not valid UTF-8 (byte {exc.start}); re-encode "
                                "the file as UTF-8 or pass --encoding", number)
                continue
            except LookupError as exc:
                raise InputError(f"unknown encoding {encoding!r}") from exc
            if not text.strip():
                continue
            yield _parse_line(text, number)


def _parse_line(text: str, number: int) -> Conversation | ItemError:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        return ItemError(f"line {number}: not JSON ({msg})", number)
    if not isinstance(data, dict):
        return ItemError(f"line {number}: a conversation must be a JSON object", number)
    raw_id = data.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or raw_id == "":
        return ItemError(f"line {number}: conversation has no id", number)
    conv_id = str(raw_id)
    messages = data.get("messages")
    if not isinstance(messages, list):
        return ItemError(f"line {number}: conversation {conv_id!r} has no messages list",
                         number, conv_id)
    try:
        label = _label(data.get("label"))
    except ValueError as exc:
        return ItemError(f"line {number}: {exc}", number, conv_id)
    suspect = data.get("suspect")
    language = data.get("language")
    return Conversation(conv_id, messages, label,
                        str(suspect) if suspect is not None else None, number,
                        language if isinstance(language, str) else None)


def _refuse_dtd(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise InputError(f"{path}: XML with a DOCTYPE or entities is refused "
                         "(PAN12 files have none)")


def read_pan12(path: Path, labels: Labels | None = None) -> Iterator[Conversation | ItemError]:
    """Conversations of a PAN12 XML file; a parse error ends the file with an error item."""
    try:
        _refuse_dtd(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    predators = labels.predators if labels is not None else None
    count = 0
    last_id: str | None = None
    try:
        for _event, element in ET.iterparse(str(path), events=("end",)):
            if element.tag != "conversation":
                continue
            count += 1
            conv_id = element.get("id") or f"conversation-{count}"
            last_id = conv_id
            messages: list[dict[str, Any]] = []
            authors: set[str] = set()
            for message in element.iter("message"):
                author = (message.findtext("author") or "").strip()
                authors.add(author)
                messages.append({
                    "author": author,
                    "time": (message.findtext("time") or "").strip() or None,
                    "text": message.findtext("text") or "",
                })
            element.clear()
            label: bool | None = None
            suspect: str | None = None
            if predators is not None:
                found = sorted(a for a in authors if a in predators)
                label = bool(found)
                suspect = found[0] if found else None
            yield Conversation(conv_id, messages, label, suspect)
    except ET.ParseError as exc:
        where = f" after conversation {last_id!r}" if last_id else ""
        yield ItemError(f"{path.name}: XML error {exc}{where}; the rest of the file was skipped",
                        exc.position[0] if exc.position else None)


def read_labels(path: Path) -> Labels:
    """PAN12 ground truth: predator author ids, one a line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read labels {path}: {exc}") from exc
    return Labels({line.strip() for line in text.splitlines() if line.strip()})


def read_conversations(
    path: Path, fmt: str = "jsonl", *, labels: Labels | None = None, encoding: str | None = None
) -> Iterator[Conversation | ItemError]:
    """Dispatch on ``fmt`` (``jsonl`` or ``pan12``)."""
    if fmt == "jsonl":
        return read_jsonl(path, encoding=encoding)
    if fmt == "pan12":
        return read_pan12(path, labels)
    raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


__all__ = [
    "FORMATS",
    "Conversation",
    "ItemError",
    "Labels",
    "read_conversations",
    "read_jsonl",
    "read_labels",
    "read_pan12",
]
