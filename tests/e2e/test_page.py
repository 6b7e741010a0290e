"""The web page in real headless Chromium (Debian's, driven by Playwright): upload, live
progress, playback of MP4 and of HLS through hls.js, errors in words, lists, delete, phones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser

from tests.e2e.browser import (
    SCREENSHOT_DIR,
    Watched,
    assert_plays,
    browser,
    playwright,
    submit,
    wait_until_done,
    watched,
)
from tests.e2e.service import Service

__all__ = ["browser", "playwright", "watched"]  # fixtures, used by name


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
    # Again from the list, as MP4, without uploading again.
    page.select_option("#format", "mp4")
    file_row.locator("button", has_text="Transcode").click()
    wait_until_done(page)
    assert assert_plays(page)["src"].endswith(".mp4")
    assert httpx.get(f"{service.url}/videos/{file_id}").json()["outputs"][1]["format"] == "mp4"
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


def test_a_dropped_file_is_uploaded_and_played(
    watched: Watched, service: Service, finished: dict[str, Any]
) -> None:
    page = watched.page
    page.goto("/")
    page.evaluate(
        """async (url) => {
            const bytes = await (await fetch(url)).arrayBuffer();
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.mp4", {type: "video/mp4"}));
            const zone = document.querySelector("#drop");
            for (const type of ["dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true,
                                                        cancelable: true}));
            }
        }""",
        finished["mp4"]["result"]["stream_url"],
    )
    assert "dropped.mp4" in (page.text_content("#file-name") or "")
    page.select_option("#resolution", "426:240")
    page.select_option("#format", "mp4")
    page.click("#start")
    wait_until_done(page)
    assert assert_plays(page)["height"] == 240
    page.locator("#files tbody tr", has_text="dropped.mp4").first.wait_for()
    only_local(watched, service)
