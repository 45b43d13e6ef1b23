"""The indicator API's rules over loopback HTTP: only authorities add, only confirmed
material, bad input a 4xx naming it, lists only within a granted scope, and the centre
bank that pre-assessment searches kept in step with the database.

Values are hashes of benign stand-in bytes (SAFETY.md).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from childshield.api.testing import LiveServer, add_tenant_with_key, bearer
from childshield.centre import providers, stats
from childshield.crypto.signing import SigningKey, TrustedKey, TrustedKeys
from childshield.exchange.indicator_list import Scope, verify_list
from childshield.matching import Matcher
from childshield.settings import Settings
from childshield.store.models.audit import AuditEntry

MD5 = hashlib.md5(b"stand-in file one").hexdigest()
SHA = hashlib.sha256(b"stand-in file two").hexdigest()


class Centre:
    def __init__(self, server: LiveServer, http: httpx.Client, signer: SigningKey) -> None:
        self.server, self.http, self.signer = server, http, signer
        db = server.database
        self.authority = add_tenant_with_key(db, "police-de", "centre", ["authority"])
        self.analyst = add_tenant_with_key(db, "eu-centre", "centre", ["analyst"])
        self.admin = add_tenant_with_key(db, "eu-centre", "centre", ["admin"])
        self.provider = self._provider("demo-host")
        self.other = self._provider("other-host")

    def _provider(self, name: str) -> str:
        with self.server.database.session() as session:
            row = providers.register_provider(
                session, name, contact=f"abuse@{name}.example",
                public_keys=[SigningKey.generate().public_base64], actor="test")
            return providers.issue_api_key(session, row, actor="test")

    def call(self, method: str, path: str, key: str | None, body: Any = None,
             **params: Any) -> httpx.Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex, **(bearer(key) if key else {})}
        return self.http.request(method, self.server.url + "/centre/v1" + path, json=body,
                                 headers=headers, params=params)

    def add(self, signal: str, value: str, key: str | None = None, **extra: Any
            ) -> httpx.Response:
        body = {"kind": "known_material", "signal": signal, "value": value,
                "material_reference": "CASE-7", "how_generated": f"{signal} of the file",
                "confirmed": True, **extra}
        return self.call("POST", "/indicators", key or self.authority, body)


@pytest.fixture
def centre(db_url: str) -> Iterator[Centre]:
    signer = SigningKey.generate()
    server = LiveServer.start("centre", db_url,
                              settings=Settings(signing_key=SecretStr(signer.to_base64())))
    with httpx.Client(timeout=30) as http:
        yield Centre(server, http, signer)
    server.stop()
    server.database.dispose()


def test_only_authorities_add_confirmed_well_formed_indicators(centre: Centre) -> None:
    assert centre.add("md5", MD5, key=centre.analyst).status_code == 403
    assert centre.call("POST", "/indicators", None, {}).status_code == 401
    unconfirmed = centre.add("md5", MD5, confirmed=False)
    assert unconfirmed.status_code == 400 and "confirmed" in unconfirmed.json()["detail"]
    short = centre.add("md5", MD5[:20])
    assert short.status_code == 400 and "32 lower-case hex" in short.json()["detail"]
    url_as_hash = centre.add("url", "https://example.org/x")
    assert url_as_hash.status_code == 400
    ok = centre.add("md5", MD5)
    assert ok.status_code == 201
    assert centre.add("md5", MD5).status_code == 409
    listed = centre.call("GET", "/indicators", centre.analyst).json()
    assert [i["provenance"]["material_reference"] for i in listed] == ["CASE-7"]
    bad_withdraw = centre.call("POST", f"/indicators/{ok.json()['indicator_id']}/withdraw",
                               centre.analyst, {"reason": "x"})
    assert bad_withdraw.status_code == 403


def test_lists_follow_the_granted_scope(centre: Centre) -> None:
    centre.add("md5", MD5)
    centre.add("sha256", SHA)
    url = centre.call("POST", "/indicators", centre.authority, {
        "kind": "url", "signal": "url", "value": "https://example.org/stand-in",
        "material_reference": "CASE-8", "how_generated": "reported URL", "confirmed": True})
    assert url.status_code == 201
    # no scope granted: the list does not exist for this provider
    assert centre.call("GET", "/indicator-lists/known", centre.provider).status_code == 404
    grant = centre.call("PUT", "/indicator-scopes/demo-host/known", centre.admin,
                        {"signals": ["md5"], "media": ["image"], "basis": "order DO-1"})
    assert grant.status_code == 200
    assert centre.call("PUT", "/indicator-scopes/demo-host/known", centre.provider,
                       {"signals": ["md5"], "media": ["image"], "basis": "x"}
                       ).status_code == 403
    r = centre.call("GET", "/indicator-lists/known", centre.provider)
    assert r.status_code == 200
    trusted = TrustedKeys([TrustedKey.from_base64(centre.signer.public_base64,
                                                  owner="eu-centre")])
    lst = verify_list(r.json(), trusted, issuer="eu-centre", list_id="known",
                      held_version=None, allowed=Scope(signals=["md5"], media=["image"]),
                      provider_id="demo-host")
    assert [(e.signal, e.value) for e in lst.entries] == [("md5", MD5)]
    # the other provider has no grant for this list
    assert centre.call("GET", "/indicator-lists/known", centre.other).status_code == 404
    # a version from the future is a client error, not a 500
    assert centre.call("GET", "/indicator-lists/known", centre.provider,
                       since=10**6).status_code == 400
    assert centre.call("GET", "/indicator-lists/known", centre.provider,
                       since=lst.header.version).status_code == 304
    with centre.server.database.session() as session:
        pulls = session.execute(select(AuditEntry.outcome, AuditEntry.details).where(
            AuditEntry.action == "indicator_list.pull").order_by(AuditEntry.seq)).all()
    assert [o for o, _ in pulls] == ["denied", "success", "denied", "denied", "success"]
    assert all(MD5 not in json.dumps(d) for _, d in pulls)  # values never in the log


def test_centre_bank_for_pre_assessment_follows_the_database(centre: Centre) -> None:
    db = centre.server.database
    added = centre.add("md5", MD5).json()
    matcher = Matcher(db)
    assert [m.signal for m in matcher.match_values({"md5": MD5}, bank="centre-indicators")] \
        == ["md5"]
    r = centre.call("POST", f"/indicators/{added['indicator_id']}/withdraw", centre.authority,
                    {"reason": "duplicate of an older submission"})
    assert r.status_code == 200
    assert r.json()["withdrawal"]["reason"] == "duplicate of an older submission"
    assert Matcher(db).match_values({"md5": MD5}, bank="centre-indicators") == []
    with db.session() as session:
        figures = stats.compute(session)["indicators"]
    assert figures == {"added": 1, "withdrawn": 1, "active": 0}
