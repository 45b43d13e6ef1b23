"""Bulk imports: every indicator gets the right id and hash rows, on SQLite and PostgreSQL,
however batches, banks and duplicates interleave; SQLite's page cache is given back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from childshield.matching import BankService
from childshield.store import Database
from childshield.store.bulk import bulk_writes, insert_rows, inserted_ids
from childshield.store.models.banks import Indicator, IndicatorHash


def values(a: int, b: int) -> list[str]:
    return [f"{i:064x}" for i in range(a, b)]


def write(path: Path, items: list[str]) -> Path:
    path.write_text("".join(f"pdq {v}\n" for v in items) + "\n# a comment\n")
    return path


def stored(database: Database) -> dict[int, tuple[str, str, set[str]]]:
    """indicator id -> (bank name, value, the values of its hash rows)."""
    from childshield.store.models.banks import Bank

    with database.session() as session:
        rows = session.execute(select(Indicator.id, Bank.name, Indicator.value).join(Bank)).all()
        hashes: dict[int, set[str]] = {}
        for indicator_id, value in session.execute(
            select(IndicatorHash.indicator_id, IndicatorHash.value)
        ):
            hashes.setdefault(indicator_id, set()).add(value)
    return {i: (bank, value, hashes.get(i, set())) for i, bank, value in rows}


@pytest.fixture
def service(database: Database, monkeypatch: pytest.MonkeyPatch) -> BankService:
    """Two banks, and batches of 7 records, so that batches cut through duplicates."""
    monkeypatch.setattr("childshield.matching.service.IMPORT_BATCH", 7)
    banks = BankService(database)
    for name in ("a", "b"):
        banks.create(name)
    return banks


def test_ids_and_hash_rows_are_right_across_banks_batches_and_duplicates(
    service: BankService, database: Database, tmp_path: Path
) -> None:
    first = service.import_file("a", write(tmp_path / "1.txt", values(0, 40)))
    # overlaps bank a's values (a different bank: new indicators) and repeats itself
    second = service.import_file("b", write(tmp_path / "2.txt", values(20, 60) + values(20, 30)))
    # half already in a, half new, duplicates spread over batches
    third = service.import_file("a", write(tmp_path / "3.txt", values(30, 50) + values(45, 50)))
    assert (first.created, first.existing) == (40, 0)
    assert (second.created, second.existing) == (40, 10)
    assert (third.created, third.existing) == (10, 15)
    rows = stored(database)
    assert len(rows) == 90
    for bank, value, hashes in rows.values():
        assert hashes == {value}, bank  # each hash row belongs to its own indicator
    by_bank: dict[str, list[str]] = {}
    for _, (bank, value, _) in sorted(rows.items()):
        by_bank.setdefault(bank, []).append(value)
    assert by_bank["a"] == values(0, 50)  # ids follow the file order
    assert by_bank["b"] == values(20, 60)


def test_inserted_ids_refuses_what_it_cannot_prove(
    service: BankService, database: Database
) -> None:
    bank = service.get("a")
    now = datetime.now(UTC)
    rows = [
        {"bank_id": bank.id, "signal": "pdq", "value": v, "status": "active", "created_at": now}
        for v in values(0, 5)
    ]
    with database.session() as session:
        insert_rows(session, Indicator.__table__, rows)  # type: ignore[arg-type]
        ids = inserted_ids(session, bank.id, rows)
        if session.connection().dialect.name != "sqlite":
            assert ids is None  # read back by value elsewhere
            return
        assert ids is not None
        got = dict(session.execute(select(Indicator.value, Indicator.id)).all())
        assert {v: i for (_, v), (i, _) in ids.items()} == got
        # rows that were not the last ones inserted: no proof, no ids
        assert inserted_ids(session, bank.id, rows[:3]) is None
        assert inserted_ids(session, bank.id + 1, rows) is None


def test_bulk_writes_gives_the_page_cache_back(database: Database) -> None:
    with database.session() as session:
        connection = session.connection()
        if connection.dialect.name != "sqlite":
            with bulk_writes(session):
                pass
            return
        before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
        with bulk_writes(session, cache_mib=64):
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == -64 * 1024
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
