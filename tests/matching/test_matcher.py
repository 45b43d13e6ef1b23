"""The Matcher over real databases (SQLite and PostgreSQL): thresholds, withdrawals, new
indicators, snapshots, video frames and exact signals."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import insert

from childshield.errors import NotFoundError, SignalValueError
from childshield.exchange.indicator_record import HashRecord, IndicatorRecord
from childshield.matching import BankService, Matcher, PdqQuery
from childshield.store import Database
from childshield.store.banks import Provenance
from childshield.store.models.banks import IndicatorHash

MD5 = "cab08b36195edb1a1231d2d09fa450e0"


def random_pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def flip(hex_value: str, bits: int, rng: random.Random) -> str:
    """``hex_value`` with exactly ``bits`` distinct bits flipped."""
    number = int(hex_value, 16)
    for position in rng.sample(range(256), bits):
        number ^= 1 << position
    return f"{number:064x}"


def add(service: BankService, bank: str, *records: IndicatorRecord) -> list[int]:
    return service.add_records(bank, list(records), Provenance(source="unit test")).ids


@pytest.fixture
def rng() -> random.Random:
    return random.Random(2026)


def test_per_bank_threshold_and_bank_filter(
    database: Database, tmp_path: Path, rng: random.Random
) -> None:
    service = BankService(database)
    service.create("strict", threshold=10)
    service.create("loose", threshold=31)
    base = random_pdq(rng)
    (strict_id,) = add(service, "strict", IndicatorRecord("pdq", base, "image"))
    (loose_id,) = add(service, "loose", IndicatorRecord("pdq", base, "image"))
    matcher = Matcher(database, index_dir=tmp_path / "index")
    near, far, outside = flip(base, 8, rng), flip(base, 20, rng), flip(base, 32, rng)
    results = matcher.match_pdq([near, far, outside])
    assert [(m.bank, m.indicator, m.distance) for m in results[0]] == [
        ("loose", loose_id, 8),
        ("strict", strict_id, 8),
    ]
    assert [(m.bank, m.distance, m.source) for m in results[1]] == [("loose", 20, "unit test")]
    assert results[2] == []
    assert [m.bank for m in matcher.match_pdq([near], bank="strict")[0]] == ["strict"]
    with pytest.raises(NotFoundError):
        matcher.match_pdq([near], bank="missing")


def test_finds_exactly_what_brute_force_finds(
    database: Database, tmp_path: Path, rng: random.Random
) -> None:
    service = BankService(database)
    service.create("test-indicators", threshold=31)
    bases = [random_pdq(rng) for _ in range(40)]
    # clusters: several indicators close to each base, at known distances
    values = sorted({flip(b, d, rng) for b in bases for d in (0, 5, 15, 25, 31, 32, 40)})
    ids = add(service, "test-indicators", *(IndicatorRecord("pdq", v, "image") for v in values))
    queries = [flip(b, 3, rng) for b in bases] + [random_pdq(rng) for _ in range(10)]
    found = Matcher(database, index_dir=tmp_path / "i").match_pdq(queries)
    for query, matches in zip(queries, found, strict=True):
        expected = sorted(
            (bin(int(query, 16) ^ int(v, 16)).count("1"), i)
            for v, i in zip(values, ids, strict=True)
            if bin(int(query, 16) ^ int(v, 16)).count("1") <= 31
        )
        assert [(m.distance, m.indicator) for m in matches] == expected


def test_new_indicator_and_withdrawal_take_effect_on_next_lookup(
    database: Database, tmp_path: Path, rng: random.Random
) -> None:
    service = BankService(database)
    service.create("test-indicators")
    first, second = random_pdq(rng), random_pdq(rng)
    (first_id,) = add(service, "test-indicators", IndicatorRecord("pdq", first, "image"))
    matcher = Matcher(database, index_dir=tmp_path / "index")
    assert [m.indicator for m in matcher.match_pdq([first])[0]] == [first_id]
    (second_id,) = add(service, "test-indicators", IndicatorRecord("pdq", second, "image"))
    assert [m.indicator for m in matcher.match_pdq([second])[0]] == [second_id]
    service.withdraw("test-indicators", [first_id], reason="mistake")
    assert matcher.match_pdq([first])[0] == []
    # a fresh process loads the snapshot and still sees both changes
    fresh = Matcher(database, index_dir=tmp_path / "index")
    assert fresh.match_pdq([first, second]) == [[], matcher.match_pdq([second])[0]]


def test_snapshot_is_reused_and_never_trusted_for_another_database(
    tmp_path: Path, rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    from childshield.matching.pdq_index import PdqIndex
    from childshield.store import open_database

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    db = open_database(url)
    service = BankService(db)
    service.create("test-indicators")
    value = random_pdq(rng)
    add(service, "test-indicators", IndicatorRecord("pdq", value, "image"))
    assert len(Matcher(db, index_dir=tmp_path / "index").match_pdq([value])[0]) == 1
    snapshots = list((tmp_path / "index").glob("pdq-*/MANIFEST"))
    assert len(snapshots) == 1

    builds: list[int] = []
    original = PdqIndex._build
    monkeypatch.setattr(PdqIndex, "_build", lambda self: builds.append(1) or original(self))
    assert len(Matcher(db, index_dir=tmp_path / "index").match_pdq([value])[0]) == 1
    assert builds == []  # loaded from the snapshot
    # a damaged snapshot is rebuilt, not trusted and not fatal
    snapshots[0].write_bytes(b"garbage")
    assert len(Matcher(db, index_dir=tmp_path / "index").match_pdq([value])[0]) == 1
    assert builds == [1]
    db.dispose()

    # the same URL, a recreated database with different indicators: the old snapshot
    # must not answer for it
    (tmp_path / "db.sqlite").unlink()
    db = open_database(url)
    service = BankService(db)
    service.create("test-indicators")
    other = random_pdq(rng)
    (other_id,) = add(service, "test-indicators", IndicatorRecord("pdq", other, "image"))
    matcher = Matcher(db, index_dir=tmp_path / "index")
    assert matcher.match_pdq([value, other]) == [[], matcher.match_pdq([other])[0]]
    assert matcher.match_pdq([other])[0][0].indicator == other_id
    assert builds == [1, 1]
    db.dispose()


def test_row_committed_late_under_a_lower_id_is_found(
    database: Database, tmp_path: Path, rng: random.Random
) -> None:
    """Concurrent writers can commit a lower id after a higher one was indexed."""
    service = BankService(database)
    service.create("test-indicators")
    a, b, late = random_pdq(rng), random_pdq(rng), random_pdq(rng)
    a_id, b_id, late_id = add(
        service,
        "test-indicators",
        *(IndicatorRecord("md5", f"{i:032x}") for i in range(3)),
    )
    with database.session() as session:
        session.execute(insert(IndicatorHash).values(id=10, indicator_id=a_id, value=a))
        session.execute(insert(IndicatorHash).values(id=1000, indicator_id=b_id, value=b))
    matcher = Matcher(database, index_dir=tmp_path / "index", check_every=0)
    assert len(matcher.match_pdq([b])[0]) == 1
    with database.session() as session:
        session.execute(insert(IndicatorHash).values(id=500, indicator_id=late_id, value=late))
    assert [m.indicator for m in matcher.match_pdq([late])[0]] == [late_id]


def test_quality_minimum(database: Database, tmp_path: Path, rng: random.Random) -> None:
    service = BankService(database)
    service.create("test-indicators")
    value = random_pdq(rng)
    add(service, "test-indicators", IndicatorRecord("pdq", value, "image"))
    matcher = Matcher(database, index_dir=tmp_path / "index")
    low, ok = PdqQuery(value, quality=49), PdqQuery(value, quality=50)
    assert [len(r) for r in matcher.match_pdq([low, ok, value])] == [0, 1, 1]


def test_video_frames_raw_hits_and_pair_rule(
    database: Database, tmp_path: Path, rng: random.Random
) -> None:
    service = BankService(database)
    service.create("test-indicators", threshold=31)
    frames = [random_pdq(rng) for _ in range(3)]
    record = IndicatorRecord(
        "vpdq",
        "clip-1",
        "video",
        hashes=tuple(HashRecord(f, "frame", i * 30, float(i)) for i, f in enumerate(frames)),
    )
    crop = random_pdq(rng)
    image = IndicatorRecord(
        "pdq", random_pdq(rng), "image", hashes=(HashRecord(crop, "crop:center"),)
    )
    (clip_id, image_id) = add(service, "test-indicators", record, image)
    matcher = Matcher(database, index_dir=tmp_path / "index")
    hits = matcher.search_pdq([flip(frames[2], 4, rng), PdqQuery(frames[0], variant="frame")])
    assert [(h.indicator, h.variant, h.frame, h.time, h.distance) for h in hits[0]] == [
        (clip_id, "frame", 60, 2.0, 4)
    ]
    assert hits[1][0].query_variant == "frame" and hits[1][0].frame == 0

    def strict_for_crops(query_variant: str, index_variant: str, threshold: int) -> int:
        return 10 if index_variant.startswith("crop") else threshold

    query = flip(crop, 20, rng)
    assert [m.indicator for m in matcher.match_pdq([query])[0]] == [image_id]
    strict = Matcher(database, index_dir=tmp_path / "index", pair_rule=strict_for_crops)
    assert strict.match_pdq([query])[0] == []


def test_robust_variant_kinds_through_the_index(
    database: Database, tmp_path: Path, rng: random.Random
) -> None:
    """The default rule on real index hits: a band meets only the same band, ``value`` only
    ``value``, and a low-detail window (``pairlow``) only within 10 bits."""
    service = BankService(database)
    service.create("images", threshold=31)
    band, value, low = random_pdq(rng), random_pdq(rng), random_pdq(rng)
    image = IndicatorRecord(
        "pdq",
        random_pdq(rng),
        "image",
        hashes=(
            HashRecord(band, "band:top"),
            HashRecord(value, "value"),
            HashRecord(low, "pairlow:01"),
        ),
    )
    (image_id,) = add(service, "images", image)
    matcher = Matcher(database, index_dir=tmp_path / "index")

    def matched(value_hex: str, variant: str) -> list[int]:
        return [m.indicator for m in matcher.match_image_variants([PdqQuery(value_hex, variant)])]

    assert matched(flip(band, 20, rng), "band:top") == [image_id]
    assert matched(flip(band, 2, rng), "band:bottom") == []
    assert matched(flip(band, 2, rng), "full") == []
    assert matched(flip(value, 20, rng), "value") == [image_id]
    assert matched(flip(value, 2, rng), "full:rot90") == []
    assert matched(flip(low, 8, rng), "pair:07/fx") == [image_id]
    assert matched(flip(low, 16, rng), "pair:07") == []  # within 24, but a low-detail window
    assert matched(flip(low, 2, rng), "full") == []


def test_exact_signals_and_bad_queries(database: Database, tmp_path: Path) -> None:
    service = BankService(database)
    service.create("test-indicators")
    (md5_id,) = add(service, "test-indicators", IndicatorRecord("md5", MD5, "video"))
    matcher = Matcher(database, index_dir=tmp_path / "index")
    (found,) = matcher.match_exact("md5", [MD5.upper()])
    assert [(m.indicator, m.signal, m.distance) for m in found] == [(md5_id, "md5", 0)]
    assert [m.indicator for m in matcher.match_values({"md5": MD5, "pdq": None})] == [md5_id]
    service.withdraw("test-indicators", [md5_id])
    assert matcher.match_exact("md5", [MD5]) == [[]]
    with pytest.raises(SignalValueError, match="query 2: pdq value must be 64 hex digits"):
        matcher.match_pdq(["0" * 64, "abc"])


def test_one_matcher_shared_by_threads(
    database: Database, tmp_path: Path, rng: random.Random
) -> None:
    """The service shares one Matcher between request threads while indicators arrive."""
    from concurrent.futures import ThreadPoolExecutor

    service = BankService(database)
    service.create("test-indicators")
    values = [random_pdq(rng) for _ in range(60)]
    ids = add(
        service, "test-indicators", *(IndicatorRecord("pdq", v, "image") for v in values[:20])
    )
    matcher = Matcher(database, index_dir=tmp_path / "index")

    def lookup(i: int) -> list[int]:
        return [m.indicator for m in matcher.match_pdq([values[i % 20]])[0]]

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(lookup, i) for i in range(80)]
        for start in range(20, 60, 10):  # new indicators while the lookups run
            add(
                service,
                "test-indicators",
                *(IndicatorRecord("pdq", v, "image") for v in values[start : start + 10]),
            )
        assert [f.result() for f in futures] == [[ids[i % 20]] for i in range(80)]
    assert all(len(found) == 1 for found in matcher.match_pdq(values))
