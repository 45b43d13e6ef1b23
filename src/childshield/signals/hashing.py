"""Files -> DESIGN.md's ``hash`` records, one file at a time or a batch on all cores.

A record is ``{"path", "media", "md5", "sha256", "pdq", "quality"}``; videos (through
:mod:`childshield.signals.vpdq`, when installed) add ``"vpdq": [{"frame", "time", "pdq",
"quality"}]``. A hash of quality below 50 gets ``"low_quality": true`` and a ``"warning"``.
A file that cannot be hashed gives ``{"path", "error", "error_type"}`` instead, and never
stops a batch.
"""

from __future__ import annotations

import importlib
import logging
import os
import stat
from collections.abc import Iterable, Iterator, Sized
from pathlib import Path
from typing import Any

from PIL import Image

from childshield.errors import (
    ChildshieldError,
    CorruptMediaError,
    MediaTooLargeError,
    UnsupportedMediaError,
)
from childshield.settings import get_settings
from childshield.signals.crypto_hashes import digests_of_bytes, file_digests
from childshield.signals.media import load_image_for_pdq, sniff
from childshield.signals.pdq import LOW_QUALITY, pdq_from_image
from childshield.signals.pool import parallel_map

log = logging.getLogger(__name__)

IN_MEMORY_LIMIT = 64 * 1024 * 1024
"""Image files up to this size are read once and hashed and decoded from memory."""
LOW_QUALITY_WARNING = (
    "PDQ quality {quality} is below 50: the image is flat, tiny or nearly uniform, so its "
    "PDQ hash is unreliable and is not used for near-duplicate matching"
)


def error_record(path: str | Path, error: BaseException) -> dict[str, Any]:
    """The per-file error record of the ``hash`` output."""
    if isinstance(error, ChildshieldError):
        return {"path": str(path), "error": error.message, "error_type": error.slug}
    if isinstance(error, OSError):
        reason = error.strerror or str(error)
        return {"path": str(path), "error": f"cannot read file: {reason}",
                "error_type": "unreadable-file"}
    return {"path": str(path), "error": f"internal error: {type(error).__name__}: {error}",
            "error_type": "internal-error"}


def _check_file(path: Path) -> int:
    info = path.stat()
    if stat.S_ISDIR(info.st_mode):
        raise UnsupportedMediaError("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise UnsupportedMediaError("not a regular file (device, pipe or socket)")
    if info.st_size == 0:
        raise CorruptMediaError("empty file (0 bytes)")
    limit = get_settings().max_file_bytes
    if info.st_size > limit:
        raise MediaTooLargeError(
            f"file is {info.st_size:,} bytes, over the limit of {limit:,} "
            "(setting CHILDSHIELD_MAX_FILE_BYTES)"
        )
    return info.st_size


def _hash_video(path: Path, frame_interval: float) -> dict[str, Any]:
    try:
        vpdq = importlib.import_module("childshield.signals.vpdq")
    except ImportError:
        raise UnsupportedMediaError(
            "this is a video, and video hashing (vpdq) is not available in this installation"
        ) from None
    record: dict[str, Any] = vpdq.hash_video(path, frame_interval=frame_interval)
    record["path"] = str(path)
    return record


def _hash_image(path: Path, size: int) -> tuple[dict[str, Any], Image.Image]:
    if size <= IN_MEMORY_LIMIT:
        data = path.read_bytes()
        md5, sha256 = digests_of_bytes(data)
        image = load_image_for_pdq(data)
        del data
    else:
        md5, sha256 = file_digests(path)
        image = load_image_for_pdq(path)
    pdq, quality = pdq_from_image(image)
    record: dict[str, Any] = {"path": str(path), "media": "image", "md5": md5,
                              "sha256": sha256, "pdq": pdq, "quality": quality}
    if quality < LOW_QUALITY:
        record["low_quality"] = True
        record["warning"] = LOW_QUALITY_WARNING.format(quality=quality)
    return record, image


def hash_file_and_image(
    path: str | Path, *, frame_interval: float = 1.0
) -> tuple[dict[str, Any], Image.Image | None]:
    """:func:`hash_file`'s record and, for an image, the decoded (reduced) picture it was
    hashed from, so that further signals (robustness variants) need no second decode."""
    p = Path(path)
    try:
        size = _check_file(p)
        with open(p, "rb") as fh:
            kind, _ = sniff(fh.read(512))
        if kind == "video":
            return _hash_video(p, frame_interval), None
        record, image = _hash_image(p, size)
    except Exception as exc:  # one bad file must never stop a batch
        if not isinstance(exc, (ChildshieldError, OSError)):
            log.warning("unexpected error hashing a file", exc_info=True)
        return error_record(path, exc), None
    record["path"] = str(path)
    return record, image


def hash_file(path: str | Path, *, frame_interval: float = 1.0) -> dict[str, Any]:
    """DESIGN.md's ``hash`` record for one file; an error record if it cannot be hashed."""
    return hash_file_and_image(path, frame_interval=frame_interval)[0]


def _job(args: tuple[str, float]) -> dict[str, Any]:
    path, frame_interval = args
    return hash_file(path, frame_interval=frame_interval)


def _crashed(args: tuple[str, float]) -> dict[str, Any]:
    return {"path": args[0], "error": "the decoder crashed on this file (corrupt or hostile)",
            "error_type": "corrupt-media"}


def hash_files(
    paths: Iterable[str | Path],
    *,
    workers: int | None = None,
    frame_interval: float = 1.0,
) -> Iterator[dict[str, Any]]:
    """Hash many files on ``workers`` processes (default: all cores), records in input order."""
    if isinstance(paths, Sized) and len(paths) < 2:
        workers = 1  # no pool start-up for a single file
    jobs = ((os.fspath(p), frame_interval) for p in paths)
    for _, record in parallel_map(_job, jobs, workers=workers, ordered=True, on_crash=_crashed):
        yield record


__all__ = ["IN_MEMORY_LIMIT", "error_record", "hash_file", "hash_file_and_image", "hash_files"]
