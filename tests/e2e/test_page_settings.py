"""The page's Settings, in real headless Chromium: a webhook added from the form receives a
signed test event at a real receiver, its deliveries are listed; presets are listed; the
form's priority reaches the job."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.e2e.browser import (
    Watched,
    browser,
    open_page,
    playwright,
    screenshot_folder,
    wait_until_done,
)
from tests.e2e.receiver import receiver
from tests.e2e.service import Service

__all__ = ["browser", "playwright"]  # fixtures, used by name


@pytest.fixture
def hooked_page(browser: Browser, hooked: Service) -> Iterator[Watched]:
    with open_page(browser, hooked.url) as opened:
        yield opened


def test_webhooks_are_added_tested_and_their_deliveries_shown(
    hooked_page: Watched, hooked: Service, tmp_path: Path
) -> None:
    page = hooked_page.page
    with receiver() as hook:
        page.goto("/#settings")
        page.wait_for_selector("#presets tbody tr")  # the settings opened and loaded
        assert "web-720p (built in)" in page.locator("#presets").inner_text()
        page.fill("#webhook-url", hook.url)
        page.fill("#webhook-description", "from the page")
        page.check("#webhook-events input[value='job.progress']")
        page.click("#webhook-form button[type=submit]")
        page.wait_for_selector("#webhook-secret:not([hidden]) code")
        secret = page.locator("#webhook-secret code").inner_text()
        assert secret.startswith("whsec_")
        row = page.locator(f"#webhooks tbody tr:has-text('{hook.url}')")
        assert "job.progress" in row.inner_text() and "enabled" in row.inner_text()
        row.locator("button", has_text="Send test").click()
        hook.wait(lambda: len(hook.bodies(secret)) == 1, "the test delivery")
        assert hook.bodies(secret)[0]["type"] == "webhook.test"
        # The deliveries table follows: the test, delivered on its first try.
        row.locator("button", has_text="Deliveries").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#deliveries-table tbody tr')].some("
            "(r) => r.innerText.includes('webhook.test') && r.innerText.includes('delivered'))",
            timeout=60_000,
        )
        page.locator("#settings").scroll_into_view_if_needed()
        shot = screenshot_folder(tmp_path) / "page-webhooks.png"
        page.locator("#settings").screenshot(path=str(shot))
        assert shot.stat().st_size > 5_000
        assert hooked_page.problems == []


def test_the_form_s_priority_reaches_the_job(
    hooked_page: Watched, hooked: Service, clips: dict[str, Path]
) -> None:
    page = hooked_page.page
    page.goto("/")
    page.set_input_files("#file", str(clips["noaudio"]))
    page.select_option("#format", "mp4")
    page.select_option("#resolution", "426:240")
    page.select_option("#priority", "low")
    page.click("#start")
    wait_until_done(page)
    with hooked.client() as http:
        newest = http.get("/videos/tasks", params={"limit": 1}).json()["items"][0]
    assert newest["priority"] == "low" and newest["state"] == "SUCCESS"
