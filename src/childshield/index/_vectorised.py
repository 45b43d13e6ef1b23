"""The index's search in plain numpy: same tables, same answers, no JIT to start.

The numba kernels (``_kernels``) are the fast path for large work, but importing numba and
loading its compiled kernels costs about a second of CPU per process, far more than a short
command's whole search (5,000 queries over a million codes take ~0.2 s of CPU). This module
searches the same segment layout with vectorised numpy, table by table, and :func:`engine`
decides per call which path runs (ski rental: numpy until the work done in numpy adds up to
what loading the kernels costs, numba from then on, or at once for one large call).

It also holds what both paths share and what needs no numba: the layout constants, the
probe masks and the regrouping of results. ``_kernels`` imports the constants from here
(they are part of the file format and never change, so numba's per-file cache stays valid).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np

N_TABLES = 16
N_KEYS = 1 << 16
SLICE_ENTRIES = 1 << 22  # bucket entries filtered per numpy pass (bounded memory)
SCAN_PAIRS = 1 << 20  # (query, code) pairs compared per numpy pass in a scan

# Ski rental between the paths, in units of bucket entries filtered (~11 ns each in numpy on
# one core; a scanned (query, code) pair costs about SCAN_PAIR_COST of them). Loading the
# numba kernels (import, target set-up, cached code) costs about as much CPU as filtering
# KERNEL_LOAD_ENTRIES entries in numpy; numba is then ~5x cheaper per entry.
KERNEL_LOAD_ENTRIES = 60_000_000
SCAN_PAIR_COST = 2
CALL_COST = 100_000  # fixed cost of searching one segment in numpy (~1 ms: ~400 numpy calls)
_spent = 0


def engine(work: float, requested: str = "auto") -> str:
    """``"numpy"`` or ``"numba"`` for a search of about ``work`` entries.

    ``auto``: numba once its kernels are loaded in this process, or when this call alone
    (or with the numpy work already done) would cost more than loading them; else numpy.
    """
    global _spent
    if requested != "auto":
        return requested
    if "childshield.index._kernels" in sys.modules or _spent + work > KERNEL_LOAD_ENTRIES:
        return "numba"
    _spent += int(work)
    return "numpy"


def probe_masks(half_radius: int) -> tuple[np.ndarray, np.ndarray]:
    """All 16-bit masks of weight <= half_radius, sorted by weight, and their weights."""
    all_masks = np.arange(N_KEYS, dtype=np.uint32)
    weights = np.bitwise_count(all_masks)
    keep = np.flatnonzero(weights <= half_radius)
    order = keep[np.argsort(weights[keep], kind="stable")]
    return all_masks[order].astype(np.uint16), weights[order].astype(np.int64)


def ungrouped_to_grouped(
    qidx: np.ndarray, rows: np.ndarray, dists: np.ndarray, nq: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query index, rows, distances) in any order -> (counts per query, rows, distances)."""
    order = np.argsort(qidx, kind="stable")
    counts = np.bincount(qidx, minlength=nq).astype(np.int64)
    return counts, rows[order], dists[order]


def _slices(lengths: np.ndarray, limit: int) -> Iterator[tuple[int, int]]:
    """Consecutive [a, b) runs of ``lengths`` summing to about ``limit`` (at least one item)."""
    ends = np.cumsum(lengths)
    a, done, n = 0, 0, lengths.shape[0]
    while a < n:
        b = max(a + 1, int(np.searchsorted(ends, done + limit, side="right")))
        yield a, b
        done = int(ends[b - 1])
        a = b


def _expand(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Every position of the non-empty ranges [starts[k], starts[k] + lengths[k]), in order
    (a running sum of steps: 1 inside a range, a jump between ranges)."""
    first = np.cumsum(lengths) - lengths  # where range k begins in the output
    steps = np.ones(int(lengths.sum()), np.int64)
    steps[0] = starts[0]
    steps[first[1:]] = starts[1:] - (starts[:-1] + lengths[:-1]) + 1
    return np.cumsum(steps)


def probe_search(
    codes64: np.ndarray,
    codes16: np.ndarray,
    offsets: np.ndarray,
    positions: np.ndarray,
    others: np.ndarray,
    dead: np.ndarray,
    queries64: np.ndarray,
    queries16: np.ndarray,
    masks: np.ndarray,
    weights: np.ndarray,
    radius: int,
    cr: int,
    hr: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Same answer as the kernels' ``probe_search``: (counts per query, rows, distances).

    Per table: every (query, probe) bucket is expanded, entries whose other half puts their
    chunk beyond ``cr`` are dropped, and survivors get their full distance. A code reached
    from several tables is kept from the first table that reaches it (as the kernels do).
    """
    nq, n_probes, n = queries16.shape[0], masks.shape[0], codes64.shape[0]
    budgets = np.tile((cr - weights).astype(np.int16), nq)  # per (query, probe)
    out_q: list[np.ndarray] = []
    out_rows: list[np.ndarray] = []
    out_d: list[np.ndarray] = []
    for t in range(N_TABLES):
        keys = (queries16[:, t, None] ^ masks[None, :]).ravel().astype(np.int64)
        starts = offsets[t, keys].astype(np.int64)
        lengths = offsets[t, keys + 1].astype(np.int64) - starts
        probes = np.flatnonzero(lengths)  # (query, probe) pairs with a non-empty bucket
        other = np.repeat(queries16[:, t ^ 1], n_probes)
        for a, b in _slices(lengths[probes], SLICE_ENTRIES):
            chosen = probes[a:b]
            span = lengths[chosen]
            j = _expand(starts[chosen], span)
            close = np.bitwise_count(np.take(others[t], j) ^ np.repeat(other[chosen], span))
            keep = np.flatnonzero(close <= np.repeat(budgets[chosen], span))
            owner = chosen[np.searchsorted(np.cumsum(span), keep, side="right")]
            rows = np.take(positions[t], j[keep]).astype(np.int64)
            qi = owner // n_probes
            inside = rows < n  # only a corrupt file has rows outside; never read them
            rows, qi = rows[inside], qi[inside]
            halves = np.bitwise_count(codes16[rows] ^ queries16[qi]).astype(np.int32)
            d = halves.sum(axis=1)
            chunks = halves[:, 0::2] + halves[:, 1::2]
            reach = (halves <= hr) & (np.repeat(chunks, 2, axis=1) <= cr)
            hit = (d <= radius) & ~dead[rows] & (np.argmax(reach, axis=1) == t)
            out_q.append(qi[hit])
            out_rows.append(rows[hit])
            out_d.append(d[hit])
    if not out_q:
        return np.zeros(nq, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    return ungrouped_to_grouped(
        np.concatenate(out_q), np.concatenate(out_rows), np.concatenate(out_d), nq
    )


def scan_search(
    codes64: np.ndarray, dead: np.ndarray, queries64: np.ndarray, radius: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exhaustive scan; returns (counts per query, rows, distances) grouped by query."""
    n, nq = codes64.shape[0], queries64.shape[0]
    block = max(1, SCAN_PAIRS // max(nq, 1))
    out_q, out_rows, out_d = [], [], []
    for b0 in range(0, n, block):
        part = codes64[b0 : b0 + block]
        d = np.zeros((nq, part.shape[0]), np.int16)
        for w in range(4):  # word by word: a sum over a short last axis is slow in numpy
            d += np.bitwise_count(queries64[:, w, None] ^ part[None, :, w])
        qi, rows = np.nonzero((d <= radius) & ~dead[None, b0 : b0 + block])
        out_q.append(qi)
        out_rows.append(rows + b0)
        out_d.append(d[qi, rows].astype(np.int32))
    if not out_q:
        return np.zeros(nq, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32)
    return ungrouped_to_grouped(
        np.concatenate(out_q), np.concatenate(out_rows), np.concatenate(out_d), nq
    )


__all__ = [
    "CALL_COST",
    "KERNEL_LOAD_ENTRIES",
    "N_KEYS",
    "N_TABLES",
    "SCAN_PAIR_COST",
    "engine",
    "probe_masks",
    "probe_search",
    "scan_search",
    "ungrouped_to_grouped",
]
