"""E-mail to the person behind a victims' request, through a real SMTP server on loopback:
after the search (counts only) and when a provider answers a removal notice; nothing about
the pictures, the providers or the reference code; off unless configured; fail-closed
without STARTTLS."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from centre_harness import Centre
from smtp_stand_in import SmtpStandIn
from sqlalchemy import select

from childshield.centre.mail import MailError, SmtpMailer
from childshield.settings import Settings
from childshield.store.models.audit import AuditEntry

PDQ = "0f" * 32


@pytest.fixture
def smtp() -> Iterator[SmtpStandIn]:
    server = SmtpStandIn()
    yield server
    server.stop()


def _wait_for(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_mail_is_off_by_default_and_configured_by_settings() -> None:
    assert SmtpMailer.from_settings(Settings()) is None
    mailer = SmtpMailer.from_settings(Settings(centre_smtp_host="127.0.0.1",
                                               centre_smtp_port=2525))
    assert mailer is not None and (mailer.port, mailer.allow_plain) == (2525, False)


def test_the_person_is_written_to_after_the_search_and_the_providers_answer(
    centre: Centre, smtp: SmtpStandIn
) -> None:
    centre.server.app.state.victims_mailer = SmtpMailer("127.0.0.1", smtp.port,
                                                        allow_plain=True)
    data = centre.report(content_bytes=b"stand-in for mail", removal={"status": "not_removed"})
    data["content"][0]["signals"].append({"signal": "pdq", "value": PDQ, "quality": 100})
    assert centre.submit(centre.sign(data)).status_code == 201
    code = "mail-ref-" + uuid.uuid4().hex
    r = centre.http.post(centre.url + "/centre/v1/victims/requests", json={
        "reference_code": code, "email": "person@example.org",
        "hashes": [{"signal": "pdq", "value": PDQ, "quality": 100}]},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    _wait_for(lambda: len(smtp.received) == 1, "the first e-mail")
    first = smtp.received[0]
    assert first.recipients == ["person@example.org"]
    body = first.message.get_payload()
    assert isinstance(body, str) and "1 matching report(s), made by 1 provider(s)" in body
    for secret in (PDQ, code, "demo-host", data["report_id"]):
        assert secret not in first.message.as_string()

    request_id = r.json()["request_id"]
    assert centre.post(f"/centre/v1/victims/requests/{request_id}/notices", {}).status_code \
        == 201
    [notice] = centre.get("/centre/v1/victims/notices", key=centre.provider_key).json()
    r = centre.post(f"/centre/v1/victims/notices/{notice['notice_id']}/answer",
                    {"status": "removed"}, key=centre.provider_key)
    assert r.status_code == 200, r.text
    _wait_for(lambda: len(smtp.received) == 2, "the update")
    assert "has removed the material" in str(smtp.received[1].message.get_payload())


def test_without_an_address_or_without_tls_nothing_is_sent(
    centre: Centre, smtp: SmtpStandIn
) -> None:
    smtp.starttls = True  # advertised but broken: a fail-closed mailer sends nothing
    centre.server.app.state.victims_mailer = SmtpMailer("127.0.0.1", smtp.port)
    for email in (None, "person@example.org"):
        body = {"reference_code": "mail-ref-" + uuid.uuid4().hex,
                "hashes": [{"signal": "pdq", "value": PDQ, "quality": 100}]}
        if email:
            body["email"] = email
        r = centre.http.post(centre.url + "/centre/v1/victims/requests", json=body,
                             headers={"Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text  # the person's request never fails on mail

    def failures() -> list[dict[str, object]]:
        with centre.server.database.session() as session:
            return [d for d in session.scalars(select(AuditEntry.details).where(
                AuditEntry.action == "victims.mail", AuditEntry.outcome == "failure"))]

    _wait_for(lambda: len(failures()) == 1, "the failed attempt in the audit log")
    assert smtp.received == []
    assert "person@example.org" not in str(failures())
    plain = SmtpStandIn()  # offers no STARTTLS at all
    try:
        with pytest.raises(MailError, match="does not offer STARTTLS"):
            SmtpMailer("127.0.0.1", plain.port).send("a@example.org", "s", "t")
        assert plain.received == []
    finally:
        plain.stop()
