"""The reporting routes over HTTP: flags open cases; credentials, tenants, bad input."""

from __future__ import annotations

import gzip
import uuid

import httpx
import pytest

from childshield.api.testing import LiveServer, add_tenant_with_key, bearer, free_port
from childshield.settings import Settings
from childshield.store.db import Database

from .harness import Keys, Provider


@pytest.fixture
def server(keys: Keys, database: Database) -> LiveServer:
    server = LiveServer.start("provider", settings=Settings(api_max_body_bytes=64 * 1024),
                              database=database)
    yield server  # type: ignore[misc]
    server.stop()


def _w(key: str) -> dict[str, str]:
    return {**bearer(key), "Idempotency-Key": str(uuid.uuid4())}


def test_flag_opens_a_case_and_the_same_content_adds_to_it(server: LiveServer) -> None:
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    body = {"external_id": "upload-77", "kind": "image", "reason": "looks wrong",
            "reporter_user_id": "user-9"}
    with httpx.Client(timeout=30) as http:
        r = http.post(server.url + "/provider/v1/flags", json=body, headers=_w(key))
        assert r.status_code == 201, r.text
        assert r.json()["created"] is True and r.json()["status"] == "open"
        again = http.post(server.url + "/provider/v1/flags",
                          json=body | {"reporter_user_id": "user-10"}, headers=_w(key))
        assert again.json() == r.json() | {"created": False}


def test_credentials_roles_tenants_and_junk(server: LiveServer, database: Database,
                                            keys: Keys) -> None:
    provider = Provider(database, f"http://127.0.0.1:{free_port()}")
    case_id = provider.confirmed_case("h1")
    integration = add_tenant_with_key(database, "acme", "provider", ["integration"])
    admin = add_tenant_with_key(database, "acme", "provider", ["admin"])
    stranger = add_tenant_with_key(database, "other", "provider", ["admin", "integration"])
    p = server.url + "/provider/v1"
    with httpx.Client(timeout=30) as http:
        assert http.get(f"{p}/reports").status_code == 401
        assert http.get(f"{p}/reports", headers=bearer("csk_wrong")).status_code == 401
        assert http.get(f"{p}/reports", headers=bearer(integration)).status_code == 403
        mine = http.get(f"{p}/cases/{case_id}/report", headers=bearer(admin))
        assert mine.status_code == 200
        report_id = mine.json()["report_id"]
        assert http.get(f"{p}/reports/{report_id}", headers=bearer(stranger)).status_code == 404
        r = http.post(f"{p}/complaints", headers=_w(stranger),
                      json={"user_id": "u", "text": "t", "case_id": case_id})
        assert r.status_code == 404
        # junk: problem+json 4xx, never a 500
        for body in (b"{", b"[]", b'{"user_id": 5}', b'{"user_id": "u", "text": "t"}',
                     b'{"user_id": "u", "text": "t", "case_id": 99999999999999999999}'):
            r = http.post(f"{p}/complaints", content=body, headers={
                **_w(integration), "Content-Type": "application/json"})
            assert 400 <= r.status_code < 500, (body, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")
        big = {"external_id": "x", "kind": "image", "reason": "a" * 100_000}
        assert http.post(f"{p}/flags", json=big, headers=_w(integration)).status_code == 413
        bomb = gzip.compress(b"{" + b" " * 10_000_000 + b"}")
        r = http.post(f"{p}/flags", content=bomb, headers={
            **_w(integration), "Content-Type": "application/json", "Content-Encoding": "gzip"})
        assert r.status_code in (413, 415, 422, 400)
        assert http.get(f"{p}/removal-orders/{'x' * 5000}",
                        headers=bearer(integration)).status_code == 404
