"""The reporting console in headless Chromium: deadline badge and countdown, the case's
report section, the removal-order and complaint forms (roles, CSRF, what reaches the
database and the outbox). Screenshots go to artifacts/ (gitignored)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

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


def _store_order(database: Database, keys: Keys, tenant_id: int, order_id: str,
                 registered: datetime) -> None:
    order = {"format": "childshield.removal-order/1", "order_id": order_id,
             "provider_id": "demo-host", "issuing_authority": "Test authority",
             "member_state": "BE", "legal_basis": "Art. 14", "reasons": "test",
             "items": [{"url": f"https://demo-host.example/{order_id}"}],
             "registered_at": registered.isoformat(),
             "deadline": (registered + timedelta(hours=24)).isoformat()}
    with database.session() as session:
        store_order(session, tenant_id,
                    sign_document(order, keys.centre_signer, typ=order["format"],
                                  created=registered),
                    keys.centre_signer.trusted("centre"), utcnow())


def _log_in(page: Any, url: str, email: str) -> None:
    page.goto(url)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "a-long-test-password")
    page.click("button[type=submit]")
    page.wait_for_url(url)


def test_orders_badge_and_report_section(page: Any, keys: Keys, sqlite_url: str) -> None:
    from childshield.store import open_database

    database: Database = open_database(sqlite_url)
    provider = Provider(database, f"http://127.0.0.1:{free_port()}")
    case_id = provider.confirmed_case("console-1")
    _store_order(database, keys, provider.reviewer.tenant_id, "order-console-1",
                 utcnow() - timedelta(hours=21))
    server = LiveServer.start("provider", database=database, settings=Settings())
    try:
        _log_in(page, server.url + "/provider/console/reporting/", "sam@acme.example")
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


def test_order_and_complaint_forms(page: Any, keys: Keys, sqlite_url: str) -> None:
    """A supervisor records one order as executed and one as impossible (with reasons),
    and upholds a complaint: each reaches the database, the order answers are queued for
    the centre, the upheld complaint says to reinstate; an auditor sees no forms, a
    reviewer no page, and a write without the CSRF token is refused."""
    from childshield.auth.principal import Principal
    from childshield.provider import review
    from childshield.provider.complaints import file_complaint
    from childshield.store import open_database
    from childshield.store import provider_reports as repo
    from childshield.store.models.audit import AuditEntry
    from childshield.store.models.provider_reports import ProviderComplaint, ProviderOutbox
    from childshield.store.tenancy import TenantScope

    database: Database = open_database(sqlite_url)
    provider = Provider(database, f"http://127.0.0.1:{free_port()}")
    provider._user("olga@acme.example", ["auditor"])
    tenant = provider.reviewer.tenant_id
    case_id = provider.confirmed_case("forms-1")
    with database.session() as session:
        integration = Principal("key", 1, tenant, "acme", provider.reviewer.side,
                                frozenset({"integration"}), "integration")
        complaint = file_complaint(TenantScope(session, tenant), integration,
                                   user_id="user-forms-1", text="This was my own drawing.",
                                   case_id=case_id).id
    # a case the supervisor confirmed himself (after an escalation): not his to judge
    own_case = provider.open_case("forms-own")
    with database.session() as session:
        scope = TenantScope(session, tenant)
        review.claim(scope, provider.reviewer, own_case)
        review.decide(scope, provider.reviewer, own_case, "escalate")
    provider.confirm(own_case, who=provider.supervisor)
    with database.session() as session:
        own_complaint = file_complaint(TenantScope(session, tenant), integration,
                                       user_id="user-forms-own", text="Please look again.",
                                       case_id=own_case).id
    _store_order(database, keys, tenant, "order-forms-done", utcnow() - timedelta(hours=2))
    _store_order(database, keys, tenant, "order-forms-cannot", utcnow() - timedelta(hours=23))
    server = LiveServer.start("provider", database=database, settings=Settings())
    reporting = server.url + "/provider/console/reporting/"
    try:
        _log_in(page, reporting, "sam@acme.example")
        countdowns = page.get_by_test_id("countdown")
        assert countdowns.count() == 2
        page.wait_for_function(
            "() => document.querySelector('[data-countdown]').textContent.includes('s left')")
        assert page.locator("tr.is-urgent[data-order='order-forms-cannot']").count() == 1
        assert page.locator("tr.is-urgent[data-order='order-forms-done']").count() == 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "provider-reporting-forms.png"), full_page=True)

        # a write without the CSRF token is refused by the API behind the forms
        refused = page.evaluate("""() => fetch(
            '/provider/v1/removal-orders/order-forms-done/execution', {
            method: 'POST', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'Idempotency-Key': 'no-csrf-1'},
            body: JSON.stringify({executed: true})}).then(r => r.status)""")
        assert refused == 403

        # impossible without reasons: the form says so and nothing is sent
        cannot = page.get_by_test_id("order-form-order-forms-cannot")
        cannot.locator("summary").click()
        cannot.locator("input[value=no]").check()
        cannot.locator("button[type=submit]").click()
        assert "reasons" in page.get_by_test_id("status").inner_text()
        cannot.locator("textarea[name=reasons]").fill(
            "The item is hosted by another service\nWe hold no copy")
        cannot.locator("button[type=submit]").click()
        page.wait_for_selector("tr[data-order='order-forms-cannot'] >> text=reasons:")

        done = page.get_by_test_id("order-form-order-forms-done")
        done.locator("summary").click()
        done.locator("textarea[name=details]").fill("removed from the demo host")
        done.locator("button[type=submit]").click()
        page.wait_for_selector("tr[data-order='order-forms-done'] >> text=executed")
        assert page.get_by_test_id("countdown").count() == 0

        # no form for the complaint about the supervisor's own decision; the API behind
        # the forms refuses it as well
        assert page.get_by_test_id(f"complaint-form-{own_complaint}").count() == 0
        assert page.get_by_test_id(f"own-decision-{own_complaint}").is_visible()
        refusal = page.evaluate(
            "id => window.csSend('POST', '/provider/v1/complaints/' + id + '/decision', "
            "{outcome: 'rejected', reasons: 'The decision stands.'})"
            ".then(() => 'accepted', e => e.message)", own_complaint)
        assert "someone other than the reviewer" in refusal

        form = page.get_by_test_id(f"complaint-form-{complaint}")
        form.locator("summary").click()
        form.locator("input[value=upheld]").check()
        form.locator("textarea[name=reasons]").fill("On a second look the picture is benign.")
        form.locator("button[type=submit]").click()
        page.wait_for_selector("[data-testid=reinstate]")
        assert page.locator("[data-complaint-form]").count() == 0  # only the own one left
        page.screenshot(path=str(ARTIFACTS / "provider-reporting-forms-done.png"),
                        full_page=True)

        with database.session() as session:
            orders = {o.order_id: o for o in repo.removal_orders(session, tenant, None)}
            assert orders["order-forms-done"].status == "executed"
            assert orders["order-forms-cannot"].status == "impossible"
            assert orders["order-forms-cannot"].reasons == [
                "The item is hosted by another service", "We hold no copy"]
            answers = {r.path: json.loads(r.body or b"{}") for r in session.scalars(
                select(ProviderOutbox).where(ProviderOutbox.kind == "removal_execution"))}
            assert answers["/centre/v1/removal-orders/order-forms-cannot/execution"] == {
                "executed": False, "reasons": "The item is hosted by another service; "
                "We hold no copy"}
            assert answers["/centre/v1/removal-orders/order-forms-done/execution"][
                "details"] == "removed from the demo host"
            row = session.get(ProviderComplaint, complaint)
            assert row is not None and row.status == "upheld" and row.reinstated
            untouched = session.get(ProviderComplaint, own_complaint)
            assert untouched is not None and untouched.status == "open"
            assert row.decided_by == "sam@acme.example"
            actions = set(session.scalars(select(AuditEntry.action).where(
                AuditEntry.actor == provider.supervisor.actor)))
            assert {"removal_order.answer", "complaint.upheld"} <= actions

        # an auditor reads the page but gets no forms; a reviewer gets no page
        page.click("button:has-text('Log out')")
        _log_in(page, reporting, "olga@acme.example")
        assert page.locator("[data-order-form], [data-complaint-form]").count() == 0
        assert page.get_by_test_id("reinstate").is_visible()
        page.click("button:has-text('Log out')")
        _log_in(page, server.url + "/provider/console/", "alice@acme.example")
        response = page.goto(reporting)
        assert response is not None and response.status == 403
    finally:
        server.stop()
        database.dispose()
