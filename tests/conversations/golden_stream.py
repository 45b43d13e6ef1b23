"""Golden streaming output of the scorer on every evaluation set (regression snapshot).

    python tests/conversations/golden_stream.py --write

records, for every conversation of ``data/conversations/*.jsonl`` fed message by message
into one shared ``ConversationMonitor`` with the default model (conversations interleaved
round-robin, so caches and state are shared as in a service), every alert returned by
``feed``, every author's final feature vector, and every closed result. The snapshot
``data/golden_stream.json`` was first written by the unoptimised scorer of model 2.0.0
(before the speed work of issue 6); for model 2.1.0 it was written again by that same
unoptimised scorer code (commit 1541b6e plus the 2.1.0 lexicon, model and context kinds),
and the optimised scorer reproduced it byte for byte. For model 2.2.0 (a new lexicon and
model, the scorer code unchanged) it was written by the current scorer.
``test_conversations_golden.py`` checks that the scorer still produces exactly the same
output. Regenerate it only after
a deliberate change of the model or lexicon (and say so in the commit).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "conversations"
GOLDEN = Path(__file__).resolve().parent / "data" / "golden_stream.json"
SETS = ("dev", "dev2", "dev3", "dev4", "dev5", "test", "blind")
DIGITS = 9


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, list):
        return [_round(v) for v in value]
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def snapshot() -> dict[str, Any]:
    """Stream every evaluation conversation, interleaved, and record what comes out."""
    from childshield.conversations import ConversationMonitor
    from childshield.conversations.io import Conversation, read_jsonl

    conversations = [c for name in SETS for c in read_jsonl(DATA / f"{name}.jsonl")
                     if isinstance(c, Conversation)]
    monitor = ConversationMonitor()
    alerts: list[Any] = []
    features: dict[str, Any] = {}
    results: dict[str, Any] = {}
    cursors = {c.id: 0 for c in conversations}
    live = list(conversations)
    while live:
        still = []
        for conv in live:
            position = cursors[conv.id]
            alert = monitor.feed(conv.id, conv.messages[position])
            if alert is not None:
                alerts.append(alert.to_dict())
            cursors[conv.id] = position + 1
            if position + 1 < len(conv.messages):
                still.append(conv)
            else:
                features[conv.id] = monitor.author_features(conv.id)
                results[conv.id] = monitor.close(conv.id).to_dict()
        live = still
    return _round({"model_version": monitor.model.version, "alerts": alerts,
                   "features": features, "results": results})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="overwrite the snapshot")
    args = parser.parse_args()
    data = snapshot()
    if args.write:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(data, indent=0, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"{len(data['alerts'])} alerts, {len(data['results'])} conversations")


if __name__ == "__main__":
    main()
