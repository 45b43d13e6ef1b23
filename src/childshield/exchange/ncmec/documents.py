"""CyberTipline report and fileDetails XML, in the element order of NCMEC's schema.

Elements and their order follow the CyberTipline Reporting API documentation and schema
(https://report.cybertip.org/ispws/documentation, ``/xsd``): NCMEC rejects children out
of sequence with response code 4100, so each builder writes them in schema order. Only the
elements childshield fills are modelled; all are optional except ``incidentType``,
``incidentDateTime`` and the reporting person's email (documented as required).

Responses (``<reportResponse>``, ``<reportDoneResponse>``) are parsed with DTDs and entity
declarations refused and a size cap, since they come from the network.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime

from childshield.errors import InputError

SCHEMA_LOCATION = "https://report.cybertip.org/ispws/xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MAX_RESPONSE_BYTES = 1_000_000
MAX_TEXT = 3000  # free-text fields (additionalInfo, escalateToHighPriority)

INCIDENT_TYPES = (
    "Child Pornography (possession, manufacture, and distribution)",
    "Child Sex Trafficking",
    "Child Sex Tourism",
    "Child Sexual Molestation",
    "Misleading Domain Name",
    "Misleading Words or Digital Images on the Internet",
    "Online Enticement of Children for Sexual Acts",
    "Unsolicited Obscene Material Sent to a Child",
)
EVENT_NAMES = ("Login", "Registration", "Purchase", "Upload", "Other", "Unknown")
HASH_TYPES = ("MD5", "SHA1", "SHA256", "PDQ")
FILE_RELEVANCE = ("Reported", "Supplemental Reported")

# Schema sequences (the order children must appear in).
REPORT_ORDER = (
    "incidentSummary",
    "internetDetails",
    "lawEnforcement",
    "reporter",
    "personOrUserReported",
    "intendedRecipient",
    "victim",
    "additionalInfo",
)
INCIDENT_SUMMARY_ORDER = (
    "incidentType",
    "platform",
    "escalateToHighPriority",
    "reportAnnotations",
    "incidentDateTime",
    "incidentDateTimeDescription",
)
FILE_DETAILS_ORDER = (
    "reportId",
    "fileId",
    "fileName",
    "originalFileName",
    "uploadedToEspTimestamp",
    "locationOfFile",
    "fileViewedByEsp",
    "exifViewedByEsp",
    "publiclyAvailable",
    "fileRelevance",
    "fileAnnotations",
    "industryClassification",
    "originalFileHash",
    "ipCaptureEvent",
    "deviceId",
    "details",
    "additionalInfo",
)


def ncmec_time(moment: datetime) -> str:
    """xs:dateTime in UTC, whole seconds (``2026-11-28T10:00:00Z``)."""
    if moment.tzinfo is None:
        raise InputError("NCMEC times need a time zone")
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class IpCaptureEvent:
    ip_address: str
    event_name: str | None = None
    date_time: datetime | None = None
    possible_proxy: bool | None = None
    port: int | None = None


@dataclass(frozen=True)
class Person:
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reporter:
    reporting_person: Person
    contact_person: Person | None = None
    company_template: str | None = None
    terms_of_service: str | None = None
    legal_url: str | None = None


@dataclass(frozen=True)
class UserDetails:
    """``personOrUserReported`` or ``victim`` (same shape for what childshield fills)."""

    person: Person | None = None
    esp_identifier: str | None = None
    esp_service: str | None = None
    screen_name: str | None = None
    display_names: tuple[str, ...] = ()
    profile_urls: tuple[str, ...] = ()
    ip_capture_events: tuple[IpCaptureEvent, ...] = ()
    additional_info: str | None = None


@dataclass(frozen=True)
class WebPageIncident:
    url: str | None = None
    additional_info: str | None = None
    third_party_hosted_content: bool | None = None


@dataclass(frozen=True)
class ChatImIncident:
    chat_client: str | None = None
    chat_room_name: str | None = None
    content: str | None = None
    additional_info: str | None = None


@dataclass(frozen=True)
class CyberTipReport:
    incident_type: str
    incident_date_time: datetime
    reporter: Reporter
    escalate_to_high_priority: str | None = None
    internet_details: tuple[WebPageIncident | ChatImIncident, ...] = ()
    person_or_user_reported: UserDetails | None = None
    victims: tuple[UserDetails, ...] = ()
    additional_info: str | None = None


@dataclass(frozen=True)
class FileDetails:
    report_id: str
    file_id: str
    original_file_name: str | None = None
    uploaded_to_esp_timestamp: datetime | None = None
    location_of_file: str | None = None
    file_viewed_by_esp: bool | None = None
    exif_viewed_by_esp: bool | None = None
    publicly_available: bool | None = None
    file_relevance: str | None = "Reported"
    original_file_hashes: tuple[tuple[str, str], ...] = ()  # (hashType, value)
    ip_capture_events: tuple[IpCaptureEvent, ...] = ()
    additional_info: tuple[str, ...] = ()


# --- writing ---------------------------------------------------------------------------


def _text(parent: ET.Element, tag: str, value: object, **attrs: str) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, datetime):
        value = ncmec_time(value)
    ET.SubElement(parent, tag, attrs).text = str(value)


def _root(tag: str) -> ET.Element:
    root = ET.Element(tag)
    root.set("xmlns:xsi", XSI)
    root.set("xsi:noNamespaceSchemaLocation", SCHEMA_LOCATION)
    return root


def _person(parent: ET.Element, tag: str, person: Person) -> None:
    node = ET.SubElement(parent, tag)
    _text(node, "firstName", person.first_name)
    _text(node, "lastName", person.last_name)
    _text(node, "phone", person.phone)
    for email in person.emails:
        _text(node, "email", email)


def _ip_event(parent: ET.Element, event: IpCaptureEvent) -> None:
    if event.event_name is not None and event.event_name not in EVENT_NAMES:
        raise InputError(f"ipCaptureEvent eventName must be one of {', '.join(EVENT_NAMES)}")
    node = ET.SubElement(parent, "ipCaptureEvent")
    _text(node, "ipAddress", event.ip_address)
    _text(node, "eventName", event.event_name)
    _text(node, "dateTime", event.date_time)
    _text(node, "possibleProxy", event.possible_proxy)
    _text(node, "port", event.port)


def _user(parent: ET.Element, tag: str, person_tag: str, user: UserDetails) -> None:
    node = ET.SubElement(parent, tag)
    if user.person is not None:
        _person(node, person_tag, user.person)
    _text(node, "espIdentifier", user.esp_identifier)
    _text(node, "espService", user.esp_service)
    _text(node, "screenName", user.screen_name)
    for name in user.display_names:
        _text(node, "displayName", name)
    for url in user.profile_urls:
        _text(node, "profileUrl", url)
    for event in user.ip_capture_events:
        _ip_event(node, event)
    _text(node, "additionalInfo", _limited(user.additional_info, f"{tag}.additionalInfo"))


def _limited(text: str | None, what: str) -> str | None:
    if text is not None and (not text.strip() or len(text) > MAX_TEXT):
        raise InputError(f"{what} must be non-blank and at most {MAX_TEXT} characters")
    return text


def _tostring(root: ET.Element) -> bytes:
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def build_report_xml(report: CyberTipReport) -> bytes:
    """The ``<report>`` document for ``POST /submit``."""
    if report.incident_type not in INCIDENT_TYPES:
        raise InputError(f"incidentType {report.incident_type!r} is not one NCMEC accepts")
    if not report.reporter.reporting_person.emails:
        raise InputError("the reporting person needs an email (required by NCMEC)")
    root = _root("report")
    summary = ET.SubElement(root, "incidentSummary")
    _text(summary, "incidentType", report.incident_type)
    _text(
        summary,
        "escalateToHighPriority",
        _limited(report.escalate_to_high_priority, "escalateToHighPriority"),
    )
    _text(summary, "incidentDateTime", report.incident_date_time)
    for incident in report.internet_details:
        details = ET.SubElement(root, "internetDetails")
        if isinstance(incident, WebPageIncident):
            node = ET.SubElement(details, "webPageIncident")
            _text(node, "url", incident.url)
            _text(node, "additionalInfo", incident.additional_info)
            _text(node, "thirdPartyHostedContent", incident.third_party_hosted_content)
        else:
            node = ET.SubElement(details, "chatImIncident")
            _text(node, "chatClient", incident.chat_client)
            _text(node, "chatRoomName", incident.chat_room_name)
            _text(node, "content", incident.content)
            _text(node, "additionalInfo", incident.additional_info)
    reporter = ET.SubElement(root, "reporter")
    _person(reporter, "reportingPerson", report.reporter.reporting_person)
    if report.reporter.contact_person is not None:
        _person(reporter, "contactPerson", report.reporter.contact_person)
    _text(reporter, "companyTemplate", report.reporter.company_template)
    _text(reporter, "termsOfService", report.reporter.terms_of_service)
    _text(reporter, "legalURL", report.reporter.legal_url)
    if report.person_or_user_reported is not None:
        _user(
            root,
            "personOrUserReported",
            "personOrUserReportedPerson",
            report.person_or_user_reported,
        )
    for victim in report.victims:
        _user(root, "victim", "victimPerson", victim)
    _text(root, "additionalInfo", _limited(report.additional_info, "additionalInfo"))
    return _tostring(root)


def build_file_details_xml(details: FileDetails) -> bytes:
    """The ``<fileDetails>`` document for ``POST /fileinfo``."""
    if details.file_relevance is not None and details.file_relevance not in FILE_RELEVANCE:
        raise InputError(f"fileRelevance must be one of {', '.join(FILE_RELEVANCE)}")
    root = _root("fileDetails")
    _text(root, "reportId", details.report_id)
    _text(root, "fileId", details.file_id)
    _text(root, "originalFileName", details.original_file_name)
    _text(root, "uploadedToEspTimestamp", details.uploaded_to_esp_timestamp)
    _text(root, "locationOfFile", details.location_of_file)
    _text(root, "fileViewedByEsp", details.file_viewed_by_esp)
    _text(root, "exifViewedByEsp", details.exif_viewed_by_esp)
    _text(root, "publiclyAvailable", details.publicly_available)
    _text(root, "fileRelevance", details.file_relevance)
    for hash_type, value in details.original_file_hashes:
        if hash_type not in HASH_TYPES:
            raise InputError(f"originalFileHash hashType must be one of {', '.join(HASH_TYPES)}")
        _text(root, "originalFileHash", value, hashType=hash_type)
    for event in details.ip_capture_events:
        _ip_event(root, event)
    for info in details.additional_info:
        _text(root, "additionalInfo", _limited(info, "additionalInfo"))
    return _tostring(root)


# --- reading responses -----------------------------------------------------------------


@dataclass(frozen=True)
class NcmecResponse:
    """A ``<reportResponse>`` or ``<reportDoneResponse>``."""

    kind: str
    code: int
    description: str | None = None
    report_id: str | None = None
    file_id: str | None = None
    hash: str | None = None
    file_ids: list[str] = field(default_factory=list)


class ResponseFormatError(InputError):
    """The server's answer is not a CyberTipline response document."""


def parse_xml(body: bytes, what: str = "response") -> ET.Element:
    """Parse untrusted XML: size-capped, no DTD or entity declarations."""
    if len(body) > MAX_RESPONSE_BYTES:
        raise ResponseFormatError(f"{what} larger than {MAX_RESPONSE_BYTES} bytes")
    head = body[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in body.upper():
        raise ResponseFormatError(f"{what} declares a DTD or entities; refused")
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise ResponseFormatError(f"{what} is not well-formed XML: {exc}") from exc


def parse_response(body: bytes) -> NcmecResponse:
    root = parse_xml(body)
    if root.tag not in ("reportResponse", "reportDoneResponse"):
        raise ResponseFormatError(f"unexpected response element <{root.tag}>")
    code_text = root.findtext("responseCode")
    if code_text is None or not code_text.strip().lstrip("-").isdigit():
        raise ResponseFormatError(f"<{root.tag}> has no numeric responseCode")
    files = root.find("files")
    return NcmecResponse(
        kind=root.tag,
        code=int(code_text),
        description=root.findtext("responseDescription"),
        report_id=root.findtext("reportId"),
        file_id=root.findtext("fileId"),
        hash=root.findtext("hash"),
        file_ids=[f.text or "" for f in files.findall("fileId")] if files is not None else [],
    )


__all__ = [
    "EVENT_NAMES",
    "FILE_DETAILS_ORDER",
    "HASH_TYPES",
    "INCIDENT_SUMMARY_ORDER",
    "INCIDENT_TYPES",
    "REPORT_ORDER",
    "SCHEMA_LOCATION",
    "ChatImIncident",
    "CyberTipReport",
    "FileDetails",
    "IpCaptureEvent",
    "NcmecResponse",
    "Person",
    "Reporter",
    "ResponseFormatError",
    "UserDetails",
    "WebPageIncident",
    "build_file_details_xml",
    "build_report_xml",
    "ncmec_time",
    "parse_response",
    "parse_xml",
]
