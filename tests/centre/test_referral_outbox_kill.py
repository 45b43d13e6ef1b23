"""Kill the centre's referral delivery job (SIGKILL) mid-batch: nothing lost, nothing twice.

Referrals are forwarded over the API with its first delivery attempt switched off, so the
outbox holds every delivery; ``childshield centre deliver`` runs as a subprocess against a
slow stand-in law-enforcement endpoint, is killed while delivering, and started again.
Every referral then reached the endpoint and the file adapter; a delivery interrupted
between send and record was sent again with the same Idempotency-Key (the referral id),
so the endpoint stores it once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from centre_harness import Centre, FakeRecipient, wait_for
from sqlalchemy import func, select

from childshield.centre.config import CentreConfig
from childshield.centre.delivery import FileSink
from childshield.centre.referral_outbox import DeliveryPass, DeliveryWorker
from childshield.store.models.centre import CentreReferralDelivery

N = 16


class NoFirstAttempt(DeliveryWorker):
    """The API's immediate attempt, switched off: the job alone delivers."""

    def run_once(self, limit: int = 100, *, referral_pk: int | None = None) -> DeliveryPass:
        return DeliveryPass()


def _job(centre: Centre, db_url: str, log: Path) -> subprocess.Popen[bytes]:
    settings = centre.server.app.state.settings
    env = {**os.environ,
           "CHILDSHIELD_EVIDENCE_KEYS": settings.evidence_keys.get_secret_value(),
           "CHILDSHIELD_CENTRE_REFERRAL_DIR": str(centre.referral_dir),
           "CHILDSHIELD_CENTRE_AUTHORITY_DIRECTORY": str(settings.centre_authority_directory),
           "CHILDSHIELD_CENTRE_REFERRAL_ALLOW_HTTP": "true"}
    return subprocess.Popen(
        [sys.executable, "-m", "childshield", "centre", "deliver", "--db", db_url,
         "--lease", "3", "--interval", "0.2"],
        env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


@pytest.mark.timeout(300)
def test_sigkill_mid_batch_loses_nothing_and_duplicates_nothing(
    make_centre: Callable[..., Centre], fake_recipient: FakeRecipient, db_url: str,
    tmp_path: Path,
) -> None:
    centre = make_centre(directory=[{"id": "bka", "name": "BKA (test stand-in)",
                                     "country": "DE",
                                     "endpoint": fake_recipient.url + "/referrals"}])
    centre.server.app.state.centre_referral_worker = NoFirstAttempt(
        centre.server.database, CentreConfig(), FileSink(tmp_path / "unused"))
    referral_ids = []
    for n in range(N):
        data = centre.report(content_bytes=f"stand-in {n}".encode())
        assert centre.submit(centre.sign(data)).status_code == 201
        queue = centre.get("/centre/v1/analysis/queue", limit=500).json()
        case = next(q["case_id"] for q in queue if q["report_id"] == data["report_id"])
        r = centre.post(f"/centre/v1/analysis/reports/{case}/forward", {})
        assert r.status_code == 200, r.text
        referral_ids.append(r.json()["referral_id"])

    def undelivered() -> int:
        with centre.server.database.session() as session:
            return int(session.scalar(select(func.count()).select_from(CentreReferralDelivery)
                                      .where(CentreReferralDelivery.status != "delivered"))
                       or 0)

    assert undelivered() == 2 * N  # europol (file) and bka (http) for each
    fake_recipient.delay = 0.15
    log = tmp_path / "deliver.log"
    job = _job(centre, db_url, log)
    try:
        wait_for(lambda: len(fake_recipient.received) >= 4, 120, "the first deliveries")
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=10)
        at_kill = undelivered()
        assert 0 < at_kill < 2 * N, f"the kill should land mid-batch ({at_kill} left)"

        job = _job(centre, db_url, log)
        wait_for(lambda: undelivered() == 0, 180, "every delivery")
    finally:
        if job.poll() is None:
            job.terminate()
            job.wait(timeout=10)

    # the endpoint got every referral; any resend carried the same key and the same bytes
    by_key: dict[str, list[Any]] = {}
    for sent in fake_recipient.received:
        by_key.setdefault(sent["idempotency_key"], []).append(json.dumps(sent["body"]))
    assert sorted(by_key) == sorted(referral_ids)
    assert all(len(set(bodies)) == 1 for bodies in by_key.values())
    assert len(fake_recipient.received) <= N + 1  # at most the one cut off by the kill
    files = sorted(p.stem for p in (centre.referral_dir / "europol").glob("*.json"))
    assert files == sorted(referral_ids)


class Broken:
    """A recipient adapter that always fails."""

    name = "broken"

    def deliver(self, recipient: Any, referral_id: str, envelope: Any) -> str:
        raise OSError("recipient unreachable (test)")


def test_retries_back_off_then_give_up_and_redeliver_makes_them_due(
    centre: Centre, tmp_path: Path
) -> None:
    from datetime import timedelta

    from childshield.centre import referral_outbox

    state = centre.server.app.state
    state.centre_referral_worker = NoFirstAttempt(centre.server.database, CentreConfig(),
                                                  FileSink(tmp_path / "unused"))
    data = centre.report(location={"ip": "192.0.2.10", "country": "US"})  # Europol only
    assert centre.submit(centre.sign(data)).status_code == 201
    queue = centre.get("/centre/v1/analysis/queue", limit=500).json()
    case = next(q["case_id"] for q in queue if q["report_id"] == data["report_id"])
    referral_id = centre.post(f"/centre/v1/analysis/reports/{case}/forward", {}).json()[
        "referral_id"]
    moment = [datetime.now(UTC)]
    worker = DeliveryWorker(centre.server.database, state.centre_config, Broken(),
                            clock=lambda: moment[0])
    assert worker.run_once().retried == 1
    assert worker.run_once().retried == 0  # not due yet: backing off
    for _ in range(referral_outbox.MAX_ATTEMPTS - 1):
        moment[0] += timedelta(hours=2)
        worker.run_once()
    [entry] = centre.get(f"/centre/v1/analysis/reports/{case}").json()["referrals"][0][
        "deliveries"]
    assert (entry["status"], entry["attempts"]) == ("failed", referral_outbox.MAX_ATTEMPTS)
    assert "unreachable" in entry["error"]
    moment[0] += timedelta(hours=2)
    assert worker.run_once().failed == 0  # given up: nothing due
    r = centre.post(f"/centre/v1/referrals/{referral_id}/redeliver", {})
    assert [d["status"] for d in r.json()["deliveries"]] == ["pending"]
    good = DeliveryWorker(centre.server.database, state.centre_config,
                          FileSink(centre.referral_dir))
    assert good.run_once().delivered == 1
    assert (centre.referral_dir / "europol" / f"{referral_id}.json").exists()
