"""Junk at the intake never gives a 500 or stores anything; ``childshield serve --role
centre`` configured from the environment takes a report in and forwards it."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from centre_harness import Centre, build_report

from childshield.api.testing import ServerProcess, add_tenant_with_key, bearer
from childshield.centre import providers
from childshield.crypto.keyring import EvidenceKey
from childshield.crypto.sealing import SealingKey
from childshield.crypto.signing import SigningKey, sign_document
from childshield.exchange.report import REPORT_TYPE
from childshield.store import open_database


def test_hostile_bodies_are_refused_cleanly(centre: Centre) -> None:
    good = centre.sign(centre.report())
    bodies: list[bytes] = [
        b"",
        b"\xff\xfe\x00junk",
        b"null",
        b'{"payload": 1}',
        json.dumps({"payload": good["payload"], "signature": "x"}).encode(),
        json.dumps({**good, "signature": {**good["signature"], "sig": "A" * 86}}).encode(),
        json.dumps({**good, "signature": {**good["signature"], "alg": "none"}}).encode(),
        json.dumps({**good, "signature": {**good["signature"], "typ": "childshield.referral/1"}}
                   ).encode(),
        json.dumps({**good, "extra": 1}).encode(),
        b"[" * 5000 + b"]" * 5000,
        b'{"payload": NaN, "signature": {}}',
        json.dumps(sign_document([1, 2, 3], centre.signer, typ=REPORT_TYPE)).encode(),
        json.dumps(sign_document({"content": [{"signals": [{"signal": "pdq", "value": "zz"}]}]},
                                 centre.signer, typ=REPORT_TYPE)).encode(),
    ]
    for body in bodies:
        r = centre.submit(body)
        assert 400 <= r.status_code < 500, (body[:60], r.status_code, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"]
    assert centre.get("/centre/v1/analysis/queue").json() == []


def test_serve_role_centre_from_the_environment(tmp_path: Path, sqlite_url: str) -> None:
    centre_key, sealing, provider_key = (SigningKey.generate(), SealingKey.generate(),
                                         SigningKey.generate())
    database = open_database(sqlite_url)
    with database.session() as session:
        row = providers.register_provider(session, "env-host", contact="abuse@env.example",
                                          public_keys=[provider_key.public_base64],
                                          actor="test")
        api_key = providers.issue_api_key(session, row, actor="test")
    analyst = add_tenant_with_key(database, "eu-centre", "centre", ["analyst"])
    database.dispose()
    env = {
        "CHILDSHIELD_SIGNING_KEY": centre_key.to_base64(),
        "CHILDSHIELD_EVIDENCE_KEYS": EvidenceKey.generate("ek-1").to_spec(),
        "CHILDSHIELD_CENTRE_PRIVATE_KEY": sealing.to_base64(),
        "CHILDSHIELD_CENTRE_REFERRAL_DIR": str(tmp_path / "out"),
    }
    server = ServerProcess("centre", sqlite_url, env=env)
    try:
        report = build_report(sealing.public_key, provider_id="env-host")
        envelope = sign_document(report, provider_key, typ=REPORT_TYPE)
        with httpx.Client(timeout=30) as http:
            r = http.post(server.url + "/centre/v1/reports", json=envelope,
                          headers={**bearer(api_key), "Idempotency-Key": uuid.uuid4().hex})
            assert r.status_code == 201, r.text
            queue = http.get(server.url + "/centre/v1/analysis/queue",
                             headers=bearer(analyst)).json()
            r = http.post(server.url + f"/centre/v1/analysis/reports/{queue[0]['case_id']}"
                          "/forward", json={}, headers={**bearer(analyst),
                                                        "Idempotency-Key": "fwd-1"})
            assert r.status_code == 200, r.text
        out, deadline = tmp_path / "out", time.monotonic() + 30
        while time.monotonic() < deadline and len(list(out.glob("*/*.json"))) < 2:
            time.sleep(0.05)  # the first delivery attempt follows the forwarding answer
        written = sorted(p.name for p in out.iterdir())
        assert written == ["authority-de", "europol"]
    finally:
        server.stop()


@pytest.mark.parametrize("missing", ["CHILDSHIELD_EVIDENCE_KEYS"])
def test_intake_without_evidence_keys_says_which_setting(
    missing: str, tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from childshield.api.testing import LiveServer
    from childshield.settings import Settings

    signer = SigningKey.generate()
    server = LiveServer.start("centre", sqlite_url, settings=Settings())
    try:
        with server.database.session() as session:
            row = providers.register_provider(session, "k-host", contact="x",
                                              public_keys=[signer.public_base64], actor="t")
            key = providers.issue_api_key(session, row, actor="t")
        report = build_report(SealingKey.generate().public_key, provider_id="k-host")
        envelope = sign_document(report, signer, typ=REPORT_TYPE)
        r = httpx.post(server.url + "/centre/v1/reports", json=envelope,
                       headers={**bearer(key), "Idempotency-Key": "k1"})
        assert r.status_code == 500
        assert r.json()["type"].endswith("/configuration")
        assert missing in r.json()["detail"]
    finally:
        server.stop()
        server.database.dispose()
