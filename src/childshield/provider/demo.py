"""Demo data for the provider side (``childshield serve --demo``): never for production.

Adds, once (a second run reuses them): the benign bank ``demo-bank`` holding a drawn
picture, and four demo cases for the tenant ``demo-provider``:

* ``known``: a resized JPEG copy of that picture, "uploaded" by a demo user, matched
  against the bank (the distance is the real PDQ distance);
* ``known``, urgent: a second drawn picture seen in a live stream at 12 s;
* ``solicitation``: a non-explicit demo conversation scored by the shipped model (age,
  parents, secrecy, moving to a private app, a selfie request; SAFETY.md);
* ``new``: a bright drawn picture raised by the **stand-in** classifier
  (``standin-mean-brightness``, which scores brightness and detects nothing).

Evidence is encrypted with the configured keys; without ``CHILDSHIELD_EVIDENCE_KEYS`` the
demo makes a key of its own in ``<data_dir>/demo/evidence.key`` (demo only) and exports it
for this process. The demo also turns the stand-in classifier on for this process.
"""

from __future__ import annotations

import base64
import io
import json
import os
import random
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from childshield.auth.demo import register_seeder
from childshield.auth.roles import Side
from childshield.crypto.keyring import ENV_VAR, EvidenceKeyring
from childshield.provider import evidence
from childshield.provider.cases import Hit, NewItem, open_case
from childshield.provider.classifiers import STANDIN_ENV, MeanBrightnessStandIn
from childshield.settings import get_settings
from childshield.store.models.auth import Tenant
from childshield.store.models.provider import ProviderCase

BANK = "demo-bank"
ACTOR = "demo-seed"
CONVERSATION = [
    ("max_r", "hey saw ur drawings, ur really talented"),
    ("lia", "thx"),
    ("max_r", "how old r u?"),
    ("lia", "13"),
    ("max_r", "im 27 but age is just a number"),
    ("max_r", "r ur parents home rn?"),
    ("lia", "no theyre at work"),
    ("max_r", "add me on snap, and dont tell anyone, its our secret"),
    ("max_r", "send me a selfie"),
]


def drawn_picture(seed: int, size: tuple[int, int] = (480, 360), bright: bool = False) -> Any:
    """Shapes on a gradient with a caption (benign)."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    base = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize(size)
    tint = (250, 245, 235) if bright else tuple(rng.randrange(256) for _ in range(3))
    image = Image.blend(base.convert("RGB"), Image.new("RGB", size, tint), 0.85 if bright else 0.45)
    draw = ImageDraw.Draw(image)
    for _ in range(9):
        x, y = rng.randrange(size[0] - 60), rng.randrange(size[1] - 60)
        colour = tuple(rng.randrange(180, 256) if bright else rng.randrange(256) for _ in range(3))
        box = (x, y, x + rng.randrange(40, size[0] // 2), y + rng.randrange(40, size[1] // 2))
        rng.choice((draw.ellipse, draw.rectangle))(box, fill=colour, outline=(0, 0, 0), width=3)
    draw.text((20, size[1] - 40), f"childshield demo picture {seed}", fill=(0, 0, 0))
    return image


def _jpeg(image: Any, size: tuple[int, int] | None = None) -> bytes:
    out = io.BytesIO()
    (image.resize(size) if size else image).save(out, "JPEG", quality=70)
    return out.getvalue()


def demo_keyring(data_dir: Path) -> EvidenceKeyring:
    """The configured evidence keys, or the demo's own (created once, 0600)."""
    ring = evidence.keyring_for(get_settings())
    if ring is not None:
        return ring
    path = data_dir / "demo" / "evidence.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("demo1:" + base64.b64encode(os.urandom(32)).decode())
    os.environ[ENV_VAR] = path.read_text().strip()
    ring = evidence.keyring_for(get_settings())
    assert ring is not None
    return ring


def _bank_indicator(session: Session, image: Any, name: str) -> tuple[int, str]:
    """Add a drawn picture to the demo bank; (its PDQ indicator id, its PDQ hash)."""
    from childshield.matching.files import records_for_file
    from childshield.signals.hashing import hash_file
    from childshield.store import banks as repo
    from childshield.store.banks import Provenance

    if not any(b.name == BANK for b in repo.list_banks(session)):
        repo.create_bank(session, BANK, description="Benign demo pictures (drawn shapes)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        image.save(path)
        records, _ = records_for_file(hash_file(path))
    stored = repo.store_records(session, repo.get_bank(session, BANK), records,
                                Provenance(submitted_by="demo", how_generated="childshield demo",
                                           source=name))
    pdq = next(i for i, r in enumerate(records) if r.signal == "pdq")
    return stored.ids[pdq], records[pdq].value


def _pdq_of(data: bytes) -> tuple[str, int]:
    from PIL import Image

    from childshield.signals.pdq import pdq_from_image

    return pdq_from_image(Image.open(io.BytesIO(data)))


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def seed(session: Session, tenants: dict[Side, Tenant]) -> None:
    tenant = tenants.get(Side.PROVIDER)
    if tenant is None:
        return
    os.environ[STANDIN_ENV] = "1"
    ring = demo_keyring(get_settings().data_dir)
    # 1. a known-material match: a resized copy of a bank picture
    known_upload(session, ring, tenant, 11, "demo-upload-1001", "user-4711")
    # 2. urgent: a second bank picture seen in a live stream
    second = drawn_picture(12)
    indicator2, _ = _bank_indicator(session, second, "demo-picture-12.png")
    _case(session, ring, tenant, NewItem(
        "live:demo:1", "known", "live", "stream", None, "live-demo",
        {"stream": "rtmp://streams.example/live/demo"}, {}, urgent=True),
        [Hit("live", BANK, f"live:{BANK}:{indicator2}", indicator2, "pdq", 6,
             details={"bank": BANK, "indicator": indicator2, "stream_time": 12.0,
                      "frame": 300})], ("image", "image/jpeg", _jpeg(second)))
    # 3. a solicitation alert from a non-explicit demo conversation
    from childshield.conversations.monitor import ConversationMonitor

    monitor = ConversationMonitor()
    alert = None
    for index, (author, text) in enumerate(CONVERSATION):
        alert = monitor.feed("demo-chat-1", {"author": author, "text": text,
                                             "time": 1764400000 + 60 * index}) or alert
    if alert is not None:
        messages = [{"index": i, "author": a, "text": t, "time": 1764400000 + 60 * i}
                    for i, (a, t) in enumerate(CONVERSATION[: alert.message + 1])]
        _case(session, ring, tenant, NewItem(
            "conversation:demo-chat-1", "solicitation", "conversation", "conversation",
            "application/json", "demo-chat-1", {"user": {"id": "user-max_r"}}),
            [Hit("conversation", f"conversation-model {alert.model_version}",
                 f"conversation:{alert.message}", score=round(alert.risk, 4),
                 details={"risk": round(alert.risk, 4), "alert_message": alert.message,
                          "suspect": alert.suspect,
                          "indicators": [{"category": i.get("category"),
                                          "message": i.get("message")}
                                         for i in alert.indicators]})],
            ("conversation", "application/json",
             json.dumps({"conversation": "demo-chat-1", "messages": messages}).encode()))
    # 4. the stand-in classifier on a bright picture
    standin = MeanBrightnessStandIn()
    bright = drawn_picture(13, bright=True)
    score = standin.score(bright)
    threshold = standin.info.thresholds["high_recall"]
    if score >= threshold:
        _case(session, ring, tenant, NewItem(
            "item:demo-upload-1002", "new", "upload", "image", "image/jpeg", "demo-upload-1002",
            {"user": {"id": "user-4712"}}),
            [Hit("classifier", standin.info.name, f"classifier:{standin.info.name}",
                 score=round(score, 4), details={"version": standin.info.version,
                                                 "threshold": threshold, "calibrated": False})],
            ("image", "image/jpeg", _jpeg(bright)))


def _case(session: Session, ring: EvidenceKeyring, tenant: Tenant, item: NewItem,
          hits: list[Hit], content: tuple[str, str, bytes]) -> ProviderCase:
    opened = open_case(session, tenant.id, item, hits, actor=ACTOR)
    if opened.created:
        kind, media_type, data = content
        evidence.keep_content(session, ring, opened.case, kind=kind, media_type=media_type,
                              data=data)
    return opened.case


def known_upload(session: Session, ring: EvidenceKeyring, tenant: Tenant, picture_seed: int,
                 external_id: str, user_id: str) -> ProviderCase:
    """A demo case: a resized copy of drawn picture ``picture_seed`` (added to the demo
    bank), "uploaded" by ``user_id`` and matched against the bank at its real distance."""
    picture = drawn_picture(picture_seed)
    indicator, value = _bank_indicator(session, picture, f"demo-picture-{picture_seed}.png")
    upload = _jpeg(picture, (360, 270))
    pdq, quality = _pdq_of(upload)
    return _case(session, ring, tenant, NewItem(
        f"item:{external_id}", "known", "upload", "image", "image/jpeg", external_id,
        {"user": {"id": user_id, "screen_name": f"demo_{user_id}"},
         "location": {"ip": "192.0.2.10", "port": 443, "country": "BE"}},
        {"pdq": pdq, "quality": quality}),
        [Hit("bank", BANK, f"bank:{BANK}:{indicator}", indicator, "pdq",
             _distance(pdq, value), details={"bank": BANK, "indicator": indicator})],
        ("image", "image/jpeg", upload))


register_seeder(seed)

__all__ = ["BANK", "CONVERSATION", "demo_keyring", "drawn_picture", "known_upload", "seed"]
