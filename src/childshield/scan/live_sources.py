"""Opening live sources for :mod:`childshield.scan.live`: URLs, pipes, growing files.

FFmpeg's network protocols (RTMP, RTSP, HLS over HTTP, SRT...) honour PyAV's timeout (an
interrupt callback), so a silent server raises instead of blocking. Pipes and growing files
do not: FFmpeg would block in ``read()`` forever. They are therefore read through small
file objects whose ``read`` waits with ``select``/polling for at most the stall timeout and
then raises :class:`TimeoutError`, which PyAV passes through.
"""

from __future__ import annotations

import os
import select
import stat
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

POLL = 0.05


class StallGuardReader:
    """A readable binary file object over a file descriptor (pipe, FIFO, stdin) that raises
    TimeoutError after ``stall_timeout`` seconds without data, or when ``stop`` is set."""

    def __init__(self, fd: int, stall_timeout: float, stop: threading.Event) -> None:
        self.fd = fd
        self.stall_timeout = stall_timeout
        self.stop = stop

    def read(self, size: int = -1) -> bytes:
        deadline = time.monotonic() + self.stall_timeout
        n = size if size and size > 0 else 1 << 16
        while True:
            if self.stop.is_set():
                raise TimeoutError("stopped")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no data for {self.stall_timeout:g} s")
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.25))
            if ready:
                return os.read(self.fd, n)


class FollowReader:
    """Reads a file that another process is still writing (``tail -f``): at the current end
    it waits for more bytes, and raises TimeoutError after ``stall_timeout`` without growth."""

    def __init__(self, path: Path, stall_timeout: float, stop: threading.Event) -> None:
        self.fh = path.open("rb")
        self.stall_timeout = stall_timeout
        self.stop = stop

    def read(self, size: int = -1) -> bytes:
        deadline = time.monotonic() + self.stall_timeout
        while True:
            data = self.fh.read(size if size and size > 0 else 1 << 16)
            if data:
                return data
            if self.stop.is_set():
                raise TimeoutError("stopped")
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the file did not grow for {self.stall_timeout:g} s")
            time.sleep(POLL)

    def close(self) -> None:
        self.fh.close()


@dataclass
class OpenedSource:
    """What to hand to ``av.open`` and whether reconnecting makes sense."""

    target: Any
    reconnectable: bool
    format: str | None = None
    closer: Any = None

    def close(self) -> None:
        if self.closer is not None:
            self.closer()


def describe(source: str) -> str:
    """The source as shown in events (URLs without credentials)."""
    if "://" in source and "@" in source.split("://", 1)[1].split("/", 1)[0]:
        scheme, rest = source.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return source


def open_source(
    source: str, *, stall_timeout: float, follow: bool, stop: threading.Event,
    input_format: str | None = None,
) -> OpenedSource:
    """Resolve ``source``: ``-`` (stdin), a FIFO, a file (followed with ``follow``) or a URL."""
    if source in {"-", "pipe:", "pipe:0"}:
        return OpenedSource(StallGuardReader(sys.stdin.fileno(), stall_timeout, stop), False,
                            input_format)
    if source.startswith("fd:"):
        fd = int(source[3:])
        return OpenedSource(StallGuardReader(fd, stall_timeout, stop), False, input_format)
    path = Path(source)
    if "://" not in source and path.exists():
        mode = path.stat().st_mode
        if stat.S_ISFIFO(mode):
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.set_blocking(fd, True)
            return OpenedSource(StallGuardReader(fd, stall_timeout, stop), False, input_format,
                                lambda: os.close(fd))
        if follow and path.suffix.lower() != ".m3u8":
            reader = FollowReader(path, stall_timeout, stop)
            return OpenedSource(reader, False, input_format, reader.close)
        # a playlist (HLS) or a plain file: FFmpeg reads it; a live playlist is polled by
        # FFmpeg's HLS demuxer and may be reopened after a stall
        return OpenedSource(str(path), path.suffix.lower() == ".m3u8", input_format)
    return OpenedSource(source, True, input_format)


__all__ = ["FollowReader", "OpenedSource", "StallGuardReader", "describe", "open_source"]
