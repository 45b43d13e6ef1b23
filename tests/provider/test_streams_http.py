"""Chat messages and live streams over real HTTP: alerts open cases for review.

The conversation is written without sexual content (SAFETY.md): age, parents, secrecy,
moving to a private app, a selfie request. The benign one shares its words.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tests.provider.conftest import Provider, post

from childshield.api.testing import bearer
from childshield.settings import Settings

RISKY = [
    ("max_r", "hey saw ur drawings, ur really talented"),
    ("lia", "thx"),
    ("max_r", "how old r u?"),
    ("lia", "13"),
    ("max_r", "im 27 but age is just a number"),
    ("max_r", "r ur parents home rn?"),
    ("lia", "no theyre at work"),
    ("max_r", "add me on snap, and dont tell anyone, its our secret"),
    ("max_r", "send me a selfie"),
]
BENIGN = [
    ("mum", "dont tell dad about the surprise party, its our secret"),
    ("kid", "ok!"),
    ("mum", "send me a photo of your homework when youre done"),
]


def _ndjson(conversation: str, messages: list[tuple[str, str]]) -> bytes:
    return "".join(json.dumps({"conversation": conversation, "author": a, "text": t,
                               "time": 1700000000 + i * 60, "user": {"id": a}}) + "\n"
                   for i, (a, t) in enumerate(messages)).encode()


def _send(provider: Provider, body: bytes, key: str | None = None) -> list[dict[str, Any]]:
    r = provider.http.post(provider.url + "/provider/v1/conversations/messages", content=body,
                           headers={**bearer(key or provider.key),
                                    "Content-Type": "application/x-ndjson",
                                    "Idempotency-Key": os.urandom(8).hex()})
    assert r.status_code == 200, r.text
    return [json.loads(line) for line in r.text.splitlines()]


def test_a_risky_conversation_opens_a_solicitation_case(provider: Provider) -> None:
    out = _send(provider, _ndjson("chat-1", RISKY) + b"{oops\n" + _ndjson("chat-2", BENIGN))
    alerts = [line for line in out if "alert" in line]
    assert [a["conversation"] for a in alerts] == ["chat-1"]
    assert out[-1] == {"done": True, "messages": len(RISKY) + len(BENIGN), "alerts": 1,
                       "errors": 1}
    assert any("error" in line and line["line"] == len(RISKY) + 1 for line in out)
    case_id = alerts[0]["case"]["id"]
    # more messages of the same conversation add to the same case
    more = _send(provider, _ndjson("chat-1", [("max_r", "lets meet at the park")]))
    assert more[-1]["alerts"] == 0
    rita = provider.login("rita@acme.example", "a-long-test-password")
    got = post(rita, "/provider/v1/review/next", {"abuse_type": "solicitation"})
    assert got.status_code == 200 and got.json()["id"] == case_id
    hit = got.json()["hits"][0]
    assert hit["kind"] == "conversation" and hit["suspect"] == "max_r"
    categories = {i["category"] for i in hit["indicators"]}
    assert categories  # the reasons beside the messages
    messages = rita.get(f"/provider/v1/cases/{case_id}/content/"
                        f"{got.json()['content'][0]['id']}").json()["messages"]
    # the evidence: the conversation up to the message that raised the alert
    upto = alerts[0]["alert"]["alert_message"]
    assert [m["text"] for m in messages] == [t for _, t in RISKY[: upto + 1]]
    # another tenant's monitor does not see tenant A's conversation
    other = _send(provider, _ndjson("chat-1", [("max_r", "send me a selfie")]),
                  key=provider.other_key)
    assert other[-1]["alerts"] == 0


def _video(path: Path, indicator: Path, fps: int = 10) -> Path:
    import av

    shown = np.asarray(Image.open(indicator).convert("RGB").resize((320, 240)))
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.pix_fmt, stream.width, stream.height = "yuv420p", 320, 240
        stream.options = {"preset": "ultrafast"}
        for i in range(fps * 6):
            t = i / fps
            if 2 <= t < 5:
                frame = shown
            else:
                frame = np.full((240, 320, 3), int(40 + 30 * t) % 255, dtype=np.uint8)
                frame[:, : int(20 * t) + 10] = (200, 60, 60)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def test_a_live_stream_frame_match_opens_an_urgent_case(provider: Provider) -> None:
    pytest.importorskip("av")
    folder = Settings().data_dir / "live-sources"
    folder.mkdir(parents=True, exist_ok=True)
    _video(folder / "stream.mp4", provider.image)
    headers = {**bearer(provider.key), "Idempotency-Key": os.urandom(8).hex()}
    bad = provider.http.post(provider.url + "/provider/v1/live", headers=headers,
                             json={"source": "/etc/passwd"})
    assert bad.status_code == 400
    r = provider.http.post(provider.url + "/provider/v1/live",
                           headers={**headers, "Idempotency-Key": "start"},
                           json={"source": "stream.mp4", "frame_interval": 0.5})
    assert r.status_code == 201, r.text
    run = r.json()["id"]
    deadline = time.monotonic() + 60
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = provider.http.get(provider.url + f"/provider/v1/live/{run}",
                                  headers=bearer(provider.key)).json()
        if state["cases"] or state["state"] == "ended":
            break
        time.sleep(0.2)
    assert state["cases"], state
    assert provider.http.get(provider.url + f"/provider/v1/live/{run}",
                             headers=bearer(provider.other_key)).status_code == 404
    stopped = provider.http.post(provider.url + f"/provider/v1/live/{run}/stop",
                                 headers={**headers, "Idempotency-Key": "stop"})
    assert stopped.status_code == 200
    case = provider.http.get(provider.url + f"/provider/v1/cases/{state['cases'][0]}",
                             headers=bearer(provider.key)).json()
    assert case["urgent"] and case["source"] == "live"
    hit = case["hits"][0]
    assert hit["kind"] == "live" and 1.5 <= hit["stream_time"] <= 5.5
