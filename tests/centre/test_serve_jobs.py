"""``childshield serve --role centre`` retries referral delivery by itself
(``CHILDSHIELD_JOBS_INTERVAL_S``): a referral whose recipient endpoint was down when it was
forwarded reaches it once the endpoint is up, exactly once, with no ``centre deliver``
running; two server processes (one with two workers) on one database still deliver each
referral once; with the interval at 0 nothing runs in the background and ``centre
deliver`` does the job as before. Stand-in reports only (SAFETY.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from centre_harness import FakeRecipient, build_report, wait_for
from sqlalchemy import select

from childshield.api.testing import ServerProcess, add_tenant_with_key, bearer, free_port
from childshield.centre import providers
from childshield.crypto.keyring import EvidenceKey
from childshield.crypto.sealing import SealingKey
from childshield.crypto.signing import SigningKey, sign_document
from childshield.exchange.report import REPORT_TYPE
from childshield.store import open_database
from childshield.store.models.centre import CentreReferral, CentreReferralDelivery


@dataclass
class Setup:
    db_url: str
    env: dict[str, str]
    provider_key: str
    analyst_key: str
    signer: SigningKey
    sealing: SealingKey
    endpoint_port: int
    referral_dir: Path

    def serve(self, interval: str, *args: str) -> ServerProcess:
        return ServerProcess("centre", self.db_url,
                             env={**self.env, "CHILDSHIELD_JOBS_INTERVAL_S": interval},
                             args=args, up_timeout=60)

    def forward(self, url: str, http: httpx.Client) -> str:
        """Submit a stand-in report from Germany and forward it (to BKA and Europol)."""
        envelope = sign_document(build_report(self.sealing.public_key, provider_id="env-host",
                                              content_bytes=uuid.uuid4().bytes),
                                 self.signer, typ=REPORT_TYPE)
        r = http.post(url + "/centre/v1/reports", json=envelope,
                      headers={**bearer(self.provider_key), "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
        queue = http.get(url + "/centre/v1/analysis/queue", params={"limit": 500},
                         headers=bearer(self.analyst_key)).json()
        case = next(q["case_id"] for q in queue
                    if q["report_id"] == envelope["payload"]["report_id"])
        r = http.post(url + f"/centre/v1/analysis/reports/{case}/forward", json={},
                      headers={**bearer(self.analyst_key), "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 200, r.text
        return str(r.json()["referral_id"])

    def bka_rows(self) -> dict[str, tuple[str, int]]:
        """referral id -> (status, attempts) of its delivery to the HTTP endpoint."""
        database = open_database(self.db_url)
        try:
            with database.session() as session:
                rows = session.execute(
                    select(CentreReferral.referral_id, CentreReferralDelivery.status,
                           CentreReferralDelivery.attempts)
                    .join(CentreReferral,
                          CentreReferral.id == CentreReferralDelivery.referral_pk)
                    .where(CentreReferralDelivery.recipient == "bka")).all()
            return {r[0]: (r[1], r[2]) for r in rows}
        finally:
            database.dispose()


@pytest.fixture
def setup(db_url: str, tmp_path: Path) -> Setup:
    signer, sealing = SigningKey.generate(), SealingKey.generate()
    database = open_database(db_url)
    with database.session() as session:
        row = providers.register_provider(session, "env-host", contact="abuse@env.example",
                                          public_keys=[signer.public_base64], actor="test")
        provider_key = providers.issue_api_key(session, row, actor="test")
    analyst_key = add_tenant_with_key(database, "eu-centre", "centre", ["analyst"])
    database.dispose()
    port = free_port()
    directory = tmp_path / "authorities.json"
    directory.write_text(json.dumps([{"id": "bka", "name": "BKA (test stand-in)",
                                      "country": "DE",
                                      "endpoint": f"http://127.0.0.1:{port}/referrals"}]))
    env = {
        "CHILDSHIELD_SIGNING_KEY": SigningKey.generate().to_base64(),
        "CHILDSHIELD_EVIDENCE_KEYS": EvidenceKey.generate("ek-1").to_spec(),
        "CHILDSHIELD_CENTRE_PRIVATE_KEY": sealing.to_base64(),
        "CHILDSHIELD_CENTRE_REFERRAL_DIR": str(tmp_path / "out"),
        "CHILDSHIELD_CENTRE_AUTHORITY_DIRECTORY": str(directory),
        "CHILDSHIELD_CENTRE_REFERRAL_ALLOW_HTTP": "true",
    }
    return Setup(db_url, env, provider_key, analyst_key, signer, sealing, port,
                 tmp_path / "out")


@pytest.fixture
def serve(setup: Setup) -> Iterator[Callable[..., ServerProcess]]:
    """``serve(interval, *args)``: a ``childshield serve --role centre`` process (stopped
    after the test)."""
    started: list[ServerProcess] = []

    def start(interval: str, *args: str) -> ServerProcess:
        started.append(setup.serve(interval, *args))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def _forward_while_down(setup: Setup, urls: list[str], count: int = 1) -> list[str]:
    """Forward ``count`` referrals (through ``urls`` in turn) while the endpoint is down;
    return once the API's own attempt at each has failed."""
    with httpx.Client(timeout=30) as http:
        ids = [setup.forward(urls[n % len(urls)], http) for n in range(count)]
    wait_for(lambda: all(setup.bka_rows()[r][1] >= 1 for r in ids), 60, "the first attempts")
    assert {setup.bka_rows()[r][0] for r in ids} == {"pending"}
    return ids


def _keys(recipient: FakeRecipient) -> list[str]:
    return sorted(str(sent["idempotency_key"]) for sent in recipient.received)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_delivers_a_failed_referral_once_the_endpoint_is_up(
    setup: Setup, serve: Callable[..., ServerProcess], workers: str
) -> None:
    server = serve("0.5", "--workers", workers)
    [referral_id] = _forward_while_down(setup, [server.url])
    assert (setup.referral_dir / "europol" / f"{referral_id}.json").exists()
    time.sleep(1.0)  # a tick or two with the endpoint still down: retried, nothing lost
    assert setup.bka_rows()[referral_id][0] == "pending"
    recipient = FakeRecipient(setup.endpoint_port)
    try:
        wait_for(lambda: setup.bka_rows()[referral_id][0] == "delivered", 60,
                 "the server to deliver the referral by itself")
        time.sleep(2.0)  # several more ticks: nothing is sent again
        assert _keys(recipient) == [referral_id]
    finally:
        recipient.stop()
    server.process.terminate()  # uvicorn's graceful shutdown runs the app's lifespan exit
    server.process.wait(timeout=120)
    output = server.output()
    assert "Application shutdown complete" in output
    assert "still running" not in output


@pytest.mark.timeout(300)
def test_two_servers_and_two_workers_on_one_database_deliver_once(
    setup: Setup, serve: Callable[..., ServerProcess]
) -> None:
    urls = [serve("0.2", "--workers", "2").url, serve("0.2").url]
    referral_ids = _forward_while_down(setup, urls, 6)
    recipient = FakeRecipient(setup.endpoint_port)
    try:
        wait_for(lambda: all(s == "delivered" for s, _ in setup.bka_rows().values()), 120,
                 "every referral to be delivered")
        time.sleep(2.0)
        assert _keys(recipient) == sorted(referral_ids)  # each exactly once
    finally:
        recipient.stop()


@pytest.mark.timeout(240)
def test_interval_zero_runs_nothing_and_centre_deliver_still_works(
    setup: Setup, serve: Callable[..., ServerProcess]
) -> None:
    [referral_id] = _forward_while_down(setup, [serve("0").url])
    recipient = FakeRecipient(setup.endpoint_port)
    try:
        time.sleep(6.0)  # past the first backoff (at most 2 s) and then some
        assert setup.bka_rows()[referral_id] == ("pending", 1)
        assert recipient.received == []
        done = subprocess.run(
            [sys.executable, "-m", "childshield", "centre", "deliver", "--once", "--json",
             "--db", setup.db_url], env={**os.environ, **setup.env},
            capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.splitlines()[-1])["delivered"] == 1
        assert setup.bka_rows()[referral_id][0] == "delivered"
        assert _keys(recipient) == [referral_id]
    finally:
        recipient.stop()


def test_the_jobs_thread_stops_with_the_app(sqlite_url: str, tmp_path: Path) -> None:
    """In process, with the lifespan on: the thread runs ticks and is gone after shutdown."""
    import uvicorn

    from childshield.api.app import create_app
    from childshield.api.jobs import THREAD_NAME
    from childshield.settings import Settings

    database = open_database(sqlite_url)
    app = create_app("all", database, Settings(jobs_interval_s=0.05,
                                               centre_referral_dir=tmp_path / "out"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on",
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, 20, "uvicorn")
        jobs: Any = app.state.background_jobs
        wait_for(lambda: jobs.ticks >= 3, 30, "three rounds")
        assert any(t.name == THREAD_NAME for t in threading.enumerate())
    finally:
        server.should_exit = True
        thread.join(30)
        database.dispose()
    assert not thread.is_alive()
    assert not jobs.alive
    assert all(t.name != THREAD_NAME for t in threading.enumerate())
