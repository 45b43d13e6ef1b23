"""Livestream monitoring: sample frames from a live source, match them, raise alerts quickly.

:class:`LiveMonitor` reads anything FFmpeg opens live (RTMP, RTSP, HLS, SRT, HTTP, a growing
file, a FIFO or stdin), decodes every frame but hashes one every ``frame_interval`` seconds of
stream time (PDQ of the frame and its robustness variants), searches the banks, and emits
events (plain dicts, one JSON line each on the command line):

- ``{"event": "started", "source", "connection"}`` once the stream is open;
- ``{"event": "alert", "source", "stream_time", "frame", "detected_at", "matches": [...]}``
  when a frame matches an *image* indicator (at once), or when at least
  ``video_min_frames`` of the last ``video_window`` sampled frames match the same *video*
  indicator (a stream has no end, so python-threatexchange's share of the whole query video
  cannot be used; this windowed rule replaces it). An indicator alerts again only after it
  has not matched for ``realert_after`` seconds of stream time;
- ``{"event": "stalled" | "reconnecting" | "error", ...}`` and finally
  ``{"event": "ended", "reason": "end-of-stream" | "stalled" | "stopped" | "error", ...}``.

No alert is a decision: the provider turns alerts into review cases for a human
(:class:`LiveMonitor` takes an ``on_event`` callback for that).

Stalls: a source silent for ``stall_timeout`` seconds is reopened (network sources and HLS
playlists, up to ``reconnects`` times, ``reconnect_delay`` apart) or ends the monitor with
``reason: "stalled"``. A refused or dropped connection (FFmpeg's RTMP client reports a
server that goes away as an I/O error, not as the end of the stream) is an ``error`` event
with ``error_type: "connection"``, then reopened the same way. Stream times follow the
source's own clock from the first frame of the first connection, so they go on across
reconnections. Corrupt packets are skipped; memory is bounded (one frame decoded at a time, a
fixed window of hashes).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from childshield.errors import ChildshieldError
from childshield.matching.video import (
    BankParams,
    FrameHit,
    HitLike,
    IndicatorFrames,
    QueryHash,
    VideoMatch,
    VideoParams,
    aggregate,
    expand_queries,
)
from childshield.scan.live_sources import describe, open_source
from childshield.signals.video_decode import (
    DecodedFrame,
    LumaExtractor,
    SourceConnectionError,
    VideoLimits,
    close_container,
    decode_frames,
    open_container,
    video_stream,
)
from childshield.signals.vpdq import FrameHash, frame_hash

Event = dict[str, Any]


class LiveMatcher(Protocol):
    """What the monitor needs from the banks (``matching.video_search.VideoMatcher``)."""

    def banks(self) -> Mapping[str, BankParams]: ...
    def search(self, queries: Sequence[QueryHash]) -> list[HitLike]: ...
    def video_frames(self, indicator_ids: Collection[int]) -> Mapping[int, IndicatorFrames]: ...


@dataclass(frozen=True)
class LiveSettings:
    frame_interval: float = 1.0
    """Seconds of stream time between hashed frames (0: every frame)."""
    stall_timeout: float = 10.0
    open_timeout: float = 15.0
    reconnects: int = 3
    reconnect_delay: float = 1.0
    video_window: int = 5
    video_min_frames: int = 2
    realert_after: float = 30.0
    robust: bool = True
    follow: bool = False
    """Treat a regular file as growing (wait for more data until it stalls)."""
    input_format: str | None = None
    """FFmpeg demuxer name when it cannot be guessed (e.g. ``mpegts`` for a pipe)."""
    bank_refresh: float = 60.0
    limits: VideoLimits = field(
        default_factory=lambda: VideoLimits(max_seconds=None, max_frames=10**12)
    )
    """Dimension and frame-rate bounds; no time or frame budget (a stream runs for days)."""


@dataclass
class _Sampled:
    frame: FrameHash
    queries: list[QueryHash]
    hits: list[HitLike]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class LiveMonitor:
    """Monitor one live source. ``run()`` blocks until the stream ends or ``stop()``;
    ``events()`` yields the same events as they happen."""

    def __init__(
        self,
        source: str,
        matcher: LiveMatcher,
        settings: LiveSettings | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        self.source = source
        self.matcher = matcher
        self.settings = settings or LiveSettings()
        self.on_event = on_event
        self._stop = threading.Event()
        self._window: deque[_Sampled] = deque(maxlen=max(self.settings.video_window, 1))
        self._video_frames: dict[int, IndicatorFrames] = {}
        self._looked_up: set[int] = set()
        self._banks: Mapping[str, BankParams] = {}
        self._banks_at = -1e9
        self._last_match: dict[int, float] = {}
        self._origin: float | None = None
        self._last_time = 0.0
        self.stats = {"frames": 0, "sampled": 0, "alerts": 0, "connections": 0}

    def stop(self) -> None:
        """Ask the monitor to finish (within about a quarter second for pipes and files)."""
        self._stop.set()

    def run(self) -> dict[str, Any]:
        """Run to the end; returns the final ``ended`` event."""
        last: Event = {}
        for event in self.events():
            last = event
        return last

    # --- the loop -----------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        s = self.settings
        shown = describe(self.source)
        attempts = 0
        reason = "end-of-stream"
        while True:
            frames_before = self.stats["frames"]
            try:
                for event in self._one_connection(shown):
                    yield self._emit(event)
                reason = "stopped" if self._stop.is_set() else "end-of-stream"
                break
            except TimeoutError as exc:
                reason = "stopped" if self._stop.is_set() else "stalled"
                if reason == "stopped":
                    break
                yield self._emit({"event": "stalled", "source": shown, "detail": str(exc)})
            except ChildshieldError as exc:
                reason = "error"
                yield self._emit({"event": "error", "source": shown, "error": exc.message,
                                  "error_type": exc.slug})
            except SourceConnectionError as exc:
                reason = "error"
                yield self._emit({"event": "error", "source": shown, "error": f"{shown}: {exc}",
                                  "error_type": "connection"})
            if self.stats["frames"] > frames_before:
                attempts = 0  # the connection worked for a while: a fresh set of retries
            if not self._reconnectable or attempts >= s.reconnects or self._stop.is_set():
                break
            attempts += 1
            yield self._emit({"event": "reconnecting", "source": shown, "attempt": attempts})
            if self._stop.wait(s.reconnect_delay):
                reason = "stopped"
                break
        yield self._emit({"event": "ended", "source": shown, "reason": reason, **self.stats})

    def _emit(self, event: Event) -> Event:
        if self.on_event is not None:
            self.on_event(event)
        return event

    _reconnectable = False

    def _one_connection(self, shown: str) -> Iterator[Event]:
        s = self.settings
        opened = open_source(self.source, stall_timeout=s.stall_timeout, follow=s.follow,
                             stop=self._stop, input_format=s.input_format)
        self._reconnectable = opened.reconnectable
        limits = replace(s.limits, open_timeout=s.open_timeout, read_timeout=s.stall_timeout)
        options = {"analyzeduration": "1000000", "probesize": "65536"}
        kwargs: dict[str, Any] = {"options": options}
        if opened.format:
            kwargs["format"] = opened.format
        try:
            container = open_container(opened.target, limits=limits, connection_errors=True,
                                       **kwargs)
        except BaseException:
            opened.close()
            raise
        try:
            stream = video_stream(container, limits)
            stream.thread_type = "SLICE"  # frame threads would add a frame of delay each
            self.stats["connections"] += 1
            yield {"event": "started", "source": shown, "connection": self.stats["connections"]}
            yield from self._frames(container, stream, shown, limits)
        finally:
            close_container(container)
            opened.close()

    def _frames(
        self, container: Any, stream: Any, shown: str, limits: VideoLimits
    ) -> Iterator[Event]:
        s = self.settings
        extract = LumaExtractor()
        next_sample: float | None = None  # the first frame of every connection is sampled
        for decoded in decode_frames(container, stream, limits=limits, tolerate_errors=True):
            if self._stop.is_set():
                return
            self.stats["frames"] += 1
            now = self._stream_time(decoded, first=next_sample is None)
            if next_sample is None:
                next_sample = now
            if now + 1e-6 < next_sample:
                continue
            while next_sample <= now + 1e-6:
                next_sample += s.frame_interval if s.frame_interval > 0 else 1e-9
            self.stats["sampled"] += 1
            fh = frame_hash(extract(decoded.frame), decoded.number, now, s.robust)
            alert = self._check(fh)
            if alert:
                self.stats["alerts"] += 1
                yield {
                    "event": "alert",
                    "source": shown,
                    "stream_time": round(now, 3),
                    "connection": self.stats["connections"],
                    "frame": decoded.number,
                    "detected_at": _now(),
                    "matches": [m.to_dict() for m in alert],
                }

    def _stream_time(self, decoded: DecodedFrame, *, first: bool) -> float:
        """Seconds on the source's own clock from the first frame of the first connection,
        so that times go on across reconnections (a live source's timestamps continue); a
        source whose clock went back on reconnecting (restarted) continues from the last
        time seen instead of going negative."""
        absolute = decoded.pts_time if decoded.pts_time is not None else decoded.time
        if self._origin is None:
            self._origin = absolute
        elif first and absolute - self._origin < 0:
            self._origin = absolute - self._last_time
        now = absolute - self._origin
        self._last_time = max(self._last_time, now)
        return now

    # --- matching -----------------------------------------------------------------------------

    def _bank_params(self) -> Mapping[str, BankParams]:
        now = time.monotonic()
        if now - self._banks_at > self.settings.bank_refresh:
            self._banks = self.matcher.banks()
            self._banks_at = now
        return self._banks

    def _check(self, fh: FrameHash) -> list[VideoMatch]:
        queries = expand_queries([fh])
        hits = self.matcher.search(queries) if queries else []
        self._window.append(_Sampled(fh, queries, hits))
        if not any(entry.hits for entry in self._window):
            return []
        missing = {h.indicator for h in hits} - self._looked_up
        if missing:
            self._video_frames.update(self.matcher.video_frames(missing))
            self._looked_up |= missing
        # the share rule is replaced by a count over the window (see the module docstring)
        banks = {
            name: VideoParams(p.threshold, p.quality_min, p.frame_threshold, 0.0, 0.0)
            for name, p in self._bank_params().items()
        }
        frames, all_queries, all_hits = self._window_lists()
        found = aggregate(frames, all_queries, all_hits, self._video_frames, banks)
        current = len(frames) - 1
        alerts = []
        for m in found:
            in_current = any(
                all_queries[h.query].frame == current and h.indicator == m.indicator
                for h in all_hits
            )
            if not in_current:
                continue
            if m.signal == "vpdq" and m.query_frames[0] < self.settings.video_min_frames:
                continue
            last = self._last_match.get(m.indicator)
            self._last_match[m.indicator] = fh.time
            if last is not None and fh.time - last <= self.settings.realert_after:
                continue
            alerts.append(m)
        return alerts

    def _window_lists(self) -> tuple[list[FrameHash], list[QueryHash], list[HitLike]]:
        frames: list[FrameHash] = []
        queries: list[QueryHash] = []
        hits: list[HitLike] = []
        for pos, entry in enumerate(self._window):
            offset = len(queries)
            frames.append(entry.frame)
            queries.extend(replace(q, frame=pos) for q in entry.queries)
            hits.extend(
                FrameHit(h.query + offset, h.hash_id, h.indicator, h.bank, h.distance,
                         h.variant, None, h.time, h.source)
                for h in entry.hits
            )
        return frames, queries, hits


__all__ = ["Event", "LiveMatcher", "LiveMonitor", "LiveSettings"]
