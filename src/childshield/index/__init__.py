"""Exact near-duplicate search over 256-bit codes (PDQ), with snapshots on disk.

    >>> from childshield.index import HammingIndex, hex_to_bits
    >>> idx = HammingIndex()
    >>> idx.add(np.arange(n), hex_to_bits(hex_lines))
    >>> res = idx.search(hex_to_bits(query_lines), radius=31)
    >>> res.for_query(0)            # [(id, distance), ...] nearest first

Every entry within the radius is returned (no approximation). See docs/index.md for the
design and figures, docs/index-format.md for the snapshot format.
"""

from childshield.index.codec import bits_to_hex, hex_to_bits
from childshield.index.hamming import HammingIndex, SearchResult
from childshield.index.reference import brute_force_search


def warmup() -> None:
    """Load the numba kernels now (compile, or load them from numba's on-disk cache), so
    that every later search in this process uses them: for long-running services."""
    from childshield.index._kernels import warmup as load_kernels

    load_kernels()


__all__ = [
    "HammingIndex",
    "SearchResult",
    "bits_to_hex",
    "brute_force_search",
    "hex_to_bits",
    "warmup",
]
