"""The indicator database end to end over loopback HTTP: a centre server process, an
authority adding indicators, a provider running ``childshield bank sync`` (full, then a
delta carrying a withdrawal), matching on the provider following both; tampered and
out-of-scope lists refused with nothing applied.

All indicator values are hashes of benign stand-in bytes (SAFETY.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from childshield.api.testing import ServerProcess, add_tenant_with_key, bearer
from childshield.centre import providers
from childshield.crypto.signing import SigningKey
from childshield.exitcodes import ExitCode
from childshield.store import open_database
from childshield.store.models.audit import AuditEntry

LIST = "known-material"
BANK = "test-indicators-from-centre"


def md5_of(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


PDQ = "f" * 16 + "0" * 48  # a fixed stand-in PDQ value (not of any image)


@dataclass
class Setup:
    centre: ServerProcess
    centre_db: str
    authority: str
    admin: str
    provider_key: str
    centre_public: str
    provider_db: str
    http: httpx.Client

    def post(self, path: str, body: dict[str, Any], key: str, method: str = "POST"
             ) -> httpx.Response:
        return self.http.request(method, self.centre.url + path, json=body,
                                 headers={**bearer(key), "Idempotency-Key": uuid.uuid4().hex})

    def add(self, signal: str, value: str, ref: str = "CASE-1") -> dict[str, Any]:
        r = self.post("/centre/v1/indicators", {
            "kind": "known_material", "signal": signal, "value": value,
            "material_reference": ref, "how_generated": f"{signal} of the confirmed file",
            "confirmed": True}, self.authority)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def cli(self, *args: str, env: dict[str, str] | None = None
            ) -> tuple[int, list[dict[str, Any]]]:
        full_env = {**os.environ, "CHILDSHIELD_DATABASE_URL": self.provider_db,
                    "CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY": self.centre_public,
                    "CHILDSHIELD_CENTRE_API_KEY": self.provider_key, **(env or {})}
        done = subprocess.run([sys.executable, "-m", "childshield", *args, "--json"],
                              capture_output=True, text=True, env=full_env, timeout=120)
        lines = [json.loads(x) for x in done.stdout.splitlines() if x.strip()]
        return done.returncode, lines

    def sync(self, *extra: str, url: str | None = None) -> tuple[int, dict[str, Any]]:
        code, lines = self.cli("bank", "sync", "--centre", url or self.centre.url, "--list",
                               LIST, "--bank", BANK, "--provider-id", "demo-host",
                               "--allow-http", *extra)
        return code, lines[-1] if lines else {}

    def matches(self, signal: str, value: str, tmp: Path) -> list[dict[str, Any]]:
        path = tmp / f"q-{uuid.uuid4().hex}.txt"
        path.write_text(value + "\n")
        code, lines = self.cli("match", "--signal", signal, "--hashes", str(path), "--bank",
                               BANK)
        assert code == 0, lines
        return list(lines[0]["matches"])


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Iterator[Setup]:
    centre_signer = SigningKey.generate()
    database = open_database(db_url)
    authority = add_tenant_with_key(database, "police-de", "centre", ["authority"])
    admin = add_tenant_with_key(database, "eu-centre", "centre", ["admin"])
    with database.session() as session:
        row = providers.register_provider(
            session, "demo-host", contact="abuse@demo-host.example",
            public_keys=[SigningKey.generate().public_base64], actor="test")
        provider_key = providers.issue_api_key(session, row, actor="test")
    database.dispose()
    centre = ServerProcess("centre", db_url,
                           env={"CHILDSHIELD_SIGNING_KEY": centre_signer.to_base64()})
    with httpx.Client(timeout=30) as client:
        s = Setup(centre, db_url, authority, admin, provider_key,
                  centre_signer.public_base64, f"sqlite:///{tmp_path / 'provider.db'}", client)
        r = s.post(f"/centre/v1/indicator-scopes/demo-host/{LIST}",
                   {"signals": ["pdq", "md5", "sha256"], "media": ["image", "video"],
                    "basis": "detection order DO-2026-1 (test)"}, admin, method="PUT")
        assert r.status_code == 200, r.text
        yield s
    centre.stop()


def test_full_then_delta_with_withdrawal(setup: Setup, tmp_path: Path) -> None:
    a = setup.add("md5", md5_of("stand-in file one"))
    b = setup.add("pdq", PDQ)
    assert a["provenance"]["authority"] == "police-de"
    assert a["provenance"]["material_reference"] == "CASE-1"

    code, out = setup.sync()
    assert code == 0, out
    assert out["kind"] == "full" and out["added"] == 2 and out["from_version"] is None
    assert setup.matches("md5", md5_of("stand-in file one"), tmp_path)
    assert [m["distance"] for m in setup.matches("pdq", PDQ, tmp_path)] == [0]

    # up to date: nothing to do
    code, again = setup.sync()
    assert code == 0 and again["kind"] == "up-to-date"

    r = setup.post(f"/centre/v1/indicators/{a['indicator_id']}/withdraw",
                   {"reason": "material re-examined: not abuse"}, setup.authority)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    c = setup.add("sha256", hashlib.sha256(b"stand-in file two").hexdigest())

    code, delta = setup.sync()
    assert code == 0, delta
    assert delta["kind"] == "delta" and delta["from_version"] == out["version"]
    assert delta["added"] == 1 and delta["withdrawn"] == 1
    assert setup.matches("md5", md5_of("stand-in file one"), tmp_path) == []
    assert setup.matches("pdq", PDQ, tmp_path)  # untouched by the delta
    assert setup.matches("sha256", hashlib.sha256(b"stand-in file two").hexdigest(), tmp_path)
    assert b["status"] == "active" and c["status"] == "active"

    # the centre's statistics count them; every pull is in the audit log
    stats = setup.http.get(setup.centre.url + "/centre/v1/statistics",
                           headers=bearer(setup.admin))
    assert stats.status_code == 200, stats.text
    assert stats.json()["indicators"] == {"added": 3, "withdrawn": 1, "active": 2}
    database = open_database(setup.centre_db)
    with database.session() as session:
        pulls = session.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "indicator_list.pull")).all()
    database.dispose()
    assert [p.get("kind", "up-to-date") for p in pulls] == ["full", "up-to-date", "delta"]


class FixedServer:
    """A stand-in centre that answers every request with one fixed JSON body."""

    def __init__(self, body: Any) -> None:
        payload = json.dumps(body).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _bank_state(setup: Setup) -> tuple[int, list[dict[str, Any]]]:
    code, lines = setup.cli("bank", "list")
    return code, [b for b in lines if b.get("name") == BANK]


def test_tampered_list_is_refused_and_nothing_applied(setup: Setup, tmp_path: Path) -> None:
    setup.add("md5", md5_of("stand-in file one"))
    code, first = setup.sync()
    assert code == 0 and first["added"] == 1
    setup.add("md5", md5_of("stand-in file three"))
    r = setup.http.get(setup.centre.url + f"/centre/v1/indicator-lists/{LIST}",
                       params={"since": first["version"]}, headers=bearer(setup.provider_key))
    assert r.status_code == 200
    envelope = r.json()
    payload = envelope.get("payload", None)
    assert payload is not None, sorted(envelope)
    payload["entries"][0]["value"] = md5_of("something a forger wants matched")
    before = _bank_state(setup)
    fake = FixedServer(envelope)
    try:
        code, out = setup.sync(url=fake.url)
    finally:
        fake.stop()
    assert code == ExitCode.INTEGRITY, out
    assert "signature" in out.get("error", "")
    assert _bank_state(setup) == before
    assert setup.matches("md5", md5_of("something a forger wants matched"), tmp_path) == []
    # the genuine delta still applies afterwards: the held version did not move
    code, delta = setup.sync()
    assert code == 0 and delta["kind"] == "delta" and delta["from_version"] == first["version"]


def test_out_of_scope_list_is_refused_and_nothing_applied(setup: Setup, tmp_path: Path) -> None:
    setup.add("md5", md5_of("stand-in file one"))
    setup.add("pdq", PDQ)
    code, _lines = setup.cli("bank", "create", BANK)
    assert code == 0
    before = _bank_state(setup)
    # this bank takes md5 only, but the list the centre grants carries pdq too
    code, out = setup.sync("--signal", "md5")
    assert code == ExitCode.INTEGRITY, out
    assert "out-of-scope" in out["error"]
    assert _bank_state(setup) == before
    assert setup.matches("md5", md5_of("stand-in file one"), tmp_path) == []


def test_list_for_another_provider_is_refused(setup: Setup) -> None:
    setup.add("md5", md5_of("stand-in file one"))
    code, out = setup.cli("bank", "sync", "--centre", setup.centre.url, "--list", LIST,
                          "--bank", BANK, "--provider-id", "someone-else", "--allow-http")
    assert code == ExitCode.INTEGRITY and "out-of-scope" in out[-1]["error"]


def test_wrong_centre_key_is_refused(setup: Setup) -> None:
    setup.add("md5", md5_of("stand-in file one"))
    code, out = setup.cli("bank", "sync", "--centre", setup.centre.url, "--list", LIST,
                          "--bank", BANK, "--provider-id", "demo-host", "--allow-http",
                          env={"CHILDSHIELD_CENTRE_SIGNING_PUBLIC_KEY":
                               SigningKey.generate().public_base64})
    assert code == ExitCode.INTEGRITY, out
