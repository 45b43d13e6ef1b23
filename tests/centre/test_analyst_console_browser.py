"""The analyst console in Debian's chromium (Playwright): blurred media, keyboard decisions.

Screenshots go to artifacts/centre/ (gitignored). The media is a gradient drawn here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from centre_harness import Centre
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "centre"
CHROMIUM = "/usr/bin/chromium"


def gradient_png() -> bytes:
    from PIL import Image

    image = Image.linear_gradient("L").resize((96, 96)).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def page(db_url: str) -> Iterator[Any]:
    if not db_url.startswith("sqlite"):
        pytest.skip("the browser tests run on SQLite; the API tests cover PostgreSQL")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def _login(page: Any, centre: Centre) -> None:
    page.goto(centre.url + "/centre/console/login")
    page.fill("input[name=email]", "analyst@centre.example")
    page.fill("input[name=password]", "a-long-test-password")
    page.click("button[type=submit]")
    page.wait_for_url("**/centre/console/**")


def _submit(centre: Centre, **overrides: Any) -> str:
    data = centre.report(content_bytes=gradient_png(), media_type="image/png", **overrides)
    assert centre.submit(centre.sign(data)).status_code == 201
    return str(data["report_id"])


def _status(centre: Centre, report_id: str) -> str:
    r = centre.get(f"/centre/v1/reports/{report_id}", key=centre.provider_key)
    return str(r.json()["payload"]["status"])


def test_analyst_decides_with_the_keyboard_and_media_stays_blurred(
    centre: Centre, page: Any
) -> None:
    plain = _submit(centre)
    urgent = _submit(centre, urgent=True, urgency_reason="imminent risk (test)")
    _login(page, centre)
    page.goto(centre.url + "/centre/console/queue")
    rows = page.locator("[data-row]")
    assert rows.count() == 2
    assert "URGENT" in rows.nth(0).inner_text()  # urgent first
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

    page.keyboard.press("n")  # take the next report: the urgent one
    page.wait_for_url("**/centre/console/reports/*")
    assert "URGENT" in page.inner_text("h1")
    media = page.locator("[data-media]").first
    image = media.locator("img")
    image.wait_for()
    expect(image).to_have_js_property("complete", True)
    hidden = image.evaluate("e => getComputedStyle(e).filter")
    assert "blur" in hidden and "grayscale" in hidden
    why = page.locator("[data-testid=why]").first.inner_text()
    # the same gradient was reported twice
    assert "provider: demo-bank md5" in why and "reported 2x by 1 provider" in why
    page.screenshot(path=str(ARTIFACTS / "report-hidden.png"), full_page=True)

    page.keyboard.press("v")  # reveal the selected item: greyscale, not blurred
    shown = image.evaluate("e => getComputedStyle(e).filter")
    assert "blur" not in shown and "grayscale" in shown
    assert media.locator("[data-media-state]").inner_text() == "revealed"
    page.screenshot(path=str(ARTIFACTS / "report-revealed.png"), full_page=True)
    page.keyboard.press("h")
    assert "blur" in image.evaluate("e => getComputedStyle(e).filter")

    assert not page.locator("[data-decision=unfounded]").is_visible()
    page.keyboard.press("u")  # manifestly unfounded, with a reason, sent with Ctrl+Enter
    page.keyboard.type("a drawn gradient, not abuse material")
    page.keyboard.press("Control+Enter")
    expect(page.locator("h1")).not_to_contain_text("URGENT", timeout=10_000)
    expect(page.locator("[data-status-value]")).to_have_attribute("data-status-value",
                                                                  "received")
    assert _status(centre, urgent) == "manifestly_unfounded"
    answer = centre.get(f"/centre/v1/reports/{urgent}", key=centre.provider_key).json()
    assert answer["payload"]["reasons"] == ["a drawn gradient, not abuse material"]

    page.keyboard.press("f")  # the plain one is served next: forward it
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**/centre/console/queue", timeout=10_000)
    assert _status(centre, plain) == "forwarded"
    assert page.locator("[data-empty]").is_visible()
    assert page.locator("[data-legend]").is_visible()


def test_transparency_page_is_public_and_draws_its_charts(centre: Centre, page: Any) -> None:
    _submit(centre)
    _submit(centre, location={"country": "FR"})
    page.goto(centre.url + "/centre/transparency/")
    assert page.inner_text("[data-testid=total]") == "2"
    chart = page.locator("[data-chart=by_member_state] svg")
    assert chart.locator("rect").count() == 2
    main = page.inner_text("main")
    assert "(0 active)" in main and "Victims assisted" in main  # both databases are built now
    assert "1 of 1 (at most 2 reports of one item)" in main
    page.screenshot(path=str(ARTIFACTS / "transparency.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-testid=csv]")
    text = Path(download.value.path()).read_text()
    assert "reports,by_member_state.FR,1" in text
