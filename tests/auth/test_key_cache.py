"""The in-process cache of verified API keys: expiry, revocation, bounds."""

from __future__ import annotations

from childshield.auth.keycache import KeyCache
from childshield.auth.principal import Principal
from childshield.auth.roles import Side


def _principal(key_id: int) -> Principal:
    return Principal("key", key_id, 1, "acme", Side.PROVIDER, frozenset({"integration"}),
                     f"csk_{key_id:012x}")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = KeyCache(10, clock=clock)
    cache.put("digest-a", _principal(1))
    clock.now += 9.9
    assert cache.get("digest-a") == _principal(1)
    clock.now += 0.1
    assert cache.get("digest-a") is None  # read from the database again


def test_forget_drops_every_entry_of_a_key() -> None:
    cache = KeyCache(60, clock=Clock())
    cache.put("digest-a", _principal(1))
    cache.put("digest-b", _principal(2))
    cache.forget(1)
    assert cache.get("digest-a") is None and cache.get("digest-b") == _principal(2)


def test_ttl_zero_caches_nothing() -> None:
    cache = KeyCache(0, clock=Clock())
    cache.put("digest-a", _principal(1))
    assert cache.get("digest-a") is None


def test_the_cache_is_bounded_oldest_first() -> None:
    cache = KeyCache(60, max_entries=2, clock=Clock())
    for n in (1, 2, 3):
        cache.put(f"digest-{n}", _principal(n))
    assert cache.get("digest-1") is None
    assert cache.get("digest-2") == _principal(2) and cache.get("digest-3") == _principal(3)
