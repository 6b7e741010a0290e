"""Adaptive ladders on the web page, in real headless Chromium: an HLS ladder through hls.js
with its quality menu, DASH through dash.js, and a CMAF output both ways on a service that
requires keys (every URI inside the manifests signed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page

from tests.e2e.browser import (
    DONE_S,
    SCREENSHOT_DIR,
    Watched,
    assert_plays,
    browser,
    choose_quality,
    open_page,
    play_from_list,
    playwright,
    save_key,
    submit,
    wait_until_done,
    watched,
)
from tests.e2e.service import Service, keys, locked, transcode, upload, wait_for
from tests.e2e.test_page import only_local

__all__ = ["browser", "locked", "playwright", "watched"]  # fixtures, used by name
# The auto ladder of the 640x360 clip: itself and the 240-line rung, never upscaled.
RUNGS = [(640, 360), (426, 240)]
SWITCH_MS = 30_000
ASKED = re.compile(r".*/videos/transcode/\w+$")


def menu(page: Page) -> list[str]:
    """The quality menu's choices by size ("Auto", "360p"...); each rung also names its rate."""
    labels = page.locator("#quality button").all_inner_texts()
    assert all(re.fullmatch(r"\d+p · \d+(\.\d)? [kM]bps", label) for label in labels[1:]), labels
    return [label.split(" · ")[0] for label in labels]


def play_until_height(page: Page, height: int) -> None:
    """Wait until the picture on screen is `height` lines and the menu marks that rung."""
    page.wait_for_function(
        "h => document.querySelector('#player').videoHeight === h", arg=height, timeout=SWITCH_MS
    )
    page.wait_for_function(
        "t => document.querySelector('#quality-now').textContent === t",
        arg=f"Playing {height}p",
        timeout=SWITCH_MS,
    )
    assert page.locator("#quality button.playing").inner_text().startswith(f"{height}p")


def switch_rungs(page: Page) -> None:
    """Pick the top rung, then the lowest; each reaches the screen and the menu says so.
    The clip is shorter than a switch may take on a busy machine: it loops meanwhile."""
    page.evaluate("() => { document.querySelector('#player').loop = true; }")
    (_, top), (_, lowest) = RUNGS[0], RUNGS[-1]
    choose_quality(page, f"{top}p")
    play_until_height(page, top)
    choose_quality(page, f"{lowest}p")
    play_until_height(page, lowest)
    assert page.locator("#quality button[aria-pressed=true]").inner_text().startswith(f"{lowest}p")
    assert page.evaluate("() => document.querySelector('#player').error") is None


def wait_dash_plays(page: Page) -> dict[str, Any]:
    state = assert_plays(page)
    assert state["src"].startswith("blob:") and state["height"] > 0
    assert page.evaluate("() => typeof window.dashjs") == "object"
    return state


def test_the_form_asks_for_ladders(watched: Watched) -> None:
    page = watched.page
    page.goto("/")
    asked = {}
    for size, fmt in [("auto", "hls"), ("640:360", "hls"), ("auto", "cmaf"), ("640:360", "dash")]:
        page.select_option("#resolution", size)
        page.select_option("#format", fmt)
        asked[size, fmt] = page.evaluate("() => transcodeBody()")
    assert asked == {
        ("auto", "hls"): {"format": "hls", "ladder": "auto"},
        ("640:360", "hls"): {"format": "hls", "resolution": "640:360"},  # one MPEG-TS rendition
        ("auto", "cmaf"): {"format": "cmaf", "ladder": "auto"},
        # DASH and CMAF are always ladders: a size caps the top rung.
        ("640:360", "dash"): {"format": "dash", "ladder": "auto", "resolution": "640:360"},
    }
    assert "up to 360p" in (page.text_content("#choice-hint") or "")
    # One MP4 file is no ladder: the choice is not offered, and goes back to the default size.
    page.select_option("#resolution", "auto")
    page.select_option("#format", "mp4")
    assert page.input_value("#resolution") == "1280:720"
    assert page.locator("#resolution option[value=auto]").is_disabled()
    assert watched.problems == []


def test_an_hls_ladder_plays_and_the_quality_menu_switches_rungs(
    watched: Watched, service: Service, clips: dict[str, Path], tmp_path: Path
) -> None:
    page = watched.page
    with page.expect_response(ASKED, timeout=DONE_S * 1000) as asked:
        submit(page, clips["wide"], "auto", "hls")
    assert asked.value.request.post_data_json == {"format": "hls", "ladder": "auto"}
    wait_until_done(page)
    job = httpx.get(f"{service.url}/videos/task/{asked.value.json()['task_id']}").json()
    assert job["renditions"] == [f"{w}x{h}" for w, h in RUNGS]
    state = assert_plays(page)
    assert state["hls"] == "function" and state["src"].startswith("blob:")
    assert menu(page) == ["Auto", "360p", "240p"]
    assert page.locator("#protocol").is_hidden()  # HLS only: nothing to choose
    switch_rungs(page)
    # fMP4: init sections and .m4s segments, audio in its own rendition group.
    assert any(url.endswith("_init.mp4") for url in watched.requests)
    assert any(url.endswith(".m4s") for url in watched.requests)
    assert any("_a_" in url for url in watched.requests)
    only_local(watched, service)
    page.evaluate("() => document.querySelector('#player').pause()")
    folder = Path(SCREENSHOT_DIR) if SCREENSHOT_DIR else tmp_path
    page.locator("#player-card").screenshot(path=str(folder / "page-ladder.png"))
    assert (folder / "page-ladder.png").stat().st_size > 10_000


def test_dash_plays_through_dash_js(
    watched: Watched, service: Service, uploaded: dict[str, dict[str, Any]]
) -> None:
    with service.client() as http:
        task = transcode(http, uploaded["wide"]["file_id"], "1280:720", "dash", ladder="auto")
        final, _ = wait_for(http, task["task_id"])
    assert final["state"] == "SUCCESS", final
    page = watched.page
    page.goto("/")
    play_from_list(page, task["task_id"])
    wait_dash_plays(page)
    assert menu(page) == ["Auto", "360p", "240p"]
    assert page.text_content("#download-link") == "Manifest (.mpd)"
    assert any(url.endswith(".mpd") for url in watched.requests)
    assert any(url.endswith(".m4s") for url in watched.requests)
    only_local(watched, service)


def test_with_keys_required_cmaf_plays_as_hls_and_as_dash(
    locked: Service, browser: Browser, clips: dict[str, Path]
) -> None:
    key = keys(locked, "create", "ladder").stdout.strip()
    bearer = httpx.Client(base_url=locked.url, timeout=30, headers={"X-API-Key": key})
    with bearer:
        file_id = upload(bearer, clips["wide"])["file_id"]
        task = transcode(bearer, file_id, "1280:720", "cmaf", ladder="auto")
        final, _ = wait_for(bearer, task["task_id"])
    assert final["state"] == "SUCCESS", final
    with open_page(browser, locked.url) as watched:
        page = watched.page
        page.goto("/")
        save_key(page, key)
        # Refused before it had a key (Chromium logs each 401): from here on, nothing may fail.
        assert all("401" in problem for problem in watched.problems)
        watched.problems.clear()
        play_from_list(page, task["task_id"])
        # HLS first; the viewer may switch to DASH over the same segments.
        assert page.locator("#protocol button").all_inner_texts() == ["HLS", "DASH"]
        assert page.get_attribute("#protocol button >> nth=0", "aria-pressed") == "true"
        assert assert_plays(page)["hls"] == "function"
        switch_rungs(page)
        page.locator("#protocol button", has_text="DASH").click()
        wait_dash_plays(page)
        assert page.get_attribute("#protocol button >> nth=1", "aria-pressed") == "true"
        # The player sends no key: every manifest, init section and segment URL is signed.
        streamed = [url for url in watched.requests if "/videos/stream/" in url]
        for suffix in (".m3u8", ".mpd", "_init.mp4", ".m4s"):
            fetched = [url for url in streamed if url.split("?")[0].endswith(suffix)]
            assert fetched, suffix
        assert all("exp=" in url and "sig=" in url for url in streamed)
        only_local(watched, locked)
