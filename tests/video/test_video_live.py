"""Live monitoring of streams the tests generate themselves (benign drawn frames).

Each stream is encoded in real time by a thread (PyAV, H.264) into a pipe, a growing file or
an HLS folder, and shows the drawn indicator image from second 3 to second 6.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from video_testkit import (
    BruteForceFrameIndex,
    LiveWriter,
    background_frame,
    drawn_indicator,
    write_video,
)

from childshield.scan.live import LiveMonitor, LiveSettings
from childshield.signals.video_pdq import luma_from_rgb, pdq_hex_from_luma

FPS = 10
IMAGE = drawn_indicator()
SHOWN = (3.0, 6.0)


def frame_at(i: int) -> np.ndarray:
    t = i / FPS
    return IMAGE if SHOWN[0] <= t < SHOWN[1] else background_frame(t)


@pytest.fixture
def image_bank() -> BruteForceFrameIndex:
    bank = BruteForceFrameIndex()
    bank.add_image(pdq_hex_from_luma(luma_from_rgb(IMAGE))[0], source="drawn.png")
    return bank


def pipe_writer(frames: int, **kwargs: Any) -> tuple[int, LiveWriter]:
    read_fd, write_fd = os.pipe()
    sink = os.fdopen(write_fd, "wb", buffering=0)
    writer = LiveWriter(sink, frame_at, frames=frames, fps=FPS, close_target=sink.close,
                        **kwargs)
    return read_fd, writer


def run_monitor(source: str, bank: BruteForceFrameIndex, writer: LiveWriter,
                **settings: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    progress: list[int] = []  # frames the writer had written when each event came

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        progress.append(len(writer.written))

    monitor = LiveMonitor(source, bank, LiveSettings(**settings), on_event=on_event)
    writer.start()
    monitor.run()
    writer.join(timeout=30)
    for event, written in zip(events, progress, strict=True):
        event["_written"] = written
    return events


def alerts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == "alert"]


def test_pipe_stream_alerts_while_the_image_is_on_screen(image_bank: BruteForceFrameIndex) -> None:
    read_fd, writer = pipe_writer(100)
    events = run_monitor(f"fd:{read_fd}", image_bank, writer, input_format="mpegts",
                         stall_timeout=5.0)
    os.close(read_fd)
    assert writer.error is None
    [alert] = alerts(events)
    [match] = alert["matches"]
    assert match["source"] == "drawn.png" and match["signal"] == "pdq"
    # the first sampled frame (one a second) showing the image raised it
    assert SHOWN[0] <= alert["stream_time"] <= SHOWN[0] + 1.0
    # raised while the stream was still being written: within 2 s of stream after it appeared
    assert alert["_written"] <= (alert["stream_time"] + 2.0) * FPS
    assert events[0]["event"] == "started"
    assert events[-1]["event"] == "ended" and events[-1]["reason"] == "end-of-stream"
    assert events[-1]["sampled"] == 10 and events[-1]["frames"] == 100


def test_a_stalled_pipe_ends_the_monitor_instead_of_hanging(
    image_bank: BruteForceFrameIndex,
) -> None:
    read_fd, writer = pipe_writer(100, stall_after=20, hold=4.0)
    started = time.monotonic()
    events = run_monitor(f"fd:{read_fd}", image_bank, writer, input_format="mpegts",
                         stall_timeout=1.0)
    os.close(read_fd)
    kinds = [e["event"] for e in events]
    assert kinds == ["started", "stalled", "ended"]
    assert events[-1]["reason"] == "stalled"
    assert 10 <= events[-1]["frames"] <= 20
    assert time.monotonic() - started < 30  # bounded: no hang


def test_a_stream_that_never_sends_a_frame_times_out(image_bank: BruteForceFrameIndex) -> None:
    read_fd, write_fd = os.pipe()
    try:
        monitor = LiveMonitor(f"fd:{read_fd}", image_bank,
                              LiveSettings(stall_timeout=0.5, input_format="mpegts"))
        final = monitor.run()
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert final["event"] == "ended" and final["reason"] == "stalled"
    assert final["frames"] == 0


def test_garbage_on_the_pipe_is_an_error_not_a_crash(image_bank: BruteForceFrameIndex) -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, os.urandom(50_000))
    os.close(write_fd)
    try:
        events = list(LiveMonitor(f"fd:{read_fd}", image_bank,
                                  LiveSettings(stall_timeout=1.0)).events())
    finally:
        os.close(read_fd)
    assert events[-1]["event"] == "ended"
    assert events[-1]["reason"] in {"error", "end-of-stream"}
    assert events[-1]["alerts"] == 0


def test_growing_file_is_followed(image_bank: BruteForceFrameIndex, tmp_path: Path) -> None:
    path = tmp_path / "recording.ts"
    sink = path.open("wb", buffering=0)
    writer = LiveWriter(sink, frame_at, frames=80, fps=FPS, close_target=sink.close)
    writer.start()
    while path.stat().st_size < 4096:  # the file exists and has a header
        time.sleep(0.05)
    events: list[dict[str, Any]] = []
    LiveMonitor(str(path), image_bank, LiveSettings(follow=True, stall_timeout=1.5),
                on_event=events.append).run()
    writer.join(timeout=30)
    [alert] = alerts(events)
    assert SHOWN[0] <= alert["stream_time"] <= SHOWN[0] + 1.0
    assert events[-1]["reason"] == "stalled"  # a growing file cannot say it has ended
    # all but the last frame or two, still inside the demuxer when the file stopped growing
    assert 75 <= events[-1]["frames"] <= 80


def test_local_hls_live_playlist(image_bank: BruteForceFrameIndex, tmp_path: Path) -> None:
    playlist = tmp_path / "live.m3u8"
    writer = LiveWriter(
        str(playlist), frame_at, frames=90, fps=FPS, fmt="hls",
        options={"hls_time": "1", "hls_list_size": "0", "hls_flags": "append_list"},
    )
    writer.start()
    deadline = time.monotonic() + 20
    while not playlist.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    events: list[dict[str, Any]] = []
    LiveMonitor(str(playlist), image_bank, LiveSettings(stall_timeout=5.0),
                on_event=events.append).run()
    writer.join(timeout=30)
    assert writer.error is None
    [alert] = alerts(events)
    assert SHOWN[0] <= alert["stream_time"] <= SHOWN[0] + 1.0
    assert events[-1]["reason"] == "end-of-stream"


def test_stop_ends_a_running_monitor(image_bank: BruteForceFrameIndex) -> None:
    read_fd, writer = pipe_writer(200)
    monitor = LiveMonitor(f"fd:{read_fd}", image_bank,
                          LiveSettings(input_format="mpegts", stall_timeout=5.0))
    writer.start()
    seen = []
    for event in monitor.events():
        seen.append(event)
        if event["event"] == "started":
            monitor.stop()
    os.close(read_fd)
    writer.join(timeout=30)
    assert seen[-1]["event"] == "ended" and seen[-1]["reason"] == "stopped"
    assert seen[-1]["frames"] < 200


def test_network_stall_then_reconnect(image_bank: BruteForceFrameIndex, tmp_path: Path) -> None:
    """A TCP source that goes silent is reopened; the second connection delivers the stream."""
    frames = (frame_at(i) for i in range(100))
    recording = write_video(tmp_path / "rec.ts", frames, fps=FPS, container_format="mpegts")
    data = recording.read_bytes()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(2)
    port = server.getsockname()[1]
    release = threading.Event()

    def serve() -> None:
        first, _ = server.accept()
        first.sendall(data[: len(data) // 5])  # about 2 s of stream, then silence
        second, _ = server.accept()
        second.sendall(data)
        second.close()
        release.wait(30)
        first.close()

    threading.Thread(target=serve, daemon=True).start()
    settings = LiveSettings(input_format="mpegts", stall_timeout=1.0, reconnect_delay=0.1)
    try:
        events = list(LiveMonitor(f"tcp://127.0.0.1:{port}", image_bank, settings).events())
    finally:
        release.set()
        server.close()
    kinds = [e["event"] for e in events]
    assert kinds[:4] == ["started", "stalled", "reconnecting", "started"]
    [alert] = alerts(events)
    assert SHOWN[0] <= alert["stream_time"] <= SHOWN[0] + 1.0
    assert events[-1]["reason"] == "end-of-stream" and events[-1]["connections"] == 2


def test_unreachable_network_source_gives_up_after_the_reconnects(
    image_bank: BruteForceFrameIndex,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = LiveSettings(reconnects=2, reconnect_delay=0.05, stall_timeout=1.0,
                            open_timeout=1.0)
    events = list(LiveMonitor(f"tcp://127.0.0.1:{port}", image_bank, settings).events())
    kinds = [e["event"] for e in events]
    assert kinds.count("reconnecting") == 2
    assert events[-1]["event"] == "ended" and events[-1]["reason"] in {"error", "stalled"}
