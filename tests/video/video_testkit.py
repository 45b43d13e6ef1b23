"""Helpers shared by the video tests (reference samples, drawn benign frames, streams)."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np

from childshield.matching.video import (
    FrameHit,
    IndicatorFrames,
    QueryHash,
    VideoMatch,
    VideoParams,
    aggregate,
    expand_queries,
)
from childshield.signals.video_decode import (
    LumaExtractor,
    decode_frames,
    frame_rate,
    open_container,
    video_stream,
)
from childshield.signals.vpdq import FrameHash, frame_hash, frame_modulus


class ReferenceSamples:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.videos = root / "sample-videos"
        self.hashes = root / "sample-hashes"
        self._every: dict[str, list[FrameHash]] = {}

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.videos.glob("*.mp4"))

    def video(self, name: str) -> Path:
        return self.videos / f"{name}.mp4"

    ORIGINALS = ("chair-orig-22-sd-bar", "pattern-hd-no-bar")

    def every_frame(self, name: str) -> list[FrameHash]:
        """Every frame (native hashes); robustness variants on the frames a one-a-second
        sampling picks, and on every frame of the two originals (indicators are hashed at
        every frame). One decoding pass per video for the whole session."""
        if name not in self._every:
            container = open_container(self.video(name))
            stream = video_stream(container)
            fps = frame_rate(stream)
            step = frame_modulus(1.0, fps)
            extract = LumaExtractor()
            self._every[name] = [
                frame_hash(
                    extract(d.frame), d.number, d.number / fps,
                    robust=name in self.ORIGINALS or d.number % step == 0,
                )
                for d in decode_frames(container, stream)
            ]
            container.close()
        return self._every[name]

    def per_second(self, name: str) -> list[FrameHash]:
        """What ``hash_frames(video, robust=True)`` gives at one frame a second."""
        frames = self.every_frame(name)
        fps = frames[1].frame / frames[1].time
        step = frame_modulus(1.0, fps)
        return [f for f in frames if f.frame % step == 0]

    def expected(self, name: str, suffix: str = "") -> list[tuple[int, int, str, float]]:
        out = []
        for line in (self.hashes / f"{name}{suffix}.txt").read_text().splitlines():
            frame, quality, pdq, time = line.strip().split(",")
            out.append((int(frame), int(quality), pdq, float(time)))
        return out


def hex_bits(values: list[str]) -> np.ndarray:
    return np.frombuffer(b"".join(bytes.fromhex(v) for v in values), np.uint8).reshape(-1, 32)


_POP = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


class BruteForceFrameIndex:
    """Test-only exact search over indicator hashes (what the Matcher does, by brute force)."""

    def __init__(self, banks: dict[str, VideoParams] | None = None) -> None:
        self.banks_ = banks or {"test-indicators": VideoParams()}
        # (hash id, indicator, bank, pdq, variant, frame, time)
        self.rows: list[tuple[int, int, str, str, str, int | None, float | None]] = []
        self.videos: dict[int, IndicatorFrames] = {}
        self.sources: dict[int, str | None] = {}

    def _new(self, source: str | None) -> int:
        ind = len(self.sources) + 1
        self.sources[ind] = source
        return ind

    def add_video(
        self, frames: list[FrameHash], bank: str = "test-indicators", source: str | None = None
    ) -> int:
        ind = self._new(source)
        rows = {}
        for f in frames:
            for variant, pdq, quality in (("frame", f.pdq, f.quality), *f.variants):
                hid = len(self.rows) + 1
                self.rows.append((hid, ind, bank, pdq, variant, f.frame, f.time))
                rows[hid] = (f.pdq, quality, f.time)
        self.videos[ind] = IndicatorFrames(rows)
        return ind

    def add_image(self, pdq: str, bank: str = "test-indicators", source: str | None = None) -> int:
        ind = self._new(source)
        self.rows.append((len(self.rows) + 1, ind, bank, pdq, "full", None, None))
        return ind

    def banks(self) -> dict[str, VideoParams]:  # the LiveMatcher protocol
        return self.banks_

    def video_frames(self, indicator_ids: Collection[int]) -> Mapping[int, IndicatorFrames]:
        return {i: self.videos[i] for i in indicator_ids if i in self.videos}

    def search(self, queries: Sequence[QueryHash]) -> list[FrameHit]:
        if not self.rows or not queries:
            return []
        index = hex_bits([r[3] for r in self.rows])
        hits = []
        for qi, q in enumerate(queries):
            d = _POP[np.bitwise_xor(index, hex_bits([q.pdq])[0])].sum(axis=1)
            for pos in np.flatnonzero(d <= 31).tolist():
                hid, ind, bank, _, variant, frame, time = self.rows[pos]
                hits.append(FrameHit(qi, hid, ind, bank, int(d[pos]), variant, frame, time,
                                     self.sources[ind]))
        return hits

    def match(self, frames: list[FrameHash]) -> list[VideoMatch]:
        queries = expand_queries(frames)
        return aggregate(frames, queries, self.search(queries), self.videos, self.banks_)


# --- benign drawn media -----------------------------------------------------------------------


def drawn_indicator(width: int = 320, height: int = 240, seed: int = 7) -> np.ndarray:
    """A benign drawn picture (discs and bars on a gradient) standing in for a known image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    img[..., 0] = 255 * xx / width
    img[..., 1] = 255 * yy / height
    img[..., 2] = 128
    img[..., 2] += 60 * np.sin(xx / 9.0) * np.cos(yy / 13.0)
    for _ in range(6 * max(1, width // 320)):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(15, 60)
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r * r
        img[mask] = rng.uniform(0, 255, 3)
    for _ in range(4 * max(1, width // 320)):
        x0, y0 = int(rng.uniform(0, width - 40)), int(rng.uniform(0, height - 20))
        img[y0 : y0 + 20, x0 : x0 + int(rng.uniform(20, 120))] = rng.uniform(0, 255, 3)
    return np.clip(img, 0, 255).astype(np.uint8)


def background_frame(t: float, width: int = 320, height: int = 240) -> np.ndarray:
    """A frame of an unrelated benign video: drifting stripes and a moving disc."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.empty((height, width, 3), np.float32)
    img[..., 0] = 127 + 120 * np.sin((xx + 40 * t) / 23.0)
    img[..., 1] = 127 + 120 * np.sin((yy - 25 * t) / 31.0 + xx / 57.0)
    img[..., 2] = 127 + 120 * np.cos((xx + yy) / 41.0 + t)
    cx, cy = (60 + 30 * t) % width, height / 2 + 60 * np.sin(t)
    img[(xx - cx) ** 2 + (yy - cy) ** 2 < 900] = (250, 250, 250)
    return np.clip(img, 0, 255).astype(np.uint8)


def write_video(path: Path, frames: Iterable[np.ndarray], fps: int = 10,
                codec: str = "libx264", container_format: str | None = None) -> Path:
    """Encode RGB frames with PyAV (yuv420p)."""
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        first = True
        for rgb in frames:
            if first:
                stream.width, stream.height = rgb.shape[1], rgb.shape[0]
                first = False
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def cut_clip(source: Path, target: Path, start_frame: int, end_frame: int) -> Path:
    """Re-encode frames [start_frame, end_frame) of ``source`` (a clip cut with PyAV)."""
    with av.open(str(source)) as src:
        stream = src.streams.video[0]
        fps = round(float(stream.average_rate))
        frames = (
            f.to_ndarray(format="rgb24")
            for i, f in enumerate(src.decode(stream))
            if start_frame <= i < end_frame
        )
        return write_video(target, frames, fps=fps)


def drawn_motion(i: int, fps: int = 10, width: int = 320, height: int = 240) -> np.ndarray:
    """Frame ``i`` (< 160) of a benign drawn "indicator video": a wide drawn picture panned."""
    base = _wide_drawing(width, height)
    x = 2 * i
    return np.ascontiguousarray(base[:, x : x + width])


_WIDE: dict[tuple[int, int], np.ndarray] = {}


def _wide_drawing(width: int, height: int) -> np.ndarray:
    if (width, height) not in _WIDE:
        _WIDE[width, height] = drawn_indicator(width * 2, height, seed=11)
    return _WIDE[width, height]


# --- live streams -----------------------------------------------------------------------------


def paced_h264(out: Any, frame_at: Any, frames: Sequence[int], fps: int,
               written: dict[int, float], *, halt: threading.Event | None = None,
               flush: bool = True) -> None:
    """Encode ``frame_at(i)`` for each ``i`` in ``frames`` (shown at ``i / fps``) into the
    open output ``out`` at real-time pace: H.264, a keyframe a second, ``written[i]`` the
    monotonic time frame ``i`` went out. Stops at once when ``halt`` is set; without
    ``flush`` the encoder's last frames stay unsent (a source that stalls)."""
    stream = out.add_stream("libx264", rate=fps)
    first = frame_at(frames[0])
    stream.width, stream.height = first.shape[1], first.shape[0]
    stream.pix_fmt = "yuv420p"
    stream.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(fps)}
    start = time.monotonic()
    for n, i in enumerate(frames):
        if halt is not None and halt.is_set():
            return
        frame = av.VideoFrame.from_ndarray(frame_at(i), format="rgb24")
        frame.pts = i
        for packet in stream.encode(frame):
            out.mux(packet)
        written[i] = time.monotonic()
        delay = start + (n + 1) / fps - time.monotonic()
        if delay > 0 and halt is not None:
            halt.wait(delay)
        elif delay > 0:
            time.sleep(delay)
    if flush:
        for packet in stream.encode():
            out.mux(packet)


class LiveWriter(threading.Thread):
    """Encodes benign frames in real time (PyAV, H.264) into a pipe, a file or an HLS folder.

    ``frame_at(i)`` gives frame ``i``; ``stall_after`` stops writing (without closing) after
    that many frames, for ``hold`` seconds. ``written[i]`` is the monotonic time frame ``i``
    was handed to the muxer.
    """

    def __init__(self, target: Any, frame_at: Any, *, frames: int, fps: int = 10,
                 fmt: str = "mpegts", options: dict[str, str] | None = None,
                 stall_after: int | None = None, hold: float = 0.0,
                 close_target: Any = None) -> None:
        super().__init__(daemon=True)
        self.target, self.frame_at, self.frames, self.fps = target, frame_at, frames, fps
        self.fmt, self.options = fmt, options or {}
        self.stall_after, self.hold, self.close_target = stall_after, hold, close_target
        self.written: dict[int, float] = {}
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def _run(self) -> None:
        opts = {"flush_packets": "1", **self.options}
        out = av.open(self.target, "w", format=self.fmt, options=opts, buffer_size=4096)
        stall = self.stall_after if (self.stall_after or self.frames) < self.frames else None
        frames = range(self.frames if stall is None else stall)
        paced_h264(out, self.frame_at, frames, self.fps, self.written, flush=stall is None)
        if stall is not None:
            time.sleep(self.hold)
        out.close()
        if self.close_target is not None:
            self.close_target()
