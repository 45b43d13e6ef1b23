"""``childshield bank ...`` end to end: exit codes, JSON lines, all-or-nothing imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bank_images import draw_scene, flat
from typer.testing import CliRunner

from childshield.cli import app
from childshield.exitcodes import ExitCode

PDQ = [f"{i:02x}" * 32 for i in range(1, 4)]


def run(*args: str, db: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(app, [*args, "--db", db, "--json"])
    lines = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    return result.exit_code, lines, result.stdout


def test_create_and_list(db_url: str) -> None:
    code, (created,), _ = run("bank", "create", "test-indicators", "--threshold", "20", db=db_url)
    assert code == 0 and created["threshold"] == 20 and created["kind"] == "known_material"
    code, (error,), _ = run("bank", "create", "test-indicators", db=db_url)
    assert code == ExitCode.CONFLICT and "already exists" in str(error["error"])
    code, _, _ = run("bank", "create", "x", "--kind", "nonsense", db=db_url)
    assert code == ExitCode.BAD_INPUT
    code, banks, _ = run("bank", "list", db=db_url)
    assert [(b["name"], b["active"]) for b in banks] == [("test-indicators", 0)]


def test_add_files_keeps_going_past_bad_files(sqlite_url: str, tmp_path: Path) -> None:
    run("bank", "create", "test-indicators", db=sqlite_url)
    good = draw_scene(tmp_path / "a.png", 1)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.png"
    broken.write_bytes(good.read_bytes()[:100])
    plain = flat(tmp_path / "flat.png")
    code, lines, _ = run(
        "bank",
        "add",
        "test-indicators",
        str(empty),
        str(good),
        str(broken),
        str(plain),
        db=sqlite_url,
    )
    assert code == ExitCode.ITEM_ERRORS
    assert [line["path"] for line in lines] == [str(empty), str(good), str(broken), str(plain)]
    assert "error" in lines[0] and "error" in lines[2]
    assert len(lines[1]["indicators"]) == 3  # type: ignore[arg-type]  # pdq, md5, sha256
    assert len(lines[3]["indicators"]) == 2  # type: ignore[arg-type]  # no PDQ: quality 0
    assert "quality" in str(lines[3]["warnings"])
    # adding the same file again creates nothing new
    code, (again,), _ = run("bank", "add", "test-indicators", str(good), db=sqlite_url)
    assert code == 0 and again["indicators"] == lines[1]["indicators"]
    code, _, _ = run("bank", "add", "missing-bank", str(good), db=sqlite_url)
    assert code == ExitCode.NOT_FOUND


def test_import_is_all_or_nothing(db_url: str, tmp_path: Path) -> None:
    run("bank", "create", "test-indicators", db=db_url)
    bad = tmp_path / "bad.txt"
    bad.write_text(f"pdq {PDQ[0]}\npdq {PDQ[1]}x\n\nvideo_md5 1234\n")
    code, lines, _ = run("bank", "import", "test-indicators", str(bad), db=db_url)
    assert code == ExitCode.BAD_INPUT
    assert [(x.get("line"), x.get("error")) for x in lines[:2]] == [
        (2, "pdq value must be 64 hex digits, got 65 characters"),
        (4, "md5 value must be 32 hex digits, got 4 characters"),
    ]
    assert "2 malformed lines, nothing imported" in str(lines[-1]["error"])
    assert run("bank", "list", db=db_url)[1][0]["active"] == 0
    code, _, _ = run("bank", "import", "test-indicators", str(tmp_path / "nope"), db=db_url)
    assert code == ExitCode.NOT_FOUND


def test_import_export_withdraw(db_url: str, tmp_path: Path) -> None:
    run("bank", "create", "test-indicators", db=db_url)
    good = tmp_path / "list.txt"
    good.write_text("".join(f"pdq {h}\n" for h in PDQ))
    code, (summary,), _ = run("bank", "import", "test-indicators", str(good), db=db_url)
    assert code == 0 and (summary["created"], summary["format"]) == (3, "pytx")
    exported = tmp_path / "out.jsonl"
    code, _, _ = run(
        "bank", "export", "test-indicators", "--format", "jsonl", "--out", str(exported), db=db_url
    )
    records = [json.loads(x) for x in exported.read_text().splitlines()]
    assert [r["value"] for r in records] == PDQ
    assert {r["source"] for r in records} == {str(good)}
    ids = [str(r["id"]) for r in records]
    code, (result,), _ = run(
        "bank", "withdraw", "test-indicators", ids[0], "--reason", "test", db=db_url
    )
    assert code == 0 and result["withdrawn"] == [int(ids[0])]
    code, _, _ = run("bank", "withdraw", "test-indicators", "999", db=db_url)
    assert code == ExitCode.NOT_FOUND
    result = CliRunner().invoke(app, ["bank", "export", "test-indicators", "--db", db_url])
    assert result.stdout == "".join(f"pdq {h}\n" for h in PDQ[1:])
    # the JSONL export (with the withdrawal) imports into another bank as it was
    run("bank", "create", "copy", db=db_url)
    run("bank", "export", "test-indicators", "--format", "jsonl", "--out", str(exported), db=db_url)
    code, (summary,), _ = run("bank", "import", "copy", str(exported), db=db_url)
    assert (code, summary["format"], summary["created"]) == (0, "jsonl", 3)
    banks = {b["name"]: b for b in run("bank", "list", db=db_url)[1]}
    assert (banks["copy"]["active"], banks["copy"]["withdrawn"]) == (2, 1)


@pytest.mark.slow
def test_real_command_line(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it (default database under the data dir)."""

    def cs(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "childshield", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert cs("bank", "create", "test-indicators").returncode == 0
    listed = cs("bank", "list", "--json")
    assert json.loads(listed.stdout)["name"] == "test-indicators"
    missing = cs("bank", "export", "nope")
    assert missing.returncode == ExitCode.NOT_FOUND and "no bank named 'nope'" in missing.stderr
