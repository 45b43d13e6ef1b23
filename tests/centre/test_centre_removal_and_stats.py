"""Removal orders (Art. 14) and transparency figures (Art. 83) over real HTTP."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from centre_harness import Centre
from sqlalchemy import select

from childshield.crypto.signing import verify_document
from childshield.store.models.centre import CentreRemovalOrder


def _order(centre: Centre, report_id: str) -> dict[str, object]:
    body = {"provider_id": "demo-host", "issuing_authority": "Police DE (test stand-in)",
            "member_state": "DE", "legal_basis": "Art. 14 CSA Regulation",
            "reasons": "confirmed known material (test)",
            "items": [{"report_id": report_id, "item_id": "item-1"}]}
    r = centre.post("/centre/v1/removal-orders", body, key=centre.authority_key)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_order_is_pulled_executed_and_tracked_against_its_deadline(centre: Centre) -> None:
    data = centre.report()
    centre.submit(centre.sign(data))
    order = _order(centre, data["report_id"])
    assert order["status"] == "pending" and order["delivered_at"] is None
    registered = datetime.fromisoformat(str(order["registered_at"]))
    assert datetime.fromisoformat(str(order["deadline"])) == registered + timedelta(hours=24)

    pulled = centre.get("/centre/v1/removal-orders", key=centre.provider_key,
                        status="pending").json()
    assert [o["order_id"] for o in pulled] == [order["order_id"]]
    signed = pulled[0]["order"]
    doc = verify_document(signed, [centre.centre_signer.trusted("eu-centre")],
                          typ="childshield.removal-order/1").payload
    assert doc["items"] == [{"report_id": data["report_id"], "item_id": "item-1", "url": None}]
    assert centre.get(f"/centre/v1/removal-orders/{order['order_id']}",
                      key=centre.provider_key).json()["delivered_at"] is not None

    key, _ = centre.register_provider("other-host", "other-host")
    assert centre.get("/centre/v1/removal-orders", key=key).json() == []
    assert centre.get(f"/centre/v1/removal-orders/{order['order_id']}",
                      key=key).status_code == 404

    done = datetime.now(UTC).isoformat()
    path = f"/centre/v1/removal-orders/{order['order_id']}/execution"
    r = centre.post(path, {"executed": True, "executed_at": done, "details": "removed"},
                    key=centre.provider_key)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "executed" and r.json()["within_deadline"] is True
    again = centre.post(path, {"executed": False, "reasons": "changed mind"},
                        key=centre.provider_key)
    assert again.status_code == 409
    seen = centre.get("/centre/v1/removal-orders", key=centre.authority_key).json()
    assert seen[0]["status"] == "executed"


def test_not_executing_needs_reasons_and_late_execution_is_not_compliant(
    centre: Centre,
) -> None:
    data = centre.report()
    centre.submit(centre.sign(data))
    first, second = _order(centre, data["report_id"]), _order(centre, data["report_id"])
    path = f"/centre/v1/removal-orders/{first['order_id']}/execution"
    r = centre.post(path, {"executed": False}, key=centre.provider_key)
    assert r.status_code == 422 and "reasons are required" in r.json()["detail"]
    r = centre.post(path, {"executed": False, "reasons": "de facto impossible (test)"},
                    key=centre.provider_key)
    assert r.json()["status"] == "not_executed"
    late = datetime.now(UTC) + timedelta(hours=30)  # reported as done after the deadline
    r = centre.post(f"/centre/v1/removal-orders/{second['order_id']}/execution",
                    {"executed": True, "executed_at": late.isoformat()},
                    key=centre.provider_key)
    assert r.json()["within_deadline"] is False
    stats = centre.get("/centre/v1/statistics").json()["removal_orders"]
    assert stats == {"issued": 2, "executed": 1, "executed_within_24h": 0, "not_executed": 1,
                     "pending": 0, "overdue": 0, "compliance": 0.0}


def test_orders_need_a_known_provider_and_report_and_the_authority_role(
    centre: Centre,
) -> None:
    body = {"provider_id": "nobody", "issuing_authority": "x", "member_state": "DE",
            "legal_basis": "x", "reasons": "x", "items": [{"url": "https://example.org/a"}]}
    assert centre.post("/centre/v1/removal-orders", body,
                       key=centre.authority_key).status_code == 404
    body["provider_id"] = "demo-host"
    assert centre.post("/centre/v1/removal-orders", body,
                       key=centre.provider_key).status_code == 403
    body["items"] = [{"report_id": "unknown"}]
    r = centre.post("/centre/v1/removal-orders", body, key=centre.authority_key)
    assert r.status_code == 422 and "unknown report" in r.text
    body["items"] = []
    r = centre.post("/centre/v1/removal-orders", body, key=centre.authority_key)
    assert r.status_code == 422


def test_overdue_pending_orders_are_counted(centre: Centre) -> None:
    data = centre.report()
    centre.submit(centre.sign(data))
    order = _order(centre, data["report_id"])
    with centre.server.database.session() as session:
        row = session.scalars(select(CentreRemovalOrder)).one()
        row.deadline = datetime.now(UTC) - timedelta(minutes=1)
    view = centre.get(f"/centre/v1/removal-orders/{order['order_id']}",
                      key=centre.authority_key).json()
    assert view["overdue"] is True
    assert centre.get("/centre/v1/statistics").json()["removal_orders"]["overdue"] == 1


def test_transparency_figures_come_from_the_data(centre: Centre) -> None:
    ids = []
    for n in range(3):
        data = centre.report(content_bytes=b"drawing %d" % (n % 2))
        centre.submit(centre.sign(data))
        ids.append(data["report_id"])
    solicitation = centre.report(
        abuse_type="solicitation", removal=None, location={"country": "FR"},
        human_review={"reviewer": "r", "decided_at": "2026-11-28T11:30:00Z",
                      "decision": "confirm_solicitation"})
    centre.submit(centre.sign(solicitation))
    queue = {q["report_id"]: q["case_id"] for q in centre.get("/centre/v1/analysis/queue").json()}
    centre.post(f"/centre/v1/analysis/reports/{queue[ids[0]]}/unfounded", {"reasons": ["x"]})
    centre.post(f"/centre/v1/analysis/reports/{queue[ids[1]]}/forward", {})
    centre.post(f"/centre/v1/analysis/reports/{queue[ids[2]]}/forward", {})

    stats = centre.get("/centre/v1/statistics").json()
    assert stats["reports"]["total"] == 4
    assert stats["reports"]["by_type"] == {"known": 3, "solicitation": 1}
    assert stats["reports"]["by_provider"] == {"demo-host": 4}
    assert stats["reports"]["by_member_state"] == {"DE": 3, "FR": 1}
    assert stats["manifestly_unfounded"] == {"count": 1, "decided": 3, "share": 0.3333}
    assert stats["time_to_assessment"]["count"] == 3
    assert stats["time_to_forwarding"]["count"] == 2
    # "drawing 0" twice, "drawing 1" once, the solicitation's stand-in once
    assert stats["duplicates"]["distribution"] == {"1": 2, "2": 1}
    assert stats["indicators"] == {"added": 0, "withdrawn": 0, "active": 0}
    assert stats["victims_assisted"]["count"] == 0

    text = centre.get("/centre/v1/statistics/csv").text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "key", "value"]
    assert ["reports", "by_type.known", "3"] in rows
    for report_id in ids:
        assert report_id not in text
    assert "u-123" not in text and "192.0.2.10" not in text
