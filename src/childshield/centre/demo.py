"""Demo data for the centre (``childshield serve --demo``): never for production.

Registers a provider ``demo-host`` at the centre (with a fresh signing key, kept nowhere)
and, when the centre's keys are configured (``CHILDSHIELD_SIGNING_KEY``,
``CHILDSHIELD_EVIDENCE_KEYS``, ``CHILDSHIELD_CENTRE_PRIVATE_KEY``), takes in three benign
demo reports through the real intake: a known-material report with a drawn image, an urgent
one, and a solicitation report. The analyst console then has a queue to work through.

``register()`` adds the seeder to ``childshield.auth.demo`` (call it before ``seed_demo``,
e.g. in ``childshield serve --demo``); importing this module alone changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from childshield.auth.demo import register_seeder
from childshield.auth.principal import system_principal
from childshield.auth.roles import Side
from childshield.centre import providers
from childshield.centre.config import CentreConfig
from childshield.centre.intake import receive_report
from childshield.centre.preassess import NoIndicators
from childshield.crypto.canonical import canonicalize
from childshield.crypto.signing import SigningKey
from childshield.exchange.report import parse_report, seal_item, sign_report
from childshield.settings import get_settings
from childshield.store import centre as repo
from childshield.store.models.auth import Tenant

DEMO_PROVIDER = "demo-host"


def _drawn_png(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.linear_gradient("L").resize((160, 120)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((20 + seed * 10, 20, 90 + seed * 10, 90), fill=(40 * seed, 120, 200))
    draw.text((8, 100), f"demo {seed}", fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def demo_report(config: CentreConfig, n: int, **overrides: Any) -> dict[str, Any]:
    report_id = f"demo-{uuid.uuid4()}"
    content = _drawn_png(n)
    now = datetime.now(UTC)
    sealed = seal_item(content, config.opener().public_key, report_id=report_id,
                       item_id="item-1")
    data: dict[str, Any] = {
        "report_id": report_id,
        "provider": {"id": DEMO_PROVIDER, "name": "Demo Hosting (demo data)",
                     "address": "1 Example Street, Brussels", "email": "abuse@demo.example",
                     "country": "BE"},
        "created": (now - timedelta(minutes=5)).isoformat(),
        "content": [{"item_id": "item-1", "kind": "image", "media_type": "image/png",
                     "signals": [{"signal": "md5", "value": hashlib.md5(content).hexdigest()}],
                     "matched_indicators": [{"indicator_id": "demo-1", "signal": "md5",
                                             "distance": 0, "bank": "demo-bank"}],
                     "sealed_content": sealed.model_dump()}],
        "other_data": {"note": "demo data"},
        "abuse_type": "known",
        "location": {"ip": "192.0.2.10", "country": "DE"},
        "users": [{"user_id": f"demo-user-{n}", "role": "uploader"}],
        "third_country_reports": [],
        "removal": {"status": "removed", "time": (now - timedelta(minutes=8)).isoformat()},
        "urgent": False,
        "legal_basis": "demo data",
        "human_review": {"reviewer": "demo-reviewer",
                         "decided_at": (now - timedelta(minutes=6)).isoformat(),
                         "decision": "confirm_known"},
    }
    data.update(overrides)
    return data


def seed_centre_demo(session: Session, tenants: dict[Side, Tenant]) -> None:
    if Side.CENTRE not in tenants or repo.provider_by_id(session, DEMO_PROVIDER):
        return
    signer = SigningKey.generate()
    provider = providers.register_provider(
        session, DEMO_PROVIDER, contact="abuse@demo.example",
        public_keys=[signer.public_base64], display_name="Demo Hosting (demo data)",
        country="BE", actor="demo-seed")
    config = CentreConfig.from_settings(get_settings())
    if not (config.signing_key and config.keyring and config.sealing_key):
        return  # without the centre's keys nothing can be stored encrypted
    principal = system_principal(provider.tenant_id, DEMO_PROVIDER, Side.CENTRE, "demo-seed")
    principal = replace(principal, roles=frozenset({"provider"}))
    review = {"reviewer": "demo-reviewer",
              "decided_at": (datetime.now(UTC) - timedelta(minutes=6)).isoformat(),
              "decision": "confirm_solicitation"}
    variants: list[dict[str, Any]] = [
        {},
        {"urgent": True, "urgency_reason": "demo: marked urgent by the provider"},
        {"abuse_type": "solicitation", "removal": None, "human_review": review},
    ]
    for n, extra in enumerate(variants):
        report = parse_report(demo_report(config, n, **extra))
        body = canonicalize(sign_report(report, signer, created=datetime.now(UTC)))
        receive_report(session, config, principal, body, check=NoIndicators())


def register() -> None:
    register_seeder(seed_centre_demo)


__all__ = ["DEMO_PROVIDER", "demo_report", "register", "seed_centre_demo"]
