"""Video matching end to end on a real database: video and image indicators in banks, the
Matcher's exact index, vPDQ aggregation (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from video_testkit import background_frame, drawn_indicator, drawn_motion, write_video

from childshield.exchange.indicator_record import IndicatorRecord
from childshield.matching import BankService, Matcher
from childshield.matching.video_search import (
    VideoMatcher,
    indicator_records_for_video,
    match_video_file,
    video_indicator_records,
)
from childshield.signals.video_pdq import luma_from_rgb, pdq_hex_from_luma
from childshield.signals.vpdq import INDICATOR_FRAME_INTERVAL, hash_frames, hash_video
from childshield.store.banks import Provenance


def test_clip_and_embedded_image_found_through_the_banks(database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    service = BankService(database)
    service.create("test-video-indicators")
    service.create("test-image-indicators")
    indicator_video = write_video(tmp_path / "ind.mp4", (drawn_motion(i) for i in range(120)))
    record = hash_video(indicator_video, frame_interval=INDICATOR_FRAME_INTERVAL, robust=True)
    stored = service.add_records(
        "test-video-indicators",
        video_indicator_records(record, source="ind.mp4"),
        Provenance(source="ind.mp4"),
    )
    assert len(stored.ids) == 3  # vpdq, md5, sha256
    image = drawn_indicator()
    pdq, _ = pdq_hex_from_luma(luma_from_rgb(image))
    service.add_records(
        "test-image-indicators", [IndicatorRecord("pdq", pdq, "image")], Provenance(source="d.png")
    )
    matcher = VideoMatcher(Matcher(database, index_dir=tmp_path / "index"))

    # a clip cut from the indicator video, 3 s to 9 s
    clip = write_video(tmp_path / "clip.mp4", (drawn_motion(i) for i in range(30, 90)))
    [m] = matcher.match(hash_frames(clip, robust=True))
    assert (m.bank, m.signal, m.source) == ("test-video-indicators", "vpdq", "ind.mp4")
    assert m.query_share >= 0.8 and 0 < m.indicator_share < 0.8
    assert len(m.indicator_ranges) == 1, m.indicator_ranges
    [(start, end)] = m.indicator_ranges
    assert 2.5 <= start <= 3.5 and 7.5 <= end <= 9.0

    # the drawn image shown from 4 s to 7 s inside an unrelated video
    def frame(i: int):  # type: ignore[no-untyped-def]
        return image if 40 <= i < 70 else background_frame(i / 10)

    holiday = write_video(tmp_path / "holiday.mp4", (frame(i) for i in range(100)))
    [m] = matcher.match(hash_frames(holiday, robust=True))
    assert (m.bank, m.signal, m.source) == ("test-image-indicators", "pdq", "d.png")
    assert m.query_ranges == [(4.0, 6.0)]

    # restricted to one bank, the other bank's indicators are not reported
    only_video = VideoMatcher(Matcher(database, index_dir=tmp_path / "index"),
                              bank="test-video-indicators")
    assert only_video.match(hash_frames(holiday, robust=True)) == []

    # unrelated footage matches nothing
    plain = write_video(tmp_path / "plain.mp4", (background_frame(i / 10) for i in range(80)))
    assert matcher.match(hash_frames(plain, robust=True)) == []

    # the file-level helpers `childshield match` / `bank add` use
    out = match_video_file(matcher, clip)
    assert out["media"] == "video" and [m["source"] for m in out["matches"]] == ["ind.mp4"]
    assert out["matches"][0]["query_match"] >= 0.8
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    assert match_video_file(matcher, tmp_path / "broken.mp4")["error_type"] == "corrupt-media"
    records = indicator_records_for_video(indicator_video)
    assert [r.signal for r in records] == ["vpdq", "md5", "sha256"]
    assert records[0].source == str(indicator_video)


def test_reference_variants_through_a_real_bank(samples, sqlite_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The reference-sample outcome with the production index and store (SQLite)."""
    from test_video_matching import CHAIR_VARIANTS, PATTERN_VARIANTS

    from childshield.store import open_database

    db = open_database(sqlite_url)
    service = BankService(db)
    service.create("test-video-indicators")
    for name in ("chair-orig-22-sd-bar", "pattern-hd-no-bar"):
        frames = samples.every_frame(name)
        record = {"md5": hashlib.md5(name.encode()).hexdigest(),
                  "sha256": hashlib.sha256(name.encode()).hexdigest(),
                  "vpdq": [f.as_dict() for f in frames]}
        service.add_records("test-video-indicators", video_indicator_records(record, source=name),
                            Provenance(source=name))
    matcher = VideoMatcher(Matcher(db, index_dir=tmp_path / "index"))
    expected = {n: "chair-orig-22-sd-bar" for n in CHAIR_VARIANTS}
    expected |= {n: "pattern-hd-no-bar" for n in PATTERN_VARIANTS}
    expected |= {"doorknob-hd-no-bar": None, "test-padded-dimensions": None}
    for name, original in expected.items():
        found = [m.source for m in matcher.match(samples.per_second(name))]
        assert found == ([original] if original else []), name
