"""Benign example reports for the exchange tests (stand-in content, never real material)."""

from __future__ import annotations

import hashlib
from typing import Any

from childshield.crypto.sealing import SealingKey, SealingPublicKey
from childshield.crypto.signing import SigningKey
from childshield.exchange.report import seal_item

STAND_IN_CONTENT = b"stand-in image bytes: a grey gradient drawn by the test"


def demo_signing_key(label: str = "provider") -> SigningKey:
    """A fixed key derived from a label (for golden examples; never use outside tests)."""
    seed = hashlib.sha256(f"childshield demo {label} key".encode()).digest()
    return SigningKey.from_base64(__import__("base64").b64encode(seed).decode())


def demo_centre_key() -> SealingKey:
    seed = hashlib.sha256(b"childshield demo centre sealing key").digest()
    return SealingKey.from_base64(__import__("base64").b64encode(seed).decode())


def report_dict(centre: SealingPublicKey | None = None, **overrides: Any) -> dict[str, Any]:
    centre = centre or demo_centre_key().public_key
    report_id = overrides.get("report_id", "0b9a3c1e-6a43-4c39-9a7e-2f1d7c6b5a01")
    sealed = seal_item(STAND_IN_CONTENT, centre, report_id=report_id, item_id="item-1")
    data: dict[str, Any] = {
        "format": "childshield.report/1",
        "report_id": report_id,
        "provider": {
            "id": "demo-host",
            "name": "Demo Hosting Ltd",
            "address": "1 Example Street, 1000 Brussels",
            "email": "abuse@demo-host.example",
            "country": "BE",
            "legal_representative": None,
        },
        "created": "2026-11-28T12:00:00Z",
        "content": [
            {
                "item_id": "item-1",
                "kind": "image",
                "media_type": "image/png",
                "signals": [
                    {"signal": "pdq", "value": "f" * 64, "quality": 100},
                    {"signal": "md5", "value": hashlib.md5(STAND_IN_CONTENT).hexdigest()},
                ],
                "matched_indicators": [
                    {"indicator_id": "ind-42", "signal": "pdq", "distance": 3, "bank": "demo-bank"}
                ],
                "sealed_content": sealed.model_dump(),
                "file_name": "gradient.png",
                "uploaded_at": "2026-11-28T10:00:00Z",
            }
        ],
        "other_data": {"account_created": "2025-01-01"},
        "abuse_type": "known",
        "location": {
            "ip": "192.0.2.10",
            "port": 443,
            "time": "2026-11-28T10:00:00Z",
            "country": "DE",
        },
        "users": [{"user_id": "u-123", "role": "uploader", "screen_name": "demo_user"}],
        "third_country_reports": [
            {"body": "NCMEC", "country": "US", "status": "made", "reference": "CT-1234"}
        ],
        "removal": {"status": "removed", "time": "2026-11-28T11:00:00Z"},
        "urgent": False,
        "legal_basis": "Regulation (EU) 2021/1232 (interim derogation), Art. 3(1)(g)",
        "human_review": {
            "reviewer": "reviewer-7",
            "decided_at": "2026-11-28T11:30:00Z",
            "decision": "confirm_known",
            "case_id": "case-9",
        },
    }
    data.update(overrides)
    return data
