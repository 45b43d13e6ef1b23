"""A local fake of NCMEC's CyberTipline Reporting API, for tests on loopback HTTP.

It follows the documented behaviour the client depends on: Basic authentication, the
submit -> upload -> fileinfo -> finish steps (and retract, status), ``<reportResponse>`` /
``<reportDoneResponse>`` answers with NCMEC's response codes, and schema checks of the
documents it receives (required elements, child order, booleans, hash types), answering
4100 when a document is invalid. ``fail_next`` injects a failure into the next call of a
step. Everything it received is kept for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import socket
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import FastAPI, Request, Response

USER, PASSWORD = "usr123", "pswd123"
# Sequences from NCMEC's schema, written out independently of the code under test.
REPORT_SEQUENCE = [
    "incidentSummary",
    "internetDetails",
    "lawEnforcement",
    "reporter",
    "personOrUserReported",
    "intendedRecipient",
    "victim",
    "additionalInfo",
]
SUMMARY_SEQUENCE = [
    "incidentType",
    "platform",
    "escalateToHighPriority",
    "reportAnnotations",
    "incidentDateTime",
    "incidentDateTimeDescription",
]
REPORTER_SEQUENCE = [
    "reportingPerson",
    "contactPerson",
    "companyTemplate",
    "termsOfService",
    "legalURL",
]
USER_SEQUENCE = [
    "personOrUserReportedPerson",
    "victimPerson",
    "espIdentifier",
    "espService",
    "screenName",
    "displayName",
    "profileUrl",
    "ipCaptureEvent",
    "deviceId",
    "additionalInfo",
]
FILE_SEQUENCE = [
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
]
IP_EVENT_SEQUENCE = ["ipAddress", "eventName", "dateTime", "possibleProxy", "port"]


@dataclass
class FakeReport:
    report_id: str
    xml: bytes
    files: dict[str, bytes] = field(default_factory=dict)
    details: dict[str, bytes] = field(default_factory=dict)
    finished: bool = False
    retracted: bool = False


def _answer(code: int, description: str, status: int = 200, **extra: str) -> Response:
    root = ET.Element("reportResponse")
    ET.SubElement(root, "responseCode").text = str(code)
    ET.SubElement(root, "responseDescription").text = description
    for key, value in extra.items():
        ET.SubElement(root, key).text = value
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, status_code=status, media_type="application/xml")


def _in_order(parent: ET.Element, sequence: list[str]) -> str | None:
    positions = []
    for child in parent:
        if child.tag not in sequence:
            return f"unexpected element <{child.tag}> in <{parent.tag}>"
        positions.append(sequence.index(child.tag))
    if positions != sorted(positions):
        return f"children of <{parent.tag}> out of schema order"
    return None


def _check_time(text: str | None, what: str) -> str | None:
    try:
        moment = datetime.fromisoformat(text or "")
    except ValueError:
        return f"{what} is not an xs:dateTime"
    return None if moment.tzinfo else f"{what} lacks a time zone"


def validate_report(xml: bytes) -> str | None:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return f"not XML: {exc}"
    if root.tag != "report":
        return "root element must be <report>"
    summary, reporter = root.find("incidentSummary"), root.find("reporter")
    if summary is None or reporter is None:
        return "incidentSummary and reporter are required"
    for parent, sequence in [
        (root, REPORT_SEQUENCE),
        (summary, SUMMARY_SEQUENCE),
        (reporter, REPORTER_SEQUENCE),
    ]:
        if problem := _in_order(parent, sequence):
            return problem
    for user in [*root.findall("personOrUserReported"), *root.findall("victim")]:
        if problem := _in_order(user, USER_SEQUENCE):
            return problem
        for event in user.findall("ipCaptureEvent"):
            if problem := _in_order(event, IP_EVENT_SEQUENCE):
                return problem
    if not (summary.findtext("incidentType") or "").strip():
        return "incidentType is required"
    if problem := _check_time(summary.findtext("incidentDateTime"), "incidentDateTime"):
        return problem
    if not root.findall("reporter/reportingPerson/email"):
        return "reportingPerson email is required"
    return None


def validate_file_details(xml: bytes) -> tuple[str | None, str, str]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return f"not XML: {exc}", "", ""
    if root.tag != "fileDetails":
        return "root element must be <fileDetails>", "", ""
    report_id, file_id = root.findtext("reportId") or "", root.findtext("fileId") or ""
    if not report_id or not file_id:
        return "reportId and fileId are required", report_id, file_id
    if problem := _in_order(root, FILE_SEQUENCE):
        return problem, report_id, file_id
    for flag in ("fileViewedByEsp", "exifViewedByEsp", "publiclyAvailable"):
        value = root.findtext(flag)
        if value is not None and value not in ("true", "false"):
            return f"{flag} must be true or false", report_id, file_id
    for digest in root.findall("originalFileHash"):
        if digest.get("hashType") not in ("MD5", "SHA1", "SHA256", "PDQ"):
            return "originalFileHash needs a hashType", report_id, file_id
    for event in root.findall("ipCaptureEvent"):
        if problem := _in_order(event, IP_EVENT_SEQUENCE):
            return problem, report_id, file_id
    return None, report_id, file_id


class FakeCyberTipline:
    """State and the FastAPI app of the fake."""

    def __init__(self) -> None:
        self.reports: dict[str, FakeReport] = {}
        self.calls: list[str] = []
        self.fail_next: dict[str, tuple[int, int]] = {}
        self._ids = itertools.count(4564654)
        self.app = self._build()

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return header == f"Basic {expected}"

    def _gate(self, step: str, request: Request) -> Response | None:
        self.calls.append(step)
        if not self._authorised(request):
            return _answer(2000, "Authentication required", status=401)
        if step in self.fail_next:
            status, code = self.fail_next.pop(step)
            return _answer(code, "injected failure", status=status)
        return None

    def _open(self, report_id: str) -> FakeReport | Response:
        report = self.reports.get(report_id)
        if report is None or report.retracted:
            return _answer(5001, "Report does not exist", status=400)
        if report.finished:
            return _answer(5102, "Report already finished", status=400)
        return report

    def _build(self) -> FastAPI:
        app = FastAPI()

        @app.get("/ispws/status")
        async def status(request: Request) -> Response:
            return self._gate("status", request) or _answer(0, f"Remote User : {USER}")

        @app.get("/ispws/xsd")
        async def xsd(request: Request) -> Response:
            if gate := self._gate("xsd", request):
                return gate
            schema = (
                b'<?xml version="1.0"?><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>'
            )
            return Response(schema, media_type="application/xml")

        @app.post("/ispws/submit")
        async def submit(request: Request) -> Response:
            if gate := self._gate("submit", request):
                return gate
            if not request.headers.get("content-type", "").startswith("text/xml"):
                return _answer(4100, "Content-Type must be text/xml", status=400)
            body = await request.body()
            if problem := validate_report(body):
                return _answer(4100, f"Validation failed: {problem}", status=400)
            report_id = str(next(self._ids))
            self.reports[report_id] = FakeReport(report_id, body)
            return _answer(0, "Success", reportId=report_id)

        @app.post("/ispws/upload")
        async def upload(request: Request) -> Response:
            if gate := self._gate("upload", request):
                return gate
            form = await request.form()
            report = self._open(str(form.get("id", "")))
            if isinstance(report, Response):
                return report
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                return _answer(4100, "file is required", status=400)
            data = await upload.read()
            file_id = uuid.uuid4().hex
            report.files[file_id] = data
            return _answer(
                0,
                "Success",
                reportId=report.report_id,
                fileId=file_id,
                hash=hashlib.md5(data).hexdigest(),
            )

        @app.post("/ispws/fileinfo")
        async def fileinfo(request: Request) -> Response:
            if gate := self._gate("fileinfo", request):
                return gate
            body = await request.body()
            problem, report_id, file_id = validate_file_details(body)
            if problem:
                return _answer(4100, f"Validation failed: {problem}", status=400)
            report = self._open(report_id)
            if isinstance(report, Response):
                return report
            if file_id not in report.files:
                return _answer(4100, "Validation failed: unknown fileId", status=400)
            report.details[file_id] = body
            return _answer(0, "Success", reportId=report_id)

        @app.post("/ispws/finish")
        async def finish(request: Request) -> Response:
            if gate := self._gate("finish", request):
                return gate
            form = await request.form()
            report = self._open(str(form.get("id", "")))
            if isinstance(report, Response):
                return report
            report.finished = True
            root = ET.Element("reportDoneResponse")
            ET.SubElement(root, "responseCode").text = "0"
            ET.SubElement(root, "reportId").text = report.report_id
            files = ET.SubElement(root, "files")
            for file_id in report.files:
                ET.SubElement(files, "fileId").text = file_id
            return Response(ET.tostring(root, encoding="utf-8"), media_type="application/xml")

        @app.post("/ispws/retract")
        async def retract(request: Request) -> Response:
            if gate := self._gate("retract", request):
                return gate
            form = await request.form()
            report = self._open(str(form.get("id", "")))
            if isinstance(report, Response):
                return report
            report.retracted = True
            return _answer(0, "Success", reportId=report.report_id)

        return app


@dataclass
class RunningFake:
    fake: FakeCyberTipline
    base_url: str


def serve(fake: FakeCyberTipline) -> Iterator[RunningFake]:
    """Run the fake with uvicorn on a free loopback port for the duration of a fixture."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fake.app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    try:
        yield RunningFake(fake, f"http://127.0.0.1:{port}/ispws")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
