"""The index returns exactly the brute-force answer: every entry within the radius, no more.

Property-tested with hypothesis over random and clustered (near-duplicate) data, with the
radii that matter for PDQ (0, 31, 32, 64) and large ones, through every search strategy
and both engines (numba kernels, vectorised numpy), and across the buffer / segment / merge
paths.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from childshield.errors import InputError, SignalValueError
from childshield.index import HammingIndex, brute_force_search

ENGINES = ["numba", "numpy"]
RADII = [0, 1, 7, 8, 15, 16, 31, 32, 33, 47, 63, 64, 90, 127, 128, 200, 255, 256]


def flip(codes: np.ndarray, n_flips: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``codes`` with ``n_flips[i]`` distinct random bits flipped in row i."""
    out = codes.copy()
    bits = np.unpackbits(out, axis=1)
    for i, k in enumerate(n_flips):
        pos = rng.choice(256, size=int(k), replace=False)
        bits[i, pos] ^= 1
    return np.packbits(bits, axis=1)


def dataset(seed: int, n: int, clustered: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if not clustered:
        return np.arange(n, dtype=np.int64), rng.integers(0, 256, (n, 32), dtype=np.uint8)
    centres = rng.integers(0, 256, (max(1, n // 20), 32), dtype=np.uint8)
    pick = rng.integers(0, len(centres), n)
    codes = flip(centres[pick], rng.integers(0, 24, n), rng)
    # a few exact duplicates and repeated ids (several hashes of one indicator)
    codes[: n // 10] = codes[n // 10 : 2 * (n // 10)]
    return rng.integers(0, max(1, n // 2), n).astype(np.int64), codes


def queries_for(codes: np.ndarray, seed: int, q: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    if not len(codes):
        return rng.integers(0, 256, (q, 32), dtype=np.uint8)
    near = flip(codes[rng.integers(0, len(codes), q)], rng.integers(0, 41, q), rng)
    far = rng.integers(0, 256, (q // 4 + 1, 32), dtype=np.uint8)
    return np.concatenate([near, far])


def assert_same(got: object, want: object) -> None:
    for field in ("offsets", "ids", "distances"):
        np.testing.assert_array_equal(getattr(got, field), getattr(want, field), err_msg=field)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 400),
    clustered=st.booleans(),
    radius=st.sampled_from(RADII) | st.integers(0, 256),
    strategy=st.sampled_from(["auto", "probe", "batch", "scan"]),
    buffer_limit=st.sampled_from([1, 7, 64, 4096]),
    engine=st.sampled_from(ENGINES),
)
def test_search_equals_brute_force(
    seed: int, n: int, clustered: bool, radius: int, strategy: str, buffer_limit: int, engine: str
) -> None:
    ids, codes = dataset(seed, n, clustered)
    idx = HammingIndex(buffer_limit=buffer_limit)
    # add in uneven batches so buffer, segments and merges all take part
    cuts = sorted(np.random.default_rng(seed).integers(0, n + 1, 3).tolist())
    for a, b in zip([0, *cuts], [*cuts, n], strict=True):
        idx.add(ids[a:b], codes[a:b])
    assert len(idx) == n
    q = queries_for(codes, seed, 30)
    want = brute_force_search(ids, codes, q, radius)
    assert_same(idx.search(q, radius, strategy, engine), want)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("radius", [0, 31, 32, 64])
def test_probe_path_on_a_larger_clustered_index(radius: int, engine: str) -> None:
    """Thousands of near-duplicates crowd the same buckets: still every one is found."""
    ids, codes = dataset(7, 6000, clustered=True)
    idx = HammingIndex()
    idx.add(ids, codes)
    q = queries_for(codes, 7, 150)
    want = brute_force_search(ids, codes, q, radius)
    assert_same(idx.search(q, radius, "probe", engine), want)
    assert_same(idx.search(q, radius, "batch", engine), want)
    assert_same(idx.search(q, radius, "auto", engine), want)
    assert want.ids.size > (150 if radius >= 31 else 0)  # clusters really produce many hits


def test_every_code_exactly_at_the_radius_is_found() -> None:
    """Worst case for the pigeonhole: the flips spread evenly over the 16 halves."""
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (1, 32), dtype=np.uint8)
    bits = np.unpackbits(base, axis=1)
    variants = []
    for k in range(200):
        b = bits.copy()
        # 31 flips: 2 in each of 15 halves and 1 in the last, in a rotating pattern
        pos = [16 * h + (k + j) % 16 for h in range(16) for j in range(2)][:31]
        pos = [(p + 16 * k) % 256 for p in pos]
        b[0, pos] ^= 1
        variants.append(np.packbits(b, axis=1))
    codes = np.concatenate(variants)
    idx = HammingIndex()
    idx.add(np.arange(len(codes)), codes)
    for strategy, engine in itertools.product(("probe", "batch"), ENGINES):
        res = idx.search(base, 31, strategy, engine)
        assert sorted(i for i, _ in res.for_query(0)) == list(range(len(codes)))
        assert {d for _, d in res.for_query(0)} == {31}
        assert idx.search(base, 30, strategy, engine).for_query(0) == []


def test_for_query_is_sorted_by_distance_and_has_no_duplicates() -> None:
    ids, codes = dataset(11, 500, clustered=True)
    idx = HammingIndex(buffer_limit=50)
    idx.add(ids, codes)
    res = idx.search(codes[:20], 40)
    for i in range(20):
        hits = res.for_query(i)
        assert hits == sorted(hits, key=lambda h: (h[1], h[0]))
        assert len(hits) == res.offsets[i + 1] - res.offsets[i]
    # one entry is reported once, even when several of its chunks are close
    assert res.ids.size == brute_force_search(ids, codes, codes[:20], 40).ids.size


def test_remove_hides_entries_at_once_and_readding_brings_them_back() -> None:
    ids, codes = dataset(5, 3000, clustered=False)
    idx = HammingIndex(buffer_limit=500)
    idx.add(ids, codes)
    gone = ids[::3]
    assert idx.remove(gone) == gone.size
    keep = ~np.isin(ids, gone)
    q = queries_for(codes, 5, 60)
    assert_same(idx.search(q, 31), brute_force_search(ids[keep], codes[keep], q, 31))
    assert len(idx) == keep.sum()
    assert idx.remove(gone) == 0  # idempotent
    idx.add(ids[~keep][:10], codes[~keep][:10])  # a withdrawn id added again is live
    sel = keep.copy()
    sel[np.flatnonzero(~keep)[:10]] = True
    assert_same(idx.search(q, 31), brute_force_search(ids[sel], codes[sel], q, 31))


def test_remove_every_hash_of_a_repeated_id() -> None:
    idx = HammingIndex()
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 256, (6, 32), dtype=np.uint8)
    idx.add(np.array([1, 1, 1, 2, 2, 3]), codes)
    assert idx.remove(np.array([1])) == 3
    assert sorted(i for i, _ in idx.search(codes, 0).for_query(0)) == []
    assert idx.search(codes, 0).for_query(3) == [(2, 0)]


def test_compact_drops_removed_entries_and_keeps_results() -> None:
    ids, codes = dataset(9, 2000, clustered=True)
    idx = HammingIndex(buffer_limit=100)
    idx.add(ids, codes)
    idx.remove(ids[:300])
    q = queries_for(codes, 9, 40)
    before = idx.search(q, 32)
    idx.compact()
    assert idx.stats()["segments"] == 1 and idx.stats()["tombstoned"] == 0
    assert_same(idx.search(q, 32), before)


def test_segments_stay_few_while_adding_one_by_one() -> None:
    rng = np.random.default_rng(1)
    idx = HammingIndex(buffer_limit=8)
    for i in range(600):
        idx.add(np.array([i]), rng.integers(0, 256, (1, 32), dtype=np.uint8))
    assert len(idx) == 600
    assert idx.stats()["segments"] <= 8  # logarithmic, not one per batch


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((3, 31), np.uint8),
        np.zeros((3, 32), np.int64),
        np.zeros(32, np.uint8),
        [[0] * 32],
    ],
)
def test_wrong_hash_shapes_are_clear_errors(bad: object) -> None:
    idx = HammingIndex()
    with pytest.raises(SignalValueError, match=r"256-bit|numpy array"):
        idx.search(bad, 31)  # type: ignore[arg-type]
    with pytest.raises(SignalValueError):
        idx.add(np.arange(3), bad)  # type: ignore[arg-type]


def test_bad_radius_ids_and_strategy_are_clear_errors() -> None:
    idx = HammingIndex()
    q = np.zeros((1, 32), np.uint8)
    for radius in (-1, 257, 3.5):
        with pytest.raises(InputError, match="radius"):
            idx.search(q, radius)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="strategy"):
        idx.search(q, 31, "fast")
    with pytest.raises(InputError, match="engine"):
        idx.search(q, 31, "auto", "gpu")
    with pytest.raises(InputError, match="ids"):
        idx.add(np.arange(2), q)
    with pytest.raises(InputError, match="ids"):
        idx.add(np.array([0.5]), q)


def test_empty_index_and_empty_queries() -> None:
    idx = HammingIndex()
    res = idx.search(np.zeros((3, 32), np.uint8), 256)
    assert res.offsets.tolist() == [0, 0, 0, 0] and len(res) == 3
    idx.add(np.arange(2), np.zeros((2, 32), np.uint8))
    assert len(idx.search(np.zeros((0, 32), np.uint8))) == 0


def test_huge_result_sets_are_complete() -> None:
    """One tight cluster: every query hits nearly everything (output and candidate buffers
    of the kernels overflow and are resumed)."""
    rng = np.random.default_rng(4)
    centre = rng.integers(0, 256, (1, 32), dtype=np.uint8)
    codes = flip(np.repeat(centre, 3000, axis=0), rng.integers(0, 6, 3000), rng)
    ids = np.arange(3000, dtype=np.int64)
    idx = HammingIndex()
    idx.add(ids, codes)
    q = flip(np.repeat(centre, 40, axis=0), rng.integers(0, 6, 40), rng)
    want = brute_force_search(ids, codes, q, 31)
    assert want.ids.size > 100_000
    for strategy, engine in itertools.product(("probe", "batch", "scan"), ENGINES):
        assert_same(idx.search(q, 31, strategy, engine), want)


def test_auto_engine_runs_small_work_in_numpy_and_large_work_in_numba() -> None:
    """A short command never pays for loading numba; a large search (or a process that
    already loaded the kernels) uses them. Checked in a fresh interpreter."""
    script = (
        "import sys, numpy as np\n"
        "from childshield.index import HammingIndex, _vectorised as V\n"
        "rng = np.random.default_rng(0)\n"
        "codes = rng.integers(0, 256, (5000, 32), dtype=np.uint8)\n"
        "idx = HammingIndex(); idx.add(np.arange(5000), codes)\n"
        "first = idx.search(codes[:50], 31)\n"
        "print('numba' in sys.modules)\n"
        "V.KERNEL_LOAD_ENTRIES = 0\n"
        "again = idx.search(codes[:50], 31)\n"
        "print('childshield.index._kernels' in sys.modules)\n"
        "print(bool((first.ids == again.ids).all()) and first.ids.size >= 50)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600
    ).stdout.split()
    assert out == ["False", "True", "True"]
