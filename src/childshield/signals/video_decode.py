"""Decode video with PyAV (FFmpeg inside its wheel) into PDQ-ready luma planes, safely.

One place opens containers for both file hashing (:mod:`.vpdq`) and live streams
(:mod:`childshield.scan.live`). It enforces :class:`VideoLimits` (dimensions, frame rate,
frame count, wall-clock time) so hostile input yields a :class:`~childshield.errors.MediaError`
naming the problem instead of a hang or an out-of-memory kill, and it turns each decoded frame
into PDQ's float luma plane:

* 8-bit planar/semi-planar YUV and grey frames: the decoder's Y plane, mapped from limited
  (16-235) to full range when the stream says so. This is what the BT.601 RGB conversion that
  Meta's vpdq performs gives back for PDQ's luma weights, without converting any chroma.
* anything else (RGB, palette, 10-bit...): FFmpeg's scaler to RGB24, then PDQ's luma weights.
* ``size=(w, h)``: FFmpeg's scaler (area averaging) to that size first, like vpdq's
  ``downsample_width/height``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from childshield._optional import require
from childshield.errors import CorruptMediaError, MediaTooLargeError, UnsupportedMediaError
from childshield.signals.video_pdq import luma_from_rgb, luma_from_y

_Y_FORMATS_LIMITED = frozenset(
    {"yuv420p", "yuv422p", "yuv444p", "yuv440p", "yuv411p", "yuv410p", "nv12", "nv21", "nv16"}
)
_Y_FORMATS_FULL = frozenset({"yuvj420p", "yuvj422p", "yuvj444p", "yuvj440p", "yuvj411p", "gray"})


@dataclass(frozen=True)
class VideoLimits:
    """Bounds that keep hostile input from exhausting memory or time."""

    max_pixels: int = 8192 * 8192
    """Largest width x height decoded (8K UHD is 33 Mpx)."""
    max_side: int = 16384
    min_fps: float = 0.01
    max_fps: float = 1000.0
    max_frames: int = 2_000_000
    """Decoded frames (not only hashed ones); about 18 h at 30 fps."""
    max_seconds: float | None = 1800.0
    """Wall-clock budget for one file; None = unbounded (live streams)."""
    open_timeout: float = 10.0
    read_timeout: float = 10.0
    """Network sources: seconds without data before giving up (FFmpeg interrupt callback)."""


DEFAULT_LIMITS = VideoLimits()


class SourceConnectionError(ConnectionError):
    """A network source refused, failed or dropped the connection: no media problem, so no
    :class:`~childshield.errors.MediaError` (a live monitor reports it and may reconnect)."""


@dataclass(frozen=True)
class DecodedFrame:
    """One decoded frame, numbered in decode output order from 0 (as vpdq numbers them)."""

    number: int
    time: float
    """Presentation time in seconds from the stream's first frame (pts based)."""
    frame: Any
    """The av.VideoFrame."""
    pts_time: float | None = None
    """The source's own timestamp in seconds (not rebased; None without a pts). A live
    monitor keeps its clock across reconnections with it."""


def _av() -> Any:
    av = require("av")
    av.logging.set_level(av.logging.PANIC)
    return av


def open_container(
    source: str | Path | Any,
    *,
    limits: VideoLimits = DEFAULT_LIMITS,
    connection_errors: bool = False,
    **kwargs: Any,
) -> Any:
    """Open ``source`` (path, URL or readable file object) for reading, mapping FFmpeg errors.

    ``connection_errors`` (live monitoring): a URL whose connection is refused or fails raises
    SourceConnectionError instead of CorruptMediaError."""
    av = _av()
    try:
        return av.open(
            source if not isinstance(source, Path) else str(source),
            mode="r",
            timeout=(limits.open_timeout, limits.read_timeout),
            **kwargs,
        )
    except FileNotFoundError as exc:
        raise CorruptMediaError(f"no such file: {source}") from exc
    except av.error.ExitError as exc:  # the interrupt callback: nothing arrived in time
        raise TimeoutError(f"no data within {limits.open_timeout:g} s") from exc
    except av.FFmpegError as exc:
        if connection_errors and isinstance(exc, OSError) and "://" in str(source):
            raise SourceConnectionError(f"cannot connect ({_reason(exc)})") from exc
        raise CorruptMediaError(f"not a readable video container ({_reason(exc)})") from exc


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '")[0]


def close_container(container: Any) -> None:
    """Close a container safely even when decoding stopped half-way.

    With frame-threaded decoding, freeing a codec whose worker threads still hold frames in
    flight can block forever (seen with FFmpeg 7 through PyAV 18 when a limit stopped decoding
    mid-stream); flushing the decoders first releases them."""
    for stream in container.streams:
        try:
            if stream.type == "video" and stream.codec_context is not None:
                stream.codec_context.flush_buffers()
        except Exception:  # best effort: closing must go on
            continue
    container.close()


def video_stream(container: Any, limits: VideoLimits = DEFAULT_LIMITS) -> Any:
    """The first video stream, checked against ``limits``; raises a MediaError otherwise."""
    streams = list(container.streams.video)
    if not streams:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        raise UnsupportedMediaError(
            f"no video stream in the container (streams: {', '.join(kinds)})"
        )
    stream = streams[0]
    width = int(stream.codec_context.width or 0)
    height = int(stream.codec_context.height or 0)
    check_dimensions(width, height, limits, allow_unknown=True)
    stream.thread_type = "AUTO"
    return stream


def check_dimensions(
    width: int, height: int, limits: VideoLimits, *, allow_unknown: bool = False
) -> None:
    if width == 0 and height == 0 and allow_unknown:
        return  # some streams only tell after the first frame
    if width <= 0 or height <= 0:
        raise CorruptMediaError(f"invalid frame dimensions {width}x{height}")
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise MediaTooLargeError(
            f"frame dimensions {width}x{height} exceed the limit "
            f"({limits.max_side} px a side, {limits.max_pixels} px in all)"
        )


def frame_rate(stream: Any, limits: VideoLimits = DEFAULT_LIMITS) -> float:
    """Frames a second as vpdq takes it: average rate, else the real base rate."""
    rate: Fraction | None = stream.average_rate
    if not rate:
        rate = stream.base_rate or stream.guessed_rate
    if not rate:
        raise CorruptMediaError("the video stream has no frame rate")
    fps = float(rate)
    if not limits.min_fps <= fps <= limits.max_fps:
        raise CorruptMediaError(
            f"implausible frame rate {fps:g}/s (accepted {limits.min_fps:g}-{limits.max_fps:g})"
        )
    return fps


def decode_frames(
    container: Any,
    stream: Any,
    *,
    limits: VideoLimits = DEFAULT_LIMITS,
    tolerate_errors: bool = False,
) -> Iterator[DecodedFrame]:
    """Decoded frames of ``stream`` in output order, within ``limits``.

    A corrupt packet ends decoding with CorruptMediaError (or, with ``tolerate_errors``, is
    skipped, as a live monitor must). With ``tolerate_errors`` an I/O error of the source
    (a dropped connection: FFmpeg's RTMP client reports EIO) raises SourceConnectionError
    instead of being skipped, which would end the demuxer as if the stream had ended.
    Exceeding the time or frame budget raises MediaTooLargeError.
    """
    av = _av()
    started = time.monotonic()
    number = 0
    first_pts: int | None = None
    tb = stream.time_base or Fraction(1, 90000)
    checked = False
    demux = container.demux(stream)
    last_packet = time.monotonic()
    while True:
        try:
            packet = next(demux)
            last_packet = time.monotonic()
            frames = packet.decode()
        except StopIteration:
            return
        except av.error.ExitError as exc:  # interrupt callback: read timeout
            raise TimeoutError(f"no data for {limits.read_timeout:g} s") from exc
        except av.FFmpegError as exc:
            if tolerate_errors and isinstance(exc, OSError):
                # FFmpeg's RTMP client turns the interrupt (read timeout) into EIO too
                if time.monotonic() - last_packet >= 0.95 * limits.read_timeout:
                    raise TimeoutError(f"no data for {limits.read_timeout:g} s") from exc
                raise SourceConnectionError(f"connection lost ({_reason(exc)})") from exc
            if tolerate_errors:
                continue
            raise CorruptMediaError(f"corrupt or truncated video ({_reason(exc)})") from exc
        for frame in frames:
            if not checked:
                check_dimensions(frame.width, frame.height, limits)
                checked = True
            elif frame.width != stream.codec_context.width or (
                frame.height != stream.codec_context.height
            ):
                check_dimensions(frame.width, frame.height, limits)
            if frame.pts is not None and first_pts is None:
                first_pts = frame.pts
            t = float((frame.pts - (first_pts or 0)) * tb) if frame.pts is not None else 0.0
            pts_time = float(frame.pts * tb) if frame.pts is not None else None
            yield DecodedFrame(number, t, frame, pts_time)
            number += 1
            if number > limits.max_frames:
                raise MediaTooLargeError(f"more than {limits.max_frames} frames")
        if limits.max_seconds is not None and time.monotonic() - started > limits.max_seconds:
            raise MediaTooLargeError(
                f"decoding took longer than {limits.max_seconds:g} s; video too long or hostile"
            )


class LumaExtractor:
    """Turns av.VideoFrames into PDQ float luma planes (reusing one FFmpeg scaler)."""

    def __init__(self, size: tuple[int, int] | None = None) -> None:
        if size is not None and (size[0] < 1 or size[1] < 1):
            raise ValueError("downsample size must be positive")
        self.size = size
        self._reformatter: Any = None

    def _reformat(self, frame: Any, width: int | None, height: int | None, fmt: str) -> Any:
        if self._reformatter is None:
            av = _av()
            self._reformatter = av.video.reformatter.VideoReformatter()
        return self._reformatter.reformat(
            frame, width=width, height=height, format=fmt, interpolation="AREA"
        )

    def _rgb(self, frame: Any, width: int | None, height: int | None) -> npt.NDArray[np.uint8]:
        arr: npt.NDArray[np.uint8] = self._reformat(frame, width, height, "rgb24").to_ndarray()
        return arr

    def __call__(self, frame: Any) -> npt.NDArray[np.float32]:
        name = frame.format.name
        full = name in _Y_FORMATS_FULL or (
            name in _Y_FORMATS_LIMITED and str(getattr(frame, "color_range", "")) in {"2", "JPEG"}
        )
        if self.size is not None:
            if not (name in _Y_FORMATS_LIMITED or full):
                return luma_from_rgb(self._rgb(frame, self.size[0], self.size[1]))
            # scale in the frame's own format (area averaging) and keep its Y plane: the same
            # luma as scaling RGB, without converting chroma (conformance: tests/video)
            frame = self._reformat(frame, self.size[0], self.size[1], name)
        if name in _Y_FORMATS_LIMITED or full:
            plane = frame.planes[0]
            w, h = frame.width, frame.height
            raw = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)[:h, :w]
            return luma_from_y(raw, limited=not full)
        return luma_from_rgb(self._rgb(frame, None, None))


__all__ = [
    "DEFAULT_LIMITS",
    "DecodedFrame",
    "LumaExtractor",
    "VideoLimits",
    "check_dimensions",
    "close_container",
    "decode_frames",
    "frame_rate",
    "open_container",
    "video_stream",
]
