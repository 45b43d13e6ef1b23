"""CyberTipline XML: documented elements, schema order, mapping from an Art. 13 report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from tests.exchange.ncmec_fake import validate_file_details, validate_report
from tests.exchange.reportdata import report_dict

from childshield.errors import InputError
from childshield.exchange.ncmec.documents import (
    CyberTipReport,
    FileDetails,
    IpCaptureEvent,
    Person,
    Reporter,
    ResponseFormatError,
    UserDetails,
    build_file_details_xml,
    build_report_xml,
    parse_response,
)
from childshield.exchange.ncmec.mapping import cybertip_report, file_details
from childshield.exchange.report import parse_report

REPORTER = Reporter(
    reporting_person=Person(first_name="Trust", last_name="Safety", emails=("ts@demo.example",)),
    company_template="Demo Hosting",
    legal_url="https://demo-host.example/legal",
)
T = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def test_report_xml_has_documented_elements_in_order() -> None:
    xml = build_report_xml(
        CyberTipReport(
            incident_type="Child Pornography (possession, manufacture, and distribution)",
            incident_date_time=T,
            reporter=REPORTER,
            escalate_to_high_priority="ongoing contact with a child",
            person_or_user_reported=UserDetails(
                esp_identifier="u-1",
                screen_name="demo_user",
                ip_capture_events=(IpCaptureEvent("192.0.2.1", "Upload", T, port=443),),
            ),
            victims=(UserDetails(esp_identifier="u-2"),),
            additional_info="reviewed by a person",
        )
    )
    root = ET.fromstring(xml)
    assert root.tag == "report"
    assert _tags(root) == [
        "incidentSummary",
        "reporter",
        "personOrUserReported",
        "victim",
        "additionalInfo",
    ]
    assert _tags(root.find("incidentSummary")) == [  # type: ignore[arg-type]
        "incidentType",
        "escalateToHighPriority",
        "incidentDateTime",
    ]
    assert root.findtext("incidentSummary/incidentDateTime") == "2026-11-28T10:00:00Z"
    assert root.findtext("reporter/reportingPerson/email") == "ts@demo.example"
    event = root.find("personOrUserReported/ipCaptureEvent")
    assert event is not None and _tags(event) == ["ipAddress", "eventName", "dateTime", "port"]
    assert b'xsi:noNamespaceSchemaLocation="https://report.cybertip.org/ispws/xsd"' in xml
    assert validate_report(xml) is None


def test_file_details_xml() -> None:
    xml = build_file_details_xml(
        FileDetails(
            report_id="4564654",
            file_id="abc",
            original_file_name="gradient.png",
            uploaded_to_esp_timestamp=T,
            file_viewed_by_esp=True,
            publicly_available=False,
            original_file_hashes=(("MD5", "0" * 32),),
            ip_capture_events=(IpCaptureEvent("192.0.2.1", "Upload", T),),
        )
    )
    root = ET.fromstring(xml)
    assert _tags(root) == [
        "reportId",
        "fileId",
        "originalFileName",
        "uploadedToEspTimestamp",
        "fileViewedByEsp",
        "publiclyAvailable",
        "fileRelevance",
        "originalFileHash",
        "ipCaptureEvent",
    ]
    assert root.findtext("fileViewedByEsp") == "true"
    assert root.find("originalFileHash").get("hashType") == "MD5"  # type: ignore[union-attr]
    assert validate_file_details(xml)[0] is None


@pytest.mark.parametrize(
    ("report", "words"),
    [
        (CyberTipReport("Something else", T, REPORTER), "incidentType"),
        (CyberTipReport("Child Sex Tourism", T, Reporter(Person(first_name="x"))), "email"),
        (CyberTipReport("Child Sex Tourism", datetime(2026, 1, 1), REPORTER), "time zone"),
        (CyberTipReport("Child Sex Tourism", T, REPORTER, additional_info="x" * 3001), "3000"),
    ],
)
def test_invalid_report_documents_are_refused(report: CyberTipReport, words: str) -> None:
    with pytest.raises(InputError, match=words):
        build_report_xml(report)


def test_mapping_from_an_art13_report() -> None:
    report = parse_report(report_dict())
    xml = build_report_xml(cybertip_report(report, REPORTER, esp_service="Demo Hosting"))
    assert validate_report(xml) is None
    root = ET.fromstring(xml)
    assert root.findtext("incidentSummary/incidentType") == (
        "Child Pornography (possession, manufacture, and distribution)"
    )
    assert root.findtext("incidentSummary/incidentDateTime") == "2026-11-28T10:00:00Z"
    assert root.findtext("personOrUserReported/espIdentifier") == "u-123"
    assert root.findtext("personOrUserReported/ipCaptureEvent/ipAddress") == "192.0.2.10"
    assert "reviewer-7" in (root.findtext("additionalInfo") or "")

    details = build_file_details_xml(
        file_details(report, report.content[0], report_id="1", file_id="f")
    )
    droot = ET.fromstring(details)
    assert droot.findtext("originalFileName") == "gradient.png"
    assert droot.findtext("fileViewedByEsp") == "true"
    md5 = next(s.value for s in report.content[0].signals if s.signal == "md5")
    assert [(h.get("hashType"), h.text) for h in droot.findall("originalFileHash")][1] == (
        "MD5",
        md5,
    )
    assert validate_file_details(details)[0] is None


def test_solicitation_maps_to_enticement_and_a_chat_incident() -> None:
    data = report_dict(
        abuse_type="solicitation",
        removal=None,
        urgent=True,
        urgency_reason="a meeting is being arranged",
    )
    data["human_review"]["decision"] = "confirm_solicitation"
    xml = build_report_xml(cybertip_report(parse_report(data), REPORTER, esp_service="Chat"))
    root = ET.fromstring(xml)
    assert root.findtext("incidentSummary/incidentType") == (
        "Online Enticement of Children for Sexual Acts"
    )
    assert root.findtext("incidentSummary/escalateToHighPriority") == "a meeting is being arranged"
    assert root.findtext("internetDetails/chatImIncident/chatClient") == "Chat"
    assert validate_report(xml) is None


def test_parse_responses() -> None:
    ok = parse_response(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><reportResponse>'
        b"<responseCode>0</responseCode><responseDescription>Success</responseDescription>"
        b"<reportId>4564654</reportId></reportResponse>"
    )
    assert (ok.code, ok.report_id) == (0, "4564654")
    done = parse_response(
        b"<reportDoneResponse><responseCode>0</responseCode><reportId>4564654</reportId>"
        b"<files><fileId>a</fileId><fileId>b</fileId></files></reportDoneResponse>"
    )
    assert done.file_ids == ["a", "b"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>oops</html>",
        b"<reportResponse><responseCode>x</responseCode></reportResponse>",
        b'<!DOCTYPE r [<!ENTITY a "aaaa">]><reportResponse><responseCode>0</responseCode>'
        b"</reportResponse>",
        b"<reportResponse>" + b" " * 1_000_001 + b"</reportResponse>",
    ],
)
def test_hostile_or_junk_responses_are_refused(body: bytes) -> None:
    with pytest.raises(ResponseFormatError):
        parse_response(body)
