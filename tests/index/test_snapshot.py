"""Snapshots: what is saved is what is loaded, saving is incremental, damage is detected."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from childshield.errors import InputError, IntegrityError, NotFoundError
from childshield.index import HammingIndex, brute_force_search

from .test_search import assert_same, dataset, queries_for


def build(n: int = 3000, seed: int = 1) -> tuple[HammingIndex, np.ndarray, np.ndarray]:
    ids, codes = dataset(seed, n, clustered=True)
    idx = HammingIndex(buffer_limit=256)
    idx.add(ids, codes)
    return idx, ids, codes


def files(d: Path) -> set[str]:
    return {p.name for p in d.iterdir()}


@pytest.mark.parametrize("mmap", [True, False])
def test_round_trip_gives_identical_results(tmp_path: Path, mmap: bool) -> None:
    idx, ids, codes = build()
    idx.remove(ids[:100])
    idx.save(tmp_path / "snap", meta={"bank": "test-indicators", "through": 41})
    back = HammingIndex.load(tmp_path / "snap", mmap=mmap, verify=not mmap)
    q = queries_for(codes, 1, 80)
    for r in (0, 31, 64):
        assert_same(back.search(q, r), idx.search(q, r))
    assert len(back) == len(idx)
    assert back.meta == {"bank": "test-indicators", "through": 41}
    got_ids, _ = back.entries()
    assert sorted(got_ids.tolist()) == sorted(idx.entries()[0].tolist())


def test_saving_again_writes_only_what_changed(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    ids, codes = dataset(2, 20000, clustered=False)
    idx = HammingIndex()
    idx.add(ids, codes)
    idx.save(snap)
    (seg_file,) = [p for p in snap.iterdir() if p.name.startswith("seg-")]
    inode, mtime = seg_file.stat().st_ino, seg_file.stat().st_mtime_ns

    loaded = HammingIndex.load(snap)
    extra_ids = np.arange(10**6, 10**6 + 50)
    extra = np.random.default_rng(9).integers(0, 256, (50, 32), dtype=np.uint8)
    loaded.add(extra_ids, extra)
    loaded.remove(ids[:5])
    loaded.save(snap)
    # the big segment file was neither rewritten nor rebuilt
    assert seg_file.stat().st_ino == inode and seg_file.stat().st_mtime_ns == mtime
    assert len([f for f in files(snap) if f.startswith("seg-")]) == 2

    again = HammingIndex.load(snap)
    assert len(again) == 20000 + 50 - 5
    q = np.concatenate([extra[:10], codes[:10]])
    all_ids = np.concatenate([ids[5:], extra_ids])
    all_codes = np.concatenate([codes[5:], extra])
    assert_same(again.search(q, 31), brute_force_search(all_ids, all_codes, q, 31))


def test_compact_then_save_removes_the_old_files(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    idx, ids, _ = build()
    idx.remove(ids[:50])
    idx.save(snap)
    before = files(snap)
    idx.compact()
    idx.save(snap)
    after = files(snap)
    assert not (before - {"MANIFEST"}) & after  # old segments and tombstones collected
    assert not any(name.startswith(".") for name in after)  # no temporary files left
    back = HammingIndex.load(snap)
    assert back.stats()["tombstoned"] == 0 and len(back) == len(idx)


def test_save_a_loaded_index_to_another_directory(tmp_path: Path) -> None:
    idx, _, codes = build()
    idx.save(tmp_path / "a")
    loaded = HammingIndex.load(tmp_path / "a")
    loaded.save(tmp_path / "b")
    other = HammingIndex.load(tmp_path / "b")
    q = queries_for(codes, 3, 40)
    assert_same(other.search(q, 31), idx.search(q, 31))


def test_snapshot_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"hello")
    with pytest.raises(InputError, match="directory"):
        HammingIndex().save(f)


def test_missing_snapshot_and_bad_meta_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no index snapshot"):
        HammingIndex.load(tmp_path / "nowhere")
    idx, _, _ = build(100)
    with pytest.raises(InputError, match="meta"):
        idx.save(tmp_path / "snap", meta={"when": object()})
    assert not (tmp_path / "snap").exists()  # nothing written


def _segment(snap: Path) -> Path:
    return max(
        (p for p in snap.iterdir() if p.name.startswith("seg-")), key=lambda p: p.stat().st_size
    )


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x40
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda s: _segment(s).write_bytes(b"PK\x03\x04" + b"\0" * 200), "magic"),
        (lambda s: _flip_byte(_segment(s), 30), "checksum"),
        (lambda s: os.truncate(_segment(s), 100), "truncated|past the end"),
        (lambda s: os.truncate(_segment(s), _segment(s).stat().st_size - 10), "past the end"),
        (lambda s: (s / "MANIFEST").write_bytes(b""), "truncated"),
        (lambda s: (s / "MANIFEST").write_bytes(b"CSHIDX\r\n" + b"\x02" + b"\0" * 80), "version"),
        (lambda s: _flip_byte(s / "MANIFEST", 200), "checksum"),
        (lambda s: _segment(s).unlink(), "cannot read"),
    ],
)
def test_damaged_snapshots_fail_with_a_clear_error(tmp_path: Path, damage, message) -> None:  # type: ignore[no-untyped-def]
    snap = tmp_path / "snap"
    build()[0].save(snap)
    damage(snap)
    with pytest.raises(IntegrityError, match=message):
        HammingIndex.load(snap)


def test_damaged_data_is_found_by_verify(tmp_path: Path) -> None:
    snap = tmp_path / "snap"
    build()[0].save(snap)
    seg = _segment(snap)
    _flip_byte(seg, seg.stat().st_size - 1000)
    HammingIndex.load(snap)  # the header is intact: a plain load maps it
    with pytest.raises(IntegrityError, match="checksum mismatch"):
        HammingIndex.load(snap, verify=True)


def test_hostile_bucket_offsets_are_refused(tmp_path: Path) -> None:
    """A crafted segment whose tables point outside the arrays must not be searched."""
    idx, _, _ = build(300)
    seg = idx.compact()._segments[0]
    seg.offsets = seg.offsets.copy()
    seg.offsets[3, 100:] = 10**9  # written with a valid header and manifest
    idx.save(tmp_path / "snap")
    with pytest.raises(IntegrityError, match="offsets are inconsistent"):
        HammingIndex.load(tmp_path / "snap")


def test_a_segment_swapped_for_another_is_refused(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    build(300, seed=1)[0].compact().save(a)
    build(300, seed=2)[0].compact().save(b)
    _segment(b).rename(a / _segment(a).name)
    with pytest.raises(IntegrityError, match="not the segment the manifest names"):
        HammingIndex.load(a)


def test_hostile_positions_never_read_outside_the_codes(tmp_path: Path) -> None:
    from childshield.index.segment import Segment

    idx, _, codes = build(300)
    seg = idx.compact()._segments[0]
    seg.positions = np.full_like(seg.positions, 10**8)  # as a corrupt file could hold
    res = idx.search(codes[:5], 31, "probe")
    assert res.ids.size == 0
    with pytest.raises(IntegrityError, match="out of range"):
        Segment.check_positions(seg)
