"""Solicitation patterns from the centre's indicator database to the provider's chat scorer.

Two server processes, two databases: an authority adds a confirmed pattern at the centre,
the admin grants the provider the ``pattern`` signal of a list, the provider runs ``bank
sync`` into a ``solicitation`` bank, and its conversation endpoint raises a case for a
message containing the phrase (and not for a benign message sharing most of its words).
A withdrawal reaches the provider in the next delta and the phrase no longer alerts. A
pattern list is refused by a bank that cannot hold patterns.

The pattern is a non-explicit secrecy request (SAFETY.md).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from tests.centre_indicators import test_indicator_sync
from tests.centre_indicators.test_indicator_sync import Setup

from childshield.api.testing import ServerProcess, add_tenant_with_key, bearer
from childshield.auth.principal import Principal
from childshield.auth.roles import Side
from childshield.crypto.keyring import EvidenceKey
from childshield.exitcodes import ExitCode
from childshield.provider.conversations import BankPatterns, ConversationHub
from childshield.store import open_database

setup = test_indicator_sync.setup  # the same centre process and provider database
PATTERNS = "solicitation-patterns"
PATTERN = "Delete this chat and tell no one"
RISKY = "ok now delete this chat and tell NO one, promise?"
BENIGN = "can you delete this chat? I posted it in the wrong group, tell the others"


def _grant_and_add(setup: Setup) -> dict[str, Any]:
    r = setup.post(f"/centre/v1/indicator-scopes/demo-host/{PATTERNS}",
                   {"signals": ["pattern"], "media": ["text"],
                    "basis": "agreement AG-2026-7 (test)"}, setup.admin, method="PUT")
    assert r.status_code == 200, r.text
    r = setup.post("/centre/v1/indicators", {
        "kind": "solicitation", "signal": "pattern", "value": PATTERN,
        "material_reference": "CASE-9", "how_generated": "phrase from confirmed chats",
        "confirmed": True}, setup.authority)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _sync(setup: Setup, bank: str, kind: str) -> tuple[int, list[dict[str, Any]]]:
    return setup.cli("bank", "sync", "--centre", setup.centre.url, "--list", PATTERNS,
                     "--bank", bank, "--kind", kind, "--provider-id", "demo-host",
                     "--allow-http")


def _messages(server: ServerProcess, key: str, lines: list[tuple[str, str]]
              ) -> list[dict[str, Any]]:
    body = "".join(json.dumps({"conversation": c, "author": "someone", "text": t}) + "\n"
                   for c, t in lines).encode()
    r = httpx.post(server.url + "/provider/v1/conversations/messages", content=body,
                   headers={**bearer(key), "Content-Type": "application/x-ndjson",
                            "Idempotency-Key": uuid.uuid4().hex}, timeout=60)
    assert r.status_code == 200, r.text
    return [json.loads(x) for x in r.text.splitlines()]


def test_pattern_reaches_the_chat_scorer_and_its_withdrawal_too(setup: Setup) -> None:
    indicator = _grant_and_add(setup)
    code, lines = _sync(setup, "centre-patterns", "solicitation")
    assert code == 0, lines
    assert (lines[-1]["kind"], lines[-1]["added"]) == ("full", 1)

    # the provider process starts after the sync, so its first message loads the pattern
    database = open_database(setup.provider_db)
    with ServerProcessWithKey(setup) as (server, key):
        out = _messages(server, key, [("chat-risky", "hi there"), ("chat-risky", RISKY),
                                      ("chat-benign", BENIGN)])
    alerts = [x for x in out if "alert" in x]
    assert [a["conversation"] for a in alerts] == ["chat-risky"]
    alert = alerts[0]
    assert alert["line"] == 2 and alert["alert"]["alert_message"] == 1
    found = [i for i in alert["alert"]["indicators"] if i["category"] == "centre_pattern"]
    assert len(found) == 1 and found[0]["message"] == 1
    assert alert["case"]["created"] is True

    # withdrawn at the centre -> the delta withdraws it -> it no longer alerts
    r = setup.post(f"/centre/v1/indicators/{indicator['indicator_id']}/withdraw",
                   {"reason": "re-examined"}, setup.authority)
    assert r.status_code == 200, r.text
    code, lines = _sync(setup, "centre-patterns", "solicitation")
    assert code == 0 and (lines[-1]["kind"], lines[-1]["withdrawn"]) == ("delta", 1), lines
    patterns = BankPatterns(database, refresh_s=0)
    assert len(patterns()) == 0
    hub = ConversationHub(None, patterns=patterns)
    who = Principal("api_key", 1, 1, "acme", Side.PROVIDER, frozenset({"integration"}), "t")
    assert hub.feed(database.session, who, {"conversation": "c2", "author": "a",
                                            "text": RISKY}) is None
    database.dispose()


class ServerProcessWithKey:
    """A provider server on the provider database with an integration key."""

    def __init__(self, setup: Setup) -> None:
        self.setup = setup

    def __enter__(self) -> tuple[ServerProcess, str]:
        database = open_database(self.setup.provider_db)
        key = add_tenant_with_key(database, "acme", "provider", ["integration"])
        database.dispose()
        self.server = ServerProcess("provider", self.setup.provider_db, env={
            "CHILDSHIELD_EVIDENCE_KEYS": EvidenceKey.generate("pk1").to_spec()})
        return self.server, key

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def test_pattern_list_refused_by_a_bank_for_hashes(setup: Setup, tmp_path: Path) -> None:
    _grant_and_add(setup)
    code, lines = _sync(setup, "test-indicators-hashes", "known_material")
    assert code == ExitCode.INTEGRITY, lines
    assert "out-of-scope" in lines[-1]["error"]
