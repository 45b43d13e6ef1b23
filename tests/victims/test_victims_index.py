"""Victims' near-PDQ search goes through an index of encrypted per-item rows: a search
decrypts each report PDQ row once per process and never opens a report that does not
match (before, every search decrypted and parsed every stored report)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from centre_harness import Centre
from sqlalchemy import delete, select

from childshield.centre import victims
from childshield.store.models.centre import CentreReport
from childshield.store.models.centre_victims import CentreItemSignal

A = "0f" * 32
NEAR_A = "0e" + "0f" * 31  # 1 bit from A
B = "f0" * 32              # 256 bits from A


def _report(centre: Centre, pdq: str, content: bytes, quality: int = 100) -> str:
    data = centre.report(content_bytes=content, removal={"status": "not_removed"})
    data["content"][0]["signals"].append({"signal": "pdq", "value": pdq, "quality": quality})
    r = centre.submit(centre.sign(data))
    assert r.status_code == 201, r.text
    return str(data["report_id"])


def _ask(centre: Centre, pdq: str) -> dict[str, Any]:
    r = centre.http.post(centre.url + "/centre/v1/victims/requests", json={
        "reference_code": "ref-" + uuid.uuid4().hex, "hashes": [
            {"signal": "pdq", "value": pdq, "quality": 100}]},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    request_id = r.json()["request_id"]
    return dict(centre.get(f"/centre/v1/victims/requests/{request_id}").json())


def test_search_decrypts_rows_once_and_opens_no_unmatched_report(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    real = victims.load_report

    def counting(config: Any, session: Any, row: CentreReport) -> Any:
        opened.append(row.report_id)
        return real(config, session, row)

    monkeypatch.setattr(victims, "load_report", counting)
    first = _report(centre, A, b"stand-in a")
    _report(centre, B, b"stand-in b")
    _report(centre, A, b"stand-in low quality", quality=20)  # never near-matched

    view = _ask(centre, A)
    assert [(m["report_id"], m["distance"]) for m in view["matches"]] == [(first, 0)]
    index = centre.server.app.state.victims_pdq_index
    assert index.decrypted == 2  # the two rows of quality >= 50; the low one has no row
    assert set(opened) == {first}  # only the match, for its removal status in answers

    second = _report(centre, NEAR_A, b"stand-in near a")
    opened.clear()
    view = _ask(centre, A)
    assert sorted((m["report_id"], m["distance"]) for m in view["matches"]) == sorted(
        [(first, 0), (second, 1)])
    assert index.decrypted == 3  # only the new report's row
    assert set(opened) == {first, second}


def test_reports_from_before_the_index_are_indexed_once(
    centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _report(centre, A, b"stand-in received before the upgrade")
    with centre.server.database.session() as session:
        pk = session.scalar(select(CentreReport.id).where(CentreReport.report_id == old))
        session.execute(delete(CentreItemSignal).where(CentreItemSignal.report_pk == pk))
    view = _ask(centre, NEAR_A)
    assert [(m["report_id"], m["distance"]) for m in view["matches"]] == [(old, 1)]
    with centre.server.database.session() as session:
        rows = session.scalars(select(CentreItemSignal.signal).where(
            CentreItemSignal.report_pk == pk)).all()
    assert list(rows) == ["pdq"]
    assert _ask(centre, NEAR_A)["matches"][0]["report_id"] == old
