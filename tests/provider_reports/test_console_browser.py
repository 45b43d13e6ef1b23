"""The reporting console in headless Chromium: deadline badge, the case's report section.
Screenshots go to artifacts/ (gitignored)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from childshield.api.testing import LiveServer, free_port
from childshield.crypto.signing import sign_document
from childshield.provider.orders import store_order
from childshield.settings import Settings
from childshield.store.db import Database
from childshield.store.models.base import utcnow

from .harness import Keys, Provider

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make chromium` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser.new_page(viewport={"width": 1280, "height": 900})
        browser.close()


def test_orders_badge_and_report_section(page: Any, keys: Keys, sqlite_url: str) -> None:
    from childshield.store import open_database

    database: Database = open_database(sqlite_url)
    provider = Provider(database, f"http://127.0.0.1:{free_port()}")
    case_id = provider.confirmed_case("console-1")
    registered = utcnow() - timedelta(hours=21)
    order = {"format": "childshield.removal-order/1", "order_id": "order-console-1",
             "provider_id": "demo-host", "issuing_authority": "Test authority",
             "member_state": "BE", "legal_basis": "Art. 14", "reasons": "test",
             "items": [{"url": "https://demo-host.example/x"}],
             "registered_at": registered.isoformat(),
             "deadline": (registered + timedelta(hours=24)).isoformat()}
    with database.session() as session:
        store_order(session, provider.reviewer.tenant_id,
                    sign_document(order, keys.centre_signer, typ=order["format"],
                                  created=registered),
                    keys.centre_signer.trusted("centre"), utcnow())
    server = LiveServer.start("provider", database=database, settings=Settings())
    try:
        page.goto(server.url + "/provider/console/reporting/")
        page.fill("input[name=email]", "sam@acme.example")
        page.fill("input[name=password]", "a-long-test-password")
        page.click("button[type=submit]")
        page.wait_for_url("**/provider/console/reporting/")
        badge = page.get_by_test_id("badge-alert")
        assert badge.is_visible() and "due in 2 h" in badge.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "provider-reporting-orders.png"), full_page=True)
        page.goto(f"{server.url}/provider/console/reporting/cases/{case_id}")
        assert page.get_by_test_id("report-delivery").inner_text() == "queued"
        assert page.get_by_test_id("centre-status").inner_text() == "not answered yet"
        page.screenshot(path=str(ARTIFACTS / "provider-reporting-case.png"), full_page=True)
    finally:
        server.stop()
        database.dispose()
