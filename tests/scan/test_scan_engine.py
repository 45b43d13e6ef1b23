"""The scan engine with a small stand-in matcher: JSONL lines, summary, resume, Dask."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from scandata import make_folder

from childshield.errors import ConflictError, NotFoundError
from childshield.scan import scan, walk
from childshield.signals import hash_file


class IndicatorSet:
    """Stand-in matcher: matches a record whose PDQ is within 31 bits of a test indicator."""

    def __init__(self, indicator_hashes: list[str]) -> None:
        self.hashes = indicator_hashes
        self.calls = 0

    def __call__(self, record: dict[str, Any]) -> list[dict[str, Any]]:
        self.calls += 1
        found = []
        for i, value in enumerate(self.hashes):
            distance = (int(value, 16) ^ int(record["pdq"], 16)).bit_count()
            if distance <= 31:
                found.append({"bank": "test-indicators", "indicator": i, "signal": "pdq",
                              "distance": distance, "source": None})
        return found


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, list[Path]]:
    root = tmp_path / "media"
    return root, make_folder(root, 12)


def test_scan_writes_one_line_a_file_and_a_summary(folder: tuple[Path, list[Path]],
                                                   tmp_path: Path) -> None:
    root, paths = folder
    matcher = IndicatorSet([str(hash_file(paths[4])["pdq"])])
    out = tmp_path / "results.jsonl"
    summary = scan(root, matcher, bank="test-indicators", out=out, workers=2)
    rows = lines(out)
    assert rows[0]["scan"]["bank"] == "test-indicators"
    by_path = {r["path"]: r for r in rows[1:]}
    assert set(by_path) == {str(p.resolve()) for p in paths}
    assert by_path[str(paths[4].resolve())]["matches"][0]["distance"] == 0
    assert by_path[str((root / "empty.jpg").resolve())]["error"] == "empty file (0 bytes)"
    assert set(by_path[str(paths[0].resolve())]) >= {"md5", "sha256", "pdq", "quality",
                                                      "matches"}
    assert "variants" not in by_path[str(paths[0].resolve())]
    assert (summary.files, summary.scanned, summary.skipped) == (14, 14, 0)
    assert summary.errors == 2 and summary.matched >= 1
    assert matcher.calls == 12  # matching only for hashed files, in this process


def test_resume_skips_done_files_and_drops_a_cut_line(folder: tuple[Path, list[Path]],
                                                      tmp_path: Path) -> None:
    root, _ = folder
    matcher = IndicatorSet([])
    out = tmp_path / "results.jsonl"
    scan(root, matcher, bank="b", out=out, workers=1)
    full = out.read_text().splitlines(keepends=True)
    # as if killed after 5 files, in the middle of writing the 6th line
    out.write_text("".join(full[:6]) + full[6][:25])
    summary = scan(root, matcher, bank="b", out=out, workers=1)
    assert (summary.skipped, summary.scanned) == (5, 9)
    rows = lines(out)
    assert len(rows) == 15 and len({r["path"] for r in rows[1:]}) == 14


def test_results_file_of_another_scan_is_refused(folder: tuple[Path, list[Path]],
                                                 tmp_path: Path) -> None:
    root, _ = folder
    out = tmp_path / "results.jsonl"
    scan(root, IndicatorSet([]), bank="first", out=out, workers=1)
    with pytest.raises(ConflictError, match="another scan"):
        scan(root, IndicatorSet([]), bank="second", out=out, workers=1)


def test_results_file_inside_the_folder_is_not_scanned(tmp_path: Path) -> None:
    root = tmp_path / "media"
    make_folder(root, 3, bad=False)
    out = root / "results.jsonl"
    scan(root, IndicatorSet([]), out=out, workers=1)
    summary = scan(root, IndicatorSet([]), out=out, workers=1)
    assert summary.files == 3 and summary.skipped == 3


def test_without_out_results_stream_to_the_sink(folder: tuple[Path, list[Path]]) -> None:
    root, _ = folder
    sink = io.StringIO()
    summary = scan(root, IndicatorSet([]), sink=sink, workers=1)
    assert len(sink.getvalue().splitlines()) == summary.files == 14


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such folder"):
        walk(tmp_path / "nope")


def test_dask_cluster_gives_the_same_results(folder: tuple[Path, list[Path]],
                                             tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    root, paths = folder
    matcher = IndicatorSet([str(hash_file(paths[1])["pdq"])])
    scan(root, matcher, out=tmp_path / "local.jsonl", workers=1)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        summary = scan(root, matcher, out=tmp_path / "dask.jsonl",
                       dask=cluster.scheduler_address)
    local = sorted(lines(tmp_path / "local.jsonl")[1:], key=lambda r: r["path"])
    remote = sorted(lines(tmp_path / "dask.jsonl")[1:], key=lambda r: r["path"])
    assert remote == local
    assert summary.scanned == 14 and summary.matched >= 1
