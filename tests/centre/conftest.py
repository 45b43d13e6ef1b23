"""Fixtures for the centre tests (the helpers they build are in centre_harness.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from centre_harness import Centre, FakeRecipient
from pydantic import SecretStr

from childshield.api.testing import LiveServer, add_tenant_with_key, add_user
from childshield.crypto.keyring import EvidenceKey
from childshield.crypto.sealing import SealingKey
from childshield.crypto.signing import SigningKey
from childshield.settings import Settings


@pytest.fixture
def fake_recipient() -> Iterator[FakeRecipient]:
    recipient = FakeRecipient()
    yield recipient
    recipient.stop()


@pytest.fixture
def make_centre(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Centre]]:
    servers: list[LiveServer] = []
    clients: list[httpx.Client] = []

    def start(*, directory: list[dict[str, Any]] | None = None,
              max_report_bytes: int = 32 * 1024**2) -> Centre:
        centre_signer, sealing = SigningKey.generate(), SealingKey.generate()
        referral_dir = tmp_path / "referrals"
        extra: dict[str, Any] = {}
        if directory is not None:
            path = tmp_path / "authorities.json"
            path.write_text(json.dumps(directory))
            extra["centre_authority_directory"] = path
        settings = Settings(
            signing_key=SecretStr(centre_signer.to_base64()),
            evidence_keys=SecretStr(EvidenceKey.generate("ek-test").to_spec()),
            centre_private_key=SecretStr(sealing.to_base64()),
            centre_referral_dir=referral_dir,
            centre_referral_allow_http=True,
            centre_max_report_bytes=max_report_bytes,
            **extra,
        )
        server = LiveServer.start("centre", db_url, settings=settings)
        servers.append(server)
        client = httpx.Client(timeout=30)
        clients.append(client)
        db = server.database
        analyst = add_tenant_with_key(db, "eu-centre", "centre", ["analyst"])
        admin = add_tenant_with_key(db, "eu-centre", "centre", ["admin"])
        add_user(db, "eu-centre", "analyst@centre.example", ["analyst"])
        authority = add_tenant_with_key(db, "police-de", "centre", ["authority"])
        centre = Centre(server, client, SigningKey.generate(), sealing, centre_signer, "",
                        analyst, authority, admin, referral_dir)
        centre.provider_key, centre.signer = centre.register_provider("demo-host", "demo-host")
        return centre

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.stop()
        server.database.dispose()


@pytest.fixture
def centre(make_centre: Callable[..., Centre]) -> Centre:
    return make_centre()
