"""The PDQ index over ``indicator_hashes``, kept in step with the database.

The index is built from the PDQ rows of active indicators (entry id = ``indicator_hashes.id``),
saved as a snapshot under ``<data_dir>/index/`` and memory-mapped on the next run. Before every
lookup, rows added since (id greater than the last one indexed) are added incrementally, so a
new indicator is never hidden; hits are checked against the indicator's current status by the
matcher, so a withdrawal takes effect on the next lookup whatever the snapshot holds.

A snapshot is trusted only if the database still agrees with it: the row it indexed last has
the same value and no row at or below it was deleted; otherwise it is rebuilt (a recreated
database can never be answered from an old snapshot).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from childshield.index import HammingIndex, SearchResult, hex_to_bits
from childshield.store import Database
from childshield.store import banks as repo

log = logging.getLogger(__name__)
SNAPSHOT_VERSION = 1
RESAVE_AFTER = 10_000  # rows added incrementally before the snapshot is rewritten
CATCH_UP_BATCH = 200_000  # rows read from the database per step while catching up
CHECK_EVERY = 30.0  # seconds between checks that no row appeared below the last indexed id


def _fingerprint(value: str | None) -> str:
    return hashlib.sha256((value or "").encode()).hexdigest()[:16]


class PdqIndex:
    """The index for one database, its snapshot on disk, and how far it has caught up.

    ``last_id`` is the largest ``indicator_hashes.id`` seen and ``seen`` how many PDQ rows at
    or below it were seen (indexed if their indicator was active). New rows are fetched on
    every lookup (a cheap primary-key range query). At most every ``check_every`` seconds the
    count at or below ``last_id`` is compared with ``seen``: a row committed late under a
    lower id (concurrent writers on PostgreSQL) or a deleted row makes them differ, and the
    index is rebuilt, so no indicator stays hidden longer than that.
    """

    def __init__(self, db: Database, directory: Path, *, check_every: float = CHECK_EVERY):
        self.db = db
        url = db.engine.url.render_as_string(hide_password=True)
        key = hashlib.sha256(url.encode()).hexdigest()[:16]
        self.directory = directory
        self.snapshot_path = directory / f"pdq-{key}"
        self.lock_path = directory / f"pdq-{key}.lock"
        self.check_every = check_every
        self.index: HammingIndex | None = None
        self.last_id = 0
        self.seen = 0
        self.added_since_save = 0
        self._checked_at = 0.0
        self._thread_lock = threading.RLock()

    def search(self, queries: npt.NDArray[np.uint8], radius: int) -> SearchResult:
        """Catch up with the database, then search. One thread at a time: the index is not
        safe for a search while another thread adds to it (the service shares a Matcher)."""
        with self._thread_lock:
            return self.current().search(queries, radius=radius)

    def current(self) -> HammingIndex:
        """The index, loaded or built on first use and caught up with the database."""
        if self.index is None and not self._load_snapshot():
            self._build()
        self._catch_up()
        if time.monotonic() - self._checked_at >= self.check_every:
            with self.db.session() as session:
                consistent = repo.pdq_rows_upto(session, self.last_id) == self.seen
            if not consistent:
                log.info("indicator hashes changed below the indexed range; rebuilding")
                self._build()
            self._checked_at = time.monotonic()
        assert self.index is not None
        return self.index

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One process at a time reads or writes the snapshot directory."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.lock_path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _load_snapshot(self) -> bool:
        """Open the snapshot if the database still agrees with what it indexed (its meta:
        last row id, rows seen, fingerprint of the last row's value)."""
        if not (self.snapshot_path / "MANIFEST").exists():
            return False
        try:
            with self._locked():
                index = HammingIndex.load(self.snapshot_path, mmap=True)
            meta = index.meta
            if meta.get("version") != SNAPSHOT_VERSION:
                return False
            last_id, seen = int(meta["last_id"]), int(meta["seen"])
            with self.db.session() as session:
                if repo.pdq_rows_upto(session, last_id) != seen:
                    return False
                if _fingerprint(repo.hash_value(session, last_id)) != meta["last"]:
                    return False
        except Exception:  # missing, damaged or foreign snapshot: rebuild, never fail a lookup
            log.warning("index snapshot %s not usable; rebuilding", self.snapshot_path)
            return False
        self.index, self.last_id, self.seen = index, last_id, seen
        self._checked_at = time.monotonic()
        return True

    def _build(self) -> None:
        self.index = HammingIndex()
        self.last_id = self.seen = 0
        self._catch_up(force_save=True)
        self._checked_at = time.monotonic()

    def _catch_up(self, force_save: bool = False) -> None:
        """Add the rows written since ``last_id``, in batches (bounded memory)."""
        assert self.index is not None
        with self.db.session() as session:
            while rows := repo.pdq_rows_after(session, self.last_id, CATCH_UP_BATCH):
                active = [(row_id, value) for row_id, value, is_active in rows if is_active]
                if active:
                    ids = np.fromiter((r[0] for r in active), dtype=np.int64, count=len(active))
                    self.index.add(ids, hex_to_bits([r[1] for r in active]))
                    self.added_since_save += len(active)
                self.last_id = rows[-1][0]
                self.seen += len(rows)
                if len(rows) < CATCH_UP_BATCH:
                    break
            if force_save or self.added_since_save >= RESAVE_AFTER:
                self._save(repo.hash_value(session, self.last_id))

    def _save(self, last_value: str | None) -> None:
        """Write the snapshot (the index writes only new segments and replaces its manifest
        atomically; our meta travels in the manifest, so it always describes the snapshot)."""
        assert self.index is not None
        meta = {
            "version": SNAPSHOT_VERSION,
            "last_id": self.last_id,
            "seen": self.seen,
            "last": _fingerprint(last_value),
        }
        try:
            with self._locked():
                self.index.save(self.snapshot_path, meta=meta)
            self.added_since_save = 0
        except OSError as exc:  # a read-only data dir must not stop matching
            log.warning("could not save the index snapshot: %s", exc)


__all__ = ["PdqIndex"]
