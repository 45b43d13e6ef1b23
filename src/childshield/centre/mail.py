"""E-mail to people who used the victims' page (optional; off unless an SMTP host is set).

A person may leave an e-mail address with their request (stored encrypted). When
``CHILDSHIELD_CENTRE_SMTP_HOST`` is set, the centre writes to it after the request was
searched (how many matching reports, at how many providers) and when a provider answers a
removal notice for it. The mail holds no hash, no provider name, no report id and no
reference code (the centre never stores the code): details stay behind the reference code
on the victims' page.

Sending is off the request's transaction (after it committed) and fails closed: the
connection is upgraded with STARTTLS (certificate verified) before anything is sent,
unless ``CHILDSHIELD_CENTRE_SMTP_ALLOW_PLAIN`` is set for a test or sandbox server on
loopback. Every attempt is in the audit log (``victims.mail``, success or failure, never
the address).
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from childshield import audit
from childshield.centre.config import CentreConfig
from childshield.centre.victims import email_of
from childshield.errors import ChildshieldError
from childshield.settings import Settings
from childshield.store import centre_victims as repo
from childshield.store.db import Database
from childshield.store.models.centre_victims import VictimRequest

log = logging.getLogger(__name__)


class MailError(ChildshieldError):
    status, slug, title = 502, "mail-failed", "E-mail could not be sent"


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int = 587
    sender: str = "no-reply@eu-centre.invalid"
    user: str | None = None
    password: str | None = None
    allow_plain: bool = False
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer | None:
        """The configured mailer, or None when no SMTP host is set (the default)."""
        if not settings.centre_smtp_host:
            return None
        password = settings.centre_smtp_password
        return cls(settings.centre_smtp_host, settings.centre_smtp_port,
                   settings.centre_smtp_from, settings.centre_smtp_user,
                   password.get_secret_value() if password else None,
                   settings.centre_smtp_allow_plain)

    def send(self, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
                elif not self.allow_plain:
                    raise MailError(f"SMTP server {self.host}:{self.port} does not offer "
                                    "STARTTLS; nothing sent (CHILDSHIELD_CENTRE_SMTP_ALLOW_"
                                    "PLAIN is for test servers only)")
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"SMTP {self.host}:{self.port}: {exc}") from exc


def _text(kind: str, matches: int, providers: int, answer: str | None) -> tuple[str, str]:
    page = ("Open the victims' page of the EU Centre and enter the reference code you kept "
            "to see the details. We never send that code, or anything about your pictures, "
            "by e-mail.")
    if kind == "received":
        found = (f"We found {matches} matching report(s), made by {providers} provider(s)."
                 if matches else "We found no matching report so far; we keep looking "
                 "when new reports arrive and you ask us again.")
        return "Your request to the EU Centre", f"We received your request.\n\n{found}\n\n{page}"
    said = {"removed": "has removed the material",
            "not_hosted": "says it no longer hosts the material",
            "refused": "refused to remove the material; we will follow this up"}
    return ("An update on your request to the EU Centre",
            f"A provider answered our removal request: it {said.get(answer or '', answer)}."
            f"\n\n{page}")


def mail_requester(database: Database, config: CentreConfig, mailer: Mailer | None,
                   request_pk: int, kind: str, answer: str | None = None) -> bool:
    """Write to the person behind request ``request_pk`` (``kind``: ``received`` or
    ``notice_answered``), if they left an address and a mailer is configured. Called after
    the request's transaction committed; a failure is logged and audited, never raised."""
    if mailer is None:
        return False
    with database.session() as session:
        row = session.get(VictimRequest, request_pk)
        address = email_of(config, row) if row is not None else None
        if row is None or address is None:
            return False
        matches = repo.matches_of(session, row.id)
        reports = repo.reports_by_pk(session, [m.report_pk for m in matches])
        providers = len({r.provider_pk for r in reports.values()})
        subject, text = _text(kind, len(reports), providers, answer)  # reports, not items
    error = None
    try:
        mailer.send(address, subject, text)
    except Exception as exc:  # a mail failure must not surface in the person's request
        error = str(exc)[:300]
        log.warning("victims' e-mail for request %s failed: %s", request_pk, error)
    with database.session() as session:
        audit.record(session, "system:victims-mail", "victims.mail", "victim_request",
                     request_pk, outcome="success" if error is None else "failure",
                     details={"kind": kind, **({"error": error} if error else {})})
    return error is None


__all__ = ["MailError", "Mailer", "SmtpMailer", "mail_requester"]
