"""Repository for banks and indicators: every SQL statement about them lives here.

Functions take a :class:`~sqlalchemy.orm.Session` (the caller owns the unit of work, see
``Database.session()``), so an import of a whole file is one transaction: a failure anywhere
rolls all of it back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, func, select, text, update
from sqlalchemy.orm import Session, selectinload

from childshield.errors import ConflictError, InputError, NotFoundError
from childshield.exchange.indicator_record import HashRecord, IndicatorRecord
from childshield.store.bulk import bulk_writes, insert_rows, inserted_ids
from childshield.store.models.banks import (
    BANK_KINDS,
    DEFAULT_PDQ_THRESHOLD,
    DEFAULT_QUALITY_MIN,
    Bank,
    Indicator,
    IndicatorHash,
)
from childshield.store.models.base import utcnow

_INDICATORS: Table = Indicator.__table__  # type: ignore[assignment]
_HASHES: Table = IndicatorHash.__table__  # type: ignore[assignment]
CHUNK = 500  # values per IN (...) list; well under SQLite's bound-parameter limit


@dataclass(frozen=True)
class BankInfo:
    """A bank's settings and how many indicators it holds."""

    id: int
    name: str
    kind: str
    threshold: int
    quality_min: int
    frame_threshold: int
    query_match: float
    index_match: float
    description: str | None
    created_at: datetime
    active: int = 0
    withdrawn: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "threshold": self.threshold,
            "quality_min": self.quality_min,
            "frame_threshold": self.frame_threshold,
            "query_match": self.query_match,
            "index_match": self.index_match,
            "description": self.description,
            "created_at": as_utc(self.created_at).isoformat(),
            "active": self.active,
            "withdrawn": self.withdrawn,
        }


@dataclass(frozen=True)
class Provenance:
    """Defaults for indicators whose record does not say (who, how, from where, when)."""

    submitted_by: str | None = None
    how_generated: str | None = None
    source: str | None = None
    note: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class StoredIds:
    """The indicator id of every input record, and whether this call created it."""

    ids: list[int]
    created: list[bool]
    withdrawn_kept: int = 0

    @property
    def created_count(self) -> int:
        return sum(self.created)


@dataclass(frozen=True)
class HashHit:
    """What the matcher needs to know about one indicator hash found by the index."""

    hash_id: int
    indicator_id: int
    bank_id: int
    bank: str
    signal: str
    variant: str
    frame: int | None
    time: float | None
    source: str | None


@dataclass(frozen=True)
class ExactHit:
    value: str
    indicator_id: int
    bank_id: int
    bank: str
    signal: str
    source: str | None


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time we store is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _chunks(items: Sequence[object], size: int = CHUNK) -> Iterator[Sequence[object]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- banks -----------------------------------------------------------------------------------


def create_bank(
    session: Session,
    name: str,
    *,
    kind: str = "known_material",
    threshold: int = DEFAULT_PDQ_THRESHOLD,
    quality_min: int = DEFAULT_QUALITY_MIN,
    description: str | None = None,
) -> BankInfo:
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("a bank name must be 1..200 characters")
    if kind not in BANK_KINDS:
        raise InputError(f"unknown bank kind {kind!r} (expected one of {', '.join(BANK_KINDS)})")
    if not 0 <= threshold <= 256:
        raise InputError(f"threshold must be 0..256 (PDQ Hamming distance), got {threshold}")
    if not 0 <= quality_min <= 100:
        raise InputError(f"quality minimum must be 0..100, got {quality_min}")
    if session.scalar(select(Bank.id).where(Bank.name == name)) is not None:
        raise ConflictError(f"bank {name!r} already exists")
    bank = Bank(
        name=name,
        kind=kind,
        threshold=threshold,
        quality_min=quality_min,
        frame_threshold=threshold,
        query_match=0.8,
        index_match=0.0,
        description=description,
        created_at=utcnow(),
    )
    session.add(bank)
    session.flush()
    return _info(bank)


def _info(bank: Bank, active: int = 0, withdrawn: int = 0) -> BankInfo:
    return BankInfo(
        id=bank.id,
        name=bank.name,
        kind=bank.kind,
        threshold=bank.threshold,
        quality_min=bank.quality_min,
        frame_threshold=bank.frame_threshold,
        query_match=bank.query_match,
        index_match=bank.index_match,
        description=bank.description,
        created_at=as_utc(bank.created_at),
        active=active,
        withdrawn=withdrawn,
    )


def get_bank(session: Session, name: str) -> Bank:
    bank = session.scalar(select(Bank).where(Bank.name == name))
    if bank is None:
        raise NotFoundError(f"no bank named {name!r} (see: childshield bank list)")
    return bank


def list_banks(session: Session, name: str | None = None) -> list[BankInfo]:
    """All banks (or the one named) with their active and withdrawn indicator counts."""
    counts: dict[tuple[int, str], int] = {}
    count_query = select(Indicator.bank_id, Indicator.status, func.count()).group_by(
        Indicator.bank_id, Indicator.status
    )
    banks_query = select(Bank).order_by(Bank.name)
    if name is not None:
        bank = get_bank(session, name)
        count_query = count_query.where(Indicator.bank_id == bank.id)
        banks_query = banks_query.where(Bank.id == bank.id)
    for bank_id, status, count in session.execute(count_query):
        counts[(bank_id, status)] = count
    return [
        _info(b, counts.get((b.id, "active"), 0), counts.get((b.id, "withdrawn"), 0))
        for b in session.scalars(banks_query)
    ]


def bank_settings(session: Session) -> dict[int, BankInfo]:
    """Every bank's settings by id (no counts; cheap, for the matcher's thresholds)."""
    return {b.id: _info(b) for b in session.scalars(select(Bank))}


# --- indicators ------------------------------------------------------------------------------


def store_records(
    session: Session, bank: Bank, records: Sequence[IndicatorRecord], defaults: Provenance
) -> StoredIds:
    """Insert records into ``bank`` in bulk; a value the bank already holds is not duplicated
    (its existing id is returned, and a withdrawn one stays withdrawn). Validation is the
    caller's (the formats check every line before anything is stored)."""
    existing = _existing_ids(session, bank.id, {(r.signal, r.value) for r in records})
    ids: list[int] = []
    created: list[bool] = []
    new_rows: list[dict[str, object]] = []
    new_positions: dict[tuple[str, str], list[int]] = {}
    withdrawn_kept = 0
    now = utcnow()
    for position, record in enumerate(records):
        key = (record.signal, record.value)
        if key in existing:
            indicator_id, status = existing[key]
            withdrawn_kept += status == "withdrawn"
            ids.append(indicator_id)
            created.append(False)
            continue
        ids.append(0)
        created.append(key not in new_positions)
        if key in new_positions:
            new_positions[key].append(position)
            continue
        new_positions[key] = [position]
        new_rows.append(_indicator_row(bank.id, record, defaults, now))
    if new_rows:
        # plain executemany (fast on SQLite and PostgreSQL), then the new ids: on SQLite
        # from the last rowid (see bulk.inserted_ids), else read back by value (INSERT ...
        # RETURNING with a guaranteed order falls back to one row per statement on SQLite)
        insert_rows(session, _INDICATORS, new_rows)
        new_ids = inserted_ids(session, bank.id, new_rows) or _existing_ids(
            session, bank.id, set(new_positions)
        )
        hash_rows: list[dict[str, object]] = []
        for key, positions in new_positions.items():
            indicator_id = new_ids[key][0]
            for position in positions:
                ids[position] = indicator_id
            for item in records[positions[0]].index_hashes():
                hash_rows.append(_hash_row(indicator_id, item))
        if hash_rows:
            insert_rows(session, _HASHES, hash_rows)
    return StoredIds(ids=ids, created=created, withdrawn_kept=withdrawn_kept)


def _indicator_row(
    bank_id: int, record: IndicatorRecord, defaults: Provenance, now: datetime
) -> dict[str, object]:
    withdrawn = record.status == "withdrawn"
    return {
        "bank_id": bank_id,
        "signal": record.signal,
        "value": record.value,
        "media": record.media,
        "status": record.status,
        "source": record.source or defaults.source,
        "submitted_by": record.submitted_by or defaults.submitted_by,
        "created_at": record.created_at or defaults.created_at or now,
        "how_generated": record.how_generated or defaults.how_generated,
        "note": record.note or defaults.note,
        "withdrawn_at": (record.withdrawn_at or now) if withdrawn else None,
        "withdrawn_reason": record.withdrawn_reason if withdrawn else None,
    }


def _hash_row(indicator_id: int, item: HashRecord) -> dict[str, object]:
    return {
        "indicator_id": indicator_id,
        "signal": "pdq",
        "value": item.value,
        "variant": item.variant,
        "frame": item.frame,
        "time": item.time,
        "quality": item.quality,
    }


# One index lookup per value (LATERAL ... LIMIT 1 is never flattened into a join). A plain
# IN list is planned, while the table's statistics predate the import, as a scan of the
# bank's whole (bank_id, signal) range filtered by value: quadratic in the size of an import.
_EXISTING_PG = text(
    "SELECT v.value, i.id, i.status FROM unnest(CAST(:values AS text[])) AS v(value) "
    "CROSS JOIN LATERAL (SELECT id, status FROM indicators WHERE bank_id = :bank "
    "AND signal = :signal AND value = v.value LIMIT 1) AS i"
)


def _existing_ids(
    session: Session, bank_id: int, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, str]]:
    found: dict[tuple[str, str], tuple[int, str]] = {}
    by_signal: dict[str, list[str]] = {}
    for signal, value in keys:
        by_signal.setdefault(signal, []).append(value)
    connection = session.connection()
    for signal, values in by_signal.items():
        for chunk in _chunks(values):
            rows: Iterable[Any]
            if connection.dialect.name == "sqlite":  # a million-row import: skip the compiler
                marks = ", ".join("?" * len(chunk))
                rows = connection.exec_driver_sql(
                    "SELECT value, id, status FROM indicators WHERE bank_id = ? AND signal = ? "
                    f"AND value IN ({marks})",
                    (bank_id, signal, *chunk),
                )
            elif connection.dialect.name == "postgresql":
                rows = session.execute(
                    _EXISTING_PG, {"values": list(chunk), "bank": bank_id, "signal": signal}
                )
            else:
                rows = session.execute(
                    select(Indicator.value, Indicator.id, Indicator.status).where(
                        Indicator.bank_id == bank_id,
                        Indicator.signal == signal,
                        Indicator.value.in_(chunk),
                    )
                )
            for value, indicator_id, status in rows:
                found[(signal, value)] = (indicator_id, status)
    return found


def withdraw(
    session: Session, bank: Bank, ids: Sequence[int], reason: str | None
) -> tuple[list[int], list[int]]:
    """Withdraw indicators of ``bank``: returns (withdrawn now, already withdrawn).
    Ids not in the bank raise NotFoundError and nothing is changed."""
    wanted = sorted(set(ids))
    status_of: dict[int, str] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(Indicator.id, Indicator.status).where(
                Indicator.bank_id == bank.id, Indicator.id.in_(chunk)
            )
        )
        status_of.update({indicator_id: status for indicator_id, status in rows})
    missing = [i for i in wanted if i not in status_of]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10])
        raise NotFoundError(f"bank {bank.name!r} has no indicator {shown}; nothing withdrawn")
    now_active = [i for i in wanted if status_of[i] == "active"]
    for chunk in _chunks(now_active):
        session.execute(
            update(Indicator)
            .where(Indicator.id.in_(chunk))
            .values(status="withdrawn", withdrawn_at=utcnow(), withdrawn_reason=reason)
        )
    return now_active, [i for i in wanted if status_of[i] != "active"]


def iter_records(
    session: Session, bank: Bank, *, status: str | None = None, batch: int = 2000
) -> Iterator[IndicatorRecord]:
    """The bank's indicators in id order, with their hashes, in batches (bounded memory)."""
    last = 0
    while True:
        query = (
            select(Indicator)
            .where(Indicator.bank_id == bank.id, Indicator.id > last)
            .order_by(Indicator.id)
            .limit(batch)
            .options(selectinload(Indicator.hashes))
        )
        if status is not None:
            query = query.where(Indicator.status == status)
        rows = list(session.scalars(query))
        if not rows:
            return
        for row in rows:
            yield _record(row, bank.name)
        last = rows[-1].id
        session.expunge_all()


def _record(row: Indicator, bank_name: str) -> IndicatorRecord:
    return IndicatorRecord(
        id=row.id,
        bank=bank_name,
        signal=row.signal,
        value=row.value,
        media=row.media,
        status=row.status,
        source=row.source,
        submitted_by=row.submitted_by,
        created_at=as_utc(row.created_at),
        how_generated=row.how_generated,
        note=row.note,
        withdrawn_at=as_utc(row.withdrawn_at) if row.withdrawn_at else None,
        withdrawn_reason=row.withdrawn_reason,
        hashes=tuple(
            HashRecord(h.value, h.variant, h.frame, h.time, h.quality) for h in row.hashes
        ),
    )


def get_records(session: Session, ids: Sequence[int]) -> list[IndicatorRecord]:
    """Indicators by id (any bank), in the order asked; unknown ids are left out."""
    found: dict[int, IndicatorRecord] = {}
    for chunk in _chunks(sorted(set(ids))):
        rows = session.execute(
            select(Indicator, Bank.name)
            .join(Bank, Bank.id == Indicator.bank_id)
            .where(Indicator.id.in_(chunk))
            .options(selectinload(Indicator.hashes))
        )
        for row, bank_name in rows:
            found[row.id] = _record(row, bank_name)
    return [found[i] for i in ids if i in found]


# --- lookups for the matcher -----------------------------------------------------------------


def exact_hits(
    session: Session, signal: str, values: Sequence[str], bank_id: int | None = None
) -> list[ExactHit]:
    """Active indicators whose value equals one of ``values`` (md5, sha256, url...)."""
    hits: list[ExactHit] = []
    for chunk in _chunks(sorted(set(values))):
        query = (
            select(Indicator.value, Indicator.id, Bank.id, Bank.name, Indicator.source)
            .join(Bank, Bank.id == Indicator.bank_id)
            .where(
                Indicator.signal == signal,
                Indicator.value.in_(chunk),
                Indicator.status == "active",
            )
        )
        if bank_id is not None:
            query = query.where(Indicator.bank_id == bank_id)
        for value, indicator_id, b_id, b_name, source in session.execute(query):
            hits.append(ExactHit(value, indicator_id, b_id, b_name, signal, source))
    return hits


def active_patterns(session: Session) -> list[tuple[int, str, str]]:
    """(indicator id, bank name, phrase) of every active solicitation pattern (the
    ``pattern`` indicators of ``solicitation`` banks, filled by ``bank sync``)."""
    query = (
        select(Indicator.id, Bank.name, Indicator.value)
        .join(Bank, Bank.id == Indicator.bank_id)
        .where(Bank.kind == "solicitation", Indicator.signal == "pattern",
               Indicator.status == "active")
        .order_by(Indicator.id)
    )
    return [(int(a), str(b), str(c)) for a, b, c in session.execute(query)]


def pdq_rows_after(
    session: Session, after_id: int, limit: int | None = None
) -> list[tuple[int, str, bool]]:
    """(hash row id, hex value, indicator active?) of the PDQ rows with id > after_id, in id
    order (at most ``limit``): what the index adds to catch up with the database."""
    query = (
        select(IndicatorHash.id, IndicatorHash.value, Indicator.status == "active")
        .join(Indicator, Indicator.id == IndicatorHash.indicator_id)
        .where(IndicatorHash.id > after_id, IndicatorHash.signal == "pdq")
        .order_by(IndicatorHash.id)
        .limit(limit)
    )
    return [(int(a), str(b), bool(c)) for a, b, c in session.execute(query)]


def pdq_rows_upto(session: Session, last_id: int) -> int:
    """How many PDQ rows have id <= last_id: if this differs from what the index has seen,
    a row was deleted or committed late under a lower id, and the index is rebuilt."""
    query = select(func.count(IndicatorHash.id)).where(
        IndicatorHash.id <= last_id, IndicatorHash.signal == "pdq"
    )
    return int(session.scalar(query) or 0)


def hash_value(session: Session, hash_id: int) -> str | None:
    return session.scalar(select(IndicatorHash.value).where(IndicatorHash.id == hash_id))


def resolve_hashes(
    session: Session, hash_ids: Sequence[int], bank_id: int | None = None
) -> dict[int, HashHit]:
    """Hash rows by id, only those of ACTIVE indicators (of ``bank_id`` if given): this is
    where a withdrawal takes effect on the very next lookup, whatever the index holds."""
    found: dict[int, HashHit] = {}
    for chunk in _chunks(sorted(set(hash_ids))):
        query = (
            select(
                IndicatorHash.id,
                Indicator.id,
                Bank.id,
                Bank.name,
                Indicator.signal,
                IndicatorHash.variant,
                IndicatorHash.frame,
                IndicatorHash.time,
                Indicator.source,
            )
            .join(Indicator, Indicator.id == IndicatorHash.indicator_id)
            .join(Bank, Bank.id == Indicator.bank_id)
            .where(IndicatorHash.id.in_(chunk), Indicator.status == "active")
        )
        if bank_id is not None:
            query = query.where(Bank.id == bank_id)
        for row in session.execute(query):
            found[row[0]] = HashHit(*row)
    return found


__all__ = [
    "BankInfo",
    "ExactHit",
    "HashHit",
    "Provenance",
    "StoredIds",
    "active_patterns",
    "as_utc",
    "bank_settings",
    "bulk_writes",
    "create_bank",
    "exact_hits",
    "get_bank",
    "get_records",
    "hash_value",
    "iter_records",
    "list_banks",
    "pdq_rows_after",
    "pdq_rows_upto",
    "resolve_hashes",
    "store_records",
    "withdraw",
]
