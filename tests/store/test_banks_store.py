"""Banks and indicators in the database (runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from childshield.errors import ConflictError, ImportFormatError, InputError, NotFoundError
from childshield.exchange.indicator_record import IndicatorRecord
from childshield.matching import BankService
from childshield.store import Database
from childshield.store import banks as repo
from childshield.store.models.banks import Indicator, IndicatorHash

PDQ = [f"{i:02x}" * 32 for i in range(1, 6)]
MD5 = "cab08b36195edb1a1231d2d09fa450e0"


def _count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_schema_matches_models(database: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from childshield.store.models import Base

    ours = {"banks", "indicators", "indicator_hashes"}

    def only_ours(name: str | None, kind: str, parents: dict[str, str | None]) -> bool:
        if kind == "schema":
            return True
        table = name if kind == "table" else parents.get("table_name")
        return table in ours

    with database.engine.connect() as conn:
        def object_is_ours(obj: object, name: str | None, kind: str, reflected: bool,
                           compare_to: object) -> bool:
            # models of other domains are in Base.metadata once any test imported them
            table = getattr(obj, "table", obj)
            return kind == "schema" or getattr(table, "name", name) in ours

        context = MigrationContext.configure(
            conn, opts={"include_name": only_ours, "include_object": object_is_ours}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_create_and_list_banks(database: Database) -> None:
    service = BankService(database)
    created = service.create("test-indicators", threshold=20, description="benign shapes")
    assert (created.name, created.kind, created.threshold, created.quality_min) == (
        "test-indicators",
        "known_material",
        20,
        50,
    )
    service.create("urls", kind="url")
    assert [b.name for b in service.list_banks()] == ["test-indicators", "urls"]
    with pytest.raises(ConflictError, match="already exists"):
        service.create("test-indicators")
    with pytest.raises(InputError, match="unknown bank kind"):
        service.create("x", kind="stuff")
    with pytest.raises(InputError, match=r"threshold must be 0\.\.256"):
        service.create("y", threshold=300)
    with pytest.raises(NotFoundError, match="no bank named 'nope'"):
        service.get("nope")


def test_records_are_stored_once_with_provenance(database: Database) -> None:
    service = BankService(database)
    service.create("test-indicators")
    records = [
        IndicatorRecord("pdq", PDQ[0], "image"),
        IndicatorRecord("md5", MD5, "video", source="list 4"),
        IndicatorRecord("pdq", PDQ[0], "image"),
    ]
    defaults = repo.Provenance(submitted_by="tester", how_generated="unit test", source="here")
    first = service.add_records("test-indicators", records, defaults)
    assert first.created == [True, True, False]
    assert first.ids[0] == first.ids[2] != first.ids[1]
    again = service.add_records("test-indicators", records[:2], defaults)
    assert again.ids == first.ids[:2] and again.created_count == 0
    stored = service.indicators(first.ids[:2])
    assert [(r.signal, r.source, r.submitted_by, r.how_generated) for r in stored] == [
        ("pdq", "here", "tester", "unit test"),
        ("md5", "list 4", "tester", "unit test"),
    ]
    assert stored[0].created_at is not None and stored[0].created_at.tzinfo is not None
    # the pdq indicator got its `full` index row; the md5 one has none
    assert [(h.value, h.variant) for h in stored[0].hashes] == [(PDQ[0], "full")]
    assert stored[1].hashes == ()
    assert service.get("test-indicators").active == 2


def test_import_pytx_and_export_round_trip(database: Database, tmp_path: Path) -> None:
    service = BankService(database)
    service.create("test-indicators")
    path = tmp_path / "list.txt"
    path.write_text("".join(f"pdq {h}\n" for h in PDQ) + f"video_md5 {MD5}\n")
    summary = service.import_file("test-indicators", path, submitted_by="hotline")
    assert (summary.format, summary.created, summary.existing) == ("pytx", 6, 0)
    assert service.import_file("test-indicators", path).existing == 6
    out = tmp_path / "export.txt"
    with out.open("w") as handle:
        assert service.export("test-indicators", handle, "pytx") == (6, 0)
    assert out.read_text() == path.read_text()
    record = next(service.iter_indicators("test-indicators"))
    assert (record.source, record.submitted_by) == (str(path), "hotline")
    assert record.how_generated == "imported: python-threatexchange file"


def test_malformed_import_imports_nothing(database: Database, tmp_path: Path) -> None:
    service = BankService(database)
    service.create("test-indicators")
    path = tmp_path / "list.txt"
    path.write_text(f"pdq {PDQ[0]}\npdq {PDQ[1][:-2]}\nmd5 {MD5}\nurl\n")
    with pytest.raises(ImportFormatError) as info:
        service.import_file("test-indicators", path)
    assert "line 2: pdq value must be 64 hex digits, got 62 characters" in str(info.value)
    assert "line 4:" in str(info.value)
    assert _count(database, Indicator) == 0


def test_failure_while_storing_rolls_back(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A valid file whose storage fails half-way leaves no indicator behind."""
    service = BankService(database)
    service.create("test-indicators")
    path = tmp_path / "list.txt"
    path.write_text("".join(f"pdq {h}\n" for h in PDQ))

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(repo, "_hash_row", broken)
    with pytest.raises(RuntimeError):
        service.import_file("test-indicators", path)
    assert _count(database, Indicator) == 0
    assert _count(database, IndicatorHash) == 0


def test_jsonl_round_trip_between_banks(database: Database, tmp_path: Path) -> None:
    service = BankService(database)
    service.create("a")
    service.create("b")
    path = tmp_path / "in.jsonl"
    lines = [
        {"signal": "pdq", "value": PDQ[0], "media": "image", "note": "benign square"},
        {
            "signal": "vpdq",
            "value": "clip-1",
            "media": "video",
            "hashes": [
                {"value": PDQ[1], "variant": "frame", "frame": 0, "time": 0.0, "quality": 90},
                {"value": PDQ[2], "variant": "frame", "frame": 30, "time": 1.0, "quality": 91},
            ],
        },
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert service.import_file("a", path).created == 2
    first_id = next(service.iter_indicators("a")).id
    assert first_id is not None
    assert service.withdraw("a", [first_id], "test").withdrawn == [first_id]
    exported = tmp_path / "a.jsonl"
    with exported.open("w") as handle:
        service.export("a", handle, "jsonl")
    assert service.import_file("b", exported).created == 2
    a = list(service.iter_indicators("a"))
    b = list(service.iter_indicators("b"))
    strip = ("id", "bank")
    assert [{k: v for k, v in asdict(r).items() if k not in strip} for r in a] == [
        {k: v for k, v in asdict(r).items() if k not in strip} for r in b
    ]
    assert b[0].status == "withdrawn" and b[0].withdrawn_reason == "test"
    assert [h.frame for h in b[1].hashes] == [0, 30]


def test_withdraw(database: Database) -> None:
    service = BankService(database)
    service.create("test-indicators")
    service.create("other")
    ids = service.add_records(
        "test-indicators", [IndicatorRecord("pdq", h, "image") for h in PDQ[:3]], repo.Provenance()
    ).ids
    result = service.withdraw("test-indicators", ids[:2], reason="false positive")
    assert (result.withdrawn, result.already) == (ids[:2], [])
    assert service.withdraw("test-indicators", ids[:1]).already == ids[:1]
    with pytest.raises(NotFoundError, match="no indicator"):
        service.withdraw("other", [ids[2]])
    assert service.indicators([ids[2]])[0].status == "active"
    info = service.get("test-indicators")
    assert (info.active, info.withdrawn) == (1, 2)
    # re-importing a withdrawn value does not silently bring it back
    again = service.add_records(
        "test-indicators", [IndicatorRecord("pdq", PDQ[0], "image")], repo.Provenance()
    )
    assert again.withdrawn_kept == 1
    assert service.indicators([ids[0]])[0].status == "withdrawn"


def test_import_streams_in_batches(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Duplicates across batches are stored once; every batch is in the same transaction."""
    import childshield.matching.service as service_module

    monkeypatch.setattr(service_module, "IMPORT_BATCH", 2)
    service = BankService(database)
    service.create("test-indicators")
    path = tmp_path / "list.txt"
    path.write_text("".join(f"pdq {h}\n" for h in PDQ + PDQ[:2]) + f"md5 {MD5}\n")
    summary = service.import_file("test-indicators", path)
    assert (summary.lines, summary.created, summary.existing) == (8, 6, 2)
    assert _count(database, IndicatorHash) == 5


def test_binary_file_is_rejected_clearly(database: Database, tmp_path: Path) -> None:
    service = BankService(database)
    service.create("test-indicators")
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match="not UTF-8 text"):
        service.import_file("test-indicators", path)
    assert _count(database, Indicator) == 0


def test_windows_text_with_bom_imports(database: Database, tmp_path: Path) -> None:
    """Lists saved by Windows editors: a byte-order mark and CRLF line ends."""
    service = BankService(database)
    service.create("test-indicators")
    path = tmp_path / "list.txt"
    path.write_bytes(("\ufeff" + "".join(f"pdq {h}\r\n" for h in PDQ)).encode())
    assert service.import_file("test-indicators", path).created == len(PDQ)
