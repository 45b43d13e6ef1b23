"""A per-client request limit shared by every worker process (through the database).

The victims' page is public, so its routes are limited per client address. An in-memory
count is per process: with several workers (or several hosts) a client gets the limit
once per worker. :class:`SharedRateLimiter` counts in the database instead
(``centre_rate_limits``; one atomic UPDATE per request, in a transaction of its own so a
refused or failed request still counts) and estimates a sliding window from two fixed
ones: the hits of the current window plus those of the previous window weighted by the
part of it that still lies inside the last ``window_s`` seconds. No address is stored:
the row's key is a SHA-256 of the limit's name and the address.
"""

from __future__ import annotations

import hashlib
import math
import time

from childshield.errors import RateLimitedError
from childshield.store import centre_victims as repo
from childshield.store.db import Database


class SharedRateLimiter:
    def __init__(self, database: Database, *, name: str, limit: int, window_s: float) -> None:
        self.database, self.name, self.limit, self.window_s = database, name, limit, window_s

    def bucket(self, client: str) -> str:
        return hashlib.sha256(f"childshield.rate/1:{self.name}:{client}".encode()).hexdigest()

    def check(self, client: str, *, now: float | None = None) -> None:
        """Count this request; RateLimitedError when the client is over the limit."""
        moment = time.time() if now is None else now
        window_no, into = divmod(moment, self.window_s)
        with self.database.session() as session:
            hits, previous = repo.count_hit(session, self.bucket(client), int(window_no))
        if hits + previous * (1 - into / self.window_s) > self.limit:
            raise RateLimitedError(
                f"too many requests from this address: at most {self.limit} in "
                f"{self.window_s:g} seconds; please wait a minute and try again",
                retry_after=max(1, math.ceil(self.window_s - into)))


__all__ = ["RateLimitedError", "SharedRateLimiter"]
