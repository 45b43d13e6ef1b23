"""Live monitoring over a real RTMP connection on loopback (no mocks, no extra software).

The server is FFmpeg's own RTMP listen mode from PyAV's bundled libraries (see
``rtmp_server``); it sends benign drawn frames (H.264 in FLV) at real-time pace to the one
player that connects, and drops the connection after its last frame, as FFmpeg's listen mode
does (no end-of-stream message), which the monitor therefore sees as a lost connection.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from rtmp_server import RtmpServer, bundled_ffmpeg_can_listen, free_port
from video_testkit import (
    BruteForceFrameIndex,
    background_frame,
    drawn_indicator,
    drawn_motion,
    write_video,
)

from childshield.matching import BankService
from childshield.matching.video_search import video_indicator_records
from childshield.scan.live import LiveMatcher, LiveMonitor, LiveSettings
from childshield.signals.video_pdq import luma_from_rgb, pdq_hex_from_luma
from childshield.signals.vpdq import INDICATOR_FRAME_INTERVAL, hash_video
from childshield.store import open_database
from childshield.store.banks import Provenance

# PyAV's wheels bundle FFmpeg with the RTMP listener and an H.264 encoder; a build without
# them skips here, except in CI, where it fails instead of skipping quietly.
_MISSING = bundled_ffmpeg_can_listen()
if _MISSING is not None and os.environ.get("CI") == "true":
    raise RuntimeError(f"RTMP tests cannot run in CI: {_MISSING}")
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=str(_MISSING))

FPS = 10
IMAGE = drawn_indicator()
SHOWN = (3.0, 6.0)  # the indicator is on screen from 3 s to 6 s of the stream


def with_image(i: int) -> np.ndarray:
    return IMAGE if SHOWN[0] <= i / FPS < SHOWN[1] else background_frame(i / FPS)


def with_video(i: int) -> np.ndarray:
    """The indicator video (a drawn picture panned) from 3 s to 6 s, unrelated stripes else."""
    start, end = int(SHOWN[0] * FPS), int(SHOWN[1] * FPS)
    return drawn_motion(i - start) if start <= i < end else background_frame(i / FPS)


def unrelated(i: int) -> np.ndarray:
    return background_frame(i / FPS)


@pytest.fixture
def image_bank() -> BruteForceFrameIndex:
    bank = BruteForceFrameIndex()
    bank.add_image(pdq_hex_from_luma(luma_from_rgb(IMAGE))[0], source="drawn.png")
    return bank


def monitor(url: str, bank: BruteForceFrameIndex, **settings: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def on_event(event: dict[str, Any]) -> None:
        event["_at"] = time.monotonic()
        events.append(event)

    LiveMonitor(url, cast(LiveMatcher, bank), LiveSettings(**settings), on_event=on_event).run()
    return events


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["event"] for e in events]


def cli_lines(args: list[str], deadline: float) -> tuple[int, list[tuple[float, dict[str, Any]]],
                                                         str]:
    """Run ``childshield`` and note when each JSON line arrived; killed at ``deadline`` s."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "childshield", *args],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines: queue.Queue[tuple[float, str] | None] = queue.Queue()

    def read(stream: Any) -> None:
        for line in stream:
            lines.put((time.monotonic(), line))
        lines.put(None)

    threading.Thread(target=read, args=(proc.stdout,), daemon=True).start()
    got: list[tuple[float, dict[str, Any]]] = []
    end = time.monotonic() + deadline
    try:
        while (item := lines.get(timeout=max(end - time.monotonic(), 0.01))) is not None:
            got.append((item[0], json.loads(item[1])))
        code = proc.wait(timeout=max(end - time.monotonic(), 0.01))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return code, got, proc.stderr.read()


def test_cli_reports_an_indicator_video_on_an_rtmp_stream(
    sqlite_url: str, tmp_path: Path,
) -> None:
    service = BankService(open_database(sqlite_url))
    service.create("test-indicators")
    indicator = write_video(tmp_path / "indicator.mp4", (drawn_motion(i) for i in range(60)))
    record = hash_video(indicator, frame_interval=INDICATOR_FRAME_INTERVAL, robust=True)
    service.add_records("test-indicators", video_indicator_records(record, source="ind.mp4"),
                        Provenance(source="ind.mp4"))

    with RtmpServer(with_video, [range(70)], fps=FPS) as server:
        code, lines, stderr = cli_lines(
            ["live", server.url, "--bank", "test-indicators", "--json", "--db", sqlite_url,
             "--stall-timeout", "3", "--reconnects", "0"],
            deadline=40,
        )
    assert server.error is None
    events = [e for _, e in lines]
    # FFmpeg's listen mode drops the connection after the last frame: with --reconnects 0
    # that is the end, reported as a lost connection (exit status 1)
    assert kinds(events) == ["started", "alert", "error", "ended"], stderr
    assert code == 1
    arrived, alert = lines[1]
    [match] = alert["matches"]
    assert (match["bank"], match["signal"], match["source"]) == ("test-indicators", "vpdq",
                                                                 "ind.mp4")
    # a video indicator needs 2 matching sampled frames (one a second): 3 s and 4 s
    assert alert["stream_time"] == 4.0
    assert match["query_ranges"] == [[3.0, 4.0]]
    [(start, end)] = match["indicator_ranges"]
    assert start <= 0.5 and 0.5 <= end <= 1.5
    # bounded delay: the line was out within 3 s of the server sending that frame
    delay = arrived - server.written[40]
    assert 0 < delay < 3.0, delay
    assert events[2]["error_type"] == "connection"
    assert "connection lost" in events[2]["error"] and server.url in events[2]["error"]
    assert events[-1]["reason"] == "error" and events[-1]["frames"] == 70


def test_an_image_on_an_rtmp_stream_alerts_at_once(image_bank: BruteForceFrameIndex) -> None:
    with RtmpServer(with_image, [range(50)], fps=FPS) as server:
        events = monitor(server.url, image_bank, stall_timeout=3.0, reconnects=0)
    [alert] = [e for e in events if e["event"] == "alert"]
    assert alert["stream_time"] == SHOWN[0] and alert["connection"] == 1
    assert alert["matches"][0]["query_ranges"] == [[3.0, 3.0]]
    assert alert["_at"] - server.written[30] < 2.0


def test_unrelated_rtmp_stream_reports_nothing(image_bank: BruteForceFrameIndex) -> None:
    with RtmpServer(unrelated, [range(50)], fps=FPS) as server:
        events = monitor(server.url, image_bank, stall_timeout=3.0, reconnects=0)
    assert server.error is None
    assert kinds(events) == ["started", "error", "ended"]
    assert events[-1]["alerts"] == 0 and events[-1]["sampled"] == 5
    assert events[-1]["frames"] == 50


def test_server_gone_mid_stream_is_an_error_then_bounded_retries(
    image_bank: BruteForceFrameIndex,
) -> None:
    """The server drops the connection after 2 s and never comes back."""
    started = time.monotonic()
    with RtmpServer(with_image, [range(20)], fps=FPS) as server:
        events = monitor(server.url, image_bank, stall_timeout=3.0, open_timeout=3.0,
                         reconnects=2, reconnect_delay=0.1)
    assert kinds(events) == ["started", "error", "reconnecting", "error", "reconnecting",
                             "error", "ended"]
    assert "connection lost" in events[1]["error"]
    assert all("cannot connect (Connection refused)" in e["error"] for e in events[3:6:2])
    assert events[-1]["reason"] == "error" and events[-1]["frames"] == 20
    # noticed at once, not after the stall timeout
    assert events[1]["_at"] - server.written[19] < 2.0
    assert time.monotonic() - started < 20


def test_server_back_after_a_drop_is_reconnected_and_the_clock_goes_on(
    image_bank: BruteForceFrameIndex,
) -> None:
    """Dropped after 2 s, the server listens again and goes on from frame 20: the monitor
    reconnects and reports the indicator at its time on the stream's own clock."""
    with RtmpServer(with_image, [range(20), range(20, 60)], fps=FPS) as server:
        events = monitor(server.url, image_bank, stall_timeout=3.0, open_timeout=5.0,
                         reconnects=2, reconnect_delay=0.5)
    assert kinds(events)[:4] == ["started", "error", "reconnecting", "started"]
    [alert] = [e for e in events if e["event"] == "alert"]
    assert alert["stream_time"] == SHOWN[0] and alert["connection"] == 2
    assert events[-1]["connections"] == 2 and events[-1]["frames"] == 60


def test_silent_rtmp_server_stalls_instead_of_hanging(image_bank: BruteForceFrameIndex) -> None:
    """The server keeps the connection open but sends nothing after 1 s."""
    started = time.monotonic()
    with RtmpServer(unrelated, [range(10)], fps=FPS, hold=15.0) as server:
        events = monitor(server.url, image_bank, stall_timeout=1.0, open_timeout=2.0,
                         reconnects=1, reconnect_delay=0.1)
    assert kinds(events)[:3] == ["started", "stalled", "reconnecting"]
    assert events[-1]["event"] == "ended" and events[-1]["reason"] in {"stalled", "error"}
    assert time.monotonic() - started < 12


def test_rtmp_url_where_nothing_listens_names_the_problem(sqlite_url: str) -> None:
    url = f"rtmp://127.0.0.1:{free_port()}/live/test"
    started = time.monotonic()
    code, lines, stderr = cli_lines(
        ["live", url, "--json", "--db", sqlite_url, "--reconnects", "0"], deadline=30)
    events = [e for _, e in lines]
    assert code == 1, stderr
    assert kinds(events) == ["error", "ended"]
    assert events[0]["error"] == f"{url}: cannot connect (Connection refused)"
    assert events[0]["error_type"] == "connection"
    assert events[-1]["reason"] == "error" and events[-1]["connections"] == 0
    assert time.monotonic() - started < 20
