"""``childshield serve --role provider`` runs the provider's jobs by itself
(``CHILDSHIELD_JOBS_INTERVAL_S``): a confirmed case's report reaches the centre (over
loopback HTTP) with nothing but the server running; at 0 nothing runs in the background.
Stand-in content only (SAFETY.md)."""

from __future__ import annotations

import time

import pytest

from childshield.api.testing import LiveServer, ServerProcess
from childshield.store.db import Database

from .harness import Provider, centre_reports


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
