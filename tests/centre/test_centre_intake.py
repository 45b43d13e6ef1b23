"""Report intake over real HTTP: signed reports in, every fault refused and named."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from centre_harness import Centre
from sqlalchemy import func, select

from childshield.crypto.signing import SigningKey
from childshield.store.models.centre import CentreReport, CentreReportItem, CentreSignalKey

PROBLEM = "application/problem+json"


def _stored(centre: Centre) -> tuple[int, int, int]:
    with centre.server.database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(CentreReport)) or 0,
            session.scalar(select(func.count()).select_from(CentreReportItem)) or 0,
            session.scalar(select(func.count()).select_from(CentreSignalKey)) or 0,
        )


def test_a_signed_report_is_received_and_stored_encrypted(centre: Centre) -> None:
    data = centre.report()
    r = centre.submit(centre.sign(data))
    assert r.status_code == 201, r.text
    receipt = r.json()
    assert receipt["report_id"] == data["report_id"]
    assert receipt["status"] == "received"
    assert receipt["signed_with"] == centre.signer.kid
    assert r.headers["location"] == f"/centre/v1/reports/{data['report_id']}"
    with centre.server.database.session() as session:
        row = session.scalars(select(CentreReport)).one()
        # stored only as ciphertext: neither the report id nor a signal value is readable
        assert row.envelope.startswith(b"CSE1")
        assert data["report_id"].encode() not in row.envelope
        assert data["content"][0]["signals"][0]["value"].encode() not in row.envelope


def test_every_missing_art13_field_is_named(centre: Centre) -> None:
    data = centre.report()
    for name in ("users", "legal_basis", "human_review", "location"):
        del data[name]
    r = centre.submit(centre.sign(data))
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["type"].endswith("/invalid-report")
    missing = {e["field"] for e in problem["errors"] if e["problem"] == "missing"}
    assert missing == {"users", "legal_basis", "human_review", "location"}
    articles = {e["field"]: e["article"] for e in problem["errors"]}
    assert articles["users"] == "Art. 13(1)(g)"
    assert _stored(centre) == (0, 0, 0)


def test_forged_signature_is_refused_and_nothing_stored(centre: Centre) -> None:
    envelope = centre.sign(centre.report())
    envelope["payload"]["urgent"] = True  # altered after signing
    envelope["payload"]["urgency_reason"] = "altered"
    r = centre.submit(envelope)
    assert r.status_code == 422
    assert r.json()["type"].endswith("/integrity")
    assert r.json()["detail"].startswith("bad-signature")
    assert _stored(centre) == (0, 0, 0)


def test_unknown_and_wrong_keys_are_refused(centre: Centre) -> None:
    stranger = SigningKey.generate()
    r = centre.submit(centre.sign(centre.report(), stranger))
    assert r.status_code == 422 and r.json()["detail"].startswith("unknown-key")
    # another registered provider's key and API key, report naming demo-host: wrong-key
    key, signer = centre.register_provider("other-host", "other-host")
    r = centre.submit(centre.sign(centre.report(), signer), key=key)
    assert r.status_code == 422 and r.json()["detail"].startswith("wrong-key")
    assert _stored(centre) == (0, 0, 0)


def test_expired_signature_is_refused(centre: Centre) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    envelope = centre.sign(centre.report(), created=past, expires=past + timedelta(hours=1))
    r = centre.submit(envelope)
    assert r.status_code == 422 and r.json()["detail"].startswith("expired")


def test_malformed_json_and_duplicate_keys_are_refused(centre: Centre) -> None:
    r = centre.submit(b'{"payload": {}, "payload": {}, "signature": {}}')
    assert r.status_code == 400 and "duplicate key" in r.json()["detail"]
    r = centre.submit(b"{not json")
    assert r.status_code == 400 and r.json()["detail"].startswith("malformed JSON")
    r = centre.submit(b"[1, 2]")
    assert r.status_code == 422 and r.json()["detail"].startswith("malformed")


def test_oversized_report_is_refused(make_centre) -> None:  # type: ignore[no-untyped-def]
    centre = make_centre(max_report_bytes=4096)
    big = centre.report(content_bytes=b"x" * 8192)
    r = centre.submit(centre.sign(big))
    assert r.status_code == 413
    assert "at most 4096" in r.json()["detail"]
    assert _stored(centre) == (0, 0, 0)


def test_idempotent_retry_returns_the_same_receipt(centre: Centre) -> None:
    body = json.dumps(centre.sign(centre.report())).encode()
    first = centre.submit(body, idem="retry-1")
    again = centre.submit(body, idem="retry-1")
    for _ in range(50):  # the service stores the first response just after sending it
        if again.status_code != 409:
            break
        time.sleep(0.1)
        again = centre.submit(body, idem="retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = json.dumps(centre.sign(centre.report())).encode()
    reused = centre.submit(other, idem="retry-1")
    assert reused.status_code == 422
    assert reused.json()["type"].endswith("/idempotency-key-reused")
    assert _stored(centre)[0] == 1


def test_replayed_report_with_a_new_key_is_refused(centre: Centre) -> None:
    envelope = centre.sign(centre.report())
    assert centre.submit(envelope).status_code == 201
    r = centre.submit(envelope)
    assert r.status_code == 409
    assert r.json()["detail"].startswith("replayed report")
    assert _stored(centre)[0] == 1


def test_duplicates_are_linked_across_reports_and_providers(centre: Centre) -> None:
    first = centre.submit(centre.sign(centre.report())).json()
    assert first["items"][0]["reports"] == 1
    second = centre.submit(centre.sign(centre.report())).json()
    assert second["items"][0]["reports"] == 2
    assert second["items"][0]["duplicate_group"] == first["items"][0]["duplicate_group"]
    key, signer = centre.register_provider("other-host", "other-host")
    third = centre.submit(centre.sign(centre.report(provider_id="other-host"), signer),
                          key=key).json()
    assert third["items"][0]["reports"] == 3
    assert third["items"][0]["providers"] == 2
    unrelated = centre.submit(centre.sign(centre.report(content_bytes=b"another drawing")))
    assert unrelated.json()["items"][0]["reports"] == 1


def test_urgent_reports_come_first_in_the_queue(centre: Centre) -> None:
    plain = centre.report()
    urgent = centre.report(urgent=True, urgency_reason="imminent risk (test)")
    assert centre.submit(centre.sign(plain)).status_code == 201
    assert centre.submit(centre.sign(urgent)).status_code == 201
    queue = centre.get("/centre/v1/analysis/queue").json()
    assert [q["report_id"] for q in queue] == [urgent["report_id"], plain["report_id"]]
    assert queue[0]["urgent"] is True


def test_only_registered_providers_may_submit(centre: Centre) -> None:
    r = centre.submit(centre.sign(centre.report()), key=centre.analyst_key)
    assert r.status_code == 403
    from childshield.api.testing import add_tenant_with_key

    unregistered = add_tenant_with_key(centre.server.database, "nobody", "centre",
                                       ["provider"])
    r = centre.submit(centre.sign(centre.report()), key=unregistered)
    assert r.status_code == 403 and "not a registered provider" in r.json()["detail"]


def test_admin_registers_a_provider_over_the_api_and_it_can_report(centre: Centre) -> None:
    signer = SigningKey.generate()
    body = {"tenant": "api-host", "contact": "abuse@api-host.example", "country": "AT",
            "public_keys": [signer.public_base64]}
    r = centre.post("/centre/v1/providers", body, key=centre.admin_key)
    assert r.status_code == 201, r.text
    assert r.json()["provider_id"] == "api-host"
    assert centre.post("/centre/v1/providers", body, key=centre.admin_key).status_code == 409
    assert centre.post("/centre/v1/providers", body, key=centre.analyst_key).status_code == 403
    r = centre.post("/centre/v1/providers/api-host/api-keys", key=centre.admin_key)
    api_key = r.json()["api_key"]
    report = centre.report(provider_id="api-host")
    assert centre.submit(centre.sign(report, signer), key=api_key).status_code == 201
    # rotation: a new key in, the old one revoked; the old key's reports are refused
    new = SigningKey.generate()
    centre.post("/centre/v1/providers/api-host/keys", {"public_key": new.public_base64},
                key=centre.admin_key)
    r = centre.post(f"/centre/v1/providers/api-host/keys/{signer.kid}/revoke",
                    key=centre.admin_key)
    assert r.status_code == 200
    old = centre.submit(centre.sign(centre.report(provider_id="api-host"), signer), key=api_key)
    assert old.status_code == 422 and old.json()["detail"].startswith("unknown-key")
    fresh = centre.submit(centre.sign(centre.report(provider_id="api-host"), new), key=api_key)
    assert fresh.status_code == 201


def test_intake_and_views_are_in_the_audit_chain(centre: Centre) -> None:
    from childshield import audit

    data = centre.report()
    centre.submit(centre.sign(data))
    centre.get(f"/centre/v1/reports/{data['report_id']}", key=centre.provider_key)
    case = centre.get("/centre/v1/analysis/queue").json()[0]["case_id"]
    centre.get(f"/centre/v1/analysis/reports/{case}")
    with centre.server.database.session() as session:
        from childshield.store.models.audit import AuditEntry

        actions = [e.action for e in session.scalars(select(AuditEntry))]
        assert audit.verify(session).ok
    for action in ("provider.register", "report.receive", "report.status", "report.view"):
        assert action in actions
