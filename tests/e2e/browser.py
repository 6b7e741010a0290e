"""Real headless Chromium (Debian's, driven by Playwright) for the browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
        # Requests that met no server (aborted ones too: players cancel loads), for the
        # message of a test that then fails.
        self.failed: list[str] = []
        page.on("requestfailed", lambda request: self.failed.append(
            f"{request.method} {request.url} ({request.failure})"))  # fmt: skip

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")


@contextmanager
def open_page(browser: Browser, url: str) -> Iterator[Watched]:
    """A fresh browser context (no cookies, no storage) on `url`, on a laptop-sized screen."""
    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield Watched(page)
    context.close()


@pytest.fixture
def watched(browser: Browser, service: Service) -> Iterator[Watched]:
    with open_page(browser, service.url) as opened:
        yield opened


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


def save_key(page: Page, key: str) -> None:
    """Give the page an API key through its key panel (shown once the API answers 401)."""
    page.wait_for_selector("#key-panel:not([hidden])")
    page.fill("#api-key", key)
    page.click("#key-form button")
    page.wait_for_selector("#key-panel", state="hidden")


def play_from_list(page: Page, task_id: str) -> None:
    """Press Play on a finished job's row in the page's list of recent jobs."""
    row = page.locator(f'#jobs tbody tr[data-task-id="{task_id}"]')
    row.locator(".badge.SUCCESS").wait_for(timeout=DONE_S * 1000)
    row.locator("button", has_text="Play").click()


def choose_quality(page: Page, label: str) -> None:
    """Press the quality menu's button whose label holds `label` ("Auto", "240p")."""
    page.locator("#quality button", has_text=label).click()


def screenshot_folder(tmp_path: Path) -> Path:
    """Where a test's screenshots go: VIDEOFORGE_SCREENSHOT_DIR when set, else its tmp_path."""
    return Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
