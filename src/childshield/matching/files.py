"""Files in, indicators or matches out: the glue between signals and banks.

``bank add`` turns each file into indicators and keeps no content, only the hashes and the
file path as the source: an image gives a ``pdq`` indicator (its hash plus robustness
variants), ``md5`` and ``sha256``; a video gives a ``vpdq`` indicator with a ``frame`` row (and
frame variants) for every frame, ``md5`` and ``sha256``. ``match`` hashes each file and asks
the :class:`~childshield.matching.matcher.Matcher` (images: every robustness query variant;
videos: frames once a second, aggregated with vPDQ semantics by
:class:`~childshield.matching.video_search.VideoMatcher`). One bad file gives an error record
for that file; the rest of the batch goes on.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from childshield import __version__
from childshield.errors import ChildshieldError
from childshield.exchange.indicator_record import HashRecord, IndicatorRecord
from childshield.matching.matcher import Match, Matcher, PdqQuery, best_per_indicator
from childshield.matching.service import BankService, current_user
from childshield.signals import robust
from childshield.signals.hashing import error_record, hash_file
from childshield.signals.media import load_image_for_pdq
from childshield.store.banks import Provenance

LOW_QUALITY = 50
HashFn = Callable[[Path], dict[str, Any]]
T = TypeVar("T")


def _error(path: Path, exc: Exception) -> dict[str, Any]:
    if isinstance(exc, ChildshieldError):
        return {"path": str(path), "error": exc.message, "error_type": exc.slug}
    return {"path": str(path), "error": str(exc), "error_type": "corrupt-media"}


def _each_file(
    paths: Iterable[Path], hasher: HashFn, step: Callable[[dict[str, Any]], T]
) -> Iterator[tuple[dict[str, Any], T | None]]:
    """(hash record, step(record)) a file; (error record, None) for a file that cannot be
    hashed, or whose image the robustness step cannot decode. The batch always goes on."""
    for path in paths:
        record = hasher(path)
        if "error" in record:
            yield record, None
            continue
        try:
            result = step(record)
        except (ChildshieldError, OSError, ValueError) as exc:
            yield _error(path, exc), None
            continue
        yield record, result


def _hash_video(path: Path, every_frame: bool) -> dict[str, Any] | None:
    """A video's hash record with frame robustness variants; None when video support (the
    ``video`` extra) is missing, so the plain hasher reports that."""
    try:
        from childshield.signals import vpdq
    except ImportError:
        return None
    if not vpdq.looks_like_video(path):
        return None
    interval = vpdq.INDICATOR_FRAME_INTERVAL if every_frame else vpdq.DEFAULT_FRAME_INTERVAL
    try:
        return vpdq.hash_video(path, frame_interval=interval, robust=True)
    except (ChildshieldError, OSError) as exc:
        return error_record(path, exc)


def hash_for_indicator(path: Path) -> dict[str, Any]:
    """What ``bank add`` stores of a file: images as ``hash``; videos every frame."""
    return _hash_video(Path(path), every_frame=True) or hash_file(path)


def hash_for_query(path: Path) -> dict[str, Any]:
    """What ``match`` looks up for a file: images as ``hash``; videos a frame a second."""
    return _hash_video(Path(path), every_frame=False) or hash_file(path)


def how_generated() -> str:
    try:
        pdq = importlib.metadata.version("pdqhash")
    except importlib.metadata.PackageNotFoundError:
        pdq = "unknown"
    return f"pdqhash {pdq} / childshield {__version__}"


def robust_variants(path: Path, side: str) -> list[tuple[str, str, int]]:
    """(variant label, pdq hex, quality) of an image's robustness variants
    (:mod:`childshield.signals.robust`: dihedral turns, border trim, corner-pair windows)."""
    image = load_image_for_pdq(path)
    make = robust.indicator_variants if side == "indicator" else robust.query_variants
    return [(v.label, v.pdq, v.quality) for v in make(image)]


def records_for_file(record: dict[str, Any]) -> tuple[list[IndicatorRecord], list[str]]:
    """The indicators one hashed file gives, and warnings (e.g. PDQ left out for low
    quality: a flat or tiny image's PDQ hash would match unrelated flat images)."""
    path = Path(record["path"])
    media = record.get("media")
    records: list[IndicatorRecord] = []
    warnings: list[str] = []
    if media == "video" and record.get("vpdq"):
        from childshield.matching.video_search import video_indicator_records

        records = video_indicator_records(record)
        if not any(r.signal == "vpdq" for r in records):
            warnings.append("every frame is of low quality; no vpdq indicator stored")
        return records, warnings
    if record.get("pdq"):
        quality = record.get("quality")
        if quality is not None and quality < LOW_QUALITY:
            warnings.append(
                f"PDQ quality {quality} is below {LOW_QUALITY}: PDQ indicator left out "
                "(md5 and sha256 kept)"
            )
        else:
            hashes = [HashRecord(record["pdq"], "full", quality=quality)]
            hashes += [
                HashRecord(value, label, quality=q)
                for label, value, q in robust_variants(path, "indicator")
                if label != "full" and q >= LOW_QUALITY
            ]
            records.append(IndicatorRecord("pdq", record["pdq"], media, hashes=tuple(hashes)))
    for signal in ("md5", "sha256"):
        if record.get(signal):
            records.append(IndicatorRecord(signal, record[signal], media))
    return records, warnings


def add_files(
    service: BankService,
    bank: str,
    paths: Iterable[Path],
    *,
    submitted_by: str | None = None,
    note: str | None = None,
    hasher: HashFn = hash_for_indicator,
) -> Iterator[dict[str, Any]]:
    """Add each file's indicators to ``bank`` (one transaction a file); yields
    ``{"path", "indicators": [ids]}`` (plus ``"warnings"``) or ``{"path", "error", ...}``."""
    service.get(bank)  # a wrong bank name fails before any file is read
    generated = how_generated()
    who = submitted_by or current_user()
    for record, made in _each_file(paths, hasher, records_for_file):
        if made is None:
            yield record
            continue
        records, warnings = made
        path = record["path"]
        defaults = Provenance(submitted_by=who, how_generated=generated, source=path, note=note)
        stored = service.add_records(bank, records, defaults)
        out: dict[str, Any] = {"path": path, "indicators": stored.ids}
        if warnings:
            out["warnings"] = warnings
        yield out


def match_record(matcher: Matcher, record: dict[str, Any], bank: str | None) -> list[Match]:
    """Every indicator a hashed file matches (one entry each, smallest distance)."""
    found: list[Match] = []
    if record.get("vpdq"):
        from childshield.matching.video_search import VideoMatcher
        from childshield.signals.vpdq import FrameHash

        frames = [FrameHash.from_dict(f) for f in record["vpdq"]]
        for video_match in VideoMatcher(matcher, bank).match(frames):
            details = video_match.to_dict()
            found.append(
                Match(
                    video_match.bank,
                    video_match.indicator,
                    video_match.signal,
                    video_match.distance,
                    video_match.source,
                    details={k: v for k, v in details.items() if k not in Match.KEYS},
                )
            )
    variants: list[PdqQuery] = []
    if record.get("pdq") and record.get("media") == "image":
        quality = record.get("quality")
        variants.append(PdqQuery(record["pdq"], "full", quality))
        if quality is None or quality >= LOW_QUALITY:
            variants += [
                PdqQuery(value, label, q)
                for label, value, q in robust_variants(Path(record["path"]), "query")
                if label != "full"
            ]
    found.extend(
        matcher.match_values(
            {"md5": record.get("md5"), "sha256": record.get("sha256")},
            pdq_variants=variants,
            bank=bank,
        )
    )
    return best_per_indicator(found)


def match_files(
    matcher: Matcher,
    paths: Iterable[Path],
    bank: str | None = None,
    hasher: HashFn = hash_for_query,
) -> Iterator[dict[str, Any]]:
    """``{"path", "matches": [...]}`` a file, or the file's error record."""
    matcher.check_bank(bank)
    for record, matches in _each_file(paths, hasher, lambda r: match_record(matcher, r, bank)):
        if matches is None:
            yield record
            continue
        out: dict[str, Any] = {"path": record["path"], "matches": [m.to_dict() for m in matches]}
        if record.get("warning"):
            out["warning"] = record["warning"]
        yield out


__all__ = [
    "add_files",
    "hash_for_indicator",
    "hash_for_query",
    "how_generated",
    "match_files",
    "match_record",
    "records_for_file",
]
