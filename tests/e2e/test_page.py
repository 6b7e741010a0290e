"""The web page in real headless Chromium (Debian's, driven by Playwright): upload, live
progress, playback of MP4 and of HLS through hls.js, errors in words, lists, delete, phones."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.e2e.service import Service

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google, which this closed
# network refuses; --no-sandbox because CI runs as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
# `make screenshots` sets this to refresh the pictures in docs/; otherwise they go to tmp.
SCREENSHOT_DIR = os.environ.get("VIDEOFORGE_SCREENSHOT_DIR")
DONE_S = 90


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


class Watched:
    """A page plus what it asked for and complained about."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.problems: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")


@pytest.fixture
def watched(browser: Browser, service: Service) -> Iterator[Watched]:
    context = browser.new_context(base_url=service.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield Watched(page)
    context.close()


def submit(page: Page, clip: Path, resolution: str, fmt: str) -> None:
    page.goto("/")
    page.set_input_files("#file", str(clip))
    page.select_option("#resolution", resolution)
    page.select_option("#format", fmt)
    page.click("#start")


def wait_until_done(page: Page) -> None:
    page.wait_for_function(
        "() => document.querySelector('#transcode-progress').value === 100"
        " || !document.querySelector('#error').hidden",
        timeout=DONE_S * 1000,
    )
    assert page.locator("#error").is_hidden(), page.locator("#error").text_content()


def assert_plays(page: Page) -> dict[str, Any]:
    """Start the player muted and wait until its clock moves; no media error."""
    page.wait_for_function(
        "() => document.querySelector('#player').readyState >= 2", timeout=20_000
    )
    page.evaluate(
        "() => { const v = document.querySelector('#player'); v.muted = true; v.play(); }"
    )
    page.wait_for_function(
        "() => document.querySelector('#player').currentTime > 0.5", timeout=20_000
    )
    state: dict[str, Any] = page.evaluate(
        "() => { const v = document.querySelector('#player');"
        " return {src: v.currentSrc, error: v.error && v.error.code, time: v.currentTime,"
        " width: v.videoWidth, height: v.videoHeight, hls: typeof window.Hls}; }"
    )
    assert state["error"] is None
    return state


def only_local(watched: Watched, service: Service) -> None:
    foreign = [u for u in watched.requests if not u.startswith((service.url, "blob:", "data:"))]
    assert foreign == []
    assert watched.problems == []


def test_upload_shows_progress_and_plays_mp4(
    watched: Watched, service: Service, clips: dict[str, Path]
) -> None:
    page = watched.page
    submit(page, clips["wide"], "640:360", "mp4")
    page.wait_for_selector("#transcode-stage:not([hidden])", timeout=30_000)
    wait_until_done(page)
    assert page.eval_on_selector("#upload-progress", "p => p.value") == 100
    assert page.text_content("#job-status") == "Done"
    state = assert_plays(page)
    assert state["src"].endswith(".mp4")
    assert (state["width"], state["height"]) == (640, 360)
    download = page.get_attribute("#download-link", "href")
    assert download is not None
    assert httpx.get(service.url + download).headers["content-type"] == "video/mp4"
    only_local(watched, service)


def test_hls_output_plays_through_hls_js(
    watched: Watched, service: Service, clips: dict[str, Path], tmp_path: Path
) -> None:
    page = watched.page
    submit(page, clips["long"], "640:360", "hls")
    wait_until_done(page)
    state = assert_plays(page)
    # hls.js feeds the element through Media Source: its source is a blob, not the playlist.
    assert state["hls"] == "function" and state["src"].startswith("blob:")
    assert any(url.endswith(".ts") for url in watched.requests)
    only_local(watched, service)
    page.wait_for_selector("#jobs tbody tr .badge.SUCCESS")
    page.evaluate("() => document.querySelector('#player').pause()")
    folder = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    page.screenshot(path=str(folder / "page.png"), full_page=True)
    assert (folder / "page.png").stat().st_size > 10_000


def test_a_file_that_is_not_a_video_is_refused_in_words(
    watched: Watched, tmp_path: Path, service: Service
) -> None:
    notes = tmp_path / "notes.mp4"
    notes.write_text("this is not a video\n" * 100)
    page = watched.page
    submit(page, notes, "1280:720", "mp4")
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    assert "not a readable video" in (page.text_content("#error") or "")
    assert page.locator("#transcode-stage").is_hidden()
    assert page.locator("#start").is_enabled()


def test_lists_link_downloads_and_delete_removes_a_file(
    watched: Watched, service: Service, clips: dict[str, Path]
) -> None:
    page = watched.page
    submit(page, clips["noaudio"], "426:240", "webm")
    wait_until_done(page)
    assert_plays(page)
    job_row = page.locator("#jobs tbody tr").first
    job_row.locator(".badge.SUCCESS").wait_for()
    href = job_row.locator("a", has_text="Download").get_attribute("href")
    assert href is not None and href.endswith(".webm")
    assert httpx.get(service.url + href).status_code == 200
    file_row = page.locator("#files tbody tr", has_text="noaudio.mp4").first
    file_id = file_row.get_attribute("data-file-id")
    file_row.locator("button", has_text="Delete").click()
    page.locator(f'#files tbody tr[data-file-id="{file_id}"]').wait_for(state="detached")
    assert httpx.get(f"{service.url}/videos/{file_id}").status_code == 404
    assert httpx.get(service.url + href).status_code == 404
    assert page.locator("#error").is_hidden()


def test_page_fits_a_phone(browser: Browser, service: Service, tmp_path: Path) -> None:
    context = browser.new_context(
        base_url=service.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto("/")
    page.wait_for_selector("#jobs tbody tr, #jobs-empty:not([hidden])")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    box = page.locator("#start").bounding_box()
    assert box is not None and box["width"] > 300  # the button spans the column
    folder = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    page.screenshot(path=str(folder / "page-phone.png"))
    context.close()


def test_api_docs_load_offline(watched: Watched, service: Service) -> None:
    page = watched.page
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "videoforge" in (page.text_content(".swagger-ui .info .title") or "")
    page.get_by_text("/videos/tasks", exact=True).first.wait_for()
    only_local(watched, service)
