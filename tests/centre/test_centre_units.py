"""Small pure pieces of the centre: delivery adapters fail closed, duplicate keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from childshield.centre.delivery import DeliveryError, FileSink, HttpSink, default_sink
from childshield.centre.intake import signal_keys
from childshield.exchange.referral import EUROPOL, Recipient
from childshield.exchange.report import ContentItem


def _recipient(endpoint: str | None) -> Recipient:
    return Recipient(id="authority-x", kind="national_authority", name="X (test)",
                     country="DE", endpoint=endpoint)


def test_http_delivery_fails_closed_without_https() -> None:
    with pytest.raises(DeliveryError, match="not HTTPS"):
        HttpSink().deliver(_recipient("http://127.0.0.1:9/"), "ref-1", {"payload": {}})
    with pytest.raises(DeliveryError, match="not HTTPS"):
        HttpSink(allow_http=True).deliver(_recipient("ftp://example.org/"), "ref-1", {})


def test_http_delivery_names_an_unreachable_recipient() -> None:
    with pytest.raises(DeliveryError, match="authority-x: Connect"):
        HttpSink(allow_http=True, timeout=2).deliver(_recipient("http://127.0.0.1:9/x"),
                                                     "ref-1", {})


def test_file_delivery_writes_one_file_per_recipient(tmp_path: Path) -> None:
    sink = default_sink(tmp_path)
    where = sink.deliver(EUROPOL, "ref-1", {"payload": {"a": 1}})
    assert Path(where) == tmp_path / "europol" / "ref-1.json"
    assert json.loads(Path(where).read_text()) == {"payload": {"a": 1}}
    assert [p.name for p in (tmp_path / "europol").iterdir()] == ["ref-1.json"]  # no temp left
    assert sink.adapter_for(_recipient("https://x.example/")).name == "http"
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(DeliveryError, match="cannot write"):
        FileSink(blocked).deliver(EUROPOL, "ref-2", {})


def _item(signals: list[dict[str, object]]) -> ContentItem:
    sealed = {"alg": "X25519-HKDF-SHA256-A256GCM", "kid": "k", "epk": "e", "nonce": "n",
              "ct": "c"}
    return ContentItem.model_validate({"item_id": "i", "kind": "image",
                                       "media_type": "image/png", "signals": signals,
                                       "sealed_content": sealed})


def test_duplicate_keys_skip_low_quality_pdq_and_hide_the_values() -> None:
    flat = {"signal": "pdq", "value": "0" * 64, "quality": 0}
    good = {"signal": "pdq", "value": "ab" * 32, "quality": 90}
    md5 = {"signal": "md5", "value": "cd" * 16}
    assert signal_keys(_item([flat])) == set()
    keys = signal_keys(_item([good, md5]))
    assert len(keys) == 2
    assert all("ab" * 32 not in k and "cd" * 16 not in k for k in keys)
    assert signal_keys(_item([md5])) < keys


def _seeded_centre(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, runs: int = 1) -> Any:
    """A centre database with the demo's reports (keys from the environment)."""
    from childshield.auth import service as auth_service
    from childshield.auth.roles import Side
    from childshield.centre import demo
    from childshield.crypto.keyring import EvidenceKey
    from childshield.crypto.sealing import SealingKey
    from childshield.crypto.signing import SigningKey
    from childshield.settings import get_settings
    from childshield.store import auth as auth_repo
    from childshield.store import open_database

    monkeypatch.setenv("CHILDSHIELD_SIGNING_KEY", SigningKey.generate().to_base64())
    monkeypatch.setenv("CHILDSHIELD_EVIDENCE_KEYS", EvidenceKey.generate("ek").to_spec())
    monkeypatch.setenv("CHILDSHIELD_CENTRE_PRIVATE_KEY", SealingKey.generate().to_base64())
    get_settings.cache_clear()
    db = open_database(sqlite_url)
    for _ in range(runs):
        with db.session() as session:
            centre_tenant = auth_repo.tenant_by_name(session, "eu-centre") or \
                auth_service.create_tenant(session, "eu-centre", "centre", actor="test")
            demo.seed_centre_demo(session, {Side.CENTRE: centre_tenant})
    return db


def test_demo_seeder_fills_the_queue(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from childshield.centre import assessment, demo
    from childshield.settings import get_settings

    assert demo.DEMO_PROVIDER == "demo-host"
    db = _seeded_centre(sqlite_url, monkeypatch, runs=2)  # a second run adds nothing
    try:
        with db.session() as session:
            rows = assessment.queue(session)
            assert [(r.abuse_type, r.urgent) for r in rows] == [
                ("known", True), ("known", False), ("solicitation", False)]
    finally:
        db.dispose()
        get_settings.cache_clear()


def test_redeliver_requeues_a_pre_outbox_referrals_failed_recipients(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from childshield.centre import assessment
    from childshield.centre.referral_outbox import requeue
    from childshield.settings import get_settings
    from childshield.store import centre as centre_repo
    from childshield.store.models.base import utcnow
    from childshield.store.models.centre import CentreReferral

    db = _seeded_centre(sqlite_url, monkeypatch)
    try:
        with db.session() as session:
            report = assessment.queue(session)[0]
            legacy = CentreReferral(
                report_pk=report.id, referral_id="ref-before-the-outbox",
                recipients=["europol", "police-be"], member_states=["BE"], package=b"sealed",
                deliveries=[{"recipient": "europol", "status": "delivered"},
                            {"recipient": "police-be", "status": "failed", "error": "down"}])
            session.add(legacy)
            session.flush()
            assert requeue(session, legacy, utcnow()) == 1
            rows = centre_repo.deliveries_of(session, legacy.id)
            assert [(r.recipient, r.status) for r in rows] == [("police-be", "pending")]
    finally:
        db.dispose()
        get_settings.cache_clear()
