"""Kill the delivery worker (SIGKILL) mid-batch: every report still arrives exactly once.

The centre runs as its own server process on its own database; the worker runs as
``childshield provider deliver`` in a subprocess, is killed while it is delivering, and is
started again. The centre's database is then counted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from childshield.api.testing import ServerProcess
from childshield.store.db import Database
from childshield.store.models.provider_reports import ProviderOutbox

from .harness import CENTRE_KEY_ENV, Keys, Provider, centre_reports, register_at_centre

N = 30


def _worker(db_url: str, key: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "childshield", "provider", "deliver", "--db", db_url,
         "--rate", "15", "--lease", "3", "--interval", "0.2"],
        env={**os.environ, CENTRE_KEY_ENV: key}, stdout=log.open("ab"),
        stderr=subprocess.STDOUT)


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _undelivered(db: Database) -> int:
    with db.session() as session:
        return session.query(ProviderOutbox).filter(ProviderOutbox.status != "delivered").count()


@pytest.mark.timeout(300)
def test_sigkill_mid_batch_loses_nothing_and_duplicates_nothing(
    keys: Keys, database: Database, db_url: str, centre_db: Database, tmp_path: Path
) -> None:
    centre_url_db = str(centre_db.engine.url)
    centre = ServerProcess("centre", centre_url_db, env=keys.centre_env())
    worker = None
    try:
        key = register_at_centre(centre_db, keys)
        provider = Provider(database, centre.url)
        for n in range(N):
            provider.confirmed_case(f"kill-{n}")
        assert _undelivered(database) == N

        log = tmp_path / "worker.log"
        worker = _worker(db_url, key, log)
        _wait(lambda: centre_reports(centre_db)[0] >= 5, 120, "the first deliveries")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        at_kill = centre_reports(centre_db)[0]
        assert 0 < at_kill < N, f"the kill should land mid-batch (centre had {at_kill})"
        assert _undelivered(database) > 0

        worker = _worker(db_url, key, log)
        _wait(lambda: _undelivered(database) == 0, 180, "every report delivered")
        assert centre_reports(centre_db) == (N, N)  # no loss, no duplicate
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=10)
        centre.stop()
