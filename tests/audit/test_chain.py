"""The audit chain: verification finds edits, deletions, reordering; appends never fork.

Tampering is done in SQL, as an attacker with database access would.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select, text

from childshield import audit
from childshield.store.db import Database
from childshield.store.models.audit import AuditEntry


def _fill(database: Database, n: int) -> None:
    with database.session() as session:
        for i in range(n):
            audit.record(session, "cli:test", "case.view", "case", i, tenant_id=1,
                         details={"n": i, "note": "ünïcode ok"})


def _verify(database: Database) -> audit.VerifyResult:
    with database.session() as session:
        return audit.verify(session)


def _sql(database: Database, statement: str) -> None:
    with database.engine.begin() as conn:
        conn.execute(text(statement))


def test_intact_chain_verifies(database: Database) -> None:
    _fill(database, 5)
    result = _verify(database)
    assert result.ok and result.entries == 5 and result.head_seq == 5
    with database.session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert rows[0].prev_hash == "0" * 64
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))


def test_empty_log_verifies(database: Database) -> None:
    assert _verify(database).ok


@pytest.mark.parametrize(
    ("tamper", "first_bad"),
    [
        ("UPDATE audit_entries SET actor = 'user:999' WHERE seq = 3", 3),
        ("UPDATE audit_entries SET outcome = 'denied' WHERE seq = 1", 1),
        ("UPDATE audit_entries SET object_id = '0' WHERE seq = 5", 5),
        ("DELETE FROM audit_entries WHERE seq = 2", 3),
        ("DELETE FROM audit_entries WHERE seq >= 5", 5),
        ("UPDATE audit_head SET seq = 7", 7),
    ],
    ids=["edit-actor", "edit-first", "edit-last", "delete-middle", "delete-tail", "edit-head"],
)
def test_tampering_is_detected(database: Database, tamper: str, first_bad: int) -> None:
    _fill(database, 6)
    _sql(database, tamper)
    result = _verify(database)
    assert not result.ok
    assert result.first_bad_seq == first_bad, result.problem
    assert result.problem


def test_edit_with_recomputed_hash_is_still_detected(database: Database) -> None:
    """Rewriting an entry and its own hash breaks the link from the next entry."""
    _fill(database, 4)
    with database.session() as session:
        entry = session.get(AuditEntry, 2)
        assert entry is not None
        from childshield.audit.chain import entry_fields, entry_hash

        fields = entry_fields(seq=2, time=entry.time, tenant_id=entry.tenant_id, actor="x",
                              action=entry.action, object_type=entry.object_type,
                              object_id=entry.object_id, outcome=entry.outcome,
                              details=entry.details, prev_hash=entry.prev_hash)
        forged = entry_hash(fields)
    _sql(database, f"UPDATE audit_entries SET actor = 'x', hash = '{forged}' WHERE seq = 2")
    result = _verify(database)
    assert not result.ok and result.first_bad_seq == 3


def test_reordering_is_detected(database: Database) -> None:
    _fill(database, 5)
    _sql(database, "UPDATE audit_entries SET seq = 100 WHERE seq = 2")
    _sql(database, "UPDATE audit_entries SET seq = 2 WHERE seq = 3")
    _sql(database, "UPDATE audit_entries SET seq = 3 WHERE seq = 100")
    result = _verify(database)
    assert not result.ok and result.first_bad_seq == 2


def test_rolled_back_work_leaves_no_entry(database: Database) -> None:
    with pytest.raises(RuntimeError), database.session() as session:
        audit.record(session, "cli:test", "case.view", "case", 1)
        raise RuntimeError("the access failed")
    _fill(database, 1)
    result = _verify(database)
    assert result.ok and result.entries == 1


def test_floats_are_refused(database: Database) -> None:
    with pytest.raises(TypeError), database.session() as session:
        audit.record(session, "cli:test", "x", "y", details={"score": 0.5})


def test_concurrent_writers_form_one_chain(database: Database) -> None:
    writers, per_writer = 6, 15
    errors: list[BaseException] = []

    def work(w: int) -> None:
        try:
            for i in range(per_writer):
                with database.session() as session:
                    # read first, as domain code does, then append
                    session.execute(select(func.count()).select_from(AuditEntry))
                    audit.record(session, f"user:{w}", "case.view", "case", i, tenant_id=w)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    result = _verify(database)
    assert result.ok, result.problem
    assert result.entries == writers * per_writer


def test_cli_verify_names_the_first_bad_entry(db_url: str, database: Database) -> None:
    _fill(database, 4)
    ok = subprocess.run([sys.executable, "-m", "childshield", "audit", "verify", "--db", db_url,
                         "--json"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    _sql(database, "UPDATE audit_entries SET action = 'case.delete' WHERE seq = 2")
    bad = subprocess.run([sys.executable, "-m", "childshield", "audit", "verify", "--db", db_url],
                         capture_output=True, text=True)
    assert bad.returncode == 6
    assert "entry 2" in bad.stderr and "edited" in bad.stderr


def test_cli_verify_json_exit_code(db_url: str, database: Database) -> None:
    import json

    _fill(database, 3)
    _sql(database, "DELETE FROM audit_entries WHERE seq = 1")
    out = subprocess.run([sys.executable, "-m", "childshield", "audit", "verify", "--db", db_url,
                          "--json"], capture_output=True, text=True)
    assert out.returncode == 6
    assert json.loads(out.stdout)["first_bad_seq"] == 2
