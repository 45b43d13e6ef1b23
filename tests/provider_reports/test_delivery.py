"""Confirmed cases become signed reports that reach the centre exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from childshield.api.testing import LiveServer
from childshield.crypto.canonical import parse_json
from childshield.exchange.report import open_item, verify_report
from childshield.provider import reports as reports_mod
from childshield.provider.delivery import Outcome, Worker
from childshield.store import provider_reports as repo
from childshield.store.db import Database
from childshield.store.models.base import utcnow
from childshield.store.models.provider_reports import ProviderOutbox, ProviderReport

from .harness import CENTRE_KEY_ENV, Keys, Provider, centre_reports


def _rows(db: Database) -> list[ProviderOutbox]:
    with db.session() as session:
        rows = list(session.query(ProviderOutbox).order_by(ProviderOutbox.id))
        session.expunge_all()
        return rows


def test_confirmed_case_is_a_signed_sealed_art13_report(provider: Provider, keys: Keys) -> None:
    case_id = provider.confirmed_case("a")
    [row] = _rows(provider.database)
    assert row.status == "pending" and row.destination == "centre"
    assert row.body is not None
    verified = verify_report(parse_json(row.body), [keys.provider_signer.trusted("demo-host")])
    report = verified.report
    assert report.abuse_type == "known" and report.provider.id == "demo-host"
    assert report.human_review.reviewer == "alice@acme.example"
    assert report.users[0].user_id == "user-a" and str(report.location.ip) == "192.0.2.7"
    assert report.content[0].matched_indicators[0].bank == "test-indicators"
    assert open_item(report, report.content[0], keys.sealing) == b"benign-test-image-bytes"
    assert b"benign-test-image-bytes" not in row.body  # sealed, never in the clear
    with provider.database.session() as session:
        assert repo.report_of_case(session, provider.reviewer.tenant_id, case_id) is not None


def test_report_rolls_back_with_the_decision(provider: Provider, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A confirmed case without its report must not exist (the outbox is transactional)."""
    case_id = provider.open_case("b")

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full")

    monkeypatch.setattr(reports_mod.outbox, "enqueue", broken)
    with pytest.raises(RuntimeError):
        provider.confirm(case_id)
    assert _rows(provider.database) == []
    with provider.database.session() as session:
        assert repo.case(session, case_id).status != "confirmed"  # type: ignore[union-attr]


def test_delivered_once_even_when_the_worker_dies_after_sending(
    provider: Provider, centre: LiveServer, centre_db: Database
) -> None:
    for key in ("c1", "c2", "c3"):
        provider.confirmed_case(key)

    class Crash(Exception):
        pass

    def die(row: ProviderOutbox, outcome: Outcome) -> None:
        raise Crash  # the centre has the report; we never record that

    worker = Worker(provider.database, after_send=die)
    with pytest.raises(Crash):
        worker.run_once()
    worker.close()
    assert centre_reports(centre_db) == (1, 1)
    # the lease of the dead worker ran out: a new worker resends the same bytes and key
    early = Worker(provider.database).run_once()
    assert early.delivered == 2  # the dead worker's row is still leased to it
    late = Worker(provider.database, clock=lambda: utcnow() + timedelta(minutes=3))
    assert late.run_once().delivered == 1  # answered from the centre's idempotency record
    late.close()
    assert centre_reports(centre_db) == (3, 3)
    assert {r.status for r in _rows(provider.database)} == {"delivered"}
    with provider.database.session() as session:
        assert {r.delivery for r in session.query(ProviderReport)} == {"delivered"}


def test_unreachable_centre_is_retried_with_backoff(make_provider, keys: Keys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from childshield.api.testing import free_port

    monkeypatch.setenv(CENTRE_KEY_ENV, "csk_wrong")
    provider = make_provider(f"http://127.0.0.1:{free_port()}")
    provider.confirmed_case("d")
    result = Worker(provider.database, timeout=2).run_once()
    assert result.retried == 1 and result.delivered == 0
    [row] = _rows(provider.database)
    assert row.status == "pending" and row.attempts == 1
    assert "could not reach the centre" in (row.last_error or "")
    assert row.next_attempt_at > row.created_at
    assert Worker(provider.database).run_once().retried == 0  # not due yet


def test_reconcile_reports_a_case_confirmed_without_the_handler(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A decision made where the reports module was not loaded still gets its report."""
    from childshield.provider import cases

    monkeypatch.setattr(cases, "_CONFIRMED", [])
    case_id = provider.confirmed_case("r1")
    assert _rows(provider.database) == []
    with provider.database.session() as session:
        assert reports_mod.reconcile(session) == 1
        assert reports_mod.reconcile(session) == 0
        report = repo.report_of_case(session, provider.reviewer.tenant_id, case_id)
        assert report is not None and report.delivery == "queued"
    assert [r.status for r in _rows(provider.database)] == ["pending"]
