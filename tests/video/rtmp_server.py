"""A real RTMP server on loopback for the live tests, with nothing but PyAV's bundled FFmpeg.

FFmpeg's RTMP protocol can listen for one player (``listen=1``) when it writes, but PyAV opens
an output URL with ``avio_open`` and no options, so ``av.open(url, "w", options={"listen":
"1"})`` dials out instead (connection refused). The server therefore opens the RTMP connection
itself through ``ctypes`` with ``avio_open2`` and the ``listen`` option, and lets PyAV mux FLV
into a file object that forwards the bytes with ``avio_write``, exactly what ``av.open(url,
"w")`` would do after opening (the library is PyAV's bundled copy when there is one). An
interrupt callback lets :meth:`RtmpServer.stop` end a wait for a player or a blocked write at
once.

The frames are benign drawn pictures from the test (see ``video_testkit``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
from video_testkit import paced_h264

_LIBS = Path(av.__file__).resolve().parent.parent / "av.libs"
AVIO_FLAG_WRITE = 2


def _library(stem: str) -> ctypes.CDLL:
    """PyAV's bundled library (wheels), else the system's (PyAV built from source); the
    server only hands it bytes, so it need not be the copy PyAV muxes with."""
    found = sorted(_LIBS.glob(f"{stem}-*.so*")) if _LIBS.is_dir() else []
    name = str(found[0]) if found else ctypes.util.find_library(stem.removeprefix("lib"))
    if not name:
        raise RuntimeError(f"no {stem} in {_LIBS} or on the system")
    return ctypes.CDLL(name)


_INTERRUPT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)


class _InterruptCB(ctypes.Structure):
    _fields_ = [("callback", _INTERRUPT), ("opaque", ctypes.c_void_p)]


class _Avio:
    """The few libavformat/libavutil calls the server needs."""

    def __init__(self) -> None:
        fmt, util = _library("libavformat"), _library("libavutil")
        ptr = ctypes.POINTER(ctypes.c_void_p)
        fmt.avio_open2.argtypes = [ptr, ctypes.c_char_p, ctypes.c_int,
                                   ctypes.POINTER(_InterruptCB), ptr]
        fmt.avio_open2.restype = ctypes.c_int
        fmt.avio_write.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        fmt.avio_write.restype = None
        fmt.avio_flush.argtypes = [ctypes.c_void_p]
        fmt.avio_flush.restype = None
        fmt.avio_closep.argtypes = [ptr]
        fmt.avio_closep.restype = ctypes.c_int
        util.av_dict_set.argtypes = [ptr, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int]
        util.av_dict_free.argtypes = [ptr]
        util.av_strerror.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        self.fmt, self.util = fmt, util

    def strerror(self, code: int) -> str:
        buf = ctypes.create_string_buffer(256)
        self.util.av_strerror(code, buf, len(buf))
        return buf.value.decode(errors="replace")


_avio: _Avio | None = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    """Whether a TCP socket listens on 127.0.0.1:``port`` (Linux: /proc/net/tcp)."""
    table = Path("/proc/net/tcp")
    if not table.exists():  # elsewhere: give the server thread a moment
        time.sleep(0.5)
        return True
    wanted = f"0100007F:{port:04X}"
    for line in table.read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == wanted and fields[3] == "0A":  # 0A: LISTEN
            return True
    return False


class _AvioSink:
    """A writable file object over an open AVIOContext (FLV bytes into the RTMP protocol)."""

    def __init__(self, avio: _Avio, pb: ctypes.c_void_p) -> None:
        self.avio, self.pb = avio, pb

    def write(self, data: bytes) -> int:
        data = bytes(data)
        self.avio.fmt.avio_write(self.pb, data, len(data))
        self.avio.fmt.avio_flush(self.pb)
        return len(data)


class RtmpServer(threading.Thread):
    """Serves ``rtmp://127.0.0.1:<free port>/live/test`` to one player per session.

    ``sessions`` lists, for each connection in turn, the frame numbers to send (``frame_at(i)``
    gives the picture, shown at stream time ``i / fps``), paced in real time; after the last
    one the server closes the connection abruptly, as FFmpeg's listen mode does (no
    end-of-stream message) and, if another session follows, listens again on the same port.
    ``hold`` keeps a session's connection open but silent for that many seconds before
    closing it. ``written[i]`` is the monotonic time frame ``i`` went out.
    """

    def __init__(self, frame_at: Callable[[int], np.ndarray], sessions: Sequence[range],
                 *, fps: int = 10, hold: float = 0.0, listen_timeout: int = 20) -> None:
        super().__init__(daemon=True)
        self.frame_at, self.sessions, self.fps, self.hold = frame_at, sessions, fps, hold
        self.listen_timeout = listen_timeout
        self.url = f"rtmp://127.0.0.1:{free_port()}/live/test"
        self.written: dict[int, float] = {}
        self.accepted: list[float] = []
        self.error: str | None = None
        self._halt = threading.Event()
        self._callback = _INTERRUPT(lambda _opaque: int(self._halt.is_set()))
        self._interrupt = _InterruptCB(self._callback, None)

    def stop(self, timeout: float = 10.0) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout)

    def __enter__(self) -> RtmpServer:
        self.start()
        self.wait_listening()
        return self

    def wait_listening(self, timeout: float = 10.0) -> None:
        """Wait until the port listens (a probe connection would take the one player's
        place, so the kernel's socket table is read instead)."""
        port = int(self.url.split(":")[2].split("/")[0])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.error is None:
            if _listening(port):
                return
            time.sleep(0.02)
        raise RuntimeError(self.error or f"the RTMP server did not listen on port {port}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def run(self) -> None:
        global _avio
        try:
            _avio = _avio or _Avio()
            for frames in self.sessions:
                if self._halt.is_set() or not self._session(_avio, frames):
                    return
        except Exception as exc:  # surfaced by the test
            self.error = repr(exc)

    def _session(self, avio: _Avio, frames: range) -> bool:
        pb = ctypes.c_void_p()
        opts = ctypes.c_void_p()
        avio.util.av_dict_set(ctypes.byref(opts), b"listen", b"1", 0)
        avio.util.av_dict_set(ctypes.byref(opts), b"listen_timeout",
                              str(self.listen_timeout).encode(), 0)
        code = avio.fmt.avio_open2(ctypes.byref(pb), self.url.encode(), AVIO_FLAG_WRITE,
                                   ctypes.byref(self._interrupt), ctypes.byref(opts))
        avio.util.av_dict_free(ctypes.byref(opts))
        if code < 0:
            if not self._halt.is_set():
                self.error = f"listen on {self.url}: {avio.strerror(code)}"
            return False
        self.accepted.append(time.monotonic())
        try:
            self._send(avio, pb, frames)
            if self.hold:
                self._halt.wait(self.hold)
        finally:
            avio.fmt.avio_closep(ctypes.byref(pb))
        return not self._halt.is_set()

    def _send(self, avio: _Avio, pb: ctypes.c_void_p, frames: range) -> None:
        out: Any = av.open(_AvioSink(avio, pb), mode="w", format="flv")
        try:
            paced_h264(out, self.frame_at, frames, self.fps, self.written, halt=self._halt)
        finally:
            out.close()


def bundled_ffmpeg_can_listen() -> str | None:
    """None if this PyAV's FFmpeg has what the server needs, else why not."""
    try:
        _Avio()
    except (OSError, RuntimeError) as exc:
        return str(exc)
    if "libx264" not in av.codecs_available or "flv" not in av.formats_available:
        return "PyAV's FFmpeg lacks the libx264 encoder or the flv muxer"
    return None


__all__ = ["RtmpServer", "bundled_ffmpeg_can_listen", "free_port"]
