"""Helpers for the centre tests: a live centre over loopback HTTP (SQLite and PostgreSQL),
a registered provider with its signing key, analysts, an authority, and benign reports.
(The fixtures that build them are in conftest.py.)

Every report here is stand-in data: the "content" is a few bytes of text sealed for the
centre, the signals are hashes of those bytes or fixed patterns (SAFETY.md).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from childshield.api.testing import LiveServer, bearer
from childshield.centre import providers
from childshield.crypto.sealing import SealingKey, SealingPublicKey
from childshield.crypto.signing import SigningKey, sign_document
from childshield.exchange.report import REPORT_TYPE, seal_item

STAND_IN = b"stand-in content: a grey gradient drawn by the test"


def build_report(centre: SealingPublicKey, **overrides: Any) -> dict[str, Any]:
    """A valid Art. 13 report sealed for ``centre`` (stand-in content)."""
    report_id = overrides.pop("report_id", None) or str(uuid.uuid4())
    content = overrides.pop("content_bytes", STAND_IN)
    provider_id = overrides.pop("provider_id", "demo-host")
    media_type = overrides.pop("media_type", "text/plain")
    sealed = seal_item(content, centre, report_id=report_id,
                       item_id="item-1")
    data: dict[str, Any] = {
        "format": "childshield.report/1",
        "report_id": report_id,
        "provider": {"id": provider_id, "name": "Demo Hosting Ltd",
                     "address": "1 Example Street, 1000 Brussels",
                     "email": "abuse@demo-host.example", "country": "BE",
                     "legal_representative": None},
        "created": "2026-11-28T12:00:00Z",
        "content": [{
            "item_id": "item-1", "kind": "image", "media_type": media_type,
            "signals": [
                {"signal": "md5", "value": hashlib.md5(content).hexdigest()},
                {"signal": "sha256", "value": hashlib.sha256(content).hexdigest()},
            ],
            "matched_indicators": [{"indicator_id": "ind-42", "signal": "md5",
                                    "distance": 0, "bank": "demo-bank"}],
            "sealed_content": sealed.model_dump(),
            "file_name": "gradient.png",
        }],
        "other_data": {},
        "abuse_type": "known",
        "location": {"ip": "192.0.2.10", "port": 443, "time": "2026-11-28T10:00:00Z",
                     "country": "DE"},
        "users": [{"user_id": "u-123", "role": "uploader", "screen_name": "demo_user"}],
        "third_country_reports": [],
        "removal": {"status": "removed", "time": "2026-11-28T11:00:00Z"},
        "urgent": False,
        "legal_basis": "Regulation (EU) 2021/1232, Art. 3(1)(g)",
        "human_review": {"reviewer": "reviewer-7", "decided_at": "2026-11-28T11:30:00Z",
                         "decision": "confirm_known", "case_id": "case-9"},
    }
    data.update(overrides)
    return data


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it holds; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass
class Centre:
    server: LiveServer
    http: httpx.Client
    signer: SigningKey
    sealing: SealingKey
    centre_signer: SigningKey
    provider_key: str
    analyst_key: str
    authority_key: str
    admin_key: str
    referral_dir: Path
    provider_id: str = "demo-host"
    other: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def report(self, **overrides: Any) -> dict[str, Any]:
        """A valid Art. 13 report of ``provider_id`` (stand-in content)."""
        overrides.setdefault("provider_id", self.provider_id)
        return build_report(self.sealing.public_key, **overrides)

    def sign(self, payload: Any, key: SigningKey | None = None, **kwargs: Any) -> dict[str, Any]:
        return sign_document(payload, key or self.signer, typ=REPORT_TYPE,
                             created=kwargs.pop("created", None), **kwargs)

    def post(self, path: str, body: Any = None, *, key: str | None = None,
             idem: str | None = None, content: bytes | None = None) -> httpx.Response:
        headers = {**bearer(key or self.analyst_key),
                   "Idempotency-Key": idem or uuid.uuid4().hex}
        if content is not None:
            headers["Content-Type"] = "application/json"
            return self.http.post(self.url + path, content=content, headers=headers)
        return self.http.post(self.url + path, json=body if body is not None else {},
                              headers=headers)

    def get(self, path: str, *, key: str | None = None, **params: Any) -> httpx.Response:
        return self.http.get(self.url + path, headers=bearer(key or self.analyst_key),
                             params=params)

    def submit(self, envelope: Any, *, key: str | None = None,
               idem: str | None = None) -> httpx.Response:
        body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
        return self.post("/centre/v1/reports", key=key or self.provider_key, idem=idem,
                         content=body)

    def register_provider(self, tenant: str, provider_id: str) -> tuple[str, SigningKey]:
        signer = SigningKey.generate()
        with self.server.database.session() as session:
            row = providers.register_provider(
                session, tenant, provider_id=provider_id, contact=f"abuse@{tenant}.example",
                public_keys=[signer.public_base64], actor="test")
            key = providers.issue_api_key(session, row, actor="test")
        return key, signer


class FakeRecipient:
    """A local stand-in for a law-enforcement endpoint: records what it is sent."""

    def __init__(self, port: int = 0) -> None:
        received: list[dict[str, Any]] = []
        self.received = received
        self.fail = False
        self.delay = 0.0
        """Seconds each answer takes (a slow endpoint, for the kill test)."""
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if outer.fail:
                    self.send_response(503)
                    self.end_headers()
                    return
                received.append({"path": self.path, "body": json.loads(body),
                                 "idempotency_key": self.headers.get("Idempotency-Key")})
                time.sleep(outer.delay)
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


