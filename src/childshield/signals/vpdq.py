"""vPDQ: Meta's video hash (PDQ of sampled frames), compatible with the ``vpdq`` package.

Frame selection and numbering follow vpdq (``vpdq/cpp/hashing/filehasher.cpp``): frames are
numbered in decoder output order from 0; with ``frame_interval`` seconds between hashes a frame
is hashed when ``number % int(frame_interval * fps) == 0`` (every frame when that is 0, as with
``frame_interval=0``); its time is ``number / fps`` with ``fps`` the stream's average frame
rate. Hashes are computed at the native resolution by default (what vpdq does unless told to
downsample) so they can be matched against lists hashed by Meta's tool; ``downsample=(w, h)``
reproduces vpdq's ``downsample_width/height`` (faster, but ~10-16 bits away from native-size
hashes, so only use it when the indicators were hashed the same way).

:func:`hash_video` returns the dictionary ``childshield hash`` prints for a video;
:func:`hash_videos` hashes a batch on all cores, one error entry per unreadable file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from childshield.errors import ChildshieldError, CorruptMediaError, MediaError
from childshield.signals.video_decode import (
    DEFAULT_LIMITS,
    LumaExtractor,
    VideoLimits,
    close_container,
    decode_frames,
    frame_rate,
    open_container,
    video_stream,
)
from childshield.signals.video_pdq import pdq_hex_from_luma
from childshield.signals.video_variants import frame_variants

DEFAULT_FRAME_INTERVAL = 1.0
TRUNCATED_SHARE = 0.98
"""A container that declares N frames but yields fewer than this share of them is truncated."""
INDICATOR_FRAME_INTERVAL = 0.0
"""Indicator videos are hashed at every frame: a query sampled once a second from a copy cut
at another point in time then still lands near an indicator frame (measured on the reference
samples: a 19 s cut of the chair clip matches 2/19 of its one-a-second frames against a
one-a-second indicator, 19/19 against an every-frame one)."""
VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".wmv", ".flv", ".mpg", ".mpeg", ".ts",
     ".m2ts", ".3gp", ".3g2", ".ogv", ".mts", ".vob", ".asf", ".f4v", ".y4m"}
)


@dataclass(frozen=True)
class FrameHash:
    """PDQ of one video frame: vpdq's (frame number, timestamp, hash, quality)."""

    frame: int
    time: float
    pdq: str
    quality: int
    variants: tuple[tuple[str, str, int], ...] = ()
    """Robustness variants (label, pdq, quality), see :mod:`.video_variants`; empty unless
    asked for."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"frame": self.frame, "time": round(self.time, 3), "pdq": self.pdq,
                               "quality": self.quality}
        if self.variants:
            out["variants"] = [{"variant": v, "pdq": h, "quality": q} for v, h, q in self.variants]
        return out

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> FrameHash:
        """Inverse of :meth:`as_dict` (e.g. for a ``hash`` output read back)."""
        variants = tuple(
            (str(v["variant"]), str(v["pdq"]), int(v["quality"])) for v in item.get("variants", ())
        )
        return cls(int(item["frame"]), float(item["time"]), str(item["pdq"]),
                   int(item["quality"]), variants)


def looks_like_video(path: str | Path) -> bool:
    """True for file names with a usual video extension (a cheap pre-dispatch check)."""
    return Path(path).suffix.lower() in VIDEO_EXTENSIONS


def frame_modulus(frame_interval: float, fps: float) -> int:
    """vpdq's frame step: ``int(frame_interval * fps)``, at least 1."""
    if frame_interval < 0:
        raise ValueError("frame_interval must be >= 0")
    return max(int(frame_interval * fps), 1)


def iter_frame_hashes(
    source: str | Path | Any,
    *,
    frame_interval: float = DEFAULT_FRAME_INTERVAL,
    downsample: tuple[int, int] | None = None,
    limits: VideoLimits = DEFAULT_LIMITS,
    robust: bool = False,
) -> Iterator[FrameHash]:
    """Yield the vPDQ frame hashes of a video file (path or readable binary file object).

    ``robust``: also compute each frame's robustness variants (bars trimmed, halves).
    """
    extract = LumaExtractor(downsample)
    container = open_container(source, limits=limits)
    try:
        stream = video_stream(container, limits)
        fps = frame_rate(stream, limits)
        step = frame_modulus(frame_interval, fps)
        decoded_count = 0
        for decoded in decode_frames(container, stream, limits=limits):
            decoded_count = decoded.number + 1
            if decoded.number % step:
                continue
            yield frame_hash(extract(decoded.frame), decoded.number, decoded.number / fps, robust)
        declared = int(stream.frames or 0)
        if declared and decoded_count < declared * TRUNCATED_SHARE:
            raise CorruptMediaError(
                f"truncated video: {decoded_count} of the {declared} frames it declares decode"
            )
    finally:
        close_container(container)


def frame_hash(
    luma: npt.NDArray[np.float32], number: int, time: float, robust: bool = False
) -> FrameHash:
    """The FrameHash of one frame's luma plane (with variants when ``robust``)."""
    pdq, quality = pdq_hex_from_luma(luma)
    variants: tuple[tuple[str, str, int], ...] = ()
    if robust:
        variants = tuple((k, h, q) for k, (h, q) in frame_variants(luma, pdq).items())
    return FrameHash(number, time, pdq, quality, variants)


def hash_frames(
    source: str | Path | Any,
    *,
    frame_interval: float = DEFAULT_FRAME_INTERVAL,
    downsample: tuple[int, int] | None = None,
    limits: VideoLimits = DEFAULT_LIMITS,
    robust: bool = False,
) -> list[FrameHash]:
    """All frame hashes of a video; raises a MediaError when it has no decodable frame."""
    frames = list(
        iter_frame_hashes(source, frame_interval=frame_interval, downsample=downsample,
                          limits=limits, robust=robust)
    )
    if not frames:
        raise CorruptMediaError("the video has no decodable frame")
    return frames


def _digests(path: Path) -> tuple[str, str]:
    import hashlib

    md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            md5.update(chunk)
            sha.update(chunk)
    return md5.hexdigest(), sha.hexdigest()


def hash_video(
    path: str | Path,
    *,
    frame_interval: float = DEFAULT_FRAME_INTERVAL,
    downsample: tuple[int, int] | None = None,
    limits: VideoLimits = DEFAULT_LIMITS,
    robust: bool = False,
) -> dict[str, Any]:
    """DESIGN.md's ``hash`` output for a video.

    ``{"path", "media": "video", "md5", "sha256", "pdq", "quality", "vpdq": [...]}`` where
    ``pdq``/``quality`` are those of the first frame of the best quality (so an image-only
    consumer still gets one representative hash). Raises a MediaError for unreadable input.
    """
    p = Path(path)
    if not p.is_file():
        raise CorruptMediaError(f"no such file: {p}")
    if p.stat().st_size == 0:
        raise CorruptMediaError("zero-length file")
    frames = hash_frames(
        p, frame_interval=frame_interval, downsample=downsample, limits=limits, robust=robust
    )
    md5, sha256 = _digests(p)
    best = max(frames, key=lambda f: f.quality)
    return {
        "path": str(path),
        "media": "video",
        "md5": md5,
        "sha256": sha256,
        "pdq": best.pdq,
        "quality": best.quality,
        "frame_interval": frame_interval,
        "vpdq": [f.as_dict() for f in frames],
    }


_Job = tuple[str, float, tuple[int, int] | None, VideoLimits, bool]


def _hash_or_error(args: _Job) -> dict[str, Any]:
    path, interval, downsample, limits, robust = args
    try:
        return hash_video(
            path, frame_interval=interval, downsample=downsample, limits=limits, robust=robust
        )
    except ChildshieldError as exc:
        return {"path": path, "media": "video", "error": exc.message, "error_type": exc.slug}
    except (OSError, ValueError, TimeoutError) as exc:
        err = MediaError(f"cannot read video: {exc}")
        return {"path": path, "media": "video", "error": err.message, "error_type": err.slug}


def hash_videos(
    paths: Iterable[str | Path],
    *,
    frame_interval: float = DEFAULT_FRAME_INTERVAL,
    downsample: tuple[int, int] | None = None,
    limits: VideoLimits = DEFAULT_LIMITS,
    workers: int | None = None,
    robust: bool = False,
) -> Iterator[dict[str, Any]]:
    """Hash many videos, in input order, on ``workers`` processes (default: all cores).

    A file that cannot be read gives ``{"path", "media", "error", "error_type"}`` and the rest
    of the batch goes on. With one worker everything runs in this process.
    """
    jobs: list[_Job] = [(str(p), frame_interval, downsample, limits, robust) for p in paths]
    n = workers or len(os.sched_getaffinity(0))
    if n <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _hash_or_error(job)
        return
    with ProcessPoolExecutor(max_workers=min(n, len(jobs))) as pool:
        yield from pool.map(_hash_or_error, jobs)


__all__ = [
    "DEFAULT_FRAME_INTERVAL",
    "INDICATOR_FRAME_INTERVAL",
    "FrameHash",
    "frame_hash",
    "frame_modulus",
    "hash_frames",
    "hash_video",
    "hash_videos",
    "iter_frame_hashes",
    "looks_like_video",
]
