"""``childshield scan`` end to end: a real bank in SQLite, a process killed mid-scan, and the
resumed run finishing the job with every file exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from scandata import drawn_picture, make_folder

from childshield.exitcodes import ExitCode
from childshield.signals import hash_file


def cli(*args: str, db: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "childshield", *args, "--db", db],
        capture_output=True, text=True, timeout=300, check=check,
    )


def result_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def bank_db(tmp_path: Path, sqlite_url: str) -> tuple[str, Path]:
    """A bank "test-indicators" holding the PDQ of one drawn picture, imported from a
    python-threatexchange style file."""
    indicator = tmp_path / "indicator.png"
    drawn_picture(7).save(indicator)
    lines = tmp_path / "indicators.txt"
    lines.write_text(f"pdq {hash_file(indicator)['pdq']}\n")
    cli("bank", "create", "test-indicators", db=sqlite_url, check=True)
    cli("bank", "import", "test-indicators", str(lines), db=sqlite_url, check=True)
    return sqlite_url, indicator


def test_scan_matches_and_summarises(tmp_path: Path, bank_db: tuple[str, Path]) -> None:
    db, _ = bank_db
    root = tmp_path / "media"
    paths = make_folder(root, 10)  # picture 7 is the indicator's picture
    out = tmp_path / "results.jsonl"
    done = cli("scan", str(root), "--bank", "test-indicators", "--out", str(out),
               "--workers", "2", "--json", db=db)
    assert done.returncode == ExitCode.ITEM_ERRORS, done.stderr  # two bad files
    summary = json.loads(done.stdout.splitlines()[-1])["summary"]
    assert summary["files"] == 12 and summary["errors"] == 2 and summary["matched"] == 1
    rows = {r["path"]: r for r in result_lines(out)[1:]}
    matched = rows[str(paths[7].resolve())]["matches"]
    assert matched[0]["bank"] == "test-indicators" and matched[0]["distance"] == 0
    assert all(not r.get("matches") for p, r in rows.items() if p != str(paths[7].resolve()))


def test_unknown_bank_fails_before_scanning(tmp_path: Path, bank_db: tuple[str, Path]) -> None:
    db, _ = bank_db
    make_folder(tmp_path / "media", 2)
    done = cli("scan", str(tmp_path / "media"), "--bank", "no-such-bank",
               "--out", str(tmp_path / "r.jsonl"), db=db)
    assert done.returncode == ExitCode.NOT_FOUND
    assert "no bank named 'no-such-bank'" in done.stderr
    assert not (tmp_path / "r.jsonl").exists()


@pytest.mark.slow
def test_killed_scan_resumes_where_it_stopped(tmp_path: Path, bank_db: tuple[str, Path]) -> None:
    db, _ = bank_db
    root = tmp_path / "media"
    paths = make_folder(root, 60, bad=False)
    out = tmp_path / "results.jsonl"
    args = [sys.executable, "-m", "childshield", "scan", str(root), "--bank",
            "test-indicators", "--out", str(out), "--workers", "1", "--db", db]
    first = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        for _ in range(6000):  # wait until a few files are done (at most ~5 minutes)
            if (out.exists() and out.read_text().count("\n") >= 6) or first.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the scanner and its worker processes
        first.wait()
    assert first.returncode == -signal.SIGKILL, "the scan must be killed, not finish"
    done_before = len(result_lines(out)) - 1
    assert 5 <= done_before < len(paths), "killed mid-scan"

    second = subprocess.run([*args[:-2], "--json", "--db", db], capture_output=True,
                            text=True, timeout=600)
    assert second.returncode == ExitCode.OK, second.stderr
    summary = json.loads(second.stdout.splitlines()[-1])["summary"]
    assert summary["skipped"] == done_before
    assert summary["scanned"] == len(paths) - done_before
    assert summary["matched"] == 1
    rows = result_lines(out)[1:]
    assert sorted(r["path"] for r in rows) == sorted(str(p.resolve()) for p in paths)


def test_workers_robust_variants_find_a_mirrored_copy(tmp_path: Path, sqlite_url: str) -> None:
    """The workers compute the robustness query variants and the parent matches them: a
    mirrored copy of an indicator picture (plain PDQ ~half the bits away) is found."""
    from PIL import Image

    indicator = tmp_path / "indicator.png"
    drawn_picture(11, (480, 360)).save(indicator)
    cli("bank", "create", "test-indicators", db=sqlite_url, check=True)
    cli("bank", "add", "test-indicators", str(indicator), db=sqlite_url, check=True)
    root = tmp_path / "media"
    root.mkdir()
    mirrored = root / "mirrored.jpg"
    Image.open(indicator).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(mirrored, quality=90)
    drawn_picture(12, (480, 360)).save(root / "unrelated.png")
    plain = (int(hash_file(indicator)["pdq"], 16) ^ int(hash_file(mirrored)["pdq"], 16))
    assert plain.bit_count() > 31, "plain PDQ alone must miss the mirrored copy"
    out = tmp_path / "results.jsonl"
    done = cli("scan", str(root), "--bank", "test-indicators", "--out", str(out), db=sqlite_url)
    assert done.returncode == ExitCode.OK, done.stderr
    rows = {Path(r["path"]).name: r for r in result_lines(out)[1:]}
    assert rows["mirrored.jpg"]["matches"], "the mirrored copy must match"
    assert rows["unrelated.png"]["matches"] == []
