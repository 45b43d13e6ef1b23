"""Client for NCMEC's CyberTipline Reporting API (the ESP web service, ``/ispws``).

A report is made in steps, each answered by XML with a ``responseCode`` (0 = success):

1. ``POST /submit`` with the ``<report>`` XML -> ``reportId``;
2. ``POST /upload`` (multipart ``id`` + ``file``) per file -> ``fileId`` and NCMEC's MD5 of
   what it received (checked against ours);
3. ``POST /fileinfo`` with ``<fileDetails>`` per file;
4. ``POST /finish`` (``id``) -> the final report id and file ids.

``POST /retract`` cancels an unfinished report; ``GET /status`` checks the credentials;
``GET /xsd`` returns the schema.
NCMEC deletes a report that is not finished within 24 hours, so :meth:`report` retracts
what it opened when a later step fails.

Environments are an explicit switch (:class:`NcmecEnvironment`): ``production`` always
uses https://report.cybertip.org/ispws; ``sandbox`` uses NCMEC's test system
https://exttest.cybertip.org/ispws; ``test`` points at a local fake. Plain HTTP is refused
everywhere except ``sandbox``/``test`` with an explicit base URL.

Errors are :class:`CyberTiplineError` with NCMEC's response code and ``retryable``:
1xxx (server side) and transport errors can be retried; 2xxx/3xxx (authentication,
authorisation), 4xxx (our document is invalid) and 5xxx (report state) cannot.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from childshield._optional import require
from childshield.errors import ChildshieldError, ConfigurationError
from childshield.exchange.ncmec.documents import (
    CyberTipReport,
    FileDetails,
    NcmecResponse,
    ResponseFormatError,
    build_file_details_xml,
    build_report_xml,
    parse_response,
)

PRODUCTION_URL = "https://report.cybertip.org/ispws"
SANDBOX_URL = "https://exttest.cybertip.org/ispws"
_XML = {"Content-Type": "text/xml; charset=utf-8"}

#: Response codes the documentation names (the list is explicitly not exhaustive).
RESPONSE_CODES = {
    0: "success",
    1000: "server error",
    2000: "authentication required",
    3000: "not authorized",
    3100: "no submission authorization",
    4100: "validation failed",
    5001: "report does not exist",
    5101: "report already retracted",
    5102: "report already finished",
}


class NcmecEnvironment(StrEnum):
    PRODUCTION = "production"
    SANDBOX = "sandbox"
    TEST = "test"


class CyberTiplineError(ChildshieldError):
    """A CyberTipline step failed; ``retryable`` says whether trying again can help."""

    status, slug, title, safe = 502, "ncmec-error", "CyberTipline request failed", True

    def __init__(
        self,
        message: str,
        *,
        step: str,
        code: int | None = None,
        http_status: int | None = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(
            message, step=step, code=code, http_status=http_status, retryable=retryable
        )
        self.step, self.code, self.http_status, self.retryable = step, code, http_status, retryable


def category(code: int) -> str:
    """NCMEC response-code family: success, server, auth, invalid, state, unknown."""
    if code == 0:
        return "success"
    return {1: "server", 2: "auth", 3: "auth", 4: "invalid", 5: "state"}.get(
        code // 1000, "unknown"
    )


@dataclass(frozen=True)
class UploadedFile:
    file_id: str
    md5: str


@dataclass(frozen=True)
class FinishedReport:
    report_id: str
    file_ids: list[str]


@dataclass(frozen=True)
class ReportFile:
    """A file to attach: its name, bytes and the details NCMEC should record."""

    name: str
    data: bytes
    details: FileDetails  # report_id and file_id are filled in by the client


def resolve_base_url(environment: NcmecEnvironment | str, base_url: str | None) -> str:
    env = NcmecEnvironment(environment)
    if env is NcmecEnvironment.PRODUCTION:
        if base_url not in (None, PRODUCTION_URL):
            raise ConfigurationError(
                "NCMEC production always uses " + PRODUCTION_URL + "; base URL overrides are "
                "allowed only in sandbox or test"
            )
        return PRODUCTION_URL
    if base_url is None:
        if env is NcmecEnvironment.TEST:
            raise ConfigurationError("NCMEC test mode needs an explicit base URL (a local fake)")
        return SANDBOX_URL
    scheme = urlsplit(base_url).scheme
    if scheme not in ("https", "http"):
        raise ConfigurationError(f"NCMEC base URL must be http(s), not {scheme or 'none'!r}")
    return base_url.rstrip("/")


class CyberTiplineClient:
    """Synchronous client; use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        *,
        username: str,
        password: str,
        environment: NcmecEnvironment | str,
        base_url: str | None = None,
        timeout: float = 60.0,
        transport: Any = None,
    ) -> None:
        httpx = require("httpx")
        self.environment = NcmecEnvironment(environment)
        self.base_url = resolve_base_url(self.environment, base_url)
        self._client = httpx.Client(
            auth=(username, password), timeout=timeout, transport=transport, follow_redirects=False
        )

    @classmethod
    def from_settings(cls) -> CyberTiplineClient:
        from childshield.settings import get_settings

        settings = get_settings()
        if not settings.ncmec_username or settings.ncmec_password is None:
            raise ConfigurationError(
                "set CHILDSHIELD_NCMEC_USERNAME and CHILDSHIELD_NCMEC_PASSWORD to report to NCMEC"
            )
        return cls(
            username=settings.ncmec_username,
            password=settings.ncmec_password.get_secret_value(),
            environment=settings.ncmec_environment,
            base_url=settings.ncmec_base_url,
        )

    def __enter__(self) -> CyberTiplineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    # --- one request ------------------------------------------------------------------

    def _call(self, step: str, method: str, path: str, **kwargs: Any) -> NcmecResponse:
        httpx = require("httpx")
        try:
            response = self._client.request(method, self.base_url + path, **kwargs)
        except httpx.HTTPError as exc:
            raise CyberTiplineError(
                f"{step}: could not reach the CyberTipline API ({type(exc).__name__})",
                step=step,
                retryable=True,
            ) from exc
        body = response.content
        try:
            parsed: NcmecResponse | None = parse_response(body)
        except ResponseFormatError:
            parsed = None
        status = response.status_code
        if parsed is None:
            retry = status >= 500 or status in (408, 429)
            raise CyberTiplineError(
                f"{step}: HTTP {status} without a CyberTipline response document",
                step=step,
                http_status=status,
                retryable=retry,
            )
        if status >= 400 or parsed.code != 0:
            family = category(parsed.code)
            if parsed.code == 0:  # HTTP error with a success code: trust the HTTP status
                family = (
                    "auth" if status in (401, 403) else "server" if status >= 500 else "invalid"
                )
            meaning = RESPONSE_CODES.get(parsed.code, family)
            description = (parsed.description or "")[:200]
            raise CyberTiplineError(
                f"{step}: NCMEC response code {parsed.code} ({meaning}), HTTP {status}"
                + (f": {description}" if description else ""),
                step=step,
                code=parsed.code,
                http_status=status,
                retryable=family == "server" or status in (408, 429) or status >= 500,
            )
        return parsed

    # --- the documented steps -----------------------------------------------------------

    def status(self) -> NcmecResponse:
        return self._call("status", "GET", "/status")

    def schema(self) -> bytes:
        """``GET /xsd``: the current XML schema, to check documents against before go-live."""
        httpx = require("httpx")
        try:
            response = self._client.get(self.base_url + "/xsd")
        except httpx.HTTPError as exc:
            raise CyberTiplineError(
                f"xsd: could not reach the CyberTipline API ({type(exc).__name__})",
                step="xsd",
                retryable=True,
            ) from exc
        if response.status_code != 200 or b"schema" not in response.content[:2000]:
            raise CyberTiplineError(
                f"xsd: HTTP {response.status_code} without a schema",
                step="xsd",
                http_status=response.status_code,
                retryable=response.status_code >= 500,
            )
        return bytes(response.content)

    def submit(self, report: CyberTipReport | bytes) -> str:
        body = report if isinstance(report, bytes) else build_report_xml(report)
        response = self._call("submit", "POST", "/submit", content=body, headers=_XML)
        if not response.report_id:
            raise CyberTiplineError("submit: response has no reportId", step="submit")
        return response.report_id

    def upload(self, report_id: str, name: str, data: bytes) -> UploadedFile:
        response = self._call(
            "upload", "POST", "/upload", data={"id": report_id}, files={"file": (name, data)}
        )
        if not response.file_id:
            raise CyberTiplineError("upload: response has no fileId", step="upload")
        ours = hashlib.md5(data).hexdigest()
        if response.hash is not None and response.hash.lower() != ours:
            raise CyberTiplineError(
                "upload: NCMEC received different bytes (MD5 mismatch)",
                step="upload",
                retryable=True,
            )
        return UploadedFile(response.file_id, ours)

    def fileinfo(self, details: FileDetails | bytes) -> None:
        body = details if isinstance(details, bytes) else build_file_details_xml(details)
        self._call("fileinfo", "POST", "/fileinfo", content=body, headers=_XML)

    def finish(self, report_id: str) -> FinishedReport:
        response = self._call("finish", "POST", "/finish", files={"id": (None, report_id)})
        return FinishedReport(response.report_id or report_id, response.file_ids)

    def retract(self, report_id: str) -> None:
        self._call("retract", "POST", "/retract", files={"id": (None, report_id)})

    # --- the whole flow -----------------------------------------------------------------

    def report(self, report: CyberTipReport, files: Sequence[ReportFile] = (), *,
               progress: ReportProgress | None = None,
               checkpoint: Callable[[ReportProgress], None] | None = None) -> FinishedReport:
        """Submit, upload each file with its details, finish.

        Resumable: ``checkpoint`` is called with ``progress`` after every step NCMEC
        accepted (the report id after submit, each file id, each fileinfo, finish), and a
        caller that persists it and passes it back after a crash or a failed step carries
        on where it stopped, under the same report id, so a retry never files a second
        report. A report finished before the crash (NCMEC answers 5102 "already finished")
        counts as done. A retryable failure keeps the open report for the retry (without
        a ``checkpoint`` nobody can resume it, so it is retracted); a permanent one
        retracts it and starts over next time, as does a report NCMEC no
        longer has (5001/5101) or one opened more than ``RESUME_HOURS`` ago (NCMEC drops
        unfinished reports after 24 hours).
        """
        progress = progress if progress is not None else ReportProgress()
        save = checkpoint or (lambda _progress: None)
        if progress.finished and progress.report_id:  # finished before a crash
            return FinishedReport(progress.report_id, list(progress.file_ids))
        if progress.report_id and progress.is_stale():
            with contextlib.suppress(CyberTiplineError):
                self.retract(progress.report_id)
            progress.reset()
            save(progress)
        if not progress.report_id:
            progress.report_id = self.submit(report)
            progress.submitted_at = _now_iso()
            save(progress)
        report_id = progress.report_id
        try:
            for position, item in enumerate(files):
                if position >= len(progress.file_ids):
                    progress.file_ids.append(self.upload(report_id, item.name, item.data).file_id)
                    save(progress)
                if position >= progress.described:
                    self.fileinfo(replace(item.details, report_id=report_id,
                                          file_id=progress.file_ids[position]))
                    progress.described = position + 1
                    save(progress)
            try:
                done = self.finish(report_id)
            except CyberTiplineError as exc:
                if exc.code != ALREADY_FINISHED:
                    raise
                done = FinishedReport(report_id, list(progress.file_ids))  # finished earlier
            progress.finished = True
            save(progress)
            return done
        except CyberTiplineError as exc:
            if exc.code in GONE or not exc.retryable or checkpoint is None:
                if exc.code not in GONE:  # best effort; NCMEC drops it after 24 h anyway
                    with contextlib.suppress(CyberTiplineError):
                        self.retract(report_id)
                progress.reset()
                save(progress)
                if exc.code in GONE:  # the next attempt files it anew
                    exc.retryable = True
            raise


ALREADY_FINISHED = 5102
GONE = frozenset({5001, 5101})
"""Report does not exist (dropped after 24 h) or was retracted: start over."""
RESUME_HOURS = 20
"""An unfinished report older than this is retracted and made anew rather than resumed."""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class ReportProgress:
    """How far one CyberTipline report got; persist ``to_json()`` after every step."""

    report_id: str | None = None
    submitted_at: str | None = None
    file_ids: list[str] = field(default_factory=list)
    """NCMEC's file id of each uploaded file, in the order of the files."""
    described: int = 0
    """How many files' fileinfo NCMEC accepted."""
    finished: bool = False

    def reset(self) -> None:
        self.report_id, self.submitted_at, self.file_ids = None, None, []
        self.described, self.finished = 0, False

    def is_stale(self, now: datetime | None = None) -> bool:
        if not self.submitted_at or self.finished:
            return False
        opened = datetime.fromisoformat(self.submitted_at)
        return (now or datetime.now(UTC)) - opened > timedelta(hours=RESUME_HOURS)

    def to_json(self) -> dict[str, Any]:
        return {"report_id": self.report_id, "submitted_at": self.submitted_at,
                "file_ids": list(self.file_ids), "described": self.described,
                "finished": self.finished}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ReportProgress:
        data = data or {}
        return cls(report_id=data.get("report_id"), submitted_at=data.get("submitted_at"),
                   file_ids=[str(f) for f in data.get("file_ids") or []],
                   described=int(data.get("described") or 0),
                   finished=bool(data.get("finished")))


__all__ = [
    "PRODUCTION_URL",
    "RESPONSE_CODES",
    "SANDBOX_URL",
    "CyberTiplineClient",
    "CyberTiplineError",
    "FinishedReport",
    "NcmecEnvironment",
    "ReportFile",
    "ReportProgress",
    "UploadedFile",
    "category",
    "resolve_base_url",
]
