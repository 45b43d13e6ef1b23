"""``childshield provider ...`` verbs as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from childshield.store.db import Database
from childshield.store.models.provider_reports import ProviderReport

from .harness import Keys, Provider


def _cli(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "childshield", "provider", *args,
                           "--db", db_url, "--json"], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120)


def test_profile_refuses_plain_http_and_retention_runs_with_a_clock(
    keys: Keys, database: Database, db_url: str
) -> None:
    provider = Provider(database, "http://127.0.0.1:9")
    provider.confirmed_case("cli-1")
    r = _cli("profile", "set", "acme", "--provider-id", "demo-host", "--name", "Demo",
             "--address", "1 Street", "--email", "a@b.example", "--country", "BE",
             "--centre-url", "http://centre.example", "--centre-key-env", "X", db_url=db_url)
    assert r.returncode != 0 and "not HTTPS" in r.stdout + r.stderr
    with database.session() as session:
        made = session.query(ProviderReport).one().created_at
    soon = (made + timedelta(days=30)).isoformat()
    if "+" not in soon:
        soon += "+00:00"
    r = _cli("retention", "run", "--now", soon, db_url=db_url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["purged"] == 0
    later = (made + timedelta(days=400)).isoformat()
    if "+" not in later:
        later += "+00:00"
    assert json.loads(_cli("retention", "run", "--now", later, db_url=db_url).stdout)[
        "purged"] == 1
    r = _cli("retention", "run", "--now", "yesterday", db_url=db_url)
    assert r.returncode != 0 and "ISO 8601" in r.stdout + r.stderr


def test_jobs_once_reports_each_job(keys: Keys, database: Database, db_url: str) -> None:
    Provider(database, "http://127.0.0.1:9")
    r = _cli("jobs", "--once", db_url=db_url)
    assert r.returncode == 0, r.stderr
    line = json.loads(r.stdout.splitlines()[-1])
    assert set(line) == {"reconciled", "answers", "orders", "victim_notices", "notices",
                         "retention", "purged", "delivery"}
    assert line["notices"] == 0 and line["retention"]["purged"] == 0
    # the centre key variable is unset: said per job, not a crash
    assert any("CHILDSHIELD_TEST_CENTRE_API_KEY" in e for e in line["answers"]["errors"])
