"""What a scan worker computes for one file, and the two places it can run.

:func:`scan_signals` is the per-file job: the ``hash`` record (pdq, md5, sha256; vpdq for a
video) plus, for an image of sufficient quality, its robustness query variants
(``childshield.signals.robust``, when installed) computed from the same decoded picture.
Nothing here touches the database: matching happens in the parent.

Backends: :func:`run_local` (a process pool on this machine) and :func:`run_dask` (a
dask.distributed cluster; every worker needs childshield installed and the files at the same
path, e.g. a shared or network file system). Both yield ``(path, record)`` in completion
order with a bounded number of files in flight.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import Any

from childshield.signals.hashing import error_record, hash_file_and_image
from childshield.signals.pdq import LOW_QUALITY
from childshield.signals.pool import available_cores, parallel_map

Job = tuple[str, float]


def _query_variants(image: Any) -> list[list[Any]] | None:
    try:
        robust = importlib.import_module("childshield.signals.robust")
    except ImportError:
        return None
    return [_triple(v) for v in robust.query_variants(image)]


def _triple(variant: Any) -> list[Any]:
    """[label, pdq hex, quality] of a robustness variant (a dataclass or a plain tuple)."""
    if hasattr(variant, "label"):
        return [str(variant.label), str(variant.pdq), int(variant.quality)]
    return [str(variant[0]), str(variant[1]), int(variant[2])]


def scan_signals(job: Job) -> dict[str, Any]:
    """The signals of one file for a scan (picklable; runs in a worker)."""
    path, frame_interval = job
    record, image = hash_file_and_image(path, frame_interval=frame_interval)
    if image is not None and int(record.get("quality", 0)) >= LOW_QUALITY:
        try:
            variants = _query_variants(image)
        except Exception as exc:  # the robustness step must not lose the file's hashes
            record["warning"] = f"robustness variants failed: {type(exc).__name__}: {exc}"
        else:
            if variants is not None:
                record["variants"] = variants
    return record


def _crashed(job: Job) -> dict[str, Any]:
    return {"path": job[0], "error": "the decoder crashed on this file (corrupt or hostile)",
            "error_type": "corrupt-media"}


def run_local(jobs: Iterable[Job], *, workers: int | None = None
              ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Run :func:`scan_signals` on a local process pool (``workers`` default: all cores)."""
    for job, record in parallel_map(scan_signals, jobs, workers=workers or available_cores(),
                                    ordered=False, on_crash=_crashed):
        yield job[0], record


def run_dask(jobs: Iterable[Job], address: str, *, window: int | None = None
             ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Run :func:`scan_signals` on the dask.distributed scheduler at ``address``."""
    from childshield._optional import require

    distributed = require("distributed")
    client = distributed.Client(address, set_as_default=False)
    try:
        limit = window or max(8, 4 * sum(client.nthreads().values()))
        source = iter(jobs)
        in_flight: dict[Any, str] = {}

        def submit_next() -> Any:
            job = next(source, None)
            if job is None:
                return None
            future = client.submit(scan_signals, job, pure=False)
            in_flight[future] = job[0]
            return future

        first = [f for f in (submit_next() for _ in range(limit)) if f is not None]
        if not first:
            return
        pending = distributed.as_completed(first, loop=client.loop)
        for future in pending:
            path = in_flight.pop(future)
            try:
                record = future.result()
            except Exception as exc:  # a worker lost, or the job raised on the cluster
                record = error_record(path, exc)
            yield path, record
            following = submit_next()
            if following is not None:
                pending.add(following)
    finally:
        client.close()


__all__ = ["Job", "run_dask", "run_local", "scan_signals"]
