"""Getting a video in from the page, in real headless Chromium against a real service:
tus-js-client uploads that go on after the network is cut (Playwright offline) and after a
reload, and the "Import from URL" field (a real loopback origin)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, CDPSession, Page

from tests.e2e.browser import (
    Watched,
    assert_plays,
    browser,
    open_page,
    playwright,
    wait_until_done,
)
from tests.e2e.link import Link, link_to
from tests.e2e.service import Service
from tests.origin import Origin, Route, origin

__all__ = ["browser", "playwright"]  # fixtures, used by name

# Slow enough that the test can cut the upload part way (the clip is a few hundred KB).
THROTTLE_BYTES_PER_S = 64_000


@pytest.fixture(scope="module")
def importing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service that may import from loopback (the test origin)."""
    running = Service(tmp_path_factory.mktemp("page-ingest"), IMPORT_ALLOW_PRIVATE="true").start()
    yield running
    running.stop()


@pytest.fixture
def wire(importing: Service) -> Iterator[Link]:
    """The page's network: a relay to the service that the test can cut."""
    with link_to(importing.port) as relay:
        yield relay


@pytest.fixture
def page_on(browser: Browser, wire: Link) -> Iterator[Watched]:
    with open_page(browser, wire.url) as opened:
        yield opened


@pytest.fixture(scope="module")
def server() -> Iterator[Origin]:
    with origin() as served:
        yield served


def throttle(page: Page, upload_bytes_per_s: int) -> CDPSession:
    """Slow the page's uploads (DevTools network emulation); -1 lifts the limit."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1,
        "uploadThroughput": upload_bytes_per_s,
    })  # fmt: skip
    return session


def tus_calls(page: Page) -> list[str]:
    """Every request the page makes to the tus endpoint, as "METHOD path"."""
    calls: list[str] = []
    page.on("request", lambda r: "/videos/tus/" in r.url and calls.append(f"{r.method} {r.url}"))
    return calls


def start_upload(page: Page, clip: Path) -> None:
    page.set_input_files("#file", str(clip))
    page.select_option("#format", "mp4")
    page.select_option("#resolution", "640:360")
    page.click("#start")


def wait_past(page: Page, percent: float) -> None:
    """Wait until the upload's bar is past `percent`, and short of the end."""
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('#upload-progress').value;"
        f" return v > {percent} && v < 95; }}",
        timeout=60_000,
    )


def upload_slowly(page: Page, clip: Path) -> tuple[list[str], CDPSession]:
    """Open the page and start a throttled upload of `clip`; return once it is part way,
    with the page's tus requests (so far and to come) and the throttling session."""
    calls = tus_calls(page)
    page.goto("/")
    session = throttle(page, THROTTLE_BYTES_PER_S)
    start_upload(page, clip)
    wait_past(page, 10)
    return calls, session


def resumed_at_bytes(page: Page) -> int:
    """The offset the page says it resumed at ("resuming at 123 KB of ..."), in bytes."""
    page.wait_for_selector("#upload-note:has-text('resuming at')", timeout=60_000)
    note = page.text_content("#upload-note") or ""
    number, unit = note.split("resuming at ")[1].split(" of ")[0].split()
    return int(float(number) * {"B": 1, "KB": 1e3, "MB": 1e6}[unit])


def wait_until_played(page: Page) -> None:
    wait_until_done(page)
    assert_plays(page)


def test_an_upload_goes_on_after_the_network_drops(
    page_on: Watched, wire: Link, clips: dict[str, Path]
) -> None:
    page = page_on.page
    calls, _ = upload_slowly(page, clips["wide"])
    # A dropped connection while the browser thinks it is online: tus-js-client tries again.
    wire.cut()
    page.wait_for_selector("#upload-note:has-text('connection dropped')", timeout=30_000)
    wire.mend()
    first_offset = resumed_at_bytes(page)
    # The browser goes offline: the page waits for the network, then goes on.
    wait_past(page, 50)
    page.context.set_offline(True)
    wire.cut()
    page.wait_for_selector("#upload-note:has-text('network is down')", timeout=30_000)
    wire.mend()
    page.context.set_offline(False)
    second_offset = resumed_at_bytes(page)  # the note said "network is down" until now
    try:
        wait_until_played(page)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; requests that met no server: {page_on.failed}") from None

    size = clips["wide"].stat().st_size
    assert 0 < first_offset < second_offset < size  # each time from where it was, not from 0
    creations = [c for c in calls if c.startswith("POST ")]
    assert len(creations) == 1, calls  # one upload, resumed: never a second one
    assert len([c for c in calls if c.startswith("HEAD ")]) >= 2, calls
    assert page.locator("#upload-progress").evaluate("p => p.value") == 100
    files = page.evaluate("() => fetch('/videos').then(r => r.json())")["items"]
    assert any(f["original_name"] == "wide.mp4" and f["size_bytes"] == size for f in files)


def test_an_upload_goes_on_after_a_reload(
    page_on: Watched, importing: Service, clips: dict[str, Path]
) -> None:
    page = page_on.page
    calls, session = upload_slowly(page, clips["portrait"])
    page.reload()
    session.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1,
    })  # fmt: skip
    # The person picks the same file again: the page finds the upload it had started.
    start_upload(page, clips["portrait"])
    offset = resumed_at_bytes(page)
    wait_until_played(page)

    assert 0 < offset < clips["portrait"].stat().st_size
    assert len([c for c in calls if c.startswith("POST ")]) == 1, calls
    # Finished uploads are forgotten: choosing the file again starts a new one.
    stored = page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('tus::'))")
    assert stored == []


def test_the_import_field_imports_and_transcodes(
    page_on: Watched, importing: Service, clips: dict[str, Path], server: Origin
) -> None:
    url = server.serve("/shared/wide.mp4", Route(body=clips["wide"].read_bytes()))
    page = page_on.page
    page.goto("/")
    page.select_option("#format", "mp4")
    page.select_option("#resolution", "640:360")
    page.fill("#import-url", url)
    page.click("#import-start")
    wait_until_played(page)
    assert page.text_content("#upload-stage .stage-head span:first-child") == "Download"
    assert "downloaded" not in (page.text_content("#upload-text") or "")  # ends with the media
    row = page.locator("#jobs tbody tr", has_text="Import from 127.0.0.1")
    row.locator(".badge.SUCCESS").wait_for(timeout=30_000)
    assert page_on.problems == []


def test_a_refused_import_is_said_in_words(page_on: Watched, importing: Service) -> None:
    page = page_on.page
    page.goto("/")
    page.fill("#import-url", "http://169.254.169.254/latest/meta-data/")
    page.click("#import-start")
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    assert "169.254.169.254" in (page.text_content("#error") or "")
    assert page.locator("#import-start").is_enabled()
