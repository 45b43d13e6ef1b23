"""Rate limits over real HTTP: per client IP on the console login, per API key on the
detection API; 429 problem+json with Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from childshield.api.ratelimit import SlidingWindow, TokenBucket
from childshield.api.testing import LiveServer, add_tenant_with_key, bearer
from childshield.errors import RateLimitedError
from childshield.settings import Settings

LOOKUP = "/provider/v1/detection/lookup?md5=" + "0" * 32


def _assert_429(r: httpx.Response) -> int:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/rate-limited")
    retry_after = int(r.headers["retry-after"])
    assert retry_after >= 1
    return retry_after


def test_detection_api_is_limited_per_key(live_server: Callable[..., LiveServer],
                                          http: httpx.Client) -> None:
    server = live_server("provider", settings=Settings(rate_limit_key_per_second=0.01,
                                                       rate_limit_key_burst=3))
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    other = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    assert [http.get(server.url + LOOKUP, headers=bearer(key)).status_code
            for _ in range(3)] == [200, 200, 200]
    retry_after = _assert_429(http.get(server.url + LOOKUP, headers=bearer(key)))
    assert 90 <= retry_after <= 100  # one token back at 0.01 a second
    # writes too, and before the body is looked at
    r = http.post(server.url + "/provider/v1/detection/signals", json={"md5": "0" * 32},
                  headers={**bearer(key), "Idempotency-Key": "limited-1"})
    _assert_429(r)
    # another key has its own bucket; other APIs are not limited
    assert http.get(server.url + LOOKUP, headers=bearer(other)).status_code == 200
    assert http.get(server.url + "/provider/v1/whoami", headers=bearer(key)).status_code == 200


def test_console_login_is_limited_per_client_ip(live_server: Callable[..., LiveServer],
                                                http: httpx.Client) -> None:
    server = live_server("provider", settings=Settings(rate_limit_public_per_minute=3))
    form = {"email": "nobody@example.org", "password": "wrong-password-123",
            "csrf_token": "x"}
    url = server.url + "/provider/console/login"
    assert all(http.post(url, data=form).status_code in (401, 403) for _ in range(3))
    retry_after = _assert_429(http.post(url, data=form))
    assert retry_after <= 60
    assert http.get(url).status_code == 200  # the page itself still loads


def test_limits_are_off_at_zero(live_server: Callable[..., LiveServer],
                                http: httpx.Client) -> None:
    server = live_server("provider", settings=Settings(rate_limit_key_per_second=0,
                                                       rate_limit_key_burst=1,
                                                       rate_limit_public_per_minute=0))
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    assert {http.get(server.url + LOOKUP, headers=bearer(key)).status_code
            for _ in range(5)} == {200}


def test_token_bucket_refills_at_its_rate() -> None:
    now = [1000.0]
    bucket = TokenBucket(rate=2.0, burst=2, clock=lambda: now[0])
    bucket.check("k")
    bucket.check("k")
    with pytest.raises(RateLimitedError) as refused:
        bucket.check("k")
    assert refused.value.extra["retry_after"] == 1  # 0.5 s, rounded up
    now[0] += 0.5
    bucket.check("k")  # one token back
    bucket.check("other")  # separate bucket


def test_sliding_window_names_when_the_oldest_request_leaves() -> None:
    now = [1000.0]
    window = SlidingWindow(2, 60.0, clock=lambda: now[0])
    window.check("1.2.3.4")
    now[0] += 20
    window.check("1.2.3.4")
    with pytest.raises(RateLimitedError) as refused:
        window.check("1.2.3.4")
    assert refused.value.extra["retry_after"] == 40
    now[0] += 40
    window.check("1.2.3.4")
