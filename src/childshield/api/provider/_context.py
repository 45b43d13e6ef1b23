"""Per-app provider objects for the routers: the detector, conversation monitors, live runs.

Built lazily on first use and kept on ``app.state`` (one per worker process; the PDQ
index inside the matcher is a memory-mapped snapshot shared by the workers through the
page cache). Tests may put their own there.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import Request

from childshield.api.deps import get_app_settings, get_database
from childshield.crypto.keyring import EvidenceKeyring
from childshield.provider.detection import Detector

_LOCK = threading.Lock()


def _state(request: Request, name: str, build: Any) -> Any:
    state = request.app.state
    value = getattr(state, name, None)
    if value is None:
        with _LOCK:
            value = getattr(state, name, None)
            if value is None:
                value = build()
                setattr(state, name, value)
    return value


def detector(request: Request) -> Detector:
    def build() -> Detector:
        from childshield.matching import Matcher
        from childshield.provider.classifiers import loaded_classifiers
        from childshield.provider.evidence import keyring_for

        settings = get_app_settings(request)
        matcher = Matcher(get_database(request), index_dir=settings.data_dir / "index")
        return Detector(matcher, loaded_classifiers(settings.data_dir), keyring_for(settings))

    value = _state(request, "provider_detector", build)
    assert isinstance(value, Detector)
    return value


async def shared_detector(request: Request) -> Detector:
    """``detector`` as an async dependency: no trip to the thread pool per request once the
    detector exists (building it on the first request reads the classifier files)."""
    return detector(request)


def keyring(request: Request) -> EvidenceKeyring | None:
    return detector(request).keyring


def registry(request: Request, name: str, factory: Any) -> Any:
    """A per-app object (conversation hub, live runs) built by ``factory()`` once."""
    return _state(request, name, factory)


__all__ = ["detector", "keyring", "registry", "shared_detector"]
