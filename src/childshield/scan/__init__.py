"""Batch scanning of folders: parallel hashing (local processes or a Dask cluster), matching
in the parent, resumable JSONL results. See :mod:`childshield.scan.engine` and docs/scan.md.
"""

from childshield.scan.engine import RecordMatcher, ScanSummary, scan, walk

__all__ = ["RecordMatcher", "ScanSummary", "scan", "walk"]
