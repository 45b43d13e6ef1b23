"""Rate limits, in memory and per server process, answered with 429 problem+json and
``Retry-After`` (seconds).

* :class:`SlidingWindow`: at most ``limit`` requests per ``window_s`` per client address,
  for public (unauthenticated) routes: the console login (``public_limit``). (The centre's
  victims' page counts in the database instead, across workers:
  :class:`childshield.centre.ratelimit.SharedRateLimiter`.)
* :class:`TokenBucket`: ``rate`` requests a second sustained and ``burst`` at once per
  API key, for the detection API (``key_limit``).

Settings: ``rate_limit_public_per_minute``, ``rate_limit_key_per_second``,
``rate_limit_key_burst`` (0 turns a limit off). With several workers each process counts
on its own, so the effective limit is the setting times the number of workers.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request

from childshield.api.auth import current_principal
from childshield.auth.principal import Principal
from childshield.errors import RateLimitedError
from childshield.settings import Settings

_MAX_CLIENTS = 10_000
"""Clients remembered before idle ones are forgotten."""


def _limited(what: str, retry_after: float) -> RateLimitedError:
    seconds = max(1, math.ceil(retry_after))
    return RateLimitedError(f"too many requests from this {what}; retry in {seconds} s",
                            retry_after=seconds)


class SlidingWindow:
    """A sliding-window count of requests per client address."""

    def __init__(self, limit: int, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self._clock = limit, window_s, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._seen) > _MAX_CLIENTS:  # forget idle clients
                self._seen = {k: v for k, v in self._seen.items()
                              if v and v[-1] > now - self.window_s}
            seen = self._seen.setdefault(client, deque())
            while seen and seen[0] <= now - self.window_s:
                seen.popleft()
            if len(seen) >= self.limit:
                raise _limited(f"address (at most {self.limit} in {self.window_s:g} s)",
                               seen[0] + self.window_s - now)
            seen.append(now)


class TokenBucket:
    """``rate`` requests a second sustained, ``burst`` at once, per key."""

    def __init__(self, rate: float, burst: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, burst, clock
        self._buckets: dict[Any, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: Any) -> None:
        now = self._clock()
        with self._lock:
            if len(self._buckets) > _MAX_CLIENTS:
                self._buckets.clear()
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise _limited(f"API key (at most {self.rate:g} a second)",
                               (1.0 - tokens) / self.rate)
            self._buckets[key] = (tokens - 1.0, now)


def client_address(request: Request) -> str:
    """The client's IP (uvicorn puts the forwarded one here behind a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def install(app: Any, settings: Settings) -> None:
    """Put this process's limiters on ``app.state`` (None where a limit is off)."""
    per_minute = settings.rate_limit_public_per_minute
    app.state.public_rate_limiter = SlidingWindow(per_minute) if per_minute > 0 else None
    rate = settings.rate_limit_key_per_second
    app.state.key_rate_limiter = TokenBucket(rate, settings.rate_limit_key_burst) \
        if rate > 0 else None


async def _public_limit(request: Request) -> None:
    limiter: SlidingWindow | None = getattr(request.app.state, "public_rate_limiter", None)
    if limiter is not None:
        limiter.check(client_address(request))


async def _key_limit(request: Request,
                     principal: Principal = Depends(current_principal)) -> None:
    limiter: TokenBucket | None = getattr(request.app.state, "key_rate_limiter", None)
    if limiter is not None and principal.kind == "key":
        limiter.check(principal.id)


public_limit: Any = Depends(_public_limit)
"""Per-client-IP limit for public routes: ``dependencies=[public_limit]``."""

key_limit: Any = Depends(_key_limit)
"""Per-API-key limit: ``APIRouter(..., dependencies=[key_limit])``."""


__all__ = ["SlidingWindow", "TokenBucket", "client_address", "install", "key_limit",
           "public_limit"]
