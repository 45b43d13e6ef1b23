"""Fixtures for the provider tests: a live server on loopback with a benign test bank.

Images here are drawn by the tests (shapes on gradients; SAFETY.md). The bank holding
them is called ``test-indicators``.
"""

from __future__ import annotations

import base64
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from childshield.api.testing import LiveServer, add_tenant_with_key, add_user, bearer
from childshield.settings import Settings

BANK = "test-indicators"


def drawn_image(seed: int, path: Path, size: tuple[int, int] = (320, 240)) -> Path:
    """Benign test image: coloured shapes on a gradient."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.randrange(size[0] - 40), rng.randrange(size[1] - 40)
        draw.rectangle((x, y, x + rng.randrange(20, 120), y + rng.randrange(20, 90)),
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    image.save(path)
    return path


@dataclass
class Provider:
    server: LiveServer
    http: httpx.Client
    key: str
    other_key: str
    image: Path
    tmp: Path

    @property
    def url(self) -> str:
        return self.server.url

    def upload(self, path: Path, key: str | None = None, idem: str | None = None,
               metadata: dict[str, Any] | None = None) -> httpx.Response:
        body, content_type = multipart(path.name, path.read_bytes(), metadata)
        return self.http.post(self.url + "/provider/v1/detection/content", content=body,
                              headers={**bearer(key or self.key), "Content-Type": content_type,
                                       "Idempotency-Key": idem or os.urandom(8).hex()})

    def login(self, email: str, password: str) -> httpx.Client:
        import re

        client = httpx.Client(base_url=self.url, timeout=30)
        page = client.get("/provider/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page
        r = client.post("/provider/console/login", data={
            "email": email, "password": password, "csrf_token": token.group(1)},
            follow_redirects=False)
        assert r.status_code in (302, 303), r.text
        return client


def multipart(name: str, data: bytes, metadata: dict[str, Any] | None = None,
              boundary: str = "childshield-test-boundary") -> tuple[bytes, str]:
    """A multipart/form-data body with a fixed boundary (a retry sends the same bytes)."""
    import json

    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="{name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
             + data + b"\r\n"]
    if metadata is not None:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"'
                     f"\r\n\r\n{json.dumps(metadata)}\r\n".encode())
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def csrf(client: httpx.Client) -> str:
    import re

    page = client.get("/provider/console/").text
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert found
    return found.group(1)


def post(client: httpx.Client, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return client.post(path, json=body or {}, headers={"X-CSRF-Token": csrf(client),
                                                       "Idempotency-Key": os.urandom(8).hex()})


@pytest.fixture
def evidence_key(monkeypatch: pytest.MonkeyPatch) -> str:
    spec = "k1:" + base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("CHILDSHIELD_EVIDENCE_KEYS", spec)
    return spec


@pytest.fixture
def provider(db_url: str, tmp_path: Path, evidence_key: str) -> Iterator[Provider]:
    from childshield.matching import BankService
    from childshield.matching.files import add_files
    from childshield.store import open_database

    database = open_database(db_url)
    service = BankService(database)
    service.create(BANK)
    image = drawn_image(1, tmp_path / "indicator.png")
    list(add_files(service, BANK, [image], submitted_by="test"))
    server = LiveServer.start("all", database=database, settings=Settings())
    key = add_tenant_with_key(database, "acme", "provider", ["integration"])
    other = add_tenant_with_key(database, "globex", "provider", ["integration"])
    add_user(database, "acme", "rita@acme.example", ["reviewer"])
    add_user(database, "acme", "sam@acme.example", ["supervisor"])
    add_user(database, "globex", "gil@globex.example", ["reviewer"])
    with httpx.Client(timeout=60) as client:
        yield Provider(server, client, key, other, image, tmp_path)
    server.stop()
    database.dispose()
