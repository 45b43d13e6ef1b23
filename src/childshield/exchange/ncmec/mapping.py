"""From a childshield Art. 13 report to a CyberTipline report and its file details.

Only what the report already holds is passed on; the provider supplies its NCMEC reporter
block (reporting person email, company template, legal URL). ``fileViewedByEsp`` is true
for every item because no childshield report exists without a recorded human review.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from childshield.exchange.ncmec.documents import (
    ChatImIncident,
    CyberTipReport,
    FileDetails,
    IpCaptureEvent,
    Person,
    Reporter,
    UserDetails,
    WebPageIncident,
)
from childshield.exchange.report import ContentItem, InvolvedUser, Report

CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)"
ENTICEMENT = "Online Enticement of Children for Sexual Acts"
_REPORTED_ROLES = ("suspect", "uploader", "sender", "account_holder")


def incident_type(report: Report) -> str:
    return ENTICEMENT if report.abuse_type == "solicitation" else CHILD_PORNOGRAPHY


def incident_time(report: Report) -> datetime:
    """The earliest time the report knows of: upload, location event, else the report."""
    times = [i.uploaded_at for i in report.content if i.uploaded_at is not None]
    if report.location.time is not None:
        times.append(report.location.time)
    return min(times) if times else report.created


def _ip_events(report: Report, user: InvolvedUser | None) -> tuple[IpCaptureEvent, ...]:
    events = []
    if report.location.ip is not None:
        events.append(
            IpCaptureEvent(
                ip_address=str(report.location.ip),
                event_name="Upload" if report.abuse_type != "solicitation" else "Other",
                date_time=report.location.time,
                port=report.location.port,
            )
        )
    if user is not None and user.ip is not None and str(user.ip) != str(report.location.ip):
        events.append(IpCaptureEvent(ip_address=str(user.ip), event_name="Unknown"))
    return tuple(events)


def _details(user: InvolvedUser, service: str) -> UserDetails:
    return UserDetails(
        person=Person(emails=(user.email,)) if user.email else None,
        esp_identifier=user.user_id,
        esp_service=service,
        screen_name=user.screen_name,
        display_names=(user.display_name,) if user.display_name else (),
    )


def cybertip_report(report: Report, reporter: Reporter, *, esp_service: str) -> CyberTipReport:
    """The CyberTipline ``<report>`` for a confirmed childshield report."""
    reported = next((u for role in _REPORTED_ROLES for u in report.users if u.role == role), None)
    person = None
    if reported is not None:
        person = replace(
            _details(reported, esp_service), ip_capture_events=_ip_events(report, reported)
        )
    internet: list[WebPageIncident | ChatImIncident] = [
        WebPageIncident(url=item.url) for item in report.content if item.url
    ]
    if report.abuse_type == "solicitation":
        internet.append(ChatImIncident(chat_client=esp_service))
    review = report.human_review
    info = (
        f"Reviewed by a person at the provider ({review.reviewer}, "
        f"{review.decided_at.isoformat()}): {review.decision}. "
        f"childshield report {report.report_id}."
    )
    return CyberTipReport(
        incident_type=incident_type(report),
        incident_date_time=incident_time(report),
        reporter=reporter,
        escalate_to_high_priority=report.urgency_reason if report.urgent else None,
        internet_details=tuple(internet),
        person_or_user_reported=person,
        victims=tuple(_details(u, esp_service) for u in report.users if u.role == "victim"),
        additional_info=info,
    )


def file_details(report: Report, item: ContentItem, *, report_id: str, file_id: str) -> FileDetails:
    """``<fileDetails>`` for one uploaded item (NCMEC's report and file ids)."""
    hashes = tuple(
        (name, s.value)
        for s in item.signals
        for signal, name in (("md5", "MD5"), ("sha256", "SHA256"), ("pdq", "PDQ"))
        if s.signal == signal
    )
    return FileDetails(
        report_id=report_id,
        file_id=file_id,
        original_file_name=item.file_name,
        uploaded_to_esp_timestamp=item.uploaded_at,
        location_of_file=item.url,
        file_viewed_by_esp=True,
        publicly_available=item.publicly_available,
        file_relevance="Reported",
        original_file_hashes=hashes,
        ip_capture_events=_ip_events(report, None),
    )


__all__ = ["CHILD_PORNOGRAPHY", "ENTICEMENT", "cybertip_report", "file_details", "incident_time"]
