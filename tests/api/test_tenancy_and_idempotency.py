"""Tenant isolation (404 for another tenant's object) and Idempotency-Key semantics.

Pattern for domain routers: create the object as tenant A, ask for it as tenant B with
every verb the API has for it, expect 404 and the object unchanged.
"""

from __future__ import annotations

import httpx

from childshield.api.testing import LiveServer, add_tenant_with_key, bearer
from childshield.store.models.auth import ApiKey
from childshield.store.models.idempotency import IdempotencyRecord


def _key_id(server: LiveServer, secret: str) -> int:
    prefix = secret.split("_")[1]
    with server.database.session() as session:
        from childshield.store import auth as repo

        key = repo.key_by_prefix(session, prefix)
        assert key is not None
        return key.id


def test_tenant_b_gets_404_for_tenant_a_objects(server: LiveServer, http: httpx.Client) -> None:
    admin_a = add_tenant_with_key(server.database, "tenant-a", "provider", ["admin"])
    admin_b = add_tenant_with_key(server.database, "tenant-b", "provider", ["admin"])
    victim = add_tenant_with_key(server.database, "tenant-a", "provider", ["integration"])
    key_id = _key_id(server, victim)
    url = f"{server.url}/provider/v1/keys/{key_id}"

    assert http.get(url, headers=bearer(admin_a)).status_code == 200
    r = http.get(url, headers=bearer(admin_b))
    assert r.status_code == 404, r.text
    # same answer as for an id that does not exist at all: ids cannot be probed
    missing = http.get(f"{server.url}/provider/v1/keys/987654", headers=bearer(admin_b))
    assert r.json()["detail"].replace(str(key_id), "N") == \
        missing.json()["detail"].replace("987654", "N")
    r = http.delete(url, headers={**bearer(admin_b), "Idempotency-Key": "b-1"})
    assert r.status_code == 404
    with server.database.session() as session:
        assert session.get(ApiKey, key_id).revoked_at is None  # type: ignore[union-attr]
    listed = http.get(f"{server.url}/provider/v1/keys", headers=bearer(admin_b)).json()
    assert key_id not in {k["id"] for k in listed}
    # and the key still works
    assert http.get(server.url + "/provider/v1/whoami", headers=bearer(victim)).status_code == 200


def test_replay_returns_the_stored_response(server: LiveServer, http: httpx.Client) -> None:
    admin = add_tenant_with_key(server.database, "acme", "provider", ["admin"])
    target = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    url = f"{server.url}/provider/v1/keys/{_key_id(server, target)}"
    headers = {**bearer(admin), "Idempotency-Key": "revoke-1"}

    first = http.delete(url, headers=headers)
    assert first.status_code == 200 and first.json()["revoked_at"]
    assert "idempotent-replayed" not in first.headers
    assert http.get(server.url + "/provider/v1/whoami", headers=bearer(target)).status_code == 401

    again = http.delete(url, headers=headers)
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    with server.database.session() as session:
        from sqlalchemy import func, select

        from childshield.store.models.audit import AuditEntry

        revokes = session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "apikey.revoke"))
    assert revokes == 1  # the route ran once


def test_same_key_different_request_is_refused(server: LiveServer, http: httpx.Client) -> None:
    admin = add_tenant_with_key(server.database, "acme", "provider", ["admin"])
    one = _key_id(server, add_tenant_with_key(server.database, "acme", "provider", ["auditor"]))
    two = _key_id(server, add_tenant_with_key(server.database, "acme", "provider", ["auditor"]))
    headers = {**bearer(admin), "Idempotency-Key": "k-1"}
    assert http.delete(f"{server.url}/provider/v1/keys/{one}", headers=headers).status_code == 200
    r = http.delete(f"{server.url}/provider/v1/keys/{two}", headers=headers)
    assert r.status_code == 422
    assert r.json()["type"].endswith("/idempotency-key-reused")
    with server.database.session() as session:
        assert session.get(ApiKey, two).revoked_at is None  # type: ignore[union-attr]


def test_keys_are_per_tenant(server: LiveServer, http: httpx.Client) -> None:
    """Two tenants may use the same key value without seeing each other's responses."""
    a = add_tenant_with_key(server.database, "tenant-a", "provider", ["admin"])
    b = add_tenant_with_key(server.database, "tenant-b", "provider", ["admin"])
    ka = _key_id(server, add_tenant_with_key(server.database, "tenant-a", "provider",
                                             ["auditor"]))
    kb = _key_id(server, add_tenant_with_key(server.database, "tenant-b", "provider",
                                             ["auditor"]))
    ra = http.delete(f"{server.url}/provider/v1/keys/{ka}",
                     headers={**bearer(a), "Idempotency-Key": "same"})
    rb = http.delete(f"{server.url}/provider/v1/keys/{kb}",
                     headers={**bearer(b), "Idempotency-Key": "same"})
    assert ra.status_code == rb.status_code == 200
    assert ra.json()["id"] == ka and rb.json()["id"] == kb


def test_key_in_flight_gets_409(server: LiveServer, http: httpx.Client) -> None:
    admin = add_tenant_with_key(server.database, "acme", "provider", ["admin"])
    target = _key_id(server, add_tenant_with_key(server.database, "acme", "provider",
                                                 ["auditor"]))
    path = f"/provider/v1/keys/{target}"
    from childshield.api.idempotency import request_fingerprint

    with server.database.session() as session:
        from childshield.store import auth as repo

        tenant = repo.tenant_by_name(session, "acme")
        assert tenant is not None
        session.add(IdempotencyRecord(  # another worker is still running this request
            tenant_id=tenant.id, key="busy", method="DELETE", path=path,
            request_sha256=request_fingerprint("DELETE", path, "", b"")))
    r = http.delete(server.url + path, headers={**bearer(admin), "Idempotency-Key": "busy"})
    assert r.status_code == 409
    assert r.json()["type"].endswith("/conflict")


def test_client_errors_are_stored(server: LiveServer, http: httpx.Client) -> None:
    """A 404 is stored like any answer: the same request gets the same answer."""
    admin = add_tenant_with_key(server.database, "acme", "provider", ["admin"])
    headers = {**bearer(admin), "Idempotency-Key": "nf"}
    first = http.delete(f"{server.url}/provider/v1/keys/4242", headers=headers)
    again = http.delete(f"{server.url}/provider/v1/keys/4242", headers=headers)
    assert first.status_code == again.status_code == 404
    assert again.headers["idempotent-replayed"] == "true"


def test_server_error_releases_the_key(live_server, db_url: str,  # type: ignore[no-untyped-def]
                                       http: httpx.Client) -> None:
    """A crash must not burn the key: the retry runs the route again and succeeds."""
    from fastapi import APIRouter

    from childshield.api.app import create_app
    from childshield.api.auth import require
    from childshield.api.idempotency import idempotent
    from childshield.settings import Settings
    from childshield.store import open_database

    calls = []
    app = create_app("provider", open_database(db_url), Settings())
    flaky = APIRouter()

    @flaky.post("/provider/v1/test-flaky", dependencies=[idempotent])
    def run(caller=require("integration")) -> dict[str, int]:  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("transient")
        return {"calls": len(calls)}

    app.include_router(flaky)
    server = live_server(app=app)
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    headers = {**bearer(key), "Idempotency-Key": "flaky-1"}
    assert http.post(server.url + "/provider/v1/test-flaky", headers=headers).status_code == 500
    second = http.post(server.url + "/provider/v1/test-flaky", headers=headers)
    assert second.status_code == 200 and second.json() == {"calls": 2}
    third = http.post(server.url + "/provider/v1/test-flaky", headers=headers)
    assert third.json() == {"calls": 2} and third.headers["idempotent-replayed"] == "true"


def test_concurrent_retries_run_the_write_once(live_server, db_url: str,  # type: ignore[no-untyped-def]
                                               http: httpx.Client) -> None:
    """While the first request with a key runs, retries get 409; afterwards, the replay."""
    import threading

    from fastapi import APIRouter

    from childshield.api.app import create_app
    from childshield.api.auth import require
    from childshield.api.idempotency import idempotent
    from childshield.settings import Settings
    from childshield.store import open_database

    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []
    app = create_app("provider", open_database(db_url), Settings())
    slow = APIRouter()

    @slow.post("/provider/v1/test-slow", dependencies=[idempotent])
    def run(caller=require("integration")) -> dict[str, int]:  # type: ignore[no-untyped-def]
        calls.append(1)
        entered.set()
        assert release.wait(30)
        return {"calls": len(calls)}

    app.include_router(slow)
    server = live_server(app=app)
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    headers = {**bearer(key), "Idempotency-Key": "once", "Content-Type": "application/json"}
    first: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: first.append(
        httpx.post(server.url + "/provider/v1/test-slow", headers=headers, content=b"{}",
                   timeout=60)))
    worker.start()
    assert entered.wait(30)
    retries = [http.post(server.url + "/provider/v1/test-slow", headers=headers, content=b"{}")
               for _ in range(3)]
    assert [r.status_code for r in retries] == [409, 409, 409]
    release.set()
    worker.join(60)
    assert first[0].status_code == 200 and first[0].json() == {"calls": 1}
    replay = http.post(server.url + "/provider/v1/test-slow", headers=headers, content=b"{}")
    assert replay.json() == {"calls": 1} and replay.headers["idempotent-replayed"] == "true"
    assert len(calls) == 1
