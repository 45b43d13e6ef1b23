"""Bulk writes for large imports: SQLite's page cache, plain executemany, new ids.

What an import of a million indicators spends its time on is SQLite itself (index pages
spilled to the WAL and read back) and per-row Python around the driver; these helpers keep
both small. Other databases take SQLAlchemy Core's executemany (psycopg batches it).
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


@contextmanager
def bulk_writes(session: Session, cache_mib: int = 256) -> Iterator[None]:
    """Let SQLite keep up to ``cache_mib`` of pages in memory while a large import runs (the
    default 2 MiB spills dirty index pages to the WAL again and again: most of a million-row
    import's time); restored afterwards, since the connection goes back to the pool."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{int(cache_mib) * 1024}")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # never hide the error that got us here
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def insert_rows(session: Session, table: Table, rows: list[dict[str, object]]) -> None:
    """Bulk insert. On SQLite straight to the driver's executemany with SQLAlchemy's own bind
    processing (the ORM/Core path costs more than the insert itself at a million rows);
    elsewhere Core's executemany (psycopg batches it into multi-row statements)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    get = operator.itemgetter(*columns)
    params = [list(get(row)) for row in rows]
    for position, name in enumerate(columns):  # only a few column types convert on SQLite
        proc = table.c[name].type.bind_processor(connection.dialect)
        if proc is None:
            continue
        done: dict[Any, Any] = {None: None}  # most rows share the value (now, defaults)
        for row in params:
            value = row[position]
            if value not in done:
                done[value] = proc(value)
            row[position] = done[value]
    connection.exec_driver_sql(sql, list(map(tuple, params)))


def inserted_ids(
    session: Session, bank_id: int, rows: list[dict[str, object]]
) -> dict[tuple[str, str], tuple[int, str]] | None:
    """The ids SQLite gave ``rows`` (just inserted by one executemany), or None elsewhere or
    when they cannot be proven. While our transaction holds the write lock every new rowid
    is the largest so far plus one, so the rows are numbered up to last_insert_rowid() in
    order; checking that the first and the last row sit at the two ends (values are unique
    per bank and signal) proves it without reading the other rows back."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
    last = int(connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
    first = last - len(rows) + 1
    ends = connection.exec_driver_sql(
        "SELECT id, bank_id, signal, value FROM indicators WHERE id IN (?, ?)", (first, last)
    ).all()
    want = {
        (first, rows[0]["signal"], rows[0]["value"]),
        (last, rows[-1]["signal"], rows[-1]["value"]),
    }
    if last >= 2**62 or {(i, s, v) for i, b, s, v in ends if b == bank_id} != want:
        return None
    return {
        (str(row["signal"]), str(row["value"])): (first + k, str(row["status"]))
        for k, row in enumerate(rows)
    }


__all__ = ["bulk_writes", "insert_rows", "inserted_ids"]
