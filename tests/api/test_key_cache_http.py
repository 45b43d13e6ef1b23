"""Cached API keys over real HTTP: a key revoked elsewhere is refused after the TTL, one
revoked through this server at once."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from childshield.api.testing import LiveServer, add_tenant_with_key, bearer
from childshield.settings import Settings
from childshield.store import auth as repo
from childshield.store.models.base import utcnow


def _revoke_behind_the_servers_back(server: LiveServer, secret: str) -> None:
    """As the CLI or another worker would: straight in the database."""
    with server.database.session() as session:
        key = repo.key_by_prefix(session, secret.split("_")[1])
        assert key is not None
        key.revoked_at = utcnow()


def test_a_key_revoked_elsewhere_is_refused_once_the_ttl_has_passed(
        live_server: Callable[..., LiveServer], http: httpx.Client) -> None:
    ttl = 0.5
    server = live_server("provider", settings=Settings(api_key_cache_seconds=ttl))
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    assert http.get(server.url + "/provider/v1/whoami", headers=bearer(key)).status_code == 200
    _revoke_behind_the_servers_back(server, key)
    time.sleep(ttl + 0.2)
    r = http.get(server.url + "/provider/v1/whoami", headers=bearer(key))
    assert r.status_code == 401 and r.json()["detail"] == "API key revoked"


def test_the_cache_answers_within_the_ttl_and_api_revocation_is_immediate(
        live_server: Callable[..., LiveServer], http: httpx.Client) -> None:
    server = live_server("provider", settings=Settings(api_key_cache_seconds=3600))
    admin = add_tenant_with_key(server.database, "acme", "provider", ["admin"])
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    whoami = server.url + "/provider/v1/whoami"
    assert http.get(whoami, headers=bearer(key)).status_code == 200
    _revoke_behind_the_servers_back(server, key)
    # documented window: another process's revocation is seen when the entry expires
    assert http.get(whoami, headers=bearer(key)).status_code == 200

    other = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    assert http.get(whoami, headers=bearer(other)).status_code == 200  # now cached
    with server.database.session() as session:
        key_id = repo.key_by_prefix(session, other.split("_")[1]).id  # type: ignore[union-attr]
    r = http.delete(f"{server.url}/provider/v1/keys/{key_id}",
                    headers={**bearer(admin), "Idempotency-Key": "revoke-other"})
    assert r.status_code == 200
    assert http.get(whoami, headers=bearer(other)).status_code == 401
