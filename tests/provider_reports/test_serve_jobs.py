"""``childshield serve --role provider`` runs the provider's jobs by itself
(``CHILDSHIELD_JOBS_INTERVAL_S``): a confirmed case's report reaches the centre (over
loopback HTTP) with nothing but the server running; two server processes (one with two
workers) on one database send each report once; at 0 nothing runs in the background.
Stand-in content only (SAFETY.md)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from childshield.api.app import create_app
from childshield.api.testing import LiveServer, ServerProcess
from childshield.store.db import Database

from .harness import CENTRE_KEY_ENV, Keys, Provider, centre_reports, register_at_centre


class CountReports:
    """ASGI middleware: counts the centre's report intake POSTs by Idempotency-Key."""

    def __init__(self, app: Any, seen: Counter[str]) -> None:
        self.app, self.seen = app, seen

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"] == "/centre/v1/reports"):
            headers = dict(scope["headers"])
            self.seen[headers.get(b"idempotency-key", b"").decode()] += 1
        await self.app(scope, receive, send)


@pytest.fixture
def counted_centre(keys: Keys, centre_db: Database, monkeypatch: pytest.MonkeyPatch
                   ) -> Iterator[tuple[LiveServer, Counter[str]]]:
    seen: Counter[str] = Counter()
    app = create_app("centre", centre_db, keys.centre_settings())
    app.add_middleware(CountReports, seen=seen)
    server = LiveServer.start(app=app)
    monkeypatch.setenv(CENTRE_KEY_ENV, register_at_centre(centre_db, keys))
    yield server, seen
    server.stop()


def _serve(db_url: str, interval: str) -> ServerProcess:
    return ServerProcess("provider", db_url, env={"CHILDSHIELD_JOBS_INTERVAL_S": interval},
                         up_timeout=60)


@pytest.mark.timeout(240)
def test_serve_alone_delivers_a_confirmed_report(
    provider: Provider, centre: LiveServer, centre_db: Database, db_url: str
) -> None:
    provider.confirmed_case("serve-jobs-1")
    assert centre_reports(centre_db) == (0, 0)
    server = _serve(db_url, "0.5")
    try:
        deadline = time.monotonic() + 90
        while centre_reports(centre_db) != (1, 1):
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
        time.sleep(1.5)  # more rounds: the report is not sent again
        assert centre_reports(centre_db) == (1, 1)
    finally:
        server.stop()


@pytest.mark.timeout(240)
def test_interval_zero_runs_no_jobs(
    provider: Provider, centre: LiveServer, centre_db: Database, db_url: str
) -> None:
    provider.confirmed_case("serve-jobs-2")
    server = _serve(db_url, "0")
    try:
        time.sleep(4.0)
        assert centre_reports(centre_db) == (0, 0)
    finally:
        server.stop()


@pytest.mark.timeout(300)
def test_two_servers_and_two_workers_send_each_report_once(
    keys: Keys, database: Database, db_url: str, centre_db: Database,
    counted_centre: tuple[LiveServer, Counter[str]],
) -> None:
    server, seen = counted_centre
    provider = Provider(database, server.url)
    for n in range(8):
        provider.confirmed_case(f"serve-jobs-race-{n}")
    servers = [ServerProcess("provider", db_url, env={"CHILDSHIELD_JOBS_INTERVAL_S": "0.2"},
                             args=("--workers", "2"), up_timeout=90)]
    try:
        servers.append(_serve(db_url, "0.2"))
        deadline = time.monotonic() + 120
        while centre_reports(centre_db) != (8, 8):
            assert time.monotonic() < deadline, servers[0].output()
            time.sleep(0.2)
        time.sleep(2.0)  # ten more rounds in each process
    finally:
        for running in servers:
            running.stop()
    assert len(seen) == 8
    assert set(seen.values()) == {1}, seen  # every report POSTed exactly once


def test_a_failing_job_is_logged_without_its_message_and_the_rest_run_on(
    database: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from childshield.api.jobs import start_jobs
    from childshield.provider import jobs as provider_jobs
    from childshield.settings import Settings

    ran: list[int] = []

    def broken(*_: Any) -> Any:
        raise ValueError("sha256 0123abcd of a stand-in item")  # what must not be logged

    def counting(*_: Any) -> dict[str, Any]:
        ran.append(1)
        return {"errors": ["outbox 7: HTTP 503"]}

    monkeypatch.setattr(provider_jobs, "STEPS", (("broken", broken), ("counting", counting)))
    app = create_app("provider", database, Settings(jobs_interval_s=0.05))
    with caplog.at_level("WARNING", logger="childshield.api.jobs"):
        jobs = start_jobs(app)
        assert jobs is not None
        deadline = time.monotonic() + 30
        while jobs.ticks < 3:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        jobs.stop()
    assert not jobs.alive
    assert len(ran) >= 3  # the job after the failing one ran every round
    text = caplog.text
    assert "provider jobs: broken failed (ValueError)" in text
    assert "counting (1)" in text
    assert "0123abcd" not in text and "503" not in text
    assert start_jobs(create_app("provider", database, Settings(jobs_interval_s=0))) is None
