"""Video matching against the banks: the Matcher's exact PDQ search + :mod:`.video` aggregation.

:class:`VideoMatcher` is what ``childshield match`` (videos), ``childshield live`` and the
provider API call. Frames of video indicators are ``indicator_hashes`` rows with variant
``frame`` (plus ``frame:*`` robustness variants), so video and image indicators live in the
same exact index; :func:`video_indicator_records` turns a hashed indicator video into them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from childshield.errors import ChildshieldError
from childshield.exchange.indicator_record import HashRecord, IndicatorRecord
from childshield.matching.matcher import Matcher, PdqQuery
from childshield.matching.video import (
    BankParams,
    HitLike,
    IndicatorFrames,
    QueryFrame,
    QueryHash,
    VideoMatch,
    aggregate,
    expand_queries,
)
from childshield.signals.video_variants import QUALITY_MIN
from childshield.signals.vpdq import (
    DEFAULT_FRAME_INTERVAL,
    INDICATOR_FRAME_INTERVAL,
    FrameHash,
    hash_frames,
    hash_video,
)
from childshield.store import banks as repo
from childshield.store.video_frames import frame_rows


class VideoMatcher:
    """Match hashed video frames against the banks (all, or one) with vPDQ semantics."""

    def __init__(self, matcher: Matcher, bank: str | None = None) -> None:
        self.matcher = matcher
        self.bank = bank
        if bank is not None:
            with matcher.db.session() as session:
                repo.get_bank(session, bank)  # NotFoundError naming the bank

    def banks(self) -> dict[str, BankParams]:
        with self.matcher.db.session() as session:
            return {b.name: b for b in repo.bank_settings(session).values()}

    def search(self, queries: Sequence[QueryHash]) -> list[HitLike]:
        pdq = [PdqQuery(q.pdq, q.variant, q.quality) for q in queries]
        return [hit for row in self.matcher.search_pdq(pdq, self.bank) for hit in row]

    def video_frames(self, indicator_ids: Collection[int]) -> dict[int, IndicatorFrames]:
        with self.matcher.db.session() as session:
            rows = frame_rows(session, indicator_ids)
        return {ind: IndicatorFrames(r) for ind, r in rows.items()}

    def match(
        self,
        frames: Sequence[QueryFrame],
        *,
        banks: Mapping[str, BankParams] | None = None,
        video_frames: Mapping[int, IndicatorFrames] | None = None,
    ) -> list[VideoMatch]:
        """Every indicator the frames match (see :func:`childshield.matching.video.aggregate`).

        ``banks``/``video_frames`` may be passed in by callers that cache them (live streams);
        indicators missing from a given ``video_frames`` are looked up.
        """
        queries = expand_queries(frames)
        hits = self.search(queries)
        if not hits:
            return []
        wanted = {h.indicator for h in hits}
        known = dict(video_frames or {})
        missing = wanted - set(known)
        if missing:
            known.update(self.video_frames(missing))
        return aggregate(frames, queries, hits, known, banks or self.banks())


def video_indicator_records(
    record: dict[str, Any], *, source: str | None = None
) -> list[IndicatorRecord]:
    """Indicators for a video hashed with :func:`childshield.signals.vpdq.hash_video`
    (``frame_interval=0`` and ``robust=True`` recommended): a ``vpdq`` indicator keyed by the
    file's md5 with one ``frame`` row per usable frame plus its variants, and md5/sha256."""
    hashes: list[HashRecord] = []
    for item in record["vpdq"]:
        f = FrameHash.from_dict(item)
        if f.quality >= QUALITY_MIN:
            hashes.append(HashRecord(f.pdq, "frame", f.frame, f.time, f.quality))
        hashes.extend(HashRecord(h, v, f.frame, f.time, q) for v, h, q in f.variants)
    out = []
    if hashes:
        out.append(
            IndicatorRecord("vpdq", record["md5"], "video", source=source, hashes=tuple(hashes))
        )
    out += [IndicatorRecord(s, record[s], "video", source=source) for s in ("md5", "sha256")]
    return out


def indicator_records_for_video(
    path: str | Path, *, source: str | None = None
) -> list[IndicatorRecord]:
    """Hash an indicator video the way matching expects (every frame, with variants) and
    return its indicator records; raises a MediaError for an unreadable file."""
    record = hash_video(path, frame_interval=INDICATOR_FRAME_INTERVAL, robust=True)
    return video_indicator_records(record, source=source if source is not None else str(path))


def match_video_file(
    matcher: VideoMatcher, path: str | Path, *, frame_interval: float = DEFAULT_FRAME_INTERVAL
) -> dict[str, Any]:
    """``{"path", "media": "video", "matches": [...]}`` for one video (what ``childshield
    match`` prints), or ``{"path", "error", "error_type"}`` if it cannot be read."""
    try:
        frames = hash_frames(path, frame_interval=frame_interval, robust=True)
    except ChildshieldError as exc:
        return {"path": str(path), "error": exc.message, "error_type": exc.slug}
    return {"path": str(path), "media": "video",
            "matches": [m.to_dict() for m in matcher.match(frames)]}


__all__ = [
    "VideoMatcher",
    "indicator_records_for_video",
    "match_video_file",
    "video_indicator_records",
]
