"""NCMEC CyberTipline reports from the same outbox, against the local fake."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from tests.exchange.ncmec_fake import PASSWORD, USER, FakeCyberTipline, RunningFake, serve

from childshield.api.testing import LiveServer
from childshield.exchange.ncmec.client import CyberTiplineClient, ReportProgress
from childshield.provider.delivery import Worker
from childshield.provider.ncmec import ncmec_sender
from childshield.store.models.base import utcnow
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
    assert "retract" not in running.fake.calls  # the open report is kept and resumed
    with provider.database.session() as session:
        row = session.query(ProviderOutbox).filter_by(destination="ncmec").one()
        row.next_attempt_at = row.created_at  # due again now
    assert worker.run_once().delivered == 1
    finished = [r for r in running.fake.reports.values() if r.finished]
    assert len(finished) == 1 and len(finished[0].files) == 1
    assert len(running.fake.reports) == 1 and running.fake.calls.count("submit") == 1
    with provider.database.session() as session:
        report = session.query(ProviderReport).one()
        assert report.ncmec_status == "reported"
        assert report.ncmec_reference == finished[0].report_id
    assert worker.run_once().delivered == 0  # never sent twice


class Crash(BaseException):
    """The worker process dies (nothing after this point runs)."""


@pytest.mark.parametrize("when", ["before upload", "before fileinfo", "before finish",
                                  "after finish answered"])
def test_a_worker_killed_between_steps_resumes_the_same_report(
    make_provider: Callable[..., Provider], centre: LiveServer, running: RunningFake,
    when: str,
) -> None:
    """Guards against a second CyberTipline report for one case: NCMEC has no
    idempotency key, so the report id and each finished step are committed as they happen
    and the next worker carries on from there."""
    provider = make_provider(centre.url, ncmec=True)
    provider.confirmed_case("n2")
    moment, _, step = when.partition(" ")
    step = step.split()[0]

    class DyingClient(CyberTiplineClient):
        def _call(self, name: str, method: str, path: str, **kwargs: Any) -> Any:
            if moment == "before" and name == step:
                raise Crash(when)
            answer = super()._call(name, method, path, **kwargs)
            if moment == "after" and name == step:
                raise Crash(when)  # NCMEC did it; nothing of it was recorded here
            return answer

    def dying() -> CyberTiplineClient:
        return DyingClient(username=USER, password=PASSWORD, environment="test",
                           base_url=running.base_url)

    def healthy() -> CyberTiplineClient:
        return CyberTiplineClient(username=USER, password=PASSWORD, environment="test",
                                  base_url=running.base_url)

    with pytest.raises(Crash):
        Worker(provider.database, ncmec=ncmec_sender(dying)).run_once()
    later = Worker(provider.database, ncmec=ncmec_sender(healthy),
                   clock=lambda: utcnow() + timedelta(hours=1))  # the lease has expired
    assert later.run_once().delivered >= 1

    fake = running.fake
    assert fake.calls.count("submit") == 1 and len(fake.reports) == 1  # one report, ever
    [made] = fake.reports.values()
    assert made.finished and not made.retracted and len(made.files) == 1
    assert len(made.details) == 1
    with provider.database.session() as session:
        report = session.query(ProviderReport).one()
        assert (report.ncmec_status, report.ncmec_reference) == ("reported", made.report_id)
        row = session.query(ProviderOutbox).filter_by(destination="ncmec").one()
        assert row.status == "delivered" and row.response["report_id"] == made.report_id
    assert later.run_once().delivered == 0  # never sent again


def test_a_permanent_failure_withdraws_the_open_report_and_starts_over(
    make_provider: Callable[..., Provider], centre: LiveServer, running: RunningFake
) -> None:
    provider = make_provider(centre.url, ncmec=True)
    provider.confirmed_case("n3")

    def client() -> CyberTiplineClient:
        return CyberTiplineClient(username=USER, password=PASSWORD, environment="test",
                                  base_url=running.base_url)

    running.fake.fail_next["fileinfo"] = (400, 4100)  # our document was refused
    worker = Worker(provider.database, ncmec=ncmec_sender(client))
    assert worker.run_once().failed == 1
    [withdrawn] = running.fake.reports.values()
    assert withdrawn.retracted
    with provider.database.session() as session:
        row = session.query(ProviderOutbox).filter_by(destination="ncmec").one()
        assert row.response == {"ncmec_progress": ReportProgress().to_json()}
