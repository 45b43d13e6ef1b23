"""Reports to NCMEC's CyberTipline from the same outbox (destination ``ncmec``).

The row is written with the centre's in the deciding transaction; at send time the
Art. 13 report (the centre row's signed body) is mapped with
``childshield.exchange.ncmec.mapping.cybertip_report`` and sent with
``CyberTiplineClient.report`` (submit, upload, fileinfo, finish).

NCMEC has no idempotency key, so the submission is made resumable instead: after every
step NCMEC accepted, its progress (the report id, each file id, each fileinfo, finish) is
committed to the outbox row (``response["ncmec_progress"]``) before the next step, and a
retry (after a failed step, or a worker killed anywhere) carries on under the same report
id. A report finished before the crash is recognised (NCMEC's 5102 "already finished", or
the recorded ``finished``) and recorded as delivered: one CyberTipline report per case.
Left: a worker killed after NCMEC answered ``submit`` but before the report id was
committed leaves an unfinished report that NCMEC drops after 24 hours (and one killed
after an ``upload`` answer, a second copy of that file in the same report).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from childshield.crypto.canonical import parse_json
from childshield.errors import ChildshieldError
from childshield.exchange.ncmec.client import (
    CyberTiplineClient,
    CyberTiplineError,
    ReportFile,
    ReportProgress,
)
from childshield.exchange.ncmec.documents import Person, Reporter
from childshield.exchange.ncmec.mapping import cybertip_report, file_details
from childshield.exchange.report import parse_report
from childshield.provider.delivery import NcmecSend, Outcome
from childshield.provider.evidence import keyring_for, open_content
from childshield.settings import get_settings
from childshield.store import provider_reports as repo
from childshield.store.db import Database
from childshield.store.models.provider_reports import ProviderOutbox, ProviderReport


def _reporter(profile: Any) -> Reporter:
    info = profile.ncmec_reporter or {}
    identity = profile.identity
    return Reporter(reporting_person=Person(
        first_name=info.get("first_name"), last_name=info.get("last_name"),
        emails=(info.get("email") or identity["email"],)))


def ncmec_report(database: Database, row: ProviderOutbox,
                 client_factory: Callable[[], CyberTiplineClient]) -> Outcome:
    with database.session() as session:
        report = session.get(ProviderReport, row.report_pk)
        profile = repo.profile(session, row.tenant_id)
        if report is None or profile is None:
            return Outcome("failed", "report or profile is gone")
        centre_rows = [r for r in repo.outbox_of_report(session, report.id)
                       if r.kind == "report" and r.body is not None]
        if not centre_rows:
            return Outcome("retry", "the Art. 13 report is not built yet")
        envelope = parse_json(centre_rows[0].body or b"")
        art13 = parse_report(envelope["payload"])
        content = [c for c in repo.content_rows(session, report.case_id)
                   if c.ciphertext is not None]
        keyring = keyring_for(get_settings())
        files = []
        for item, stored in zip(art13.content, content, strict=False):
            if keyring is None:
                break
            files.append(ReportFile(name=item.file_name or f"{item.item_id}",
                                    data=open_content(keyring, stored),
                                    details=file_details(art13, item, report_id="",
                                                         file_id="")))
        tip = cybertip_report(art13, _reporter(profile),
                              esp_service=profile.identity.get("name", "service"))
    progress = ReportProgress.from_json((row.response or {}).get("ncmec_progress"))
    try:
        with client_factory() as client:
            finished = client.report(tip, files, progress=progress,
                                     checkpoint=_checkpoint(database, row.id))
    except CyberTiplineError as exc:
        return Outcome("retry" if exc.retryable else "failed", str(exc))
    return Outcome("delivered", response={"report_id": finished.report_id,
                                          "file_ids": json.loads(json.dumps(finished.file_ids))})


def _checkpoint(database: Database, row_id: int) -> Callable[[ReportProgress], None]:
    """Commit the progress of the submission to the outbox row (its own transaction)."""

    def save(progress: ReportProgress) -> None:
        with database.session() as session:
            row = session.get(ProviderOutbox, row_id)
            if row is not None:
                row.response = {"ncmec_progress": progress.to_json()}

    return save


def ncmec_sender(factory: Callable[[], CyberTiplineClient] | None = None) -> NcmecSend | None:
    """The sender the worker uses; None when NCMEC credentials are not configured."""
    if factory is None:
        settings = get_settings()
        if not settings.ncmec_username or settings.ncmec_password is None:
            return None
        factory = CyberTiplineClient.from_settings
    chosen = factory

    def send(database: Database, row: ProviderOutbox) -> Outcome:
        try:
            return ncmec_report(database, row, chosen)
        except ChildshieldError as exc:
            return Outcome("retry", f"NCMEC: {exc}")

    return send


__all__ = ["ncmec_report", "ncmec_sender"]
