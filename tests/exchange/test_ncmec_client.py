"""The CyberTipline client against a local fake of NCMEC's API over loopback HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from tests.exchange.ncmec_fake import PASSWORD, USER, FakeCyberTipline, RunningFake, serve
from tests.exchange.reportdata import STAND_IN_CONTENT, report_dict

from childshield.errors import ConfigurationError
from childshield.exchange.ncmec.client import (
    PRODUCTION_URL,
    SANDBOX_URL,
    CyberTiplineClient,
    CyberTiplineError,
    ReportFile,
    ReportProgress,
    resolve_base_url,
)
from childshield.exchange.ncmec.documents import Person, Reporter
from childshield.exchange.ncmec.mapping import cybertip_report, file_details
from childshield.exchange.report import Report, parse_report
from childshield.settings import get_settings

REPORTER = Reporter(Person(emails=("ts@demo.example",)), company_template="Demo Hosting")


@pytest.fixture(scope="module")
def running() -> Iterator[RunningFake]:
    yield from serve(FakeCyberTipline())


@pytest.fixture
def fake(running: RunningFake) -> FakeCyberTipline:
    running.fake.fail_next.clear()
    running.fake.calls.clear()
    return running.fake


@pytest.fixture
def client(running: RunningFake) -> Iterator[CyberTiplineClient]:
    with CyberTiplineClient(
        username=USER, password=PASSWORD, environment="test", base_url=running.base_url
    ) as c:
        yield c


@pytest.fixture(scope="module")
def report() -> Report:
    return parse_report(report_dict())


def _files(report: Report) -> list[ReportFile]:
    item = report.content[0]
    return [
        ReportFile(
            "gradient.png", STAND_IN_CONTENT, file_details(report, item, report_id="", file_id="")
        )
    ]


def test_status_checks_credentials(client: CyberTiplineClient, running: RunningFake) -> None:
    assert client.status().code == 0
    with (
        CyberTiplineClient(
            username=USER, password="wrong", environment="test", base_url=running.base_url
        ) as bad,
        pytest.raises(CyberTiplineError) as excinfo,
    ):
        bad.status()
    assert (excinfo.value.code, excinfo.value.http_status) == (2000, 401)
    assert not excinfo.value.retryable


def test_schema_download(client: CyberTiplineClient) -> None:
    assert b"xs:schema" in client.schema()


def test_full_report_flow(
    client: CyberTiplineClient, fake: FakeCyberTipline, report: Report
) -> None:
    finished = client.report(cybertip_report(report, REPORTER, esp_service="Demo"), _files(report))
    assert fake.calls == ["submit", "upload", "fileinfo", "finish"]
    stored = fake.reports[finished.report_id]
    assert stored.finished and len(finished.file_ids) == 1
    assert stored.files[finished.file_ids[0]] == STAND_IN_CONTENT
    assert b"<fileViewedByEsp>true</fileViewedByEsp>" in stored.details[finished.file_ids[0]]
    assert (
        hashlib.md5(STAND_IN_CONTENT).hexdigest().encode() in stored.details[finished.file_ids[0]]
    )


def test_invalid_document_is_not_retryable(client: CyberTiplineClient) -> None:
    bad = b'<?xml version="1.0"?><report><reporter/><incidentSummary/></report>'
    with pytest.raises(CyberTiplineError) as excinfo:
        client.submit(bad)
    assert excinfo.value.code == 4100 and not excinfo.value.retryable
    assert "validation failed" in excinfo.value.message


def test_server_error_is_retryable_and_the_open_report_is_retracted(
    client: CyberTiplineClient, fake: FakeCyberTipline, report: Report
) -> None:
    fake.fail_next["fileinfo"] = (500, 1000)
    with pytest.raises(CyberTiplineError) as excinfo:
        client.report(cybertip_report(report, REPORTER, esp_service="Demo"), _files(report))
    assert excinfo.value.code == 1000 and excinfo.value.retryable
    assert excinfo.value.step == "fileinfo"
    assert fake.calls == ["submit", "upload", "fileinfo", "retract"]
    assert all(r.retracted for r in fake.reports.values() if not r.finished)


def test_a_failed_step_is_resumed_under_the_same_report_id(
    client: CyberTiplineClient, fake: FakeCyberTipline, report: Report
) -> None:
    progress, saved, before = ReportProgress(), [], set(fake.reports)
    tip = cybertip_report(report, REPORTER, esp_service="Demo")
    fake.fail_next["fileinfo"] = (500, 1000)
    with pytest.raises(CyberTiplineError):
        client.report(tip, _files(report), progress=progress,
                      checkpoint=lambda p: saved.append(p.to_json()))
    assert "retract" not in fake.calls  # kept open for the retry
    assert [s["file_ids"] != [] for s in saved] == [False, True]  # after submit, upload
    done = client.report(tip, _files(report), progress=ReportProgress.from_json(saved[-1]),
                         checkpoint=lambda p: saved.append(p.to_json()))
    assert fake.calls == ["submit", "upload", "fileinfo", "fileinfo", "finish"]
    assert done.report_id == saved[0]["report_id"] and saved[-1]["finished"]
    assert fake.reports[done.report_id].finished and set(fake.reports) - before == {
        done.report_id}


def test_state_errors(client: CyberTiplineClient, fake: FakeCyberTipline, report: Report) -> None:
    with pytest.raises(CyberTiplineError) as excinfo:
        client.finish("999")
    assert excinfo.value.code == 5001 and not excinfo.value.retryable
    report_id = client.submit(cybertip_report(report, REPORTER, esp_service="Demo"))
    client.finish(report_id)
    with pytest.raises(CyberTiplineError) as excinfo:
        client.upload(report_id, "late.png", b"x")
    assert excinfo.value.code == 5102


def test_unreachable_server_is_retryable() -> None:
    with (
        CyberTiplineClient(
            username=USER,
            password=PASSWORD,
            environment="test",
            base_url="http://127.0.0.1:9/ispws",
            timeout=2,
        ) as client,
        pytest.raises(CyberTiplineError) as excinfo,
    ):
        client.status()
    assert excinfo.value.retryable and excinfo.value.code is None


def test_environment_switch_and_https_rule() -> None:
    assert resolve_base_url("production", None) == PRODUCTION_URL
    assert resolve_base_url("sandbox", None) == SANDBOX_URL
    assert resolve_base_url("test", "http://127.0.0.1:8000/ispws/") == "http://127.0.0.1:8000/ispws"
    with pytest.raises(ConfigurationError, match="production always uses"):
        resolve_base_url("production", "http://127.0.0.1:8000/ispws")
    with pytest.raises(ConfigurationError, match="production always uses"):
        resolve_base_url("production", "https://evil.example/ispws")
    with pytest.raises(ConfigurationError, match="explicit base URL"):
        resolve_base_url("test", None)
    with pytest.raises(ConfigurationError, match="http"):
        resolve_base_url("sandbox", "ftp://x")
    with pytest.raises(ValueError):
        resolve_base_url("staging", None)


def test_client_from_settings(monkeypatch: pytest.MonkeyPatch, running: RunningFake) -> None:
    monkeypatch.setenv("CHILDSHIELD_NCMEC_ENVIRONMENT", "test")
    monkeypatch.setenv("CHILDSHIELD_NCMEC_BASE_URL", running.base_url)
    monkeypatch.setenv("CHILDSHIELD_NCMEC_USERNAME", USER)
    monkeypatch.setenv("CHILDSHIELD_NCMEC_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    with CyberTiplineClient.from_settings() as client:
        assert client.status().code == 0
    assert PASSWORD not in repr(get_settings())
    monkeypatch.delenv("CHILDSHIELD_NCMEC_PASSWORD")
    get_settings.cache_clear()
    with pytest.raises(ConfigurationError, match="CHILDSHIELD_NCMEC_PASSWORD"):
        CyberTiplineClient.from_settings()
