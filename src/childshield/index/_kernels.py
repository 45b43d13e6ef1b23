"""Numba hot loops of the Hamming index (compiled once, cached on disk).

Layout the kernels rely on (see docs/index-format.md):

* a 256-bit code is 32 bytes, viewed as 4 ``uint64`` words (full distance) or as
  16 ``uint16`` *halves*; halves ``2c`` and ``2c+1`` form the 32-bit *chunk* ``c``;
* table ``t`` (0..15) is keyed by half ``t``: ``offsets[t, key]..offsets[t, key+1]`` is the
  bucket of rows whose half ``t`` equals ``key``; ``positions[t, j]`` is the row and
  ``others[t, j]`` the *other* half of the same chunk (half ``t ^ 1``), stored inline so most
  bucket entries are rejected without touching the full code.

Exactness (two-level pigeonhole): if ``d(q, x) <= r`` then some chunk has distance
``<= cr = r // 8`` and, inside it, some half has distance ``<= hr = cr // 2``. Probing every
key within ``hr`` of the query's half in every table and keeping entries whose chunk distance
is ``<= cr`` therefore reaches every code within ``r``. A code reachable from several tables is
reported only from the first one that reaches it (``_first_table``), so results have no
duplicates and no dedup pass is needed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import njit, types
from numba.extending import intrinsic

N_TABLES = 16
N_KEYS = 1 << 16


@intrinsic
def _ctpop64(typingctx: Any, x: Any) -> Any:  # pragma: no cover - compiled by numba
    """LLVM ``ctpop`` on a uint64 (one POPCNT instruction on x86-64)."""
    sig = types.uint64(types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, [args[0]])

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def popcount(x: Any) -> Any:  # pragma: no cover - compiled by numba
    return np.int64(_ctpop64(np.uint64(x)))  # type: ignore[call-arg]


@njit(cache=True, nogil=True, inline="always")
def _distance(code: Any, q: Any) -> Any:  # pragma: no cover - compiled by numba
    return (
        popcount(code[0] ^ q[0])
        + popcount(code[1] ^ q[1])
        + popcount(code[2] ^ q[2])
        + popcount(code[3] ^ q[3])
    )


@njit(cache=True, nogil=True, inline="always")
def _grow(a: Any, n: Any) -> Any:  # pragma: no cover - compiled by numba
    b = np.empty(max(2 * a.shape[0], 1024), a.dtype)
    b[:n] = a[:n]
    return b


@njit(cache=True, nogil=True, inline="always")
def _first_table(row16: Any, q16: Any, t: Any, hr: Any, cr: Any) -> Any:  # pragma: no cover
    """True when table ``t`` is the first table that reaches this code (dedup rule)."""
    for u in range(t):
        if popcount(row16[u] ^ q16[u]) <= hr:
            c = u >> 1
            dc = popcount(row16[2 * c] ^ q16[2 * c]) + popcount(row16[2 * c + 1] ^ q16[2 * c + 1])
            if dc <= cr:
                return False
    return True


@njit(cache=True, nogil=True)
def probe_search(
    codes64: Any,  # (n, 4) uint64
    codes16: Any,  # (n, 16) uint16, same memory
    offsets: Any,  # (16, 65537) uint32
    positions: Any,  # (16, n) uint32
    others: Any,  # (16, n) uint16
    dead: Any,  # (n,) bool
    queries64: Any,  # (q, 4) uint64
    queries16: Any,  # (q, 16) uint16
    masks: Any,  # (p,) uint16, probe masks sorted by weight
    weights: Any,  # (p,) int64
    radius: int,
    cr: int,
    hr: int,
) -> Any:  # pragma: no cover - compiled by numba
    """Multi-index search; returns (counts per query, rows, distances)."""
    nq = queries64.shape[0]
    counts = np.zeros(nq, np.int64)
    rows = np.empty(1024, np.int64)
    dists = np.empty(1024, np.int32)
    n_out = 0
    n_probes = masks.shape[0]
    n_rows = codes64.shape[0]
    for i in range(nq):
        q64 = queries64[i]
        q16 = queries16[i]
        for t in range(N_TABLES):
            qh = q16[t]
            qo = q16[t ^ 1]
            off = offsets[t]
            pos = positions[t]
            oth = others[t]
            for p in range(n_probes):
                budget = cr - weights[p]
                key = np.int64(qh ^ masks[p])
                start = np.int64(off[key])
                end = np.int64(off[key + 1])
                for j in range(start, end):
                    if popcount(oth[j] ^ qo) <= budget:
                        row = np.int64(pos[j])
                        if row >= n_rows:  # only a corrupt file gets here; never read outside
                            continue
                        d = _distance(codes64[row], q64)
                        if (
                            d <= radius
                            and not dead[row]
                            and _first_table(codes16[row], q16, t, hr, cr)
                        ):
                            if n_out == rows.shape[0]:
                                rows = _grow(rows, n_out)
                                dists = _grow(dists, n_out)
                            rows[n_out] = row
                            dists[n_out] = d
                            n_out += 1
                            counts[i] += 1
    return counts, rows[:n_out], dists[:n_out]


@njit(cache=True, nogil=True)
def scan_search(codes64: Any, dead: Any, queries64: Any, radius: int) -> Any:  # pragma: no cover
    """Exhaustive scan; returns (counts per query, rows, distances)."""
    nq = queries64.shape[0]
    n = codes64.shape[0]
    counts = np.zeros(nq, np.int64)
    rows = np.empty(1024, np.int64)
    dists = np.empty(1024, np.int32)
    n_out = 0
    for i in range(nq):
        q64 = queries64[i]
        for row in range(n):
            d = _distance(codes64[row], q64)
            if d <= radius and not dead[row]:
                if n_out == rows.shape[0]:
                    rows = _grow(rows, n_out)
                    dists = _grow(dists, n_out)
                rows[n_out] = row
                dists[n_out] = d
                n_out += 1
                counts[i] += 1
    return counts, rows[:n_out], dists[:n_out]


def probe_masks(half_radius: int) -> tuple[np.ndarray, np.ndarray]:
    """All 16-bit masks of weight <= half_radius, sorted by weight, and their weights."""
    all_masks = np.arange(N_KEYS, dtype=np.uint32)
    weights = np.unpackbits(all_masks.astype(">u2").view(np.uint8).reshape(-1, 2), axis=1).sum(1)
    keep = np.flatnonzero(weights <= half_radius)
    order = keep[np.argsort(weights[keep], kind="stable")]
    return all_masks[order].astype(np.uint16), weights[order].astype(np.int64)


def warmup() -> None:
    """Compile (or load from numba's on-disk cache) every kernel on tiny inputs."""
    codes = np.zeros((2, 4), np.uint64)
    dead = np.zeros(2, np.bool_)
    offsets = np.zeros((N_TABLES, N_KEYS + 1), np.uint32)
    offsets[:, 1:] = 2
    positions = np.zeros((N_TABLES, 2), np.uint32)
    positions[:, 1] = 1
    others = np.zeros((N_TABLES, 2), np.uint16)
    masks, weights = probe_masks(1)
    probe_search(
        codes,
        codes.view(np.uint16),
        offsets,
        positions,
        others,
        dead,
        codes[:1],
        codes[:1].view(np.uint16),
        masks,
        weights,
        31,
        3,
        1,
    )
    scan_search(codes, dead, codes[:1], 31)
