"""Live streams: start and stop a LiveMonitor on a source; a matching frame opens a case.

:class:`LiveRuns` keeps the monitors of one service process (each in its own thread, at
most :data:`MAX_RUNS` running at a time per process). A run belongs to the tenant that
started it; another tenant's run is "not found". Every ``alert`` event of the monitor
(``childshield.scan.live``: a frame matching an image indicator, or enough frames of a
window matching a video indicator) opens a ``known`` case with content key
``live:<run>:<indicator>``, its hits carrying the stream time and frame that matched.

Sources: network streams (``rtmp``, ``rtmps``, ``rtsp``, ``rtsps``, ``srt``, ``http``,
``https``) or a file inside ``<data_dir>/live-sources/`` (a recording or a growing file
written there); never standard input, descriptors or other local paths.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from childshield.auth.principal import Principal
from childshield.errors import ConflictError, InputError, NotFoundError
from childshield.matching.matcher import Matcher
from childshield.provider.cases import Hit, NewItem, case_summary, open_case

SCHEMES = ("rtmp", "rtmps", "rtsp", "rtsps", "srt", "http", "https")
MAX_RUNS = 8
EVENTS_KEPT = 50


def check_source(source: str, data_dir: Path) -> tuple[str, bool]:
    """(source to open, follow) for an allowed source; InputError otherwise."""
    if "://" in source:
        scheme = source.split("://", 1)[0].lower()
        if scheme not in SCHEMES:
            raise InputError(f"source scheme {scheme!r} is not allowed; use one of "
                             f"{', '.join(SCHEMES)}")
        return source, False
    root = (data_dir / "live-sources").resolve()
    path = (root / source).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise InputError("a local source must name a file inside <data_dir>/live-sources/")
    return str(path), True


@dataclass
class LiveRun:
    id: int
    tenant_id: int
    source: str
    bank: str | None
    started_by: str
    monitor: Any
    thread: threading.Thread | None = None
    events: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=EVENTS_KEPT))
    cases: list[int] = field(default_factory=list)
    state: str = "starting"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "source": self.source, "bank": self.bank, "state": self.state,
                "started_by": self.started_by, "cases": list(self.cases),
                "events": list(self.events), "stats": dict(self.monitor.stats)}


class LiveRuns:
    def __init__(self, matcher: Matcher, data_dir: Path,
                 sessions: Callable[[], AbstractContextManager[Session]]) -> None:
        self.matcher = matcher
        self.data_dir = data_dir
        self.sessions = sessions
        self._runs: dict[int, LiveRun] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, principal: Principal, source: str, *, bank: str | None = None,
              frame_interval: float = 1.0) -> LiveRun:
        from childshield.matching.video_search import VideoMatcher
        from childshield.scan.live import LiveMonitor, LiveSettings

        opened, follow = check_source(source, self.data_dir)
        self.matcher.check_bank(bank)
        with self._lock:
            running = sum(r.state in ("starting", "running") for r in self._runs.values())
            if running >= MAX_RUNS:
                raise ConflictError(f"{MAX_RUNS} streams are already monitored by this "
                                    "process; stop one first")
            run_id = next(self._ids)
            settings = LiveSettings(frame_interval=frame_interval, follow=follow,
                                    stall_timeout=10.0 if not follow else 3.0)
            run = LiveRun(run_id, principal.tenant_id, source, bank, principal.label,
                          monitor=None)
            run.monitor = LiveMonitor(opened, VideoMatcher(self.matcher, bank), settings,
                                      on_event=lambda e: self._event(run, principal, e))
            self._runs[run_id] = run
        run.thread = threading.Thread(target=self._run, args=(run,), daemon=True,
                                      name=f"live-{run_id}")
        run.thread.start()
        return run

    def _run(self, run: LiveRun) -> None:
        try:
            run.monitor.run()
        except Exception as exc:  # never let a monitor thread die silently
            run.events.append({"event": "error", "error": f"{type(exc).__name__}: {exc}"})
        finally:
            run.state = "ended"

    def _event(self, run: LiveRun, principal: Principal, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "started":
            run.state = "running"
        shown = {k: v for k, v in event.items() if k != "matches"}
        if kind == "alert":
            shown["indicators"] = [m.get("indicator") for m in event.get("matches", [])]
            with self.sessions() as session:
                for match in event.get("matches", []):
                    run.cases.append(self._open(session, principal, run, event, match))
        run.events.append(shown)

    def _open(self, session: Session, principal: Principal, run: LiveRun,
              event: dict[str, Any], match: dict[str, Any]) -> int:
        details = {"bank": match.get("bank"), "indicator": match.get("indicator"),
                   "stream_time": event.get("stream_time"), "frame": event.get("frame"),
                   "connection": event.get("connection"),
                   "detected_at": event.get("detected_at"), "run": run.id}
        for key in ("query_ranges", "indicator_ranges"):
            if match.get(key):
                details[key] = match[key]
        hit = Hit("live", str(match.get("bank")),
                  f"live:{match.get('bank')}:{match.get('indicator')}",
                  indicator_id=match.get("indicator"), signal=match.get("signal"),
                  distance=match.get("distance"), details=details)
        opened = open_case(session, principal.tenant_id, NewItem(
            content_key=f"live:{run.id}:{match.get('indicator')}"[:200], abuse_type="known",
            source="live", kind="stream", external_id=f"live-{run.id}",
            context={"stream": run.source, "urgent_reason": "live stream"}, urgent=True),
            [hit], actor=principal)
        return int(case_summary(opened.case)["id"])

    def get(self, principal: Principal, run_id: int) -> LiveRun:
        run = self._runs.get(run_id)
        if run is None or run.tenant_id != principal.tenant_id:
            raise NotFoundError(f"live run {run_id} not found")
        return run

    def list(self, principal: Principal) -> list[LiveRun]:
        return [r for r in self._runs.values() if r.tenant_id == principal.tenant_id]

    def stop(self, principal: Principal, run_id: int, wait: float = 5.0) -> LiveRun:
        run = self.get(principal, run_id)
        run.monitor.stop()
        if run.thread is not None:
            run.thread.join(timeout=wait)
        return run

    def stop_all(self) -> None:
        for run in list(self._runs.values()):
            run.monitor.stop()


__all__ = ["MAX_RUNS", "SCHEMES", "LiveRun", "LiveRuns", "check_source"]
