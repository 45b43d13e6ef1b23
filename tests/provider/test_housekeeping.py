"""Purging old Idempotency-Key answers and dead console sessions (``provider purge`` and
every round of ``provider jobs``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from childshield.api.testing import add_tenant_with_key, add_user
from childshield.auth import service
from childshield.auth.roles import Side
from childshield.provider.housekeeping import purge_expired
from childshield.store.db import Database
from childshield.store.models.audit import AuditEntry
from childshield.store.models.auth import ConsoleSession
from childshield.store.models.base import utcnow
from childshield.store.models.idempotency import IdempotencyRecord

PASSWORD = "a-long-enough-password"


def _setup(database: Database) -> dict[str, int]:
    """Three sessions (live, expired, logged out) and two stored answers (old, fresh)."""
    add_tenant_with_key(database, "acme", "provider", ["integration"])
    add_user(database, "acme", "r@acme.example", ["reviewer"], PASSWORD)
    now = utcnow()
    ids = {}
    with database.session() as session:
        for name in ("live", "expired", "ended"):
            login = service.login(session, "r@acme.example", PASSWORD, Side.PROVIDER,
                                  ttl=timedelta(hours=8))
            row = session.get(ConsoleSession, login.principal.session_id)
            assert row is not None
            if name == "expired":
                row.expires_at = now - timedelta(minutes=1)
            if name == "ended":
                service.logout(session, login.token)
            ids[name] = row.id
        tenant = service.get_tenant(session, "acme")
        for key, age in (("old", timedelta(hours=73)), ("fresh", timedelta(hours=71))):
            session.add(IdempotencyRecord(tenant_id=tenant.id, key=key, request_sha256="0" * 64,
                                          method="POST", path="/provider/v1/flags",
                                          status=201, headers=[], body=b"{}",
                                          created_at=now - age))
    return ids


def test_purge_deletes_old_answers_and_dead_sessions_only(database: Database) -> None:
    ids = _setup(database)
    counts = purge_expired(database, now=utcnow() + timedelta(seconds=1))
    assert counts == {"idempotency_records": 1, "console_sessions": 2}
    with database.session() as session:
        assert [r.key for r in session.scalars(select(IdempotencyRecord))] == ["fresh"]
        assert [s.id for s in session.scalars(select(ConsoleSession))] == [ids["live"]]
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "housekeeping.purge")).one()
        assert entry.details == counts
    assert purge_expired(database) == {"idempotency_records": 0, "console_sessions": 0}


def test_purge_verb_and_the_jobs_round(database: Database, db_url: str) -> None:
    _setup(database)
    run = [sys.executable, "-m", "childshield", "provider"]
    later = (utcnow() + timedelta(seconds=1)).isoformat()
    r = subprocess.run([*run, "purge", "--now", later, "--db", db_url, "--json"],
                       capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"idempotency_records": 1, "console_sessions": 2}
    with database.session() as session:
        session.add(IdempotencyRecord(tenant_id=service.get_tenant(session, "acme").id,
                                      key="older", request_sha256="0" * 64, method="POST",
                                      path="/provider/v1/flags", status=201, headers=[],
                                      body=b"{}", created_at=utcnow() - timedelta(days=4)))
    r = subprocess.run([*run, "jobs", "--once", "--db", db_url, "--json"],
                       capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["purged"] == {
        "idempotency_records": 1, "console_sessions": 0}
