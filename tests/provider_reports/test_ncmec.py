"""NCMEC CyberTipline reports from the same outbox, against the local fake."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from tests.exchange.ncmec_fake import PASSWORD, USER, FakeCyberTipline, RunningFake, serve

from childshield.api.testing import LiveServer
from childshield.exchange.ncmec.client import CyberTiplineClient
from childshield.provider.delivery import Worker
from childshield.provider.ncmec import ncmec_sender
from childshield.store.models.provider_reports import ProviderOutbox, ProviderReport

from .harness import Provider


@pytest.fixture
def running() -> Iterator[RunningFake]:
    yield from serve(FakeCyberTipline())


def test_ncmec_report_made_once_with_its_file_after_a_failed_attempt(
    make_provider: Callable[..., Provider], centre: LiveServer, running: RunningFake
) -> None:
    provider = make_provider(centre.url, ncmec=True)
    provider.confirmed_case("n1")
    with provider.database.session() as session:
        rows = session.query(ProviderOutbox).order_by(ProviderOutbox.id).all()
        assert [(r.destination, r.kind) for r in rows] == [("centre", "report"),
                                                          ("ncmec", "ncmec_report")]

    def client() -> CyberTiplineClient:
        return CyberTiplineClient(username=USER, password=PASSWORD, environment="test",
                                  base_url=running.base_url)

    running.fake.fail_next["upload"] = (500, 1000)  # NCMEC server error: retry later
    worker = Worker(provider.database, ncmec=ncmec_sender(client))
    first = worker.run_once()
    assert (first.delivered, first.retried) == (1, 1)
    assert "retract" in running.fake.calls  # the half-made report was withdrawn
    with provider.database.session() as session:
        row = session.query(ProviderOutbox).filter_by(destination="ncmec").one()
        row.next_attempt_at = row.created_at  # due again now
    assert worker.run_once().delivered == 1
    finished = [r for r in running.fake.reports.values() if r.finished]
    assert len(finished) == 1 and len(finished[0].files) == 1
    with provider.database.session() as session:
        report = session.query(ProviderReport).one()
        assert report.ncmec_status == "reported"
        assert report.ncmec_reference == finished[0].report_id
    assert worker.run_once().delivered == 0  # never sent twice
