"""Art. 12(2) notices, Art. 14 deadlines and Art. 22 retention, on a controlled clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from childshield.api.testing import free_port
from childshield.crypto.keyring import EvidenceKey, EvidenceKeyring
from childshield.crypto.signing import sign_document
from childshield.exchange.report_status import CentreAnswer, Instruction
from childshield.provider.answers import apply_answer
from childshield.provider.evidence import open_content
from childshield.provider.notices import schedule_notices
from childshield.provider.orders import order_view, store_order
from childshield.provider.retention import add_hold, rewrap_evidence, run_retention
from childshield.settings import get_settings
from childshield.store.db import Database
from childshield.store.models.provider import ProviderCase, ProviderCaseContent
from childshield.store.models.provider_reports import ProviderNotice, ProviderReport
from childshield.store.tenancy import TenantScope

from .harness import Keys, Provider


@pytest.fixture
def provider(keys: Keys, database: Database) -> Provider:
    # no centre needed: these tests never deliver
    return Provider(database, f"http://127.0.0.1:{free_port()}")


def _report(db: Database) -> ProviderReport:
    with db.session() as session:
        report = session.query(ProviderReport).one()
        report.delivery = "delivered"  # as if the worker had delivered it
        session.flush()
        session.expunge(report)
        return report


def _created(report: ProviderReport) -> datetime:
    return report.created_at.replace(tzinfo=UTC) if report.created_at.tzinfo is None \
        else report.created_at


def test_notice_after_three_months_unless_do_not_inform(provider: Provider) -> None:
    provider.confirmed_case("u1")
    report = _report(provider.database)
    t0 = _created(report)
    assert schedule_notices(provider.database, now=t0 + timedelta(days=30)) == 0
    instruction = Instruction(kind="do_not_inform", until=t0 + timedelta(days=200),
                              issued_at=t0 + timedelta(days=1), issued_by="Test police")
    with provider.database.session() as session:
        row = session.get(ProviderReport, report.id)
        assert row is not None
        apply_answer(row, CentreAnswer(report_id=row.report_id, status="assessed",
                                       updated=t0 + timedelta(days=1),
                                       instructions=[instruction]), t0)
    assert schedule_notices(provider.database, now=t0 + timedelta(days=93)) == 0
    assert schedule_notices(provider.database, now=t0 + timedelta(days=201)) == 1
    assert schedule_notices(provider.database, now=t0 + timedelta(days=202)) == 0  # once
    with provider.database.session() as session:
        notice = session.query(ProviderNotice).one()
        assert (notice.user_id, notice.reason) == ("user-u1", "three_months")
        assert "how_we_became_aware" in notice.content and "redress" in notice.content


def test_retention_deletes_after_12_months_unless_held(provider: Provider) -> None:
    held_case = provider.confirmed_case("r-held")
    provider.confirmed_case("r-free")
    with provider.database.session() as session:
        reports = session.query(ProviderReport).order_by(ProviderReport.id).all()
        t0 = max(_created(r) for r in reports)
        scope = TenantScope(session, provider.supervisor.tenant_id)
        add_hold(scope, provider.supervisor, held_case, until=t0 + timedelta(days=540),
                 reason="court order 12/2027 asks to keep it")
    assert run_retention(provider.database, now=t0 + timedelta(days=360))["purged"] == 0
    result = run_retention(provider.database, now=t0 + timedelta(days=367))
    assert (result["purged"], result["held"], result["content_items_deleted"]) == (1, 1, 1)
    with provider.database.session() as session:
        free = session.query(ProviderCase).filter_by(content_key="r-free").one()
        assert free.context == {} and free.signals == {}
        content = session.query(ProviderCaseContent).filter_by(case_id=free.id).one()
        assert content.ciphertext is None and content.deleted_at is not None
        held = session.query(ProviderCase).filter_by(content_key="r-held").one()
        assert held.context["user"]["id"] == "user-r-held"
    later = run_retention(provider.database, now=t0 + timedelta(days=541))
    assert later["purged"] == 1


def test_rewrap_moves_evidence_to_the_new_key(provider: Provider, keys: Keys,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    provider.open_case("k1")
    new = EvidenceKey.generate("pk2").to_spec()
    monkeypatch.setenv("CHILDSHIELD_EVIDENCE_KEYS", f"{keys.provider_evidence},{new}")
    get_settings.cache_clear()
    assert rewrap_evidence(provider.database)["rewrapped"] == 1
    assert rewrap_evidence(provider.database)["rewrapped"] == 0
    only_new = EvidenceKeyring.parse(new)
    with provider.database.session() as session:
        row = session.query(ProviderCaseContent).one()
        assert row.key_id == "pk2"
        assert open_content(only_new, row) == b"benign-test-image-bytes"


def test_removal_order_deadline_alert(provider: Provider, keys: Keys) -> None:
    t0 = datetime(2027, 3, 1, 12, tzinfo=UTC)
    order = {"format": "childshield.removal-order/1", "order_id": "ord-1",
             "provider_id": "demo-host", "issuing_authority": "Test authority",
             "member_state": "BE", "legal_basis": "Art. 14", "reasons": "test",
             "items": [{"url": "https://demo-host.example/x"}],
             "registered_at": t0.isoformat(), "deadline": (t0 + timedelta(hours=24)).isoformat()}
    envelope = sign_document(order, keys.centre_signer, typ="childshield.removal-order/1",
                             created=t0)
    forged = sign_document(order | {"order_id": "ord-2"}, keys.provider_signer,
                           typ="childshield.removal-order/1", created=t0)
    with provider.database.session() as session:
        row = store_order(session, provider.reviewer.tenant_id, envelope,
                          keys.centre_signer.trusted("centre"), t0)
        assert row is not None
        with pytest.raises(Exception, match=r"(?i)key|signature"):
            store_order(session, provider.reviewer.tenant_id, forged,
                        keys.centre_signer.trusted("centre"), t0)
        early = order_view(row, now=t0 + timedelta(hours=1))
        assert (early["alert"], early["overdue"]) == (False, False)
        late = order_view(row, now=t0 + timedelta(hours=21))
        assert (late["alert"], late["overdue"], late["seconds_left"]) == (True, False, 3 * 3600)
        assert order_view(row, now=t0 + timedelta(hours=25))["overdue"] is True
