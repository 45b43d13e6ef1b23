"""The victims' public rate limit is shared by every worker (it lived in each process's
memory, so N workers gave a client N times the limit)."""

from __future__ import annotations

import threading

import httpx
import pytest

from childshield.api.testing import ServerProcess
from childshield.centre.ratelimit import RateLimitedError, SharedRateLimiter
from childshield.store.db import Database

T0 = 6000.0  # the start of a window of 60 s


def _limiter(database: Database) -> SharedRateLimiter:
    return SharedRateLimiter(database, name="test", limit=10, window_s=60)


def test_two_workers_share_one_count_and_the_window_slides(database: Database) -> None:
    a, b = _limiter(database), _limiter(database)  # two workers' limiters, one database
    for n in range(10):
        (a if n % 2 else b).check("192.0.2.1", now=T0 + n)
    with pytest.raises(RateLimitedError, match="at most 10 in 60 seconds"):
        a.check("192.0.2.1", now=T0 + 11)
    b.check("192.0.2.2", now=T0 + 12)  # another client has its own count
    # half-way through the next window the last one's 11 hits weigh 5.5: four more pass
    for n in range(4):
        (a if n % 2 else b).check("192.0.2.1", now=T0 + 90)
    with pytest.raises(RateLimitedError):
        b.check("192.0.2.1", now=T0 + 90)


def test_concurrent_requests_never_exceed_the_limit(database: Database) -> None:
    limiter = _limiter(database)
    outcomes: list[bool] = []
    lock = threading.Lock()

    def call() -> None:
        try:
            limiter.check("192.0.2.9", now=T0 + 1)
            ok = True
        except RateLimitedError:
            ok = False
        with lock:
            outcomes.append(ok)

    threads = [threading.Thread(target=call) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (outcomes.count(True), outcomes.count(False)) == (10, 6)


@pytest.mark.timeout(120)
def test_the_limit_holds_across_two_server_processes(db_url: str) -> None:
    first = ServerProcess("centre", db_url)
    second = ServerProcess("centre", db_url)
    try:
        codes = []
        with httpx.Client(timeout=30) as http:
            for n in range(12):
                server = first if n % 2 else second
                r = http.get(server.url + "/centre/v1/victims/requests/mine",
                             headers={"X-Reference-Code": "z" * 24})
                codes.append(r.status_code)
        assert codes[:10] == [404] * 10 and codes[10:] == [429, 429], codes
        assert r.headers["content-type"] == "application/problem+json"
    finally:
        first.stop()
        second.stop()
