"""The Idempotency-Key answer commits in the same transaction as the write it protects.

Guards against the gap of the first version: the key was claimed in one transaction and
the answer stored in another, so a crash between the write's commit and the answer's left
a key stuck "in progress" (or a write without its answer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import APIRouter
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from childshield import audit
from childshield.api.app import create_app
from childshield.api.auth import require
from childshield.api.deps import DbSession
from childshield.api.idempotency import idempotent, request_fingerprint, transactional
from childshield.api.testing import LiveServer, add_tenant_with_key, bearer
from childshield.settings import Settings
from childshield.store import open_database
from childshield.store.models.audit import AuditEntry
from childshield.store.models.idempotency import IdempotencyRecord

PATH = "/provider/v1/test-write"


def _writes(server: LiveServer) -> int:
    with server.database.session() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "test.write")) or 0)


def _records(server: LiveServer) -> list[IdempotencyRecord]:
    with server.database.session() as session:
        return list(session.scalars(select(IdempotencyRecord)
                                    .where(IdempotencyRecord.key.like("tx-%"))))


def _server(live_server: Callable[..., LiveServer], db_url: str,
            before_write: Callable[[Session, Any], None] | None = None) -> LiveServer:
    database = open_database(db_url)
    app = create_app("provider", database, Settings())
    router = APIRouter()

    @router.post(PATH, dependencies=[idempotent])
    def write(session: DbSession, caller=require("integration")) -> dict[str, int]:  # type: ignore[no-untyped-def]
        if before_write is not None:
            before_write(session, caller)
        audit.record(session, caller, "test.write", "thing", "1")
        return {"done": 1}

    app.include_router(transactional(router))
    return live_server(app=app)


def test_a_crash_at_commit_keeps_neither_write_nor_answer(
        live_server: Callable[..., LiveServer], db_url: str, http: httpx.Client) -> None:
    server = _server(live_server, db_url)
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    crash = [True]

    def note_inserts(session: Session, _context: Any) -> None:
        session.info.setdefault("inserted", set()).update(type(o).__name__ for o in session.new)

    def fail_once(session: Session) -> None:
        inserted = session.info.pop("inserted", set())
        if crash and {"IdempotencyRecord", "AuditEntry"} <= inserted:
            crash.clear()
            raise RuntimeError("the process died at commit")

    event.listen(server.database.sessionmaker, "after_flush", note_inserts)
    event.listen(server.database.sessionmaker, "before_commit", fail_once)
    headers = {**bearer(key), "Idempotency-Key": "tx-1"}
    assert http.post(server.url + PATH, headers=headers).status_code == 500
    assert not crash, "the write and its answer were not in one transaction"
    assert _writes(server) == 0 and _records(server) == []  # neither half survived

    second = http.post(server.url + PATH, headers=headers)
    assert second.status_code == 200 and "idempotent-replayed" not in second.headers
    assert _writes(server) == 1
    [record] = _records(server)
    assert record.status == 200 and record.body == second.content
    third = http.post(server.url + PATH, headers=headers)
    assert third.headers["idempotent-replayed"] == "true" and third.content == second.content
    assert _writes(server) == 1


def test_losing_a_race_to_another_worker_rolls_back_and_replays_the_winner(
        live_server: Callable[..., LiveServer], db_url: str, http: httpx.Client) -> None:
    """Two workers run the same key at once: only the first commit counts."""
    state: dict[str, Any] = {}

    def other_worker_commits_first(session: Session, caller: Any) -> None:
        if state.pop("race", False):
            fingerprint = request_fingerprint("POST", PATH, "", b"")
            with state["server"].database.session() as other:
                other.add(IdempotencyRecord(
                    tenant_id=caller.tenant_id, key="tx-race", method="POST", path=PATH,
                    request_sha256=fingerprint, status=201,
                    headers=[["content-type", "application/json"]], body=b'{"winner": 1}'))

    server = _server(live_server, db_url, other_worker_commits_first)
    state["server"] = server
    key = add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    state["race"] = True
    r = http.post(server.url + PATH, headers={**bearer(key), "Idempotency-Key": "tx-race"})
    assert r.status_code == 201 and r.json() == {"winner": 1}
    assert r.headers["idempotent-replayed"] == "true"
    assert _writes(server) == 0  # the loser's write was rolled back
    assert [rec.status for rec in _records(server)] == [201]
