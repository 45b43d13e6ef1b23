"""Build dev*.jsonl and test.jsonl from the hand-written sources in src/.

Source format (UTF-8): a header line per conversation, then one message a line:

    === <id> | <language> | <label 0/1> | <suspect or ->
    <author>: <text>

Lines starting with '#' are comments. All text follows ../../shared/SAFETY.md: no sexual
content; only the published, non-explicit risk-indicator categories and benign hard
negatives. Times are synthetic (one message every 20 to 140 seconds).

    python data/conversations/build.py
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent


def parse(path: Path) -> list[dict[str, object]]:
    conversations: list[dict[str, object]] = []
    current: dict[str, object] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("==="):
            conv_id, language, label, suspect = (p.strip() for p in line[3:].split("|"))
            current = {"id": conv_id, "language": language, "label": int(label),
                       "suspect": None if suspect == "-" else suspect, "messages": []}
            conversations.append(current)
            continue
        if current is None or ": " not in line:
            raise SystemExit(f"{path.name}:{number}: expected 'author: text'")
        author, text = line.split(": ", 1)
        messages = current["messages"]
        assert isinstance(messages, list)
        seed = int(hashlib.sha256(f"{current['id']}{len(messages)}".encode()).hexdigest(), 16)
        start = datetime(2026, 3, 1, 16, 0, tzinfo=UTC) + timedelta(hours=seed % 500)
        if messages:
            previous = datetime.fromisoformat(str(messages[-1]["time"]))
            when = previous + timedelta(seconds=20 + seed % 120)
        else:
            when = start
        messages.append({"author": author.strip(), "time": when.isoformat(), "text": text})
    ids = [c["id"] for c in conversations]
    if len(ids) != len(set(ids)):
        raise SystemExit(f"{path.name}: duplicate conversation ids")
    for conv in conversations:
        authors = {m["author"] for m in conv["messages"]}  # type: ignore[attr-defined]
        if conv["suspect"] is not None and conv["suspect"] not in authors:
            raise SystemExit(f"{path.name}: suspect of {conv['id']} wrote nothing")
    return conversations


def main() -> None:
    for name in ("dev", "dev2", "dev3", "dev4", "dev5", "dev6", "test", "blind", "fresh", "probe",
                 "blind2"):
        source = HERE / "src" / f"{name}.txt"
        if not source.exists():
            continue
        conversations = parse(source)
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for conv in conversations:
                out.write(json.dumps(conv, ensure_ascii=False) + "\n")
        positives = sum(1 for c in conversations if c["label"])
        languages = sorted({str(c["language"]) for c in conversations})
        print(f"{name}: {len(conversations)} conversations, {positives} grooming, "
              f"{len(conversations) - positives} negative, languages {', '.join(languages)}")


if __name__ == "__main__":
    main()
