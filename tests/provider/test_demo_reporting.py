"""The demo's reporting profile: seeded cases are confirmed, their reports reach the
centre in the same server over HTTP, the scripted demo analyst answers, and the answers,
the notice, the complaint and the removal order are there for a newcomer."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from childshield.api.testing import LiveServer
from childshield.settings import Settings
from childshield.store.db import Database


def _until(check: Callable[[], Any], timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def test_demo_reporting_flow(sqlite_url: str) -> None:
    from childshield.auth.demo import seed_demo
    from childshield.provider import demo_reporting
    from childshield.store import open_database
    from childshield.store import provider_reports as repo
    from childshield.store.models.provider import ProviderCase
    from childshield.store.models.provider_reports import ProviderNotice

    database: Database = open_database(sqlite_url)
    with database.session() as session:
        seed_demo(session)
    with database.session() as session:  # a second start reuses everything (new passwords)
        creds = seed_demo(session)
    with database.session() as session:  # the review demo's cases come first, whatever
        # module was imported first (demo_reporting was, above): the walkthrough opens #1
        first = session.get(ProviderCase, 1)
        assert first is not None and first.external_id == "demo-upload-1001"
    server = LiveServer.start("all", database=database, settings=Settings())
    jobs = demo_reporting.start_demo_jobs(database, server.url, interval=0.5)

    def statuses() -> dict[str, str | None]:
        with database.session() as session:
            out = {}
            for case in session.query(ProviderCase).filter(
                    ProviderCase.external_id.like("demo-upload-200%")):
                report = repo.report_of_case(session, case.tenant_id, case.id)
                out[case.external_id] = report.centre_status if report else None
            return out

    try:
        expected = {demo_reporting.FORWARDED: "forwarded",
                    demo_reporting.UNFOUNDED: "manifestly_unfounded",
                    demo_reporting.WAITING: "received"}
        assert _until(lambda: statuses() == expected), statuses()
        with database.session() as session:
            tenant = session.query(ProviderCase).filter(
                ProviderCase.external_id == demo_reporting.UNFOUNDED).one().tenant_id
            assert _until(lambda: repo.removal_orders(session, tenant, "pending"))
            assert len(repo.removal_orders(session, tenant, None)) == 1
            assert len(repo.complaints(session, tenant, "open", 10)) == 1
        assert _until(lambda: _notices(database, ProviderNotice))
        # the console shows it: a supervisor sees the order, the complaint and the answers
        password = next(u["password"] for u in creds.users
                        if u["email"] == "supervisor@demo-provider.example")
        with httpx.Client(base_url=server.url, timeout=30) as http:
            page = http.get("/provider/console/login")
            token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
            http.post("/provider/console/login", data={
                "email": "supervisor@demo-provider.example", "password": password,
                "csrf_token": token, "next": "/provider/console/reporting/"})
            html = http.get("/provider/console/reporting/").text
        assert "Demo Coordinating Authority" in html and "Decide complaint" in html
        assert html.count("forwarded") >= 1 and "manifestly_unfounded" in html
    finally:
        jobs.stop()
        server.stop()
        database.dispose()


def _notices(database: Database, model: Any) -> int:
    with database.session() as session:
        return session.query(model).count()


def test_make_run_serves_the_reporting_demo(sqlite_url: str) -> None:
    """``childshield serve --role all --demo`` (what ``make run`` starts), as a process:
    it prints the demo jobs line, the demo reports get the centre's answers, and the jobs'
    routine polls stay out of the access log."""
    from childshield.api.testing import ServerProcess
    from childshield.store import open_database
    from childshield.store.models.provider_reports import ProviderReport

    server = ServerProcess("all", sqlite_url, args=("--demo",), up_timeout=120)
    database = open_database(sqlite_url)
    try:
        def answered() -> bool:
            with database.session() as session:
                return {r.centre_status for r in session.query(ProviderReport)} == {
                    "forwarded", "manifestly_unfounded", "received"}

        assert _until(answered), server.output()
        output = server.output()
        assert "demo jobs: every 5 s" in output and "Traceback" not in output
        assert "POST /centre/v1/reports HTTP/1.1\" 201" in output  # real HTTP, logged
        assert "GET /centre/v1/reports?since=" not in output  # polls filtered
    finally:
        server.stop()
        database.dispose()
