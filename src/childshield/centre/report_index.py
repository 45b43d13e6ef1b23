"""What victims' searches look up per report item, without decrypting the reports.

At intake every report item gets search rows (``centre_item_signals``): one per PDQ of
quality >= 50 and one per centre indicator the item matched (a report with neither gets
one ``none`` marker row, so it counts as indexed). A victim's search then

* finds the items matched to the indicators the person's hashes match with one indexed
  query (``signal = 'indicator' AND indicator IN (...)``), and
* finds report PDQs within distance 31 of the person's PDQs in a
  :class:`~childshield.index.HammingIndex` held in memory by :class:`ReportPdqIndex`.

**Why the PDQ rows are encrypted.** A report's PDQ values were only ever stored inside the
encrypted report, and hashes can be inverted to a rough thumbnail (SAFETY.md), so they are
not written in the clear now either: each row holds its 32 bytes encrypted with the
evidence keyring (AES-256-GCM, bound to report and item). The index decrypts each row
*once per process* (at its first search, then only the rows added since), instead of every
search decrypting and parsing every report; nothing in clear text reaches the disk. The
cost is one 32-byte AES-GCM decryption per report PDQ when a process starts searching.
A keyed blind index (HMAC of the exact value) would serve exact matches only; exact
md5/sha256/PDQ matches already go through intake's one-way signal keys.

The index follows the table by row id; when a row appears below the last id it has seen
(a transaction that committed late), it is rebuilt. Reports received before these rows
existed are indexed on the first search after the upgrade (their envelope is decrypted
once, then never again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from childshield.crypto.keyring import EvidenceKeyring
from childshield.exchange.report import Report
from childshield.store import centre_victims as repo
from childshield.store.models.centre import CentreReport
from childshield.store.models.centre_victims import CentreItemSignal

PDQ_RADIUS = 31
MIN_PDQ_QUALITY = 50


def _aad(report_pk: int, item_id: str) -> bytes:
    return f"childshield.centre.item-pdq/1:{report_pk}:{item_id}".encode()


def signal_rows(keyring: EvidenceKeyring, report_pk: int, report: Report,
                matches: Iterable[dict[str, Any]]) -> list[CentreItemSignal]:
    """The search rows of one stored report (``matches``: its intake indicator matches)."""
    rows = []
    for item in report.content:
        for s in item.signals:
            if s.signal == "pdq" and (s.quality is None or s.quality >= MIN_PDQ_QUALITY):
                code = keyring.encrypt(bytes.fromhex(s.value), _aad(report_pk, item.item_id))
                rows.append(CentreItemSignal(report_pk=report_pk, item_id=item.item_id,
                                             signal="pdq", code=code))
    for m in matches:
        rows.append(CentreItemSignal(report_pk=report_pk, item_id=str(m.get("item_id")),
                                     signal="indicator", indicator=int(m["indicator"])))
    if not rows:
        rows.append(CentreItemSignal(report_pk=report_pk, item_id="", signal="none"))
    return rows


def index_missing(session: Session, keyring: EvidenceKeyring,
                  load: Callable[[CentreReport], Report]) -> int:
    """Add search rows for reports that have none (``load(row) -> Report``); how many."""
    done = 0
    while True:
        page = repo.reports_without_signals(session)
        if not page:
            return done
        for row in page:
            session.add_all(signal_rows(keyring, row.id, load(row), row.centre_matches or []))
        session.flush()
        done += len(page)


def pdq_codes(values: list[str]) -> np.ndarray:
    return np.frombuffer(b"".join(bytes.fromhex(v) for v in values), dtype=np.uint8
                         ).reshape(len(values), 32)


class ReportPdqIndex:
    """The report PDQs in memory, caught up with the table before each search."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reset()
        self.decrypted = 0
        """Rows decrypted so far (what a search cost; the tests read it)."""

    def _reset(self) -> None:
        from childshield.index import HammingIndex

        self._index = HammingIndex()
        self._keys: dict[int, tuple[int, str]] = {}
        self._last = 0

    def _catch_up(self, session: Session, keyring: EvidenceKeyring) -> None:
        if repo.pdq_signals_upto(session, self._last) != len(self._keys):
            self._reset()  # a row committed late under a lower id, or rows were deleted
        while True:
            rows = repo.pdq_signals_after(session, self._last)
            if not rows:
                return
            codes = []
            for row in rows:
                assert row.code is not None
                codes.append(keyring.decrypt(row.code, _aad(row.report_pk, row.item_id)))
                self._keys[row.id] = (row.report_pk, row.item_id)
            self.decrypted += len(rows)
            ids = np.array([row.id for row in rows], dtype=np.int64)
            self._index.add(ids, np.frombuffer(b"".join(codes), dtype=np.uint8
                                               ).reshape(len(rows), 32))
            self._last = rows[-1].id

    def search(self, session: Session, keyring: EvidenceKeyring, pdqs: list[str]
               ) -> dict[tuple[int, str], int]:
        """(report pk, item id) -> smallest distance to any of ``pdqs`` (within 31)."""
        with self._lock:
            self._catch_up(session, keyring)
            if not pdqs or not self._keys:
                return {}
            result = self._index.search(pdq_codes(pdqs), radius=PDQ_RADIUS)
            found: dict[tuple[int, str], int] = {}
            for i in range(len(pdqs)):
                for row_id, distance in result.for_query(i):
                    key = self._keys.get(int(row_id))
                    if key is not None and distance < found.get(key, PDQ_RADIUS + 1):
                        found[key] = int(distance)
            return found


def indicator_items(session: Session, indicators: dict[int, tuple[str, int]]
                    ) -> dict[tuple[int, str], tuple[str, int]]:
    """Items matched at intake to these indicators -> (``ind:<signal>``, distance)."""
    found: dict[tuple[int, str], tuple[str, int]] = {}
    for report_pk, item_id, indicator in repo.items_with_indicators(session, indicators):
        signal, distance = indicators[indicator]
        found.setdefault((report_pk, item_id), (f"ind:{signal}", distance))
    return found


__all__ = [
    "MIN_PDQ_QUALITY",
    "PDQ_RADIUS",
    "ReportPdqIndex",
    "index_missing",
    "indicator_items",
    "pdq_codes",
    "signal_rows",
]

