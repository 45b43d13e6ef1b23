"""Scan a folder: hash every file in parallel, match each in this process, write JSONL.

Output (``out``): a header line ``{"scan": {"root", "bank", "started"}}``, then one line a
file, flushed as soon as it is known::

    {"path", "media", "md5", "sha256", "pdq", "quality", "matches": [...]}   # or
    {"path", "error", "error_type"}

Resuming: run again with the same ``out`` and every file already in it is skipped (a line cut
short by a kill is dropped and that file is done again). The header must name the same root
and bank, so one results file never mixes two scans.

Matching is a parameter: ``matcher(record) -> [match dict, ...]``, called in this process for
each successfully hashed file (the CLI passes the bank matcher, tests a small stand-in).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from childshield.errors import ConflictError, NotFoundError
from childshield.scan.workers import Job, run_dask, run_local

RecordMatcher = Callable[[dict[str, Any]], list[dict[str, Any]]]
ProgressHook = Callable[[int, int, dict[str, Any]], None]
"""progress(done, total, line): after each file (done counts skipped files too)."""
SUMMARY_KEYS = ("md5", "sha256", "pdq", "quality", "media", "low_quality")


@dataclass
class ScanSummary:
    files: int
    """Files under the root (this run and earlier runs of the same scan)."""
    scanned: int
    """Files scanned by this run."""
    skipped: int
    """Files already in the results file from an earlier, interrupted run."""
    matched: int
    """Files with at least one match (whole scan)."""
    errors: int
    """Files that could not be hashed (whole scan)."""
    seconds: float
    files_per_second: float
    out: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def walk(root: Path, *, exclude: Path | None = None) -> list[Path]:
    """Every regular file under ``root`` (sorted, hidden ones included, symlinked folders not
    followed), except ``exclude`` (the results file, if it lives under the root)."""
    if not root.is_dir():
        raise NotFoundError(f"no such folder: {root}")
    skip = exclude.resolve() if exclude is not None else None
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if skip is not None and path.resolve() == skip:
                continue
            if path.is_file():
                found.append(path)
    return found


@dataclass
class _Previous:
    done: set[str]
    matched: int
    errors: int


def _header(root: Path, bank: str | None) -> dict[str, Any]:
    return {"root": str(root.resolve()), "bank": bank}


def _read_previous(out: Path, root: Path, bank: str | None) -> _Previous:
    """Files already in ``out``; drops a trailing partial line (the process was killed while
    writing it) so that appending continues on a clean line."""
    previous = _Previous(set(), 0, 0)
    if not out.exists() or out.stat().st_size == 0:
        return previous
    good_bytes = 0
    with open(out, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                line = json.loads(raw)
            except ValueError:
                break
            good_bytes += len(raw)
            if "scan" in line:
                wanted = _header(root, bank)
                got = {k: line["scan"].get(k) for k in wanted}
                if got != wanted:
                    raise ConflictError(
                        f"{out} holds results of another scan ({got['root']}, bank "
                        f"{got['bank']!r}); use another --out file"
                    )
                continue
            previous.done.add(line["path"])
            previous.errors += "error" in line
            previous.matched += bool(line.get("matches"))
    if good_bytes < out.stat().st_size:
        with open(out, "r+b") as fh:
            fh.truncate(good_bytes)
    return previous


def result_line(record: dict[str, Any], matcher: RecordMatcher) -> dict[str, Any]:
    """The JSONL line of one scanned file: its hash summary and matches, or its error."""
    if "error" in record:
        return {k: record[k] for k in ("path", "error", "error_type") if k in record}
    line: dict[str, Any] = {"path": record["path"]}
    line.update({k: record[k] for k in SUMMARY_KEYS if k in record})
    if record.get("vpdq") is not None:
        line["frames"] = len(record["vpdq"])
    try:
        line["matches"] = matcher(record)
    except Exception as exc:  # e.g. a malformed value: report for this file, go on
        return {"path": record["path"], "error": f"matching failed: {exc}",
                "error_type": "match-error"}
    if record.get("warning"):
        line["warning"] = record["warning"]
    return line


def _results(jobs: list[Job], workers: int | None, dask: str | None
             ) -> Iterator[tuple[str, dict[str, Any]]]:
    if dask:
        return run_dask(jobs, dask)
    return run_local(jobs, workers=workers)


def scan(
    root: Path,
    matcher: RecordMatcher,
    *,
    bank: str | None = None,
    out: Path | None = None,
    sink: IO[str] | None = None,
    workers: int | None = None,
    dask: str | None = None,
    frame_interval: float = 1.0,
    progress: ProgressHook | None = None,
) -> ScanSummary:
    """Scan ``root``; results go to ``out`` (resumable) or, without it, to ``sink``."""
    started = time.monotonic()
    root = Path(root).resolve()  # absolute paths: stable across resumes and cluster workers
    files = walk(root, exclude=out)
    previous = _read_previous(out, root, bank) if out is not None else _Previous(set(), 0, 0)
    todo = [(str(p), frame_interval) for p in files if str(p) not in previous.done]
    skipped = len(files) - len(todo)
    matched, errors, scanned = previous.matched, previous.errors, 0
    handle: IO[str] | None = None
    try:
        if out is not None:
            new_file = not out.exists() or out.stat().st_size == 0
            handle = open(out, "a", encoding="utf-8")  # noqa: SIM115 - closed in finally
            if new_file:
                stamp = datetime.now(UTC).isoformat(timespec="seconds")
                _write(handle, {"scan": {**_header(root, bank), "started": stamp}})
        target = handle or sink
        for _, record in _results(todo, workers, dask):
            line = result_line(record, matcher)
            scanned += 1
            errors += "error" in line
            matched += bool(line.get("matches"))
            if target is not None:
                _write(target, line)
            if progress is not None:
                progress(skipped + scanned, len(files), line)
    finally:
        if handle is not None:
            handle.close()
    seconds = time.monotonic() - started
    return ScanSummary(
        files=len(files), scanned=scanned, skipped=skipped, matched=matched, errors=errors,
        seconds=round(seconds, 3),
        files_per_second=round(scanned / seconds, 2) if seconds > 0 else 0.0,
        out=str(out) if out is not None else None,
    )


def _write(target: IO[str], line: dict[str, Any]) -> None:
    target.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    target.flush()


__all__ = ["RecordMatcher", "ScanSummary", "result_line", "scan", "walk"]
