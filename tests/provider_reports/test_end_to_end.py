"""Provider and centre as two server processes, two databases, loopback HTTP.

A case is confirmed; the report flows to the centre; an analyst asks a question (the
provider answers it) and forwards it there (using the centre's API); the provider pulls
the answer and shows it on the case. A second report is manifestly unfounded: its user
gets an Art. 12(2) notice with the centre's reasons, complains, and a supervisor upholds
the complaint (reinstate). A removal order registered at the centre is pulled, executed
and reported back.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from childshield.api.testing import ServerProcess, add_tenant_with_key, bearer
from childshield.provider.answers import pull_answers
from childshield.provider.delivery import Worker
from childshield.provider.notices import schedule_notices
from childshield.provider.orders import pull_orders
from childshield.store.db import Database

from .harness import Keys, Provider, centre_reports, register_at_centre


def _w(key: str) -> dict[str, str]:
    return {**bearer(key), "Idempotency-Key": str(uuid.uuid4())}


@pytest.mark.timeout(300)
def test_report_forwarded_unfounded_notice_complaint_and_removal_order(
    keys: Keys, database: Database, db_url: str, centre_db: Database, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    centre = ServerProcess("centre", str(centre_db.engine.url), env={
        **keys.centre_env(), "CHILDSHIELD_CENTRE_REFERRAL_DIR": str(tmp_path / "referrals")})
    provider_srv = ServerProcess("provider", db_url)
    try:
        from .harness import CENTRE_KEY_ENV

        monkeypatch.setenv(CENTRE_KEY_ENV, register_at_centre(centre_db, keys))
        analyst = add_tenant_with_key(centre_db, "eu-centre", "centre", ["analyst"])
        authority = add_tenant_with_key(centre_db, "police-be", "centre", ["authority"])
        provider = Provider(database, centre.url)
        p_admin = add_tenant_with_key(database, "acme", "provider", ["reviewer", "admin"])
        integration = add_tenant_with_key(database, "acme", "provider", ["integration"])
        supervisor = add_tenant_with_key(database, "acme", "provider", ["supervisor"])
        other = add_tenant_with_key(database, "other", "provider", ["reviewer", "admin"])

        forwarded_case = provider.confirmed_case("e2e-forward")
        unfounded_case = provider.confirmed_case("e2e-unfounded")
        assert Worker(database).run_once().delivered == 2
        assert centre_reports(centre_db) == (2, 2)

        with httpx.Client(timeout=30) as http:
            c, p = centre.url + "/centre/v1", provider_srv.url + "/provider/v1"
            # the provider sees its reports as delivered, received
            r = http.get(f"{p}/cases/{forwarded_case}/report", headers=bearer(p_admin))
            assert r.status_code == 200, r.text
            assert (r.json()["delivery"], r.json()["centre_status"]) == ("delivered", "received")
            report_ids = {forwarded_case: r.json()["report_id"]}
            report_ids[unfounded_case] = http.get(
                f"{p}/cases/{unfounded_case}/report", headers=bearer(p_admin)).json()["report_id"]
            # another tenant: 404, not 403
            assert http.get(f"{p}/cases/{forwarded_case}/report",
                            headers=bearer(other)).status_code == 404

            # the centre's analyst decides both
            queue = http.get(f"{c}/analysis/queue", headers=bearer(analyst)).json()
            by_report = {row["report_id"]: row["case_id"] for row in queue}
            fwd = by_report[report_ids[forwarded_case]]
            unf = by_report[report_ids[unfounded_case]]
            for _ in (fwd, unf):
                assert http.post(f"{c}/analysis/next", headers=_w(analyst)).status_code == 200
            # the centre asks a question; the provider sees it and answers (via outbox)
            r = http.post(f"{c}/analysis/reports/{fwd}/info-requests",
                          json={"question": "When was it uploaded?"}, headers=_w(analyst))
            assert r.status_code in (200, 201), r.text
            request_id = r.json()["request_id"]
            assert pull_answers(database).updated >= 1
            view = http.get(f"{p}/cases/{forwarded_case}/report", headers=bearer(p_admin)).json()
            assert [q["question"] for q in view["info_requests"]] == ["When was it uploaded?"]
            r = http.post(f"{p}/reports/{report_ids[forwarded_case]}/info-requests/"
                          f"{request_id}/answer", json={"answer": "on the 3rd, 10:00 UTC"},
                          headers=_w(supervisor))
            assert r.status_code == 202, r.text
            assert Worker(database).run_once().delivered == 1
            detail = http.get(f"{c}/analysis/reports/{fwd}", headers=bearer(analyst)).text
            assert "on the 3rd, 10:00 UTC" in detail
            r = http.post(f"{c}/analysis/reports/{fwd}/forward", json={"notes": "ok"},
                          headers=_w(analyst))
            assert r.status_code == 200, r.text
            r = http.post(f"{c}/analysis/reports/{unf}/unfounded",
                          json={"reasons": ["the image is a test pattern"]}, headers=_w(analyst))
            assert r.status_code == 200, r.text

            # the provider pulls the signed answers and shows them on the case
            assert pull_answers(database).updated == 2  # both changed since the last pull
            view = http.get(f"{p}/cases/{forwarded_case}/report", headers=bearer(p_admin)).json()
            assert view["centre_status"] == "forwarded" and view["forwarded_to"]
            view = http.get(f"{p}/cases/{unfounded_case}/report", headers=bearer(p_admin)).json()
            assert view["centre_status"] == "manifestly_unfounded"
            assert view["reasons"] == ["the image is a test pattern"]

            # Art. 12(2): the unfounded report's user is told now; the forwarded one's not yet
            assert schedule_notices(database) == 1
            notices = http.get(f"{p}/notices", headers=bearer(integration)).json()["items"]
            assert [n["user_id"] for n in notices] == ["user-e2e-unfounded"]
            content = notices[0]["content"]
            assert "test pattern" in content["follow_up"]
            assert content["report"]["reference"] == report_ids[unfounded_case]
            assert "Coordinating Authority" in content["redress"]["coordinating_authority"]
            r = http.post(f"{p}/notices/{notices[0]['id']}/delivered", headers=_w(integration))
            assert r.json()["status"] == "delivered"

            # the user complains; a supervisor (not the reviewer) upholds it: reinstate
            r = http.post(f"{p}/complaints", headers=_w(integration), json={
                "user_id": "user-e2e-unfounded", "text": "this was my own drawing",
                "report_reference": report_ids[unfounded_case]})
            assert r.status_code == 201, r.text
            complaint = r.json()["id"]
            queue = http.get(f"{p}/complaints", headers=bearer(supervisor)).json()["items"]
            assert [q["id"] for q in queue] == [complaint]
            r = http.post(f"{p}/complaints/{complaint}/decision", headers=_w(supervisor),
                          json={"outcome": "upheld", "reasons": "the centre found no abuse"})
            assert r.status_code == 200, r.text
            r = http.get(f"{p}/complaints/{complaint}", headers=bearer(integration)).json()
            assert (r["status"], r["reinstate"]) == ("upheld", True)

            # a removal order: registered at the centre, pulled, executed, reported back
            r = http.post(f"{c}/removal-orders", headers=_w(authority), json={
                "provider_id": "demo-host", "issuing_authority": "Test authority",
                "member_state": "BE", "legal_basis": "Art. 14", "reasons": "test order",
                "items": [{"report_id": report_ids[forwarded_case], "item_id": "item-1"}]})
            assert r.status_code == 201, r.text
            order_id = r.json()["order_id"]
            assert pull_orders(database)["received"] == 1
            orders = http.get(f"{p}/removal-orders", headers=bearer(integration)).json()["items"]
            assert orders[0]["order_id"] == order_id
            assert orders[0]["alert"] is False and 0 < orders[0]["seconds_left"] <= 24 * 3600
            r = http.post(f"{p}/removal-orders/{order_id}/execution", headers=_w(integration),
                          json={"executed": True})
            assert r.json()["status"] == "executed"
            assert Worker(database).run_once().delivered == 1
            r = http.get(f"{c}/removal-orders/{order_id}", headers=bearer(authority)).json()
            assert (r["status"], r["within_deadline"]) == ("executed", True)
    finally:
        provider_srv.stop()
        centre.stop()
