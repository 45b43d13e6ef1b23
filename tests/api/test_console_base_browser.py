"""The console in headless Chromium (Debian's /usr/bin/chromium through Playwright).

Screenshots go to artifacts/ (gitignored) for a human to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from childshield.api.testing import LiveServer, add_tenant_with_key, add_user

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
EMAIL, PASSWORD = "reviewer@acme.example", "a-long-test-password"


@pytest.fixture
def browser_page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} missing: run `make chromium` (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        yield page
        browser.close()


@pytest.fixture
def console(sqlite_url: str) -> Iterator[LiveServer]:
    server = LiveServer.start("all", sqlite_url)
    add_tenant_with_key(server.database, "acme", "provider", ["integration"])
    add_user(server.database, "acme", EMAIL, ["reviewer"], PASSWORD)
    yield server
    server.stop()


def _login(page: Any, server: LiveServer, password: str = PASSWORD) -> None:
    page.goto(server.url + "/provider/console/ui-kit")
    assert "/provider/console/login" in page.url  # sent to the login page first
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_login_and_logout(browser_page: Any, console: LiveServer) -> None:
    page = browser_page
    _login(page, console, password="wrong-password-here")
    assert page.locator("[data-testid=login-error]").inner_text().startswith(
        "Wrong e-mail or password.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-login-error.png"))

    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/provider/console/ui-kit")
    assert page.locator("[data-testid=user]").inner_text() == EMAIL
    page.screenshot(path=str(ARTIFACTS / "console-ui-kit.png"), full_page=True)
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["cs_session"]["httpOnly"] and cookies["cs_session"]["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("cs_session") < 0  # invisible to scripts

    page.click("text=Log out")
    page.wait_for_url("**/provider/console/login")
    page.goto(console.url + "/provider/console/")
    assert "/provider/console/login" in page.url


def _filter(page: Any, index: int) -> str:
    return str(page.evaluate(
        "i => getComputedStyle(document.querySelectorAll('[data-media] img')[i]).filter",
        index))


def test_media_is_hidden_until_revealed_one_at_a_time(browser_page: Any,
                                                      console: LiveServer) -> None:
    page = browser_page
    _login(page, console)
    page.wait_for_url("**/provider/console/ui-kit")
    for i in range(3):
        assert "blur" in _filter(page, i) and "grayscale(1)" in _filter(page, i)

    page.locator("body").press("v")  # reveal the selected (first) item
    assert "blur" not in _filter(page, 0) and "grayscale(1)" in _filter(page, 0)
    assert "blur" in _filter(page, 1)

    page.locator("body").press("j")  # next item, reveal it: the first is hidden again
    page.locator("body").press("v")
    assert "blur" in _filter(page, 0)
    assert "blur" not in _filter(page, 1)
    revealed = page.locator("[data-media].is-revealed").count()
    assert revealed == 1

    page.locator("body").press("h")
    assert all("blur" in _filter(page, i) for i in range(3))

    legend = page.locator("[data-legend]")
    assert legend.is_visible() and "reveal the selected item" in legend.inner_text()
    page.locator("body").press("?")
    assert not legend.is_visible()
    page.screenshot(path=str(ARTIFACTS / "console-media-hidden.png"))
