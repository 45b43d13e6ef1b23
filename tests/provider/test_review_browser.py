"""The review console in headless Chromium (Debian's /usr/bin/chromium via Playwright),
on the demo data. Screenshots go to artifacts/ (gitignored).

``test_readme_walkthrough`` walks the README's first look on the demo (review, report,
the centre's answer, orders and complaints, the analysts' queue) and keeps its
screenshots; with ``UPDATE_DOC_IMAGES=1`` it also writes them, reduced to 256 colours, to
``docs/img/`` for the README."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from childshield.api.testing import LiveServer
from childshield.settings import Settings

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


@pytest.fixture
def demo(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    from childshield.auth.demo import seed_demo
    from childshield.crypto.keyring import ENV_VAR
    from childshield.provider.classifiers import STANDIN_ENV
    from childshield.store import open_database

    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv(STANDIN_ENV, raising=False)
    database = open_database(sqlite_url)
    with database.session() as session:
        creds = seed_demo(session)
    passwords = {u["role"]: u["password"] for u in creds.users if u["side"] == "provider"}
    passwords["analyst"] = next(u["password"] for u in creds.users if u["role"] == "analyst")
    server = LiveServer.start("all", database=database, settings=Settings())
    yield server, passwords
    server.stop()
    database.dispose()


def _login(page: Any, server: LiveServer, role: str, password: str,
           path: str = "/provider/console/review/") -> None:
    page.goto(server.url + path)
    tenant = "demo-centre" if path.startswith("/centre/") else "demo-provider"
    page.fill("input[name=email]", f"{role}@{tenant}.example")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}**")


def _filter(page: Any, selector: str) -> str:
    page.wait_for_timeout(400)  # the reveal transition takes 0.15 s
    return str(page.eval_on_selector(selector, "e => getComputedStyle(e).filter"))


def test_reviewer_works_the_demo_queue_by_keyboard(
    page: Any, demo: tuple[LiveServer, dict[str, str]]
) -> None:
    server, passwords = demo
    ARTIFACTS.mkdir(exist_ok=True)
    _login(page, server, "reviewer", passwords["reviewer"])
    assert page.locator("[data-row]").count() == 4
    assert page.locator("[data-legend]").is_visible()
    page.screenshot(path=str(ARTIFACTS / "provider-review-queue.png"), full_page=True)

    page.keyboard.press("n")  # the urgent live-stream case comes first
    page.wait_for_url("**/review/cases/*")
    assert "URGENT" in page.inner_text("h1")
    assert "stream time 12 s" in page.inner_text("[data-testid=why]")

    page.keyboard.press("s")  # skip it; then open the oldest known upload from the queue
    page.wait_for_url("**/console/review/")
    page.click("text=#1")
    page.wait_for_url("**/review/cases/1")
    why = page.inner_text("[data-testid=why]")
    assert "bank demo-bank" in why and "distance" in why
    image = "[data-media] img"
    page.wait_for_function("() => document.querySelector('[data-media] img').complete")
    assert "blur" in _filter(page, image) and "grayscale" in _filter(page, image)
    page.screenshot(path=str(ARTIFACTS / "provider-review-case-hidden.png"), full_page=True)
    page.keyboard.press("v")
    assert "blur" not in _filter(page, image) and "grayscale" in _filter(page, image)
    page.check("[data-server-pref=colour]")  # stored with the account
    assert _filter(page, image) == "none"
    page.screenshot(path=str(ARTIFACTS / "provider-review-case-revealed.png"), full_page=True)
    page.evaluate("document.activeElement.blur()")  # keys go to the page, not the checkbox
    page.keyboard.press("1")  # confirm known material: the next case is served
    page.wait_for_function("() => !window.location.href.endsWith('/cases/1')")
    page.wait_for_load_state()
    page.goto(server.url + "/provider/console/review/cases/1")
    assert page.inner_text("[data-testid=status]") == "confirmed"
    assert "reviewer@demo-provider.example (reviewer): confirm (known)" in \
        page.inner_text("[data-testid=history]")

    # the conversation case: messages blurred until revealed, flagged messages marked
    page.goto(server.url + "/provider/console/review/?abuse_type=solicitation")
    page.keyboard.press("n")
    page.wait_for_url("**/review/cases/*")
    page.wait_for_selector("[data-message-index]")
    assert "blur" in _filter(page, "[data-chat-messages]")
    page.keyboard.press("v")
    assert _filter(page, "[data-chat-messages]") == "none"
    assert page.locator("li.is-flagged").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "provider-review-conversation.png"), full_page=True)
    chat_url = page.url
    page.keyboard.press("x")  # not abuse: counted against the conversation model
    page.wait_for_function(f"() => window.location.href !== {chat_url!r}")
    page.wait_for_load_state()
    page.goto(chat_url)
    assert page.inner_text("[data-testid=status]") == "not_abuse"

    # the colour preference followed the user to another page load
    page.goto(server.url + "/provider/console/review/cases/1")
    assert page.is_checked("[data-server-pref=colour]")


def test_supervisor_sees_error_rates(page: Any, demo: tuple[LiveServer, dict[str, str]]) -> None:
    server, passwords = demo
    _login(page, server, "supervisor", passwords["supervisor"])
    page.goto(server.url + "/provider/console/review/stats")
    assert page.locator("[data-testid=bank-rates]").is_visible()
    assert page.locator("[data-testid=reviewer-rates]").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "provider-review-stats.png"), full_page=True)


DOC_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "img"


def _shot(page: Any, name: str) -> None:
    """Keep a screenshot as an artefact and, with UPDATE_DOC_IMAGES=1, for the README."""
    import io
    import os

    from PIL import Image

    ARTIFACTS.mkdir(exist_ok=True)
    data = page.screenshot(path=str(ARTIFACTS / f"walkthrough-{name}.png"))
    if os.environ.get("UPDATE_DOC_IMAGES") == "1":
        DOC_IMAGES.mkdir(exist_ok=True)
        image = Image.open(io.BytesIO(data)).convert("RGB")
        image.quantize(256).save(DOC_IMAGES / f"{name}.png", optimize=True)


def test_readme_walkthrough(page: Any, demo: tuple[LiveServer, dict[str, str]]) -> None:
    """The README's walkthrough, step by step, on the demo with its background jobs."""
    import time

    from childshield.provider import demo_reporting

    server, passwords = demo
    jobs = demo_reporting.start_demo_jobs(server.database, server.url, interval=0.5)
    try:
        page.set_viewport_size({"width": 1320, "height": 860})
        _login(page, server, "reviewer", passwords["reviewer"])
        assert page.locator("[data-row]").count() == 4
        _shot(page, "01-review-queue")
        page.click("text=#1")
        page.wait_for_url("**/review/cases/1")
        page.wait_for_function("() => document.querySelector('[data-media] img').complete")
        assert "bank demo-bank" in page.inner_text("[data-testid=why]")
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(400)
        _shot(page, "02-review-case")
        page.click("button:has-text('Log out')")

        # the supervisor: the demo reports reached the centre and its answers came back
        _login(page, server, "supervisor", passwords["supervisor"],
               "/provider/console/reporting/")
        deadline = time.monotonic() + 90
        while True:
            reports = page.inner_text("[data-testid=reports]")
            if ("forwarded" in reports and "manifestly_unfounded" in reports) \
                    or time.monotonic() > deadline:
                break
            page.wait_for_timeout(500)
            page.reload()
        assert "forwarded" in reports and "manifestly_unfounded" in reports, reports
        assert page.get_by_test_id("countdown").count() == 1
        page.locator("details[data-testid^=complaint-form] summary").click()
        _shot(page, "03-reports-orders-complaints")
        page.click("[data-testid=reports] tr:has-text('forwarded') a")
        page.wait_for_url("**/reporting/cases/*")
        assert page.get_by_test_id("centre-status").inner_text() == "forwarded"
        assert page.get_by_test_id("report-delivery").inner_text() == "delivered"
        _shot(page, "04-centre-answer-on-case")
        page.click("text=Case #")  # the review page of the case shows the same answer
        page.wait_for_url("**/review/cases/*")
        assert page.get_by_test_id("centre-status").inner_text() == "forwarded"
        assert "confirm (known)" in page.inner_text("[data-testid=history]")
        page.click("button:has-text('Log out')")

        # the analyst: the third demo report waits in the centre's queue
        _login(page, server, "analyst", passwords["analyst"], "/centre/console/queue")
        assert page.locator("[data-row]").count() >= 1
        assert "demo-host" in page.inner_text("[data-queue]")
        _shot(page, "05-centre-queue")
    finally:
        jobs.stop()
