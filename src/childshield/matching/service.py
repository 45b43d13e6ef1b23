"""BankService: create banks, fill them (files, indicator files), export, withdraw.

The service is what the CLI and the HTTP API call; it owns the units of work (an import is
one transaction) and leaves SQL to :mod:`childshield.store.banks`.
"""

from __future__ import annotations

import getpass
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO, TypeVar

from childshield.errors import InputError, NotFoundError
from childshield.exchange.indicator_record import (
    IndicatorRecord,
    check_lines,
    stream_records,
)
from childshield.exchange.jsonl import parse_object, write_jsonl
from childshield.exchange.pytx_format import parse_line, write_pytx
from childshield.store import Database
from childshield.store import banks as repo
from childshield.store.banks import BankInfo, Provenance, StoredIds

FORMATS = ("pytx", "jsonl")
IMPORT_BATCH = 5_000  # records stored per statement batch during an import
T = TypeVar("T")
MAX_IMPORT_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class ImportSummary:
    bank: str
    path: str
    format: str
    lines: int
    created: int
    existing: int
    withdrawn_kept: int

    def to_dict(self) -> dict[str, object]:
        return {
            "bank": self.bank,
            "path": self.path,
            "format": self.format,
            "indicators": self.lines,
            "created": self.created,
            "existing": self.existing,
            "withdrawn_kept": self.withdrawn_kept,
        }


@dataclass(frozen=True)
class WithdrawSummary:
    bank: str
    withdrawn: list[int]
    already: list[int]

    def to_dict(self) -> dict[str, object]:
        return {"bank": self.bank, "withdrawn": self.withdrawn, "already_withdrawn": self.already}


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"


def detect_format(path: Path) -> str:
    """``jsonl`` when the first non-blank, non-comment line starts with ``{``, else ``pytx``."""
    with path.open("r", encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            text = line.strip()
            if text and not text.startswith("#"):
                return "jsonl" if text.startswith("{") else "pytx"
    return "pytx"


def line_parser(fmt: str) -> Callable[[str], IndicatorRecord | None]:
    if fmt == "pytx":
        return parse_line
    if fmt == "jsonl":
        return parse_object
    raise InputError(f"unknown format {fmt!r} (expected pytx or jsonl)")


def _open_text(path: Path) -> TextIO:
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    if path.stat().st_size > MAX_IMPORT_BYTES:
        raise InputError(f"{path}: larger than {MAX_IMPORT_BYTES} bytes")
    return path.open("r", encoding="utf-8-sig")  # a BOM is not part of line 1


def _decoding(path: Path, work: Callable[[], T]) -> T:
    try:
        return work()
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


class BankService:
    """Domain operations on banks; one instance per database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        name: str,
        *,
        kind: str = "known_material",
        threshold: int = 31,
        quality_min: int = 50,
        description: str | None = None,
    ) -> BankInfo:
        with self.db.session() as session:
            return repo.create_bank(
                session,
                name,
                kind=kind,
                threshold=threshold,
                quality_min=quality_min,
                description=description,
            )

    def ensure(self, name: str, *, threshold: int = 31, kind: str = "known_material") -> BankInfo:
        """The bank named ``name``, created with these settings if it does not exist yet."""
        with self.db.session() as session:
            banks = {b.name: b for b in repo.list_banks(session)}
        return banks[name] if name in banks else self.create(name, kind=kind, threshold=threshold)

    def list_banks(self) -> list[BankInfo]:
        with self.db.session() as session:
            return repo.list_banks(session)

    def get(self, name: str) -> BankInfo:
        with self.db.session() as session:
            return repo.list_banks(session, name)[0]

    def add_records(
        self, bank: str, records: Sequence[IndicatorRecord], defaults: Provenance
    ) -> StoredIds:
        """Store records in one transaction (all or nothing)."""
        with self.db.session() as session:
            return repo.store_records(session, repo.get_bank(session, bank), records, defaults)

    def import_file(
        self,
        bank: str,
        path: Path,
        *,
        fmt: str | None = None,
        submitted_by: str | None = None,
        note: str | None = None,
    ) -> ImportSummary:
        """Import an indicator file in two passes: every line is validated first (a
        malformed line imports nothing; ImportFormatError names each bad line), then the
        records are streamed into the bank in one transaction, in batches (memory stays
        bounded at any file size). Any failure leaves the bank as it was."""
        with self.db.session() as session:
            repo.get_bank(session, bank)  # fail fast on a wrong name, before parsing
        if fmt is None and not path.is_file():
            raise NotFoundError(f"{path}: no such file")
        fmt = fmt or detect_format(path)
        parse = line_parser(fmt)
        with _open_text(path) as handle:
            lines = _decoding(path, lambda: check_lines(handle, parse))
        generated = "python-threatexchange file" if fmt == "pytx" else "childshield jsonl"
        defaults = Provenance(
            submitted_by=submitted_by or current_user(),
            how_generated=f"imported: {generated}",
            source=str(path),
            note=note,
        )
        created = withdrawn_kept = 0
        with self.db.session() as session, _open_text(path) as handle, repo.bulk_writes(session):
            target = repo.get_bank(session, bank)
            records = stream_records(handle, parse)
            while batch := list(itertools.islice(records, IMPORT_BATCH)):
                stored = repo.store_records(session, target, batch, defaults)
                created += stored.created_count
                withdrawn_kept += stored.withdrawn_kept
        return ImportSummary(
            bank=bank,
            path=str(path),
            format=fmt,
            lines=lines,
            created=created,
            existing=lines - created,
            withdrawn_kept=withdrawn_kept,
        )

    def iter_indicators(self, bank: str, *, status: str | None = None) -> Iterator[IndicatorRecord]:
        with self.db.session() as session:
            yield from repo.iter_records(session, repo.get_bank(session, bank), status=status)

    def export(self, bank: str, out: TextIO, fmt: str = "pytx") -> tuple[int, int]:
        """Write the bank to ``out``: (written, skipped). pytx carries active indicators
        only (the format has no status); jsonl carries all with status and provenance."""
        if fmt not in FORMATS:
            raise InputError(f"unknown format {fmt!r} (expected pytx or jsonl)")
        if fmt == "pytx":
            return write_pytx(self.iter_indicators(bank), out)
        return write_jsonl(self.iter_indicators(bank), out), 0

    def withdraw(self, bank: str, ids: Sequence[int], reason: str | None = None) -> WithdrawSummary:
        """Withdraw indicators; the next lookup no longer matches them."""
        with self.db.session() as session:
            done, already = repo.withdraw(session, repo.get_bank(session, bank), ids, reason)
        return WithdrawSummary(bank, done, already)

    def indicators(self, ids: Sequence[int]) -> list[IndicatorRecord]:
        with self.db.session() as session:
            return repo.get_records(session, ids)


__all__ = [
    "FORMATS",
    "BankService",
    "ImportSummary",
    "WithdrawSummary",
    "current_user",
    "detect_format",
    "line_parser",
]
