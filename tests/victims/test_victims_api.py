"""Victims' requests over real HTTP (Arts. 20-21): a person's hashes find the reports that
hold their picture, the answer says who reported it, when, forwarded and removed, and the
centre's removal notices reach the provider that still hosts it."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import httpx
import numpy as np
from centre_harness import Centre
from PIL import Image

from childshield.api.testing import bearer
from childshield.signals.pdq import pdq_from_array

CODE = "test-ref-" + "a1b2c3d4e5f6a7b8c9d0"


def _picture() -> np.ndarray:
    from skimage import data  # a benign sample photo stands in for the person's picture

    return np.asarray(data.astronaut())


def _report(centre: Centre, pdq: str, removal: dict[str, Any] | None,
            content: bytes) -> dict[str, Any]:
    data = centre.report(content_bytes=content, removal=removal)
    data["content"][0]["signals"].append({"signal": "pdq", "value": pdq, "quality": 100})
    r = centre.submit(centre.sign(data))
    assert r.status_code == 201, r.text
    return data


def _submit(centre: Centre, body: Any, key: str | None = None) -> httpx.Response:
    return centre.http.post(centre.url + "/centre/v1/victims/requests", json=body,
                            headers={"Idempotency-Key": key or uuid.uuid4().hex})


def test_a_persons_hashes_find_the_reports_and_notices_reach_the_host(centre: Centre) -> None:
    picture = _picture()
    reported_pdq, _ = pdq_from_array(picture)
    _report(centre, reported_pdq, {"status": "not_removed"}, b"stand-in one")
    other = centre.report(content_bytes=b"stand-in two")
    other_sha = other["content"][0]["signals"][1]["value"]
    assert centre.submit(centre.sign(other)).status_code == 201
    _report(centre, "f" * 64, {"status": "removed", "time": "2026-11-28T11:00:00Z"},
            b"unrelated")

    # the person's copy is resized and brighter: PDQ still finds it, not exactly equal
    copy = Image.fromarray(picture).resize((400, 400))
    mine = np.clip(np.asarray(copy).astype(int) + 12, 0, 255).astype(np.uint8)
    my_pdq, quality = pdq_from_array(mine)
    assert my_pdq != reported_pdq
    r = _submit(centre, {"reference_code": CODE, "hashes": [
        {"signal": "pdq", "value": my_pdq, "quality": quality},
        {"signal": "sha256", "value": other_sha}]})
    assert r.status_code == 201, r.text
    request_id = r.json()["request_id"]

    mine_view = centre.http.get(centre.url + "/centre/v1/victims/requests/mine",
                                headers={"X-Reference-Code": CODE}).json()
    found = {m["signal"]: m for m in mine_view["matches"]}
    assert set(found) == {"pdq", "sha256"}
    assert 0 < found["pdq"]["distance"] <= 31
    assert found["sha256"]["distance"] == 0
    for m in found.values():
        assert m["provider_id"] == "demo-host"
        assert m["reported_at"] == "2026-11-28T12:00:00Z"
        assert m["forwarded"] is False
        assert "report_id" not in m  # the person is not told the provider's internal ids
    assert found["pdq"]["removed"] is False
    assert found["sha256"]["removed"] is True  # the harness report says removed
    wrong = centre.http.get(centre.url + "/centre/v1/victims/requests/mine",
                            headers={"X-Reference-Code": "x" * 24})
    assert wrong.status_code == 404

    # Art. 21: one notice, for the item still hosted; the provider pulls and answers it
    r = centre.post(f"/centre/v1/victims/requests/{request_id}/notices", {})
    assert r.status_code == 201, r.text
    assert len(r.json()["created"]) == 1
    again = centre.post(f"/centre/v1/victims/requests/{request_id}/notices", {})
    assert again.json()["created"] == []  # no second notice while one is pending
    notices = centre.get("/centre/v1/victims/notices", key=centre.provider_key).json()
    assert len(notices) == 1 and notices[0]["status"] == "pending"
    assert notices[0]["pulled_at"] is not None
    assert my_pdq not in json.dumps(notices) and reported_pdq not in json.dumps(notices)
    other_key, _ = centre.register_provider("other-host", "other-host")
    assert centre.get("/centre/v1/victims/notices", key=other_key).json() == []
    stolen = centre.post(f"/centre/v1/victims/notices/{notices[0]['notice_id']}/answer",
                         {"status": "removed"}, key=other_key)
    assert stolen.status_code == 404
    r = centre.post(f"/centre/v1/victims/notices/{notices[0]['notice_id']}/answer",
                    {"status": "removed"}, key=centre.provider_key)
    assert r.status_code == 200, r.text
    mine_view = centre.http.get(centre.url + "/centre/v1/victims/requests/mine",
                                headers={"X-Reference-Code": CODE}).json()
    assert all(m["removed"] for m in mine_view["matches"])

    analyst = centre.get(f"/centre/v1/victims/requests/{request_id}").json()
    assert {m["report_id"] for m in analyst["matches"]} >= {other["report_id"]}
    stats = centre.get("/centre/v1/statistics").json()
    assert stats["victims_assisted"]["count"] == 1
    assert stats["victims_assisted"]["notices"] == {"removed": 1}


def test_the_public_submission_names_bad_input_and_replays(centre: Centre) -> None:
    bad = _submit(centre, {"reference_code": CODE, "hashes": [
        {"signal": "pdq", "value": "abc"}, {"signal": "md5", "value": "0" * 32},
        {"signal": "crc", "value": "00"}]})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"hashes[0].value", "hashes[2].signal"}
    assert _submit(centre, {"hashes": []}).status_code == 422
    assert centre.http.post(centre.url + "/centre/v1/victims/requests", content=b"{not json",
                            headers={"Idempotency-Key": "k-bad",
                                     "Content-Type": "application/json"}).status_code == 400
    huge = {"reference_code": CODE, "hashes": [{"signal": "md5", "value": "0" * 32}] * 20000}
    assert _submit(centre, huge).status_code == 413

    body = {"reference_code": CODE, "hashes": [{"signal": "md5", "value": "1" * 32}]}
    first = _submit(centre, body, key="same-key")
    replay = _submit(centre, body, key="same-key")
    assert first.status_code == 201 and replay.status_code == 200
    assert replay.json()["request_id"] == first.json()["request_id"]
    assert replay.headers["idempotent-replayed"] == "true"
    other = _submit(centre, {**body, "reference_code": CODE + "x"}, key="same-key")
    assert other.status_code == 422
    assert _submit(centre, body).status_code == 409  # the code is taken
    with centre.server.database.session() as session:
        from childshield.store.models.centre_victims import VictimRequest

        row = session.query(VictimRequest).one()
        assert b"1" * 32 not in row.hashes  # stored encrypted
        assert CODE.encode() not in row.reference_digest.encode()
        assert row.reference_digest == hashlib.sha256(
            f"childshield.victims.reference/1:{CODE}".encode()).hexdigest()


def test_the_public_routes_are_rate_limited(centre: Centre) -> None:
    codes = []
    for _ in range(12):
        r = centre.http.get(centre.url + "/centre/v1/victims/requests/mine",
                            headers={"X-Reference-Code": "y" * 24})
        codes.append(r.status_code)
    assert codes[:8] == [404] * 8  # earlier tests' calls may share the limiter's window
    assert codes[-1] == 429
    assert r.headers["content-type"] == "application/problem+json"


def test_only_analysts_read_requests_and_only_providers_pull_notices(centre: Centre) -> None:
    assert centre.http.get(centre.url + "/centre/v1/victims/requests").status_code == 401
    r = centre.http.get(centre.url + "/centre/v1/victims/notices",
                        headers=bearer(centre.analyst_key))
    assert r.status_code == 403
    assert centre.get("/centre/v1/victims/requests", key=centre.provider_key).status_code == 403


def _flip(value: str, bits: range) -> str:
    number = int(value, 16)
    for bit in bits:
        number ^= 1 << bit
    return f"{number:064x}"


def test_a_report_matched_to_a_centre_indicator_is_found_through_it(centre: Centre) -> None:
    """The report's PDQ is 40 bits from the person's (too far to match directly), but both
    are 20 bits from a centre indicator that the report matched at intake: found that way."""
    from childshield.exchange.indicator_record import IndicatorRecord
    from childshield.matching import BankService
    from childshield.store.banks import Provenance

    indicator_pdq, _ = pdq_from_array(_picture())
    bank = BankService(centre.server.database)
    bank.create("centre-indicators")
    bank.add_records("centre-indicators", [IndicatorRecord(signal="pdq", value=indicator_pdq)],
                     Provenance(submitted_by="test"))
    report_pdq = _flip(indicator_pdq, range(0, 20))
    my_pdq = _flip(indicator_pdq, range(100, 120))
    _report(centre, report_pdq, {"status": "not_removed"}, b"stand-in for the indicator")

    r = _submit(centre, {"reference_code": CODE, "hashes": [
        {"signal": "pdq", "value": my_pdq, "quality": 100}]})
    assert r.status_code == 201, r.text
    [match] = r.json()["matches"]
    assert match["signal"] == "ind:pdq" and match["distance"] == 20
    assert match["provider_id"] == "demo-host"
