"""A short-lived in-process cache of verified API keys.

Checking an API key costs two database reads per request (the key by its prefix, then its
tenant). ``KeyCache`` keeps the :class:`Principal` of a key that verified, keyed by the
SHA-256 of the whole presented key (the cache never holds a key itself), for
``api_key_cache_seconds`` (default 10 s; 0 turns it off).

Revocation: a key revoked through this process's API is dropped from its cache at once
(``forget``); a key revoked elsewhere (the CLI, another worker or host) is refused by
every worker within the TTL at the latest, when its entry expires and the key is read
from the database again. Failed checks are never cached, and the cache holds at most
``max_entries`` keys (oldest dropped first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from childshield.auth.principal import Principal


class KeyCache:
    def __init__(self, ttl_seconds: float, *, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = float(ttl_seconds)
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def get(self, key_sha256: str) -> Principal | None:
        if not self.enabled:
            return None
        with self._lock:
            entry = self._entries.get(key_sha256)
            if entry is None:
                return None
            expires, principal = entry
            if self._clock() >= expires:
                del self._entries[key_sha256]
                return None
            return principal

    def put(self, key_sha256: str, principal: Principal) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._entries[key_sha256] = (self._clock() + self.ttl, principal)
            self._entries.move_to_end(key_sha256)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def forget(self, key_id: int) -> None:
        """Drop the entries of one API key (by its row id), e.g. when it is revoked."""
        with self._lock:
            for digest in [d for d, (_, p) in self._entries.items()
                           if p.kind == "key" and p.id == key_id]:
                del self._entries[digest]


__all__ = ["KeyCache"]
