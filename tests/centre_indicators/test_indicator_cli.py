"""``childshield centre indicator add|withdraw|list|scope`` on a local centre database."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from typing import Any

from childshield.centre import providers
from childshield.crypto.signing import SigningKey
from childshield.exitcodes import ExitCode
from childshield.store import open_database


def run(db: str, *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run([sys.executable, "-m", "childshield", "centre", "indicator", *args,
                           "--db", db, "--json"], capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)
    return done.returncode, [json.loads(x) for x in done.stdout.splitlines() if x.strip()]


def test_add_withdraw_list_and_scope(sqlite_url: str) -> None:
    md5 = hashlib.md5(b"stand-in file one").hexdigest()
    code, out = run(sqlite_url, "add", "--authority", "police-de", "--kind", "known_material",
                    "--signal", "md5", "--value", md5, "--material-reference", "CASE-3",
                    "--how-generated", "md5 of the confirmed file")
    assert code == 0, out
    added = out[0]
    assert added["provenance"]["authority"] == "police-de" and added["status"] == "active"

    code, out = run(sqlite_url, "add", "--authority", "police-de", "--kind", "known_material",
                    "--signal", "md5", "--value", "abc", "--material-reference", "CASE-3",
                    "--how-generated", "md5", "--unconfirmed")
    assert code == ExitCode.BAD_INPUT and "confirmed" in out[0]["error"]

    code, out = run(sqlite_url, "withdraw", added["indicator_id"], "--reason", "re-examined")
    assert code == 0 and out[0]["withdrawal"]["reason"] == "re-examined"
    code, out = run(sqlite_url, "withdraw", added["indicator_id"], "--reason", "again")
    assert code == ExitCode.CONFLICT

    code, out = run(sqlite_url, "list", "--status", "withdrawn")
    assert code == 0 and [o["indicator_id"] for o in out] == [added["indicator_id"]]

    code, out = run(sqlite_url, "scope", "nobody", "known", "--signal", "md5", "--media",
                    "image", "--basis", "order DO-1")
    assert code == ExitCode.NOT_FOUND
    database = open_database(sqlite_url)
    with database.session() as session:
        providers.register_provider(session, "demo-host", contact="abuse@demo-host.example",
                                    public_keys=[SigningKey.generate().public_base64],
                                    actor="test")
    database.dispose()
    code, out = run(sqlite_url, "scope", "demo-host", "known", "--signal", "md5", "--media",
                    "image", "--basis", "order DO-1")
    assert code == 0 and out[0]["signals"] == ["md5"] and out[0]["basis"] == "order DO-1"
