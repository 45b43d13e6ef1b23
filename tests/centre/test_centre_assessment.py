"""Status, assessment, referral and instructions over real HTTP, as providers see them."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from centre_harness import STAND_IN, Centre, FakeRecipient

from childshield.crypto.signing import TrustedKeys
from childshield.exchange.referral import verify_referral
from childshield.exchange.report_status import CentreAnswer, verify_answer


def _answer(centre: Centre, report_id: str, key: str | None = None) -> CentreAnswer:
    r = centre.get(f"/centre/v1/reports/{report_id}", key=key or centre.provider_key)
    assert r.status_code == 200, r.text
    return verify_answer(r.json(), TrustedKeys([centre.centre_signer.trusted("eu-centre")]))


def _submit(centre: Centre, **overrides: object) -> tuple[str, int]:
    data = centre.report(**overrides)
    assert centre.submit(centre.sign(data)).status_code == 201
    queue = centre.get("/centre/v1/analysis/queue", limit=500).json()
    case = next(q["case_id"] for q in queue if q["report_id"] == data["report_id"])
    return data["report_id"], case


def _deliveries(centre: Centre, case: int, settled: Any) -> dict[str, dict[str, Any]]:
    """The referral's deliveries by recipient, once ``settled(by_recipient)`` holds (the
    first attempt runs after the forwarding answer)."""
    deadline = time.monotonic() + 30
    while True:
        detail = centre.get(f"/centre/v1/analysis/reports/{case}").json()
        by = {d["recipient"]: d for d in detail["referrals"][-1]["deliveries"]}
        if settled(by) or time.monotonic() > deadline:
            return by
        time.sleep(0.05)


def test_provider_sees_a_signed_status_and_never_another_providers(centre: Centre) -> None:
    report_id, _ = _submit(centre)
    answer = _answer(centre, report_id)
    assert answer.status == "received" and answer.report_id == report_id
    key, _signer = centre.register_provider("other-host", "other-host")
    r = centre.get(f"/centre/v1/reports/{report_id}", key=key)
    assert r.status_code == 404
    assert centre.get("/centre/v1/reports", key=key).json()["items"] == []


def test_unfounded_reasons_reach_the_provider(centre: Centre) -> None:
    report_id, case = _submit(centre)
    r = centre.post(f"/centre/v1/analysis/reports/{case}/unfounded",
                    {"reasons": ["the image is a drawn test pattern"]})
    assert r.status_code == 200, r.text
    answer = _answer(centre, report_id)
    assert answer.status == "manifestly_unfounded"
    assert answer.reasons == ["the image is a drawn test pattern"]
    again = centre.post(f"/centre/v1/analysis/reports/{case}/forward", {})
    assert again.status_code == 409
    assert "manifestly_unfounded cannot become assessed" in again.json()["detail"]


def test_more_information_is_asked_and_answered(centre: Centre) -> None:
    report_id, case = _submit(centre)
    r = centre.post(f"/centre/v1/analysis/reports/{case}/info-requests",
                    {"question": "When was the account created?"})
    assert r.status_code == 201
    request_id = r.json()["request_id"]
    answer = _answer(centre, report_id)
    assert [q.question for q in answer.open_questions()] == ["When was the account created?"]
    r = centre.post(f"/centre/v1/reports/{report_id}/info-requests/{request_id}/answer",
                    {"answer": "January 2025"}, key=centre.provider_key)
    assert r.status_code == 200, r.text
    assert _answer(centre, report_id).open_questions() == []
    detail = centre.get(f"/centre/v1/analysis/reports/{case}").json()
    assert detail["info_requests"][0]["answer"] == "January 2025"


def test_forwarding_builds_a_signed_referral_for_europol_and_the_member_state(
    centre: Centre,
) -> None:
    report_id, case = _submit(centre)
    r = centre.post(f"/centre/v1/analysis/reports/{case}/forward", {"notes": "test"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["recipients"] == ["europol", "authority-de"]
    assert out["member_states"] == ["DE"]
    # the decision committed with its outbox rows; the delivery follows it
    assert {d["status"] for d in out["deliveries"]} <= {"pending", "delivered"}
    by = _deliveries(centre, case, lambda by: all(d["status"] == "delivered"
                                                  for d in by.values()))
    assert [(d["status"], d["adapter"], d["attempts"]) for d in by.values()] == [
        ("delivered", "file", 1)] * 2
    written = centre.referral_dir / "authority-de" / f"{out['referral_id']}.json"
    package = verify_referral(json.loads(written.read_text()),
                              [centre.centre_signer.trusted("eu-centre")])
    assert package.report.report_id == report_id
    assert package.assessment.pre_assessment == "analyst_review"
    answer = _answer(centre, report_id)
    assert answer.status == "forwarded"
    assert answer.forwarded_to == ["europol", "authority-de"]
    assert answer.forwarded_at is not None


def test_europol_alone_when_no_member_state_can_be_determined(centre: Centre) -> None:
    _, case = _submit(centre, location={"ip": "192.0.2.10", "country": "US"})
    out = centre.post(f"/centre/v1/analysis/reports/{case}/forward", {}).json()
    assert out["recipients"] == ["europol"] and out["member_states"] == []


def test_http_delivery_to_a_recipient_endpoint_and_redelivery(
    make_centre, fake_recipient: FakeRecipient,  # type: ignore[no-untyped-def]
) -> None:
    centre = make_centre(directory=[{"id": "bka", "name": "BKA (test stand-in)",
                                     "country": "DE",
                                     "endpoint": fake_recipient.url + "/referrals"}])
    _, case = _submit(centre)
    fake_recipient.fail = True
    out = centre.post(f"/centre/v1/analysis/reports/{case}/forward", {}).json()
    by = _deliveries(centre, case, lambda by: all(d["attempts"] for d in by.values()))
    # a failed attempt stays pending, to be retried later by the delivery job
    assert (by["bka"]["status"], by["bka"]["attempts"]) == ("pending", 1)
    assert "503" in by["bka"]["error"] and by["bka"]["next_attempt_at"]
    assert by["europol"]["status"] == "delivered"  # no endpoint: the file adapter
    fake_recipient.fail = False
    r = centre.post(f"/centre/v1/referrals/{out['referral_id']}/redeliver", {})
    assert r.status_code == 200, r.text
    by = _deliveries(centre, case, lambda by: by["bka"]["status"] == "delivered")
    assert {k: (d["status"], d["attempts"]) for k, d in by.items()} == {
        "europol": ("delivered", 1), "bka": ("delivered", 2)}
    [sent] = fake_recipient.received
    assert sent["idempotency_key"] == out["referral_id"]
    package = verify_referral(sent["body"], [centre.centre_signer.trusted("eu-centre")])
    assert [r.id for r in package.recipients] == ["europol", "bka"]


def test_instructions_are_visible_to_the_provider_and_capped_at_18_months(
    centre: Centre,
) -> None:
    report_id, _ = _submit(centre)
    now = datetime.now(UTC)
    body = {"provider_id": "demo-host", "report_id": report_id, "kind": "do_not_inform",
            "until": (now + timedelta(days=90)).isoformat(), "issued_by": "Police DE (test)"}
    r = centre.post("/centre/v1/instructions", body, key=centre.authority_key)
    assert r.status_code == 201, r.text
    answer = _answer(centre, report_id)
    assert answer.instruction_until("do_not_inform", now + timedelta(days=1)) is not None
    assert not answer.may_inform_user(now + timedelta(days=1), now)
    too_long = {**body, "kind": "do_not_remove",
                "until": (now + timedelta(days=19 * 31)).isoformat()}
    r = centre.post("/centre/v1/instructions", too_long, key=centre.authority_key)
    assert r.status_code == 422
    assert "at most 18 months" in r.json()["detail"]
    r = centre.post("/centre/v1/instructions", {**body, "report_id": "nope"},
                    key=centre.authority_key)
    assert r.status_code == 404


def test_status_feed_since_a_cursor(centre: Centre) -> None:
    first, case = _submit(centre)
    page = centre.get("/centre/v1/reports", key=centre.provider_key).json()
    assert [e["payload"]["report_id"] for e in page["items"]] == [first]
    second, _ = _submit(centre)
    centre.post(f"/centre/v1/analysis/reports/{case}/unfounded", {"reasons": ["test"]})
    page2 = centre.get("/centre/v1/reports", key=centre.provider_key,
                       since=page["next"]).json()
    assert [e["payload"]["report_id"] for e in page2["items"]] == [second, first]
    assert page2["items"][1]["payload"]["status"] == "manifestly_unfounded"
    page3 = centre.get("/centre/v1/reports", key=centre.provider_key,
                       since=page2["next"]).json()
    assert page3 == {"items": [], "next": page2["next"]}


def test_next_report_is_served_urgent_first_and_held(centre: Centre) -> None:
    _submit(centre)
    _, urgent_case = _submit(centre, urgent=True, urgency_reason="risk (test)")
    r = centre.post("/centre/v1/analysis/next", {})
    assert r.json()["case"]["case_id"] == urgent_case
    from childshield.api.testing import add_tenant_with_key

    second_analyst = add_tenant_with_key(centre.server.database, "eu-centre", "centre",
                                         ["analyst"])
    other = centre.post("/centre/v1/analysis/next", {}, key=second_analyst).json()["case"]
    assert other["case_id"] != urgent_case
    r = centre.post(f"/centre/v1/analysis/reports/{urgent_case}/unfounded",
                    {"reasons": ["x"]}, key=second_analyst)
    assert r.status_code == 409 and "held by" in r.json()["detail"]
    r = centre.post(f"/centre/v1/analysis/reports/{urgent_case}/unfounded", {"reasons": ["x"]})
    assert r.status_code == 200


def test_known_report_matching_the_centre_bank_is_pre_assessed(centre: Centre) -> None:
    from childshield.exchange.indicator_record import IndicatorRecord
    from childshield.matching import BankService
    from childshield.store.banks import Provenance

    bank = BankService(centre.server.database)
    bank.create("centre-indicators")
    record = IndicatorRecord(signal="md5", value=hashlib.md5(STAND_IN).hexdigest())
    bank.add_records("centre-indicators", [record], Provenance(submitted_by="test"))
    _, case = _submit(centre)
    detail = centre.get(f"/centre/v1/analysis/reports/{case}").json()
    assert detail["pre_assessment"] == "matches_centre_indicators"
    [match] = detail["items"][0]["centre_matches"]
    assert match["signal"] == "md5" and match["bank"] == "centre-indicators"
    review = {"reviewer": "r", "decided_at": "2026-11-28T11:30:00Z", "decision": "confirm_new"}
    _, new_case = _submit(centre, abuse_type="new", human_review=review)
    detail = centre.get(f"/centre/v1/analysis/reports/{new_case}").json()
    assert detail["pre_assessment"] == "analyst_review"
    out = centre.post(f"/centre/v1/analysis/reports/{case}/forward", {}).json()
    _deliveries(centre, case, lambda by: by["europol"]["status"] == "delivered")
    package = json.loads((centre.referral_dir / "europol" / f"{out['referral_id']}.json")
                         .read_text())
    assessed = package["payload"]["assessment"]
    assert assessed["pre_assessment"] == "matches_centre_indicators"
    assert assessed["centre_indicator_matches"] == [str(match["indicator"])]
