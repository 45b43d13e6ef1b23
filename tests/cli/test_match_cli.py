"""``childshield match``: files and hash lists, in input order, with per-item errors."""

from __future__ import annotations

import json
from pathlib import Path

from bank_images import draw_scene, edited
from typer.testing import CliRunner

from childshield.cli import app
from childshield.exitcodes import ExitCode


def run(*args: str, db: str, stdin: str | None = None) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(app, [*args, "--db", db, "--json"], input=stdin)
    return result.exit_code, [json.loads(x) for x in result.stdout.splitlines()]


def test_match_files(db_url: str, tmp_path: Path) -> None:
    run("bank", "create", "test-indicators", db=db_url)
    run("bank", "create", "other", db=db_url)
    originals = [draw_scene(tmp_path / f"scene{i}.png", i) for i in range(3)]
    code, added = run("bank", "add", "test-indicators", *map(str, originals[:2]), db=db_url)
    assert code == 0
    pdq_ids = [line["indicators"][0] for line in added]  # type: ignore[index]
    copy = edited(originals[0], tmp_path / "copy.jpg", scale=0.6, quality=70)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    code, results = run(
        "match", str(copy), str(broken), str(originals[2]), str(originals[1]), db=db_url
    )
    assert code == ExitCode.ITEM_ERRORS
    assert [r["path"] for r in results] == [
        str(copy),
        str(broken),
        str(originals[2]),
        str(originals[1]),
    ]
    (hit,) = results[0]["matches"]  # type: ignore[misc]
    assert (hit["bank"], hit["indicator"], hit["signal"], hit["source"]) == (
        "test-indicators",
        pdq_ids[0],
        "pdq",
        str(originals[0]),
    )
    assert 0 <= hit["distance"] <= 31
    assert "error" in results[1]
    assert results[2]["matches"] == []  # an unrelated image
    # the original itself: pdq, md5 and sha256 indicators, one entry each, distance 0
    assert sorted((m["signal"], m["distance"]) for m in results[3]["matches"]) == [  # type: ignore[attr-defined]
        ("md5", 0),
        ("pdq", 0),
        ("sha256", 0),
    ]
    code, results = run("match", str(copy), "--bank", "other", db=db_url)
    assert (code, results[0]["matches"]) == (0, [])
    code, _ = run("match", str(copy), "--bank", "missing", db=db_url)
    assert code == ExitCode.NOT_FOUND


def test_match_hash_list_in_input_order(db_url: str, tmp_path: Path) -> None:
    run("bank", "create", "test-indicators", "--threshold", "16", db=db_url)
    base = "f" * 64
    near = "0" * 2 + "f" * 62  # 8 bits away
    far = "0" * 5 + "f" * 59  # 20 bits away
    pytx = tmp_path / "list.txt"
    pytx.write_text(f"pdq {base}\n")
    run("bank", "import", "test-indicators", str(pytx), db=db_url)
    queries = tmp_path / "queries.txt"
    queries.write_text(f"{far}\n{near}\n\nnot-a-hash\n{base.upper()}\n")
    code, results = run("match", "--signal", "pdq", "--hashes", str(queries), db=db_url)
    assert code == ExitCode.ITEM_ERRORS
    assert [r["query"] for r in results] == [far, near, "not-a-hash", base.upper()]
    assert results[0]["matches"] == []
    assert [m["distance"] for m in results[1]["matches"]] == [8]  # type: ignore[union-attr]
    assert results[2]["line"] == 4 and "64 hex digits" in str(results[2]["error"])
    assert [m["distance"] for m in results[3]["matches"]] == [0]  # type: ignore[union-attr]
    # stdin, and exit 0 when every line is good
    code, results = run("match", "--hashes", "-", db=db_url, stdin=f"{near}\n")
    assert code == 0 and len(results) == 1


def test_match_md5_hash_list_and_usage(db_url: str, tmp_path: Path) -> None:
    run("bank", "create", "test-indicators", db=db_url)
    md5 = "cab08b36195edb1a1231d2d09fa450e0"
    pytx = tmp_path / "list.txt"
    pytx.write_text(f"video_md5 {md5}\n")
    run("bank", "import", "test-indicators", str(pytx), db=db_url)
    queries = tmp_path / "q.txt"
    queries.write_text(f"{md5}\n{'0' * 32}\n")
    code, results = run("match", "--signal", "md5", "--hashes", str(queries), db=db_url)
    assert code == 0
    assert [[m["signal"] for m in r["matches"]] for r in results] == [["md5"], []]  # type: ignore[union-attr]
    code, _ = run("match", str(queries), "--hashes", str(queries), db=db_url)
    assert code == ExitCode.USAGE
    code, _ = run("match", "--signal", "tmk", "--hashes", str(queries), db=db_url)
    assert code == ExitCode.BAD_INPUT
