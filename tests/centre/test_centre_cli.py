"""``childshield centre ...``: provider registration and statistics from the command line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from childshield.cli import app
from childshield.crypto.signing import SigningKey
from childshield.exitcodes import ExitCode

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_provider_add_list_and_key_rotation(db_url: str) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    code, out = _run("centre", "provider", "add", "acme-host", "--public-key",
                     old.public_base64, "--contact", "abuse@acme.example", "--country", "NL",
                     "--db", db_url, "--json")
    assert code == 0, out
    added = json.loads(out)
    assert added["provider_id"] == "acme-host" and added["country"] == "NL"
    assert [k["kid"] for k in added["keys"]] == [old.kid]
    assert added["api_key"].startswith("csk_")

    code, out = _run("centre", "provider", "add", "acme-host", "--public-key",
                     old.public_base64, "--contact", "x", "--db", db_url)
    assert code == ExitCode.CONFLICT and "already a registered provider" in out

    code, out = _run("centre", "provider", "add", "bad-host", "--public-key", "not-base64",
                     "--contact", "x", "--db", db_url)
    assert code == ExitCode.BAD_INPUT and "bad public key" in out

    assert _run("centre", "provider", "add-key", "acme-host", "--public-key",
                new.public_base64, "--db", db_url)[0] == 0
    assert _run("centre", "provider", "revoke-key", "acme-host", "--kid", old.kid,
                "--db", db_url)[0] == 0
    code, out = _run("centre", "provider", "list", "--db", db_url, "--json")
    [listed] = [json.loads(line) for line in out.splitlines()]
    states = {k["kid"]: k["revoked_at"] is None for k in listed["keys"]}
    assert states == {old.kid: False, new.kid: True}


def test_stats_json_and_csv(db_url: str, tmp_path: Path) -> None:
    target = tmp_path / "stats.csv"
    code, out = _run("centre", "stats", "--json", "--csv", str(target), "--db", db_url)
    assert code == 0, out
    figures = json.loads(out)
    assert figures["reports"]["total"] == 0
    assert figures["manifestly_unfounded"]["share"] is None
    rows = list(csv.reader(target.open()))
    assert rows[0] == ["section", "key", "value"]
    assert ["removal_orders", "issued", "0"] in rows
